/**
 * The real client-go, through kubectl, against the double: `get events -A` (Table output),
 * `-w`, and `--raw` list and watch. kubectl is installed (Debian's kubernetes-client) when missing.
 * kubectl (clientcmd) sends credentials only over TLS, so the token tests use HTTPS.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble } from './server.js';
import { eventBody } from './test-utils.fixture.js';
import { requireTool } from '../../helpers/tool.fixture.js';

const KUBECTL = process.env['KUBECTL'] ?? 'kubectl';

let dir = '';
let env: NodeJS.ProcessEnv = {};

function args(kubeconfig: string, rest: string[]): string[] {
  return ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), '--request-timeout', '20s', ...rest];
}

function kubectl(kubeconfig: string, rest: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(KUBECTL, args(kubeconfig, rest), { env, timeout: 25_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running kubectl whose stdout lines can be awaited. */
interface Follower {
  lines: string[];
  waitFor(pred: (line: string) => boolean): Promise<string>;
  stop(): Promise<void>;
}

function follow(kubeconfig: string, rest: string[]): Follower {
  const child: ChildProcessWithoutNullStreams = spawn(KUBECTL, args(kubeconfig, rest), { env });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => (stderr += c));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    partial += chunk;
    let i: number;
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.on('close', (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`kubectl exited (${String(code)}) before the expected line; stderr: ${stderr}`));
  });
  return {
    lines,
    waitFor: (pred) => {
      const hit = lines.find(pred);
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise((resolve, reject) => waiters.push({ pred, resolve, reject }));
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('kubectl against the double', () => {
  let tls: ApiServerDouble;
  let plain: ApiServerDouble;
  let tlsConfig = '';
  let plainConfig = '';

  beforeAll(async () => {
    await requireTool(KUBECTL, ['version', '--client'], 'kubernetes-client');
    dir = await mkdtemp(join(tmpdir(), 'apiserver-double-kubectl-'));
    env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir };
    tls = await startApiServer({ https: true, token: 'kubectl-token' });
    plain = await startApiServer();
    tlsConfig = await tls.writeKubeconfig(join(dir, 'tls'));
    plainConfig = await plain.writeKubeconfig(join(dir, 'plain'));
    for (const s of [tls, plain]) {
      s.store.create('events', eventBody('started', 'shop'));
      s.store.create('events', eventBody('backoff', 'kube-system', { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container', count: 3 }));
    }
  });
  afterAll(async () => {
    await tls?.close();
    await plain?.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('kubectl get events -A prints the Table rows (HTTPS + token)', async () => {
    const r = await kubectl(tlsConfig, ['get', 'events', '-A']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['NAMESPACE', 'LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(rows.slice(1).map((c) => [c[0], c[2], c[3], c[4], c[5]])).toEqual([
      ['kube-system', 'Warning', 'BackOff', 'pod/pod-backoff', 'Back-off restarting failed container'],
      ['shop', 'Normal', 'Started', 'pod/pod-started', 'Started container started'],
    ]);
    expect(tls.stats.count({ verb: 'list', resource: 'events', code: 200 })).toBeGreaterThanOrEqual(1);
    expect(tls.stats.count({ code: 401 })).toBe(0);
  });

  it('kubectl is refused with a wrong token (401)', async () => {
    const bad = join(dir, 'bad');
    await tls.writeKubeconfig(bad, { token: 'wrong' });
    const r = await kubectl(join(bad, 'kubeconfig'), ['get', 'events', '-A']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Unauthorized');
  });

  it('kubectl get events -A -w prints the list, then new events as they happen', async () => {
    const f = follow(tlsConfig, ['get', 'events', '-A', '-w']);
    try {
      await f.waitFor((l) => l.includes('pod/pod-started'));
      await tls.stats.waitFor((st) => st.activeWatches === 1);
      tls.store.create('events', eventBody('live', 'shop', { type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed' }));
      const line = await f.waitFor((l) => l.includes('pod/pod-live'));
      expect(line.split(/\s{2,}/)).toEqual(['shop', expect.stringMatching(/^\S+$/), 'Warning', 'Unhealthy', 'pod/pod-live', 'Readiness probe failed']);
    } finally {
      await f.stop();
      tls.store.delete('events', 'shop/live');
    }
  });

  it('kubectl get --raw lists with limit and continue (HTTP, no token)', async () => {
    const r = await kubectl(plainConfig, ['get', '--raw', '/api/v1/events?limit=1']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { kind: string; metadata: { continue?: string; remainingItemCount?: number }; items: { metadata: { name: string } }[] };
    expect(body.kind).toBe('EventList');
    expect(body.items.map((i) => i.metadata.name)).toEqual(['backoff']);
    expect(body.metadata.remainingItemCount).toBe(1);
    const next = await kubectl(plainConfig, ['get', '--raw', `/api/v1/events?limit=1&continue=${body.metadata.continue!}`]);
    expect((JSON.parse(next.stdout) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name)).toEqual(['started']);
  });

  it('kubectl get --raw watch streams one JSON event per line', async () => {
    const rv = plain.store.resourceVersion;
    const f = follow(plainConfig, ['get', '--raw', `/api/v1/namespaces/shop/events?watch=true&resourceVersion=${rv}`]);
    try {
      await plain.stats.waitFor((st) => st.activeWatches === 1);
      plain.store.create('events', eventBody('raw1', 'shop'));
      plain.store.create('events', eventBody('other', 'kube-system'));
      plain.store.patch('events', 'shop/raw1', { count: 2 });
      await f.waitFor((l) => l.includes('"MODIFIED"'));
      const events = f.lines.map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string; resourceVersion: string }; count: number } });
      expect(events.map((e) => [e.type, e.object.metadata.name, e.object.count])).toEqual([
        ['ADDED', 'raw1', 1],
        ['MODIFIED', 'raw1', 2],
      ]);
    } finally {
      await f.stop();
    }
  });

  it('kubectl reads other resources: events.k8s.io events, leases, nodes', async () => {
    tls.store.create('leases', { metadata: { name: 'k8stream', namespace: 'kube-system' }, spec: { holderIdentity: 'pod-a' } });
    tls.store.create('nodes', { metadata: { name: 'worker-1' }, status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.32.0' } } });
    const ev = await kubectl(tlsConfig, ['get', 'events.v1.events.k8s.io', '-n', 'shop', '-o', 'json']);
    expect(ev.code).toBe(0);
    const evList = JSON.parse(ev.stdout) as { items: { apiVersion: string; note: string }[] };
    expect(evList.items.map((i) => [i.apiVersion, i.note])).toEqual([['events.k8s.io/v1', 'Started container started']]);
    const leases = await kubectl(tlsConfig, ['get', 'leases', '-n', 'kube-system']);
    expect(
      leases.stdout
        .split('\n')[1]
        ?.split(/\s{2,}/)
        .slice(0, 2),
    ).toEqual(['k8stream', 'pod-a']);
    const nodes = await kubectl(tlsConfig, ['get', 'nodes']);
    expect(
      nodes.stdout
        .split('\n')[1]
        ?.split(/\s{2,}/)
        .slice(0, 2),
    ).toEqual(['worker-1', 'Ready']);
  });
});
