import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble } from './server.js';
import { eventBody, openWatch, raw } from './test-utils.fixture.js';

let s: ApiServerDouble;
let dir: string;
beforeAll(async () => {
  s = await startApiServer({ https: true, token: 'tls-token' });
  dir = await mkdtemp(join(tmpdir(), 'apiserver-double-https-'));
});
afterAll(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('HTTPS', () => {
  it('serves with a certificate for 127.0.0.1 signed by the generated CA', async () => {
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(s.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const ca = new X509Certificate(s.ca!);
    expect(ca.ca).toBe(true);
    s.store.create('events', eventBody('a'));
    const r = await raw(s.url, '/api/v1/events', { ca: s.ca!, token: 'tls-token' });
    expect(r.status).toBe(200);
    expect(r.json<{ items: unknown[] }>().items).toHaveLength(1);
    const w = await openWatch(s.url, '/api/v1/events?watch=true&resourceVersion=0', { ca: s.ca!, token: 'tls-token' });
    expect((await w.next()).type).toBe('ADDED');
    w.close();
  });

  it('applies socket resets on TLS connections too', async () => {
    s.faults.next({ verb: 'watch' }, { type: 'reset', afterEvents: 1 });
    const w = await openWatch(s.url, '/api/v1/events?watch=true&resourceVersion=0', { ca: s.ca!, token: 'tls-token' });
    expect((await w.next()).type).toBe('ADDED');
    expect((await w.ended).kind).toBe('error');
    s.faults.next({ verb: 'list' }, { type: 'reset' });
    await expect(raw(s.url, '/api/v1/events', { ca: s.ca!, token: 'tls-token' })).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('is refused by a client that does not trust the CA', async () => {
    await expect(raw(s.url, '/version')).rejects.toMatchObject({ code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY/) });
  });

  it('writes a kubeconfig carrying the CA data and the token', async () => {
    const path = await s.writeKubeconfig(dir);
    expect(path).toBe(join(dir, 'kubeconfig'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const text = await readFile(path, 'utf8');
    expect(text).toContain(`server: "${s.url}"`);
    expect(text).toContain(`certificate-authority-data: ${Buffer.from(s.ca!).toString('base64')}`);
    expect(text).toContain('token: "tls-token"');
    expect(text).not.toContain('insecure-skip-tls-verify');
    expect(s.kubeconfig({ token: 'other' })).toContain('token: "other"');
  });
});
