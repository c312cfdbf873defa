/**
 * The thin client against the API-server double, over HTTP and HTTPS, with the real
 * @kubernetes/client-node KubeConfig underneath: raw JSON, one-line errors naming verb and
 * resource (never the token), Retry-After, unreachable and untrusted servers, line streams.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { startApiServer, type ApiServerDouble } from '../../../test/apiserver/src/index.js';
import { KubeApiError } from './api-error.js';
import { createKubeClientFromKubeConfig } from './client.js';
import { clientFor } from '../source/kubernetes/harness.fixture.js';

let server: ApiServerDouble | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const TOKEN = 'tok-3f9a1c-secret';

async function caught(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  throw new Error('expected a KubeApiError');
}

function kubeconfigFor(server: string, cluster: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: c, cluster: { server: "${server}"${cluster} } }]`,
      'users: [{ name: u, user: { token: t } }]',
      'contexts: [{ name: x, context: { cluster: c, user: u } }]',
      'current-context: x',
      '',
    ].join('\n'),
  );
  return kc;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

for (const https of [false, true]) {
  describe(`client over ${https ? 'HTTPS' : 'HTTP'}`, () => {
    it('returns raw JSON (string timestamps, unknown fields kept)', async () => {
      const s = (server = await startApiServer({ https, token: TOKEN }));
      s.store.create('events', {
        metadata: { name: 'e1', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
        reason: 'Started',
        lastTimestamp: '2026-01-01T00:00:01Z',
        futureField: { x: 1 },
      });
      const client = clientFor(s);
      expect(client.server).toBe(s.url);
      const list = (await client.getJSON('/api/v1/events', { limit: 10, fieldSelector: undefined })) as { items: Record<string, unknown>[] };
      expect(list.items[0]).toMatchObject({ lastTimestamp: '2026-01-01T00:00:01Z', futureField: { x: 1 }, metadata: { creationTimestamp: '2026-01-01T00:00:00Z' } });
      const created = (await client.requestJSON('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'cm' }, data: { a: '1' } })) as { metadata: { uid: string } };
      expect(created.metadata.uid).toMatch(/./);
      const patched = (await client.requestJSON('PATCH', '/api/v1/namespaces/default/configmaps/cm', { data: { b: '2' } })) as { data: Record<string, string> };
      expect(patched.data).toEqual({ a: '1', b: '2' });
      client.close();
    });

    it('words 401 in one line, without the token', async () => {
      const s = (server = await startApiServer({ https, token: TOKEN }));
      const err = await caught(clientFor(s, { token: 'wrong-token-value' }).getJSON('/api/v1/events'));
      expect(err.message).toBe('cannot list events (core/v1) at the cluster scope: 401 Unauthorized');
      expect(err).toMatchObject({ status: 401, reason: 'Unauthorized', kind: 'http', fatalAtStartup: true });
      expect(err.hint).toContain('credentials');
      expect(`${err.message} ${err.hint} ${err.toUserString()}`).not.toContain('wrong-token-value');
      expect(`${err.message} ${err.hint}`).not.toContain(TOKEN);
    });

    it('words 403 with the server message, naming verb, resource and scope', async () => {
      const s = (server = await startApiServer({ https, token: TOKEN }));
      s.rbac.deny({ verb: 'list', resource: 'events' });
      s.rbac.deny({ verb: 'get', resource: 'pods', namespace: 'shop' });
      const client = clientFor(s);
      const list = await caught(client.getJSON('/api/v1/events'));
      expect(list.message).toBe(
        `cannot list events (core/v1) at the cluster scope: 403 Forbidden — events is forbidden: User "${s.user}" cannot list resource "events" in API group "" at the cluster scope`,
      );
      const get = await caught(client.getJSON('/api/v1/namespaces/shop/pods/web'));
      expect(get.message).toBe(
        `cannot get pods "web" (core/v1) in namespace "shop": 403 Forbidden — pods "web" is forbidden: User "${s.user}" cannot get resource "pods" in API group "" in the namespace "shop"`,
      );
      expect(get.message).not.toContain('\n');
    });

    it('reads Retry-After from a 429', async () => {
      const s = (server = await startApiServer({ https }));
      s.faults.next({ verb: 'list', resource: 'events' }, { type: 'http', status: 429, retryAfterSeconds: 3 });
      const err = await caught(clientFor(s).getJSON('/api/v1/events'));
      expect(err).toMatchObject({ status: 429, reason: 'TooManyRequests', retryAfterMs: 3000, fatalAtStartup: false });
    });

    it('streams lines, and fails a stalled stream after the idle timeout', async () => {
      const s = (server = await startApiServer({ https }));
      s.store.create('events', { metadata: { name: 'a', namespace: 'default' }, reason: 'x' });
      const client = clientFor(s);
      const ac = new AbortController();
      const lines: string[] = [];
      for await (const line of client.streamLines('/api/v1/events', { watch: 'true', resourceVersion: '0' }, ac.signal)) {
        lines.push(line);
        break;
      }
      expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'a' } } });

      s.faults.next({ verb: 'watch', resource: 'events' }, { type: 'stall', afterEvents: 1 });
      const stream = await client.openLines('/api/v1/events', { watch: 'true', resourceVersion: '0' }, ac.signal, { idleTimeoutMs: 150 });
      const it = stream[Symbol.asyncIterator]();
      expect(JSON.parse((await it.next()).value as string)).toMatchObject({ type: 'ADDED' });
      const err = await caught(it.next());
      expect(err.message).toBe(`cannot watch events (core/v1) at the cluster scope: no data from ${s.url} for 150ms (stalled stream)`);
      expect(err.kind).toBe('timeout');

      s.faults.next({ verb: 'watch', resource: 'events' }, { type: 'stall' });
      const noHeaders = await caught(client.openLines('/api/v1/events', { watch: 'true' }, ac.signal, { idleTimeoutMs: 150 }));
      expect(noHeaders.message).toBe(`cannot watch events (core/v1) at the cluster scope: no answer from ${s.url} within 150ms`);
      client.close();
    });

    it("ends a pending stream read when the caller's signal aborts", async () => {
      const s = (server = await startApiServer({ https }));
      const client = clientFor(s);
      const ac = new AbortController();
      const stream = await client.openLines('/api/v1/events', { watch: 'true' }, ac.signal);
      const pending = stream[Symbol.asyncIterator]().next();
      await s.stats.waitFor((st) => st.activeWatches === 1);
      ac.abort(new Error('stopping'));
      await expect(pending).rejects.toThrow('stopping');
      await s.stats.waitFor((st) => st.activeWatches === 0);
    });

    it('maps an HTTP error on a stream to a KubeApiError, and a reset mid-stream to a network error', async () => {
      const s = (server = await startApiServer({ https }));
      s.store.create('events', { metadata: { name: 'a', namespace: 'default' }, reason: 'x' });
      const client = clientFor(s);
      s.faults.next({ verb: 'watch' }, { type: 'http', status: 410 });
      const gone = await caught(client.openLines('/api/v1/events', { watch: 'true', resourceVersion: '1' }, new AbortController().signal));
      expect(gone).toMatchObject({ status: 410, expired: true });
      s.faults.next({ verb: 'watch' }, { type: 'reset', afterEvents: 1 });
      const stream = await client.openLines('/api/v1/events', { watch: 'true', resourceVersion: '0' }, new AbortController().signal);
      const it = stream[Symbol.asyncIterator]();
      await it.next();
      const reset = await caught(it.next());
      expect(reset.kind).toBe('network');
      expect(reset.message).toMatch(/^cannot watch events \(core\/v1\) at the cluster scope: no complete answer from /);
    });
  });
}

describe('client concurrency', () => {
  it('lets many concurrent requests share one signal without listener warnings', async () => {
    const s = (server = await startApiServer());
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const client = clientFor(s);
      const shared = new AbortController().signal;
      const all = await Promise.all(Array.from({ length: 40 }, () => client.getJSON('/api/v1/events', {}, shared)));
      expect(all).toHaveLength(40);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('client connection failures', () => {
  it('names the server URL when nothing listens there', async () => {
    const port = await closedPort();
    const client = createKubeClientFromKubeConfig(kubeconfigFor(`https://127.0.0.1:${port}`, ''));
    const err = await caught(client.getJSON('/api/v1/events'));
    expect(err.message).toBe(`cannot list events (core/v1) at the cluster scope: cannot connect to https://127.0.0.1:${port} — connection refused (ECONNREFUSED)`);
    expect(err).toMatchObject({ status: 0, reason: 'ECONNREFUSED', kind: 'network', fatalAtStartup: true });
  });

  it('names an unknown host', async () => {
    const client = createKubeClientFromKubeConfig(kubeconfigFor('https://no-such-host.invalid:6443', ''));
    const err = await caught(client.getJSON('/api/v1/events'));
    expect(err.message).toMatch(
      /^cannot list events \(core\/v1\) at the cluster scope: cannot connect to https:\/\/no-such-host\.invalid:6443 — host (not found|name lookup failed)/,
    );
    expect(err.fatalAtStartup).toBe(true);
  });

  it('verifies TLS unless the kubeconfig says to skip it', async () => {
    const s = (server = await startApiServer({ https: true }));
    const untrusted = await caught(createKubeClientFromKubeConfig(kubeconfigFor(s.url, '')).getJSON('/api/v1/events'));
    expect(untrusted.message).toMatch(/^cannot list events \(core\/v1\) at the cluster scope: no complete answer from https:\/\/127\.0\.0\.1:\d+ — TLS: /);
    expect(untrusted.fatalAtStartup).toBe(true);
    expect(untrusted.hint).toContain('insecure-skip-tls-verify');
    const previous = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
    process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0'; // verification must not depend on this
    try {
      await expect(createKubeClientFromKubeConfig(kubeconfigFor(s.url, '')).getJSON('/api/v1/events')).rejects.toBeInstanceOf(KubeApiError);
    } finally {
      if (previous === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
      else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = previous;
    }
    const skipped = createKubeClientFromKubeConfig(kubeconfigFor(s.url, ', insecure-skip-tls-verify: true'));
    await expect(skipped.getJSON('/api/v1/events')).resolves.toMatchObject({ kind: 'EventList' });
  });

  it('refuses plain HTTP without insecure-skip-tls-verify, saying why', async () => {
    const s = (server = await startApiServer());
    const err = await caught(createKubeClientFromKubeConfig(kubeconfigFor(s.url, '')).getJSON('/api/v1/events'));
    expect(err.message).toBe(
      `cannot list events (core/v1) at the cluster scope: the server ${s.url} uses plain HTTP, which the kubeconfig allows only with insecure-skip-tls-verify: true`,
    );
    expect(err).toMatchObject({ kind: 'config', fatalAtStartup: true });
  });
});

describe('client credentials from an exec plugin', () => {
  it('runs the kubeconfig exec command and sends its token', async () => {
    const s = (server = await startApiServer({ https: true, token: 'exec-issued-token' }));
    s.store.create('events', { metadata: { name: 'e', namespace: 'default' }, reason: 'x' });
    const dir = await mkdtemp(path.join(tmpdir(), 'k8stream-exec-'));
    try {
      const ok = path.join(dir, 'ok.mjs');
      await writeFile(
        ok,
        `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'exec-issued-token' } }));\n`,
      );
      const failing = path.join(dir, 'fail.mjs');
      await writeFile(failing, `process.stderr.write('login required: run cloud auth login'); process.exit(1);\n`);
      const kubeconfig = (script: string): KubeConfig => {
        const kc = new KubeConfig();
        kc.loadFromOptions({
          clusters: [{ name: 'c', server: s.url, caData: Buffer.from(s.ca!).toString('base64'), skipTLSVerify: false }],
          users: [{ name: 'u', exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [script] } }],
          contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
          currentContext: 'x',
        });
        return kc;
      };
      await expect(createKubeClientFromKubeConfig(kubeconfig(ok)).getJSON('/api/v1/events')).resolves.toMatchObject({ items: [{ metadata: { name: 'e' } }] });
      const err = await caught(createKubeClientFromKubeConfig(kubeconfig(failing), { origin: 'test kubeconfig' }).getJSON('/api/v1/events'));
      expect(err.message).toBe('cannot list events (core/v1) at the cluster scope: cannot prepare credentials (test kubeconfig): login required: run cloud auth login');
      expect(err.fatalAtStartup).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
