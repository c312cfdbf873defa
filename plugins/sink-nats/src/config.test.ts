import { describe, expect, it } from 'vitest';
import { validateNatsSinkConfig } from './config.js';

function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    validateNatsSinkConfig(raw);
  } catch (err) {
    return (err as { issues: { path: string; message: string }[] }).issues;
  }
  throw new Error('expected the config to be rejected');
}

describe('validateNatsSinkConfig', () => {
  it('applies the documented defaults', () => {
    expect(validateNatsSinkConfig({ servers: 'nats://nats:4222' })).toStrictEqual({
      servers: ['nats://nats:4222'],
      subject: 'k8s.events.{cluster}.{namespace}.{type}',
      publish: 'record',
      maxInFlight: 256,
      ackTimeout: 5000,
      reconnectWait: 2000,
      connectTimeout: 10_000,
      stream: { create: false, maxAge: 7 * 24 * 3600 * 1000, duplicateWindow: 120_000, replicas: 1, storage: 'file' },
    });
  });

  it('takes a list of servers, durations in any unit, and every stream setting', () => {
    const config = validateNatsSinkConfig({
      servers: ['nats://a:4222', 'tls://b:4222', 'c:4222'],
      ackTimeout: '250ms',
      stream: { create: true, name: 'EVENTS', subjects: ['k8s.>'], maxAge: '30d', duplicateWindow: '10m', replicas: 3, storage: 'memory' },
    });
    expect(config.servers).toEqual(['nats://a:4222', 'tls://b:4222', 'c:4222']);
    expect(config.ackTimeout).toBe(250);
    expect(config.stream).toEqual({ create: true, name: 'EVENTS', subjects: ['k8s.>'], maxAge: 30 * 86_400_000, duplicateWindow: 600_000, replicas: 3, storage: 'memory' });
  });

  it('publish: batch accepts {cluster} and {sink} only, and says why at "subject"', () => {
    expect(validateNatsSinkConfig({ servers: 'n:4222', publish: 'batch', subject: 'k8s.{cluster}.{sink}' }).publish).toBe('batch');
    expect(issuesOf({ servers: 'n:4222', publish: 'batch', subject: 'k8s.{cluster}.{type}' })).toEqual([
      { path: 'subject', message: 'placeholder {type} has no single value per batch: with publish: batch, use only {cluster} {sink}' },
    ]);
  });

  it('accepts each credential method alone, and a numeric password as text', () => {
    expect(validateNatsSinkConfig({ servers: 'n:4222', auth: { user: 'u', password: 123456 } }).auth).toEqual({ user: 'u', password: '123456' });
    expect(validateNatsSinkConfig({ servers: 'n:4222', auth: { token: 't' } }).auth).toEqual({ token: 't' });
    expect(validateNatsSinkConfig({ servers: 'n:4222', auth: { nkeySeed: 'SUAB' } }).auth).toEqual({ nkeySeed: 'SUAB' });
    expect(validateNatsSinkConfig({ servers: 'n:4222', auth: { credsFile: 'user.creds' } }).auth).toEqual({ credsFile: 'user.creds' });
  });

  it('never shows a secret value in an issue', () => {
    const issues = issuesOf({ servers: 'n:4222', auth: { user: 'u', password: true, token: ['hunter22'], nkeySeed: '' } });
    const text = JSON.stringify(issues);
    expect(text).not.toContain('hunter22');
    expect(issues).toContainEqual({ path: 'auth.password', message: 'expected a non-empty string, got a boolean (secret values are never shown)' });
    expect(issues).toContainEqual({ path: 'auth.token', message: 'expected a non-empty string, got an array (secret values are never shown)' });
    expect(issues).toContainEqual({ path: 'auth.nkeySeed', message: 'expected a non-empty string, got an empty string (secret values are never shown)' });
  });

  it('rejects two credential methods, and TLS key without certificate', () => {
    expect(issuesOf({ servers: 'n:4222', auth: { user: 'u', password: 'p', token: 't' } })).toEqual([
      { path: 'auth', message: 'set one of user/password, token, nkeySeed, credsFile' },
    ]);
    expect(issuesOf({ servers: 'n:4222', tls: { keyFile: 'k.pem' } })).toEqual([{ path: 'tls.certFile', message: 'certFile and keyFile go together' }]);
  });

  it('reports every problem at once, with its path', () => {
    const issues = issuesOf({ servers: 'http://x', publish: 'each', maxInFlight: 0, stream: { duplicateWindow: '10ms', replicas: 9 } });
    expect(issues.map((i) => i.path).sort()).toEqual(['maxInFlight', 'publish', 'servers', 'stream.duplicateWindow', 'stream.replicas']);
  });
});
