import { describe, expect, it } from 'vitest';
import { REDACTED, isSecretKey, redactFields, redactString, redactValue } from './redact.js';

describe('isSecretKey', () => {
  it.each([
    'authorization',
    'Authorization',
    'proxy-authorization',
    'token',
    'sessionToken',
    'access_token',
    'bearerToken',
    'password',
    'dbPassword',
    'secret',
    'clientSecret',
    'secretAccessKey',
    'SecretAccessKey',
    'apiKey',
    'credentials',
    'client-key-data',
    'client-certificate-data',
    'privateKey',
    'kubeconfig',
    'cookie',
    'X-Amz-Security-Token',
  ])('%s is secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(['accessKeyId', 'sink', 'batchId', 'count', 'code', 'error', 'message', 'bucket', 'region', 'tokens_used_total'])('%s is not secret', (key) => {
    expect(isSecretKey(key)).toBe(false);
  });
});

describe('redactString', () => {
  it('masks bearer and basic credentials', () => {
    expect(redactString('Authorization: Bearer eyJhbGciOi.J9-x_y~z+/==')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactString('sent basic dXNlcjpwYXNz to the proxy')).toBe(`sent basic ${REDACTED} to the proxy`);
  });

  it('masks the password of a URL userinfo, keeps user and host', () => {
    expect(redactString('GET https://user:pa55@example.com:8443/x failed')).toBe(`GET https://user:${REDACTED}@example.com:8443/x failed`);
    expect(redactString('see http://example.com:8080/a@b')).toBe('see http://example.com:8080/a@b');
  });

  it('masks signing query parameters of presigned URLs', () => {
    const url =
      'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261127%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261127T000000Z&X-Amz-Security-Token=FQoGZX&X-Amz-Signature=abc123&x-id=PutObject';
    expect(redactString(url)).toBe(
      `https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${REDACTED}&X-Amz-Date=20261127T000000Z&X-Amz-Security-Token=${REDACTED}&X-Amz-Signature=${REDACTED}&x-id=PutObject`,
    );
    expect(redactString('https://h/p?sig=xyz&sv=2024')).toBe(`https://h/p?sig=${REDACTED}&sv=2024`);
    expect(redactString('https://h/cb?access_token=t0k&state=1')).toBe(`https://h/cb?access_token=${REDACTED}&state=1`);
  });

  it('masks SigV4 authorization header text', () => {
    const header =
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261127/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024';
    expect(redactString(header)).toBe(`AWS4-HMAC-SHA256 Credential=${REDACTED}, SignedHeaders=host;x-amz-date, Signature=${REDACTED}`);
  });

  it('masks secret key/value pairs inside text (YAML, JSON, query-like)', () => {
    expect(redactString('users:\n- name: a\n  user:\n    token: abc.def\n    client-key-data: LS0tLS1CRUdJTg==\n')).toBe(
      `users:\n- name: a\n  user:\n    token: ${REDACTED}\n    client-key-data: ${REDACTED}\n`,
    );
    expect(redactString('{"accessKeyId":"AKID","secretAccessKey":"wJalr/K7MDENG","sessionToken":"IQoJ"}')).toBe(
      `{"accessKeyId":"AKID","secretAccessKey":"${REDACTED}","sessionToken":"${REDACTED}"}`,
    );
    expect(redactString('db password=hunter2; retry')).toBe(`db password=${REDACTED}; retry`);
    expect(redactString('api_key=k1 api-key: k2 apikey=k3')).toBe(`api_key=${REDACTED} api-key: ${REDACTED} apikey=${REDACTED}`);
    expect(redactString('aws_secret_access_key = wJalr secret_key=s2')).toBe(`aws_secret_access_key = ${REDACTED} secret_key=${REDACTED}`);
  });

  it('masks PEM blocks, also cut-off ones', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAKC\n-----END RSA PRIVATE KEY-----';
    expect(redactString(`key:\n${pem}\nrest`)).toBe(`key:\n-----BEGIN RSA PRIVATE KEY-----${REDACTED}-----END RSA PRIVATE KEY-----\nrest`);
    expect(redactString('x -----BEGIN CERTIFICATE-----\nMIIB')).toBe(`x -----BEGIN CERTIFICATE-----${REDACTED}-----END CERTIFICATE-----`);
  });

  it('leaves ordinary text alone and is idempotent', () => {
    const plain = 'sink s3 sent batch 01J9 (120 events, 3.1 KB) to s3://bucket/prefix in 20 ms';
    expect(redactString(plain)).toBe(plain);
    for (const s of ['Bearer abc', 'https://u:p@h/', '?X-Amz-Signature=1', 'token: x', '-----BEGIN X-----a-----END X-----']) {
      const once = redactString(s);
      expect(once).not.toBe(s);
      expect(redactString(once)).toBe(once);
    }
  });
});

describe('redactFields / redactValue', () => {
  it('masks whole values under secret keys at any depth, keeps accessKeyId', () => {
    const fields = {
      sink: 'archive',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'S' },
      request: { headers: { Authorization: 'AWS4-HMAC-SHA256 Credential=AKID/x, Signature=00', host: 'h' } },
      nested: [{ password: 'p' }, { auth: { accessKeyId: 'AKID2', sessionToken: 'T' } }],
      empty: { token: '' },
    };
    expect(redactFields(fields)).toEqual({
      sink: 'archive',
      credentials: REDACTED,
      request: { headers: { Authorization: REDACTED, host: 'h' } },
      nested: [{ password: REDACTED }, { auth: { accessKeyId: 'AKID2', sessionToken: REDACTED } }],
      empty: { token: '' },
    });
  });

  it('turns errors into message and code, stack only when asked, all scrubbed', () => {
    const err = Object.assign(new Error('request to https://u:pw@h failed'), { code: 'ECONNREFUSED', config: { headers: { authorization: 'Bearer zzz' } } });
    expect(redactValue(err)).toEqual({ message: `request to https://u:${REDACTED}@h failed`, code: 'ECONNREFUSED' });
    const withStack = redactValue(err, { stacks: true }) as { stack: string };
    expect(withStack.stack).toContain('Error: request to https://u:[REDACTED]@h failed');
    expect(withStack.stack).not.toContain('pw@');
    expect(redactValue(new TypeError('bad'))).toEqual({ message: 'bad', code: 'TypeError' });
  });

  it('handles cycles, depth, bigints, dates, buffers, maps and sets', () => {
    const a: Record<string, unknown> = { n: 1n, d: new Date(0), b: Buffer.from('secret bytes'), m: new Map([['token', 'x']]), s: new Set(['Bearer q']) };
    a.self = a;
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 20; i++) deep = deep.next = {} as Record<string, unknown>;
    expect(redactValue(a)).toEqual({
      n: '1',
      d: '1970-01-01T00:00:00.000Z',
      b: '[12 bytes]',
      m: { token: REDACTED },
      s: [`Bearer ${REDACTED}`],
      self: '[Circular]',
    });
    expect(JSON.stringify(redactValue(root))).toContain('[Truncated]');
  });

  it('a value seen twice (not a cycle) is kept both times', () => {
    const shared = { x: 1 };
    expect(redactValue({ a: shared, b: shared })).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });
});
