/**
 * Leader election against the API-server double (real HTTP, optimistic concurrency on Leases)
 * with short durations: lease 600 ms (published as 1 s), renew deadline 400 ms, retry 100 ms.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble, type RequestInfo } from '../../../test/apiserver/src/index.js';
import { K8streamError, ValidationError } from '../errors.js';
import { createKubeClient } from '../kube/client.js';
import type { KubeClient, Query } from '../kube/client.js';
import { createLeaderElector } from './elector.js';
import type { LeaderElector, LeaderElectorOptions } from './elector.js';
import type { Lease } from './lease.js';

const FAST = { leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: 100 } as const;
const NS = 'k8stream';
const NAME = 'k8stream-leader';

let server: ApiServerDouble;
let dir: string;
let kubeconfig: string;
let stop: AbortController;
const clients: KubeClient[] = [];

beforeEach(async () => {
  server = await startApiServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'k8stream-leader-'));
  kubeconfig = await server.writeKubeconfig(dir);
  stop = new AbortController();
});

afterEach(async () => {
  stop.abort();
  for (const c of clients.splice(0)) c.close();
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A client whose requests carry `?tag=<tag>`, so fault rules can single one replica out. */
function client(tag?: string): KubeClient {
  const c = createKubeClient({ kubeconfig, context: null });
  clients.push(c);
  if (tag === undefined) return c;
  const q = (query: Query | undefined): Query => ({ ...query, tag });
  return {
    server: c.server,
    origin: c.origin,
    getJSON: (p, query, signal) => c.getJSON(p, q(query), signal),
    requestJSON: (m, p, body, query, signal) => c.requestJSON(m, p, body, q(query), signal),
    openLines: (p, query, signal, o) => c.openLines(p, q(query), signal, o),
    streamLines: (p, query, signal, o) => c.streamLines(p, q(query), signal, o),
    close: () => c.close(),
  };
}

function elector(identity: string, extra: Partial<LeaderElectorOptions> = {}): LeaderElector {
  return createLeaderElector({ client: extra.client ?? client(), namespace: NS, name: NAME, identity, ...FAST, ...extra });
}

function lease(): Lease {
  return server.store.get('leases', `${NS}/${NAME}`) as unknown as Lease;
}

/** Records every leadership change of both electors and checks they never lead together. */
function watchPair(a: LeaderElector, b: LeaderElector) {
  const changes: { who: 'a' | 'b'; leading: boolean; at: number }[] = [];
  let both = 0;
  const sample = (who: 'a' | 'b') => (leading: boolean) => {
    changes.push({ who, leading, at: performance.now() });
    if (a.isLeader() && b.isLeader()) both++;
  };
  a.onChange(sample('a'));
  b.onChange(sample('b'));
  return { changes, both: () => both };
}

/** Lease updates the server answered (any status). */
const updates = () => server.stats.count({ verb: 'update', resource: 'leases.coordination.k8s.io' });

describe('createLeaderElector', () => {
  it('validates durations and names', () => {
    const c = client();
    const bad = () => createLeaderElector({ client: c, namespace: NS, name: NAME, identity: '', leaseDurationMs: 1000, renewDeadlineMs: 1000, retryPeriodMs: 100 });
    let caught: unknown = null;
    try {
      bad();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).code).toBe('CONFIG_INVALID');
    expect((caught as ValidationError).issues).toEqual([
      { path: 'leaderElection.identity', message: 'must be a non-empty string' },
      { path: 'leaderElection.renewDeadlineMs', message: 'must be less than leaseDurationMs (1000), got 1000' },
    ]);
    expect(() => createLeaderElector({ client: c, namespace: NS, name: NAME, identity: 'a', retryPeriodMs: 10_000 })).toThrow(
      'leaderElection.retryPeriodMs: must be less than renewDeadlineMs (10000), got 10000',
    );
    expect(() => createLeaderElector({ client: c, namespace: NS, name: NAME, identity: 'a', leaseDurationMs: -1 })).toThrow(
      'leaderElection.leaseDurationMs: must be a positive number',
    );
  });

  it('creates an absent lease and renews it every retry period', async () => {
    const a = elector('pod-a');
    const run = a.run(stop.signal);
    await a.whenLeading();
    expect(a.isLeader()).toBe(true);
    const first = lease();
    expect(first.spec).toMatchObject({ holderIdentity: 'pod-a', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(first.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(first.spec?.acquireTime).toBe(first.spec?.renewTime);
    await server.stats.waitFor(() => updates() >= 3);
    const later = lease();
    expect(later.spec?.holderIdentity).toBe('pod-a');
    expect(later.spec?.acquireTime).toBe(first.spec?.acquireTime);
    expect(later.spec?.leaseTransitions).toBe(0);
    expect(later.spec!.renewTime! > first.spec!.renewTime!).toBe(true);
    stop.abort();
    await run;
    expect(a.isLeader()).toBe(false);
    // Stopping without release leaves the lease held (it expires for the others).
    expect(lease().spec?.holderIdentity).toBe('pod-a');
  });

  it('two replicas: exactly one leads; after release the other leads within about a retry period', async () => {
    const a = elector('pod-a');
    const b = elector('pod-b');
    const pair = watchPair(a, b);
    const runA = a.run(stop.signal);
    await a.whenLeading();
    const runB = b.run(stop.signal);
    // b polls while a renews, for a number of periods.
    await server.stats.waitFor(() => updates() >= 6 && server.stats.count({ verb: 'get' }) >= 12);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(pair.changes.map((c) => `${c.who}:${c.leading}`)).toEqual(['a:true']);

    const released = a.release();
    expect(a.isLeader()).toBe(false); // steps down before the lease is written
    await released;
    const releasedAt = performance.now();
    expect(lease().spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    await runA;
    await b.whenLeading();
    const takeover = performance.now() - releasedAt;
    expect(takeover).toBeLessThan(FAST.retryPeriodMs * 1.2 + 150);
    expect(lease().spec).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 1, leaseDurationSeconds: 1 });
    expect(pair.changes.map((c) => `${c.who}:${c.leading}`)).toEqual(['a:true', 'a:false', 'b:true']);
    expect(pair.both()).toBe(0);
    stop.abort();
    await runB;
  });

  it('a leader whose renewals fail steps down before the other takes over', async () => {
    const a = elector('pod-a', { client: client('a') });
    const b = elector('pod-b');
    const pair = watchPair(a, b);
    const runA = a.run(stop.signal);
    await a.whenLeading();
    const runB = b.run(stop.signal);
    await server.stats.waitFor(() => updates() >= 3);
    const fault = server.faults.add({
      resource: 'leases',
      verb: 'update',
      when: (req: RequestInfo) => req.query.get('tag') === 'a',
      times: 100,
      fault: { type: 'http', status: 500 },
    });
    const failingFrom = performance.now();
    await b.whenLeading();
    const stepDown = pair.changes.find((c) => c.who === 'a' && !c.leading);
    const takeover = pair.changes.find((c) => c.who === 'b' && c.leading);
    expect(stepDown).toBeDefined();
    expect(takeover).toBeDefined();
    expect(stepDown!.at).toBeLessThan(takeover!.at);
    // a steps down within the renew deadline of its last good renewal (+ one period of slack).
    expect(stepDown!.at - failingFrom).toBeLessThan(FAST.renewDeadlineMs + FAST.retryPeriodMs + 100);
    // b waits the published lease duration (1 s) from its last observation of a's renewal.
    expect(takeover!.at - failingFrom).toBeGreaterThanOrEqual(1000 - FAST.retryPeriodMs - 50);
    expect(fault.hits).toBeGreaterThan(0);
    expect(pair.both()).toBe(0);
    expect(a.isLeader()).toBe(false);
    expect(lease().spec).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 1 });
    fault.cancel();
    stop.abort();
    await Promise.all([runA, runB]);
  });

  it('judges expiry by its own observation time, not by the remote renewTime', async () => {
    server.store.create('leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: NAME, namespace: NS },
      spec: { holderIdentity: 'ghost', leaseDurationSeconds: 1, renewTime: '2000-01-01T00:00:00.000000Z', acquireTime: '2000-01-01T00:00:00.000000Z', leaseTransitions: 3 },
    });
    const a = elector('pod-a');
    const started = performance.now();
    const run = a.run(stop.signal);
    await a.whenLeading();
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(lease().spec).toMatchObject({ holderIdentity: 'pod-a', leaseTransitions: 4 });
    stop.abort();
    await run;
  });

  it('re-reads after a 409 Conflict and still acquires', async () => {
    server.store.create('leases', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: NAME, namespace: NS }, spec: {} });
    const conflict = server.faults.next({ resource: 'leases', verb: 'update' }, { type: 'http', status: 409, reason: 'Conflict' });
    const a = elector('pod-a');
    const run = a.run(stop.signal);
    await a.whenLeading();
    expect(conflict.hits).toBe(1);
    expect(lease().spec?.holderIdentity).toBe('pod-a');
    stop.abort();
    await run;
  });

  it('release by a replica that does not hold the lease leaves it alone; a second run is refused', async () => {
    const a = elector('pod-a');
    const b = elector('pod-b');
    const run = a.run(stop.signal);
    await a.whenLeading();
    await expect(a.run(stop.signal)).rejects.toThrow('leader election on lease k8stream/k8stream-leader is already running');
    const before = lease();
    await b.release();
    expect(lease()).toEqual(before);
    expect(a.isLeader()).toBe(true);
    stop.abort();
    await run;
  });

  it('whenLeading rejects when its signal aborts', async () => {
    const a = elector('pod-a');
    const ctl = new AbortController();
    const waiting = a.whenLeading(ctl.signal);
    ctl.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
  });

  it('stores a state string in an annotation of the same lease, kept across renewals', async () => {
    const a = elector('pod-a');
    const b = elector('pod-b');
    expect(await a.readState()).toBeNull();
    await a.writeState('{"rv":"1"}');
    expect(await b.readState()).toBe('{"rv":"1"}');
    expect(lease().spec).toEqual({});
    const run = a.run(stop.signal);
    await a.whenLeading();
    await a.writeState('{"rv":"42"}');
    const after = updates();
    await server.stats.waitFor(() => updates() >= after + 2);
    expect(await b.readState()).toBe('{"rv":"42"}');
    expect(lease().metadata.annotations).toEqual({ 'k8stream.io/state': '{"rv":"42"}' });
    expect(a.isLeader()).toBe(true);
    stop.abort();
    await run;
  });

  it("writeState is fenced: a replica that does not hold the lease cannot overwrite the holder's state", async () => {
    const a = elector('pod-a');
    const b = elector('pod-b');
    const run = a.run(stop.signal);
    await a.whenLeading();
    await a.writeState('{"rv":"42"}');
    const err = await b.writeState('{"rv":"7"}').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(K8streamError);
    expect((err as K8streamError).code).toBe('LEADERSHIP_LOST');
    expect((err as K8streamError).message).toBe('not writing the resume state on lease k8stream/k8stream-leader: it is held by pod-a, not by pod-b');
    expect(await b.readState()).toBe('{"rv":"42"}');
    stop.abort();
    await run;
  });

  it('403 on leases: run rejects with an error naming the verb and the resource', async () => {
    server.rbac.deny({ verb: 'get', resource: 'leases' });
    const a = elector('pod-a');
    const err = await a.run(stop.signal).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(K8streamError);
    const e = err as K8streamError;
    expect(e.code).toBe('KUBE_API_FAILED');
    expect(e.message).toMatch(/^leader election on lease k8stream\/k8stream-leader failed: cannot get leases/);
    expect(e.message).toContain('403 Forbidden');
    expect(e.hint).toContain('grant the verb "get" on "leases" in API group "coordination.k8s.io"');
    expect(a.isLeader()).toBe(false);
    await expect(a.writeState('x')).rejects.toThrow(/cannot get leases/);
  });

  it('403 on update while leading: steps down and rejects', async () => {
    const a = elector('pod-a');
    const changes: boolean[] = [];
    a.onChange((l) => changes.push(l));
    const run = a.run(stop.signal);
    await a.whenLeading();
    server.rbac.deny({ verb: 'update', resource: 'leases' });
    await expect(run).rejects.toThrow(/failed: cannot update leases.*403 Forbidden/);
    expect(changes).toEqual([true, false]);
  });
});
