// Builds dist/redact.wasm (when stale) and calls it through the Extism JS SDK.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, openTransform, sampleRecord } from '@k8stream/transform-kit/testing';
import type { TransformHandle } from '@k8stream/transform-kit/testing';

const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let wasm: string;
const open: TransformHandle[] = [];

beforeAll(async () => {
  wasm = await ensureBuilt(PKG);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

async function redact(config: Record<string, unknown> = {}): Promise<TransformHandle> {
  const h = await openTransform(wasm, config);
  open.push(h);
  return h;
}

/** Runs `message` through a transform and returns the resulting message. */
async function messageAfter(h: TransformHandle, message: string): Promise<string> {
  const out = await h.call(sampleRecord({ message }));
  if (out.kind !== 'replace') throw new Error(`expected a replacement, got ${out.kind}`);
  return out.value.message as string;
}

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

describe('built-in detectors', () => {
  it.each([
    ['bearer', 'GET /api failed: Authorization: Bearer abcDEF123456789._-~+/= rejected', 'GET /api failed: Authorization: Bearer [REDACTED:bearer] rejected'],
    ['bearer (any case)', 'header bearer Zm9vYmFyYmF6cXV4 sent', 'header bearer [REDACTED:bearer] sent'],
    ['token=', 'probe https://svc/health?token=s3cr3t-value&x=1 failed', 'probe https://svc/health?token=[REDACTED:secret]&x=1 failed'],
    ['password=', 'connect failed password=hunter2 user=bob', 'connect failed password=[REDACTED:secret] user=bob'],
    ['secret:', 'env SECRET: "abc123" loaded', 'env SECRET: "[REDACTED:secret]" loaded'],
    ['api_key in JSON', 'body {"api_key":"k-123","x":1}', 'body {"api_key":"[REDACTED:secret]","x":1}'],
    ['aws access key id', 'using key AKIAIOSFODNN7EXAMPLE for s3', 'using key [REDACTED:aws-access-key] for s3'],
    ['aws temporary key id', 'sts ASIAY34FZKBOKMUTVV7A expired', 'sts [REDACTED:aws-access-key] expired'],
    ['jwt', `cookie session=x; id_token ${JWT} end`, 'cookie session=x; id_token [REDACTED:jwt] end'],
    ['jwt as bearer', `Authorization: Bearer ${JWT}`, 'Authorization: Bearer [REDACTED:jwt]'],
    ['email', 'notified ana.maria+k8s@example.co.uk and bob@ops.example.com', 'notified [REDACTED:email] and [REDACTED:email]'],
    ['ipv4', 'dial tcp 10.96.0.1:443: i/o timeout (from 192.168.255.254)', 'dial tcp [REDACTED:ipv4]:443: i/o timeout (from [REDACTED:ipv4])'],
  ])('%s', async (_kind, message, want) => {
    const h = await redact();
    expect(await messageAfter(h, message)).toBe(want);
  });

  it('leaves look-alikes alone', async () => {
    const h = await redact();
    const messages = [
      'Pulling image "docker.io/library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31"',
      'Successfully assigned shop/web-7d9f8c6b5-x2x4q to node-2',
      'version 1.2.3 rolled out; 999.1.1.1 is not an address',
      'MountVolume.SetUp failed for volume "creds" : secret "db-creds" not found',
      'the bearer of bad news',
    ];
    for (const message of messages) {
      const rec = sampleRecord({ message });
      expect(await h.call(rec)).toEqual({ kind: 'replace', value: rec, text: JSON.stringify(rec) });
    }
  });

  it('passes a record with nothing to redact through byte for byte', async () => {
    const h = await redact();
    const text = JSON.stringify({ ...sampleRecord({ message: 'all good ✓' }), futureField: [1] }, null, 2);
    expect(await h.callRaw(text)).toBe(text);
  });

  it('redacts annotation values by default, not labels or keys', async () => {
    const h = await redact();
    const rec = sampleRecord({
      message: 'ok',
      enrichment: {
        ...sampleRecord().enrichment,
        labels: { owner: 'ana@example.com' },
        annotations: {
          'ops.example.com/contact': 'ana@example.com',
          'kubectl.kubernetes.io/last-applied-configuration': '{"env":[{"name":"DB","value":"password=topsecret"}]}',
          plain: 'nothing here',
        },
      },
    });
    const out = await h.call(rec);
    const want = structuredClone(rec);
    want.enrichment.annotations = {
      'ops.example.com/contact': '[REDACTED:email]',
      'kubectl.kubernetes.io/last-applied-configuration': '{"env":[{"name":"DB","value":"password=[REDACTED:secret]"}]}',
      plain: 'nothing here',
    };
    expect(out).toEqual({ kind: 'replace', value: want, text: JSON.stringify(want) });
  });

  it('keeps newlines, quotes and emoji around what it masks', async () => {
    const h = await redact();
    expect(await messageAfter(h, 'first line 🚀\n"token=abc" — für bob@example.com ✓\n\tend')).toBe('first line 🚀\n"token=[REDACTED:secret]" — für [REDACTED:email] ✓\n\tend');
  });
});

describe('config', () => {
  it('runs only the chosen kinds', async () => {
    const h = await redact({ kinds: ['email'] });
    expect(await messageAfter(h, 'token=abc bob@example.com 10.0.0.1')).toBe('token=abc [REDACTED:email] 10.0.0.1');
    const none = await redact({ kinds: [], patterns: 'zzz' });
    expect(await messageAfter(none, 'token=abc zzz')).toBe('token=abc [REDACTED:custom]');
    const csv = await redact({ kinds: 'ipv4, email' });
    expect(await messageAfter(csv, 'token=abc bob@example.com 10.0.0.1')).toBe('token=abc [REDACTED:email] [REDACTED:ipv4]');
  });

  it('adds a custom pattern (one string), masking group 1 when there is one', async () => {
    const h = await redact({ patterns: 'ssn=(\\d{3}-\\d{2}-\\d{4})' });
    expect(await messageAfter(h, 'user ssn=123-45-6789 ok')).toBe('user ssn=[REDACTED:custom] ok');
    const whole = await redact({ patterns: '(?i)\\bcustomer-\\d+\\b' });
    expect(await messageAfter(whole, 'for Customer-42 and customer-7')).toBe('for [REDACTED:custom] and [REDACTED:custom]');
    const cls = await redact({ patterns: '[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{4}' });
    expect(await messageAfter(cls, 'card 4111-1111-1111-1111 charged')).toBe('card [REDACTED:custom] charged');
  });

  it('adds named custom patterns (object) and lists of patterns', async () => {
    const named = await redact({ patterns: { 'credit-card': '\\b\\d{4}(?:[ -]?\\d{4}){3}\\b', ticket: 'TCK-\\d+' } });
    expect(await messageAfter(named, 'card 4111 1111 1111 1111 for TCK-981')).toBe('card [REDACTED:credit-card] for [REDACTED:ticket]');
    const list = await redact({ patterns: ['foo\\d', 'bar'] });
    expect(await messageAfter(list, 'foo1 bar baz')).toBe('[REDACTED:custom] [REDACTED:custom] baz');
  });

  it('redacts labels and enrichment errors when asked', async () => {
    const h = await redact({ fields: ['labels', 'errors'] });
    const rec = sampleRecord({
      message: 'token=kept-because-message-is-off',
      enrichment: {
        ...sampleRecord().enrichment,
        labels: { owner: 'ana@example.com' },
        annotations: { contact: 'ana@example.com' },
        errors: [{ lookup: 'node', message: 'GET https://10.0.0.1/api/v1/nodes/x: 403' }],
      },
    });
    const out = await h.call(rec);
    const want = structuredClone(rec);
    want.enrichment.labels = { owner: '[REDACTED:email]' };
    want.enrichment.errors = [{ lookup: 'node', message: 'GET https://[REDACTED:ipv4]/api/v1/nodes/x: 403' }];
    expect(out).toEqual({ kind: 'replace', value: want, text: JSON.stringify(want) });
  });

  it('uses a custom replacement template', async () => {
    const h = await redact({ replacement: '<{kind} removed>' });
    expect(await messageAfter(h, 'mail bob@example.com')).toBe('mail <email removed>');
    const long = await redact({ replacement: '{kind}', kinds: [], patterns: { 'a-rather-long-custom-detector-name': 'x' } });
    expect(await messageAfter(long, 'x marks')).toBe('a-rather-long-custom-detector-name marks');
    const fixed = await redact({ replacement: '***' });
    expect(await messageAfter(fixed, 'mail bob@example.com token=x')).toBe('mail *** token=***');
  });
});

describe('bad config is an error on every call, never a drop', () => {
  it.each([
    [{ patterns: '(unclosed' }, 'invalid transform config: config "patterns": invalid regex /(unclosed/: missing \')\' at offset 0'],
    [{ patterns: { pin: 'a{3,1}' } }, 'invalid transform config: config "patterns.pin": invalid regex /a{3,1}/: numbers out of order in {} quantifier at offset 1'],
    [{ patterns: ['ok', 7] }, 'invalid transform config: config "patterns[1]": expected a regex string, got number'],
    [{ kinds: ['email', 'ssn'] }, 'invalid transform config: config "kinds": unknown kind "ssn" (known: jwt, bearer, secret, aws-access-key, email, ipv4)'],
    [{ fields: ['message', 'body'] }, 'invalid transform config: config "fields": unknown field "body" (known: message, annotations, labels, errors)'],
    [
      { patterns: '(?<=x)y', kinds: ['nope'] },
      'invalid transform config (2 problems): config "kinds": unknown kind "nope" (known: jwt, bearer, secret, aws-access-key, email, ipv4); config "patterns": invalid regex /(?<=x)y/: lookbehind is not supported at offset 0',
    ],
  ])('%j', async (config, message) => {
    const h = await redact(config);
    await expect(h.callRaw(sampleRecord())).rejects.toThrow(`Plugin-originated error: ${message}`);
    await expect(h.callRaw(sampleRecord())).rejects.toThrow(message);
  });
});
