/**
 * Delivery guarantees through the real runtime, in process, against the API-server double:
 * the resume point in `state.dir` across restarts (at-least-once and at-most-once), an outage
 * that ends with nothing acked, and leader election (standby, handover through the Lease's
 * state annotation, a lost lease).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble } from '../../test/apiserver/src/index.js';
import { validateConfig } from './config/validate.js';
import type { K8streamrc } from './config/definition.js';
import { K8streamError } from './errors.js';
import { run } from './runtime.js';
import type { RunSummary } from './runtime.js';
import { createLogger } from './util/logger.js';

/** What the in-test sink plugin reports, per sink tag. */
interface Sent {
  ids: string[];
  /** at-most-once check: the state file's resourceVersion when each batch was sent. */
  stateAtSend: { maxRv: bigint; saved: bigint | null }[];
  fail: boolean;
  listeners: Set<() => void>;
}
const g = globalThis as unknown as { __k8streamDelivery?: Map<string, Sent> };
const sent = (g.__k8streamDelivery ??= new Map());

const SINK = `
import { readFileSync } from 'node:fs';
export default {
  name: 'memory', apiVersion: '^1.0.0',
  validate: (raw) => raw,
  create: (config) => ({
    async send(batch) {
      const s = globalThis.__k8streamDelivery.get(config.tag);
      if (s.fail) throw Object.assign(new Error('down'), { retryable: true });
      if (config.stateFile) {
        let saved = null;
        try { saved = BigInt(Object.values(JSON.parse(readFileSync(config.stateFile, 'utf8')).watches)[0]); } catch {}
        const maxRv = batch.records.reduce((m, r) => (BigInt(r.resourceVersion) > m ? BigInt(r.resourceVersion) : m), 0n);
        s.stateAtSend.push({ maxRv, saved });
      }
      s.ids.push(...batch.records.map((r) => r.id));
      for (const l of s.listeners) l();
    },
  }),
};
`;

let server: ApiServerDouble;
let dir: string;
const logs: string[] = [];
const logWaiters = new Set<() => void>();
/** Resolves once a log line (of any run) satisfies `pred`. */
function logged(pred: (line: string) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (logs.some(pred)) {
        logWaiters.delete(check);
        resolve();
      }
    };
    logWaiters.add(check);
    check();
  });
}
beforeEach(async () => {
  server = await startApiServer();
  dir = await mkdtemp(path.join(tmpdir(), 'k8stream-delivery-'));
  await server.writeKubeconfig(path.join(dir, 'kube'));
  await writeFile(path.join(dir, 'memory-sink.mjs'), SINK);
  logs.length = 0;
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
  sent.clear();
});

let seq = 0;
function produce(n: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `ev-${String(seq++).padStart(5, '0')}`; // list order (by name) = creation order
    const o = server.store.create('events', {
      metadata: { name, namespace: 'shop' },
      involvedObject: { kind: 'Pod', name: `pod-${name}`, namespace: 'shop', apiVersion: 'v1' },
      reason: 'BackOff',
      type: 'Warning',
      message: name,
      count: 1,
      lastTimestamp: new Date().toISOString(),
    });
    const m = o['metadata'] as { uid: string; resourceVersion: string };
    ids.push(`${m.uid}:${m.resourceVersion}`);
  }
  return ids;
}

function sink(tag: string): Sent {
  let s = sent.get(tag);
  if (s === undefined) {
    s = { ids: [], stateAtSend: [], fail: false, listeners: new Set() };
    sent.set(tag, s);
  }
  return s;
}

function until(s: Sent, pred: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (pred()) {
        s.listeners.delete(check);
        resolve();
      }
    };
    s.listeners.add(check);
    check();
  });
}

function start(tag: string, rc: K8streamrc, sinkConfig: Record<string, unknown> = {}) {
  const config = validateConfig({
    cluster: 'delivery',
    source: { kubeconfig: './kube/kubeconfig' },
    enrich: { objects: false, owners: false, nodes: false, services: false },
    sinks: [{ use: './memory-sink.mjs', config: { tag, ...sinkConfig }, batch: { maxEvents: 7, maxAgeMs: 20 }, retry: { initialBackoffMs: 20, maxBackoffMs: 50 } }],
    deadLetter: { config: { dir: path.join(dir, 'deadletter') } },
    shutdown: { graceMs: 2000 },
    ...rc,
  });
  const stop = new AbortController();
  const logger = createLogger({
    level: 'debug',
    format: 'json',
    write: (l) => {
      logs.push(`${tag} ${l}`);
      for (const w of [...logWaiters]) w();
    },
  });
  const running: Promise<RunSummary> = run({ config, filepath: path.join(dir, '.k8streamrc'), dir }, { logger, signal: stop.signal });
  return { stop: () => (stop.abort(), running), running };
}

const unique = (ids: string[]): number => new Set(ids).size;

describe('resume point in state.dir', () => {
  it('at-least-once: a restart emits exactly the events created while k8stream was down', async () => {
    const s = sink('alo');
    const first = produce(30);
    const a = start('alo', { state: { dir: './state', saveIntervalMs: 50 } });
    await until(s, () => s.ids.length >= 30);
    const summary = await a.stop();
    expect(summary.resume?.saved).toEqual({ '/api/v1/events': String(server.store.resourceVersion) });
    const state = JSON.parse(await readFile(path.join(dir, 'state', 'state.json'), 'utf8'));
    expect(state).toMatchObject({ version: 1, delivery: 'at-least-once', watches: { '/api/v1/events': String(server.store.resourceVersion) } });

    const whileDown = produce(12);
    server.compact(); // compaction while down does not matter: the restart lists
    const b = start('alo', { state: { dir: './state', saveIntervalMs: 50 } });
    await until(s, () => s.ids.length >= 42);
    const live = produce(5);
    await until(s, () => s.ids.length >= 47);
    await b.stop();
    expect(s.ids).toEqual([...first, ...whileDown, ...live]);
  });

  it('at-least-once: events a sink never acked are not covered by the saved point and come again', async () => {
    const s = sink('down');
    const delivered = produce(10);
    const a = start('down', { state: { dir: './state', saveIntervalMs: 20 } }, {});
    await until(s, () => s.ids.length >= 10);
    s.fail = true;
    const undelivered = produce(15);
    // Wait until the source has taken them all (the failing sink retries meanwhile).
    await logged((l) => l.includes('send failed, retrying'));
    const summary = await a.stop();
    expect(summary.sinks[0]!.flushed).toBe(false);
    expect(summary.resume?.saved?.['/api/v1/events']).toBe(delivered.at(-1)!.split(':')[1]);
    s.fail = false;
    const b = start('down', { state: { dir: './state', saveIntervalMs: 20 } });
    await until(s, () => s.ids.length >= 25);
    await b.stop();
    expect(s.ids).toEqual([...delivered, ...undelivered]);
  });

  it('at-most-once: the state on disk covers every batch before the sink sees it, and a restart repeats nothing', async () => {
    const s = sink('amo');
    const stateFile = path.join(dir, 'state', 'state.json');
    const first = produce(40);
    const a = start('amo', { delivery: 'at-most-once', state: { dir: './state' } }, { stateFile });
    await until(s, () => s.ids.length >= 40);
    const more = produce(9);
    await until(s, () => s.ids.length >= 49);
    await a.stop();
    expect(s.stateAtSend.length).toBeGreaterThanOrEqual(7);
    for (const { maxRv, saved } of s.stateAtSend) expect(saved !== null && saved >= maxRv).toBe(true);
    const later = produce(6);
    const b = start('amo', { delivery: 'at-most-once', state: { dir: './state' } }, { stateFile });
    await until(s, () => s.ids.length >= 55);
    await b.stop();
    expect(s.ids).toEqual([...first, ...more, ...later]);
    expect(unique(s.ids)).toBe(55);
  });
});

describe('leader election', () => {
  // Generous deadlines (a loaded CI machine must not lose a lease by accident), except where
  // losing it is the point.
  const election = (identity: string, renewDeadlineMs = 6000) => ({
    leaderElection: { enabled: true, namespace: 'ops', identity, leaseDurationMs: renewDeadlineMs + 3000, renewDeadlineMs, retryPeriodMs: 100 },
  });

  it('one replica streams, the other waits; on stop the leader hands over its resume point through the Lease', async () => {
    const s = sink('ha');
    const before = produce(20);
    const a = start('ha', election('pod-a'));
    await until(s, () => s.ids.length >= 20);
    const b = start('ha', election('pod-b'));
    await logged((l) => l.includes('"identity":"pod-b"') && l.includes('standby'));
    const during = produce(10);
    await until(s, () => s.ids.length >= 30);
    const summaryA = await a.stop();
    expect(summaryA.led).toBe(true);
    const lease = server.store.get('leases', 'ops/k8stream') as { metadata: { annotations: Record<string, string> }; spec: { holderIdentity?: string } };
    expect(JSON.parse(lease.metadata.annotations['k8stream.io/state']!).watches).toEqual(summaryA.resume?.saved);
    const after = produce(8);
    await until(s, () => s.ids.length >= 38);
    const summaryB = await b.stop();
    expect(summaryB.led).toBe(true);
    expect(s.ids).toEqual([...before, ...during, ...after]);
    expect(logs.some((l) => l.includes('"identity":"pod-b"') && l.includes('leading'))).toBe(true);
  });

  it('a replica stopped while on standby reports that it never led', async () => {
    sink('standby');
    const a = start('standby', election('pod-a'));
    // Running, not only leading: a stop while the leader still loads its resume point fails the run.
    await logged((l) => l.includes('leading: this replica streams'));
    await logged((l) => l.includes('sink ready'));
    const b = start('standby', election('pod-b'));
    await logged((l) => l.includes('"identity":"pod-b"') && l.includes('standby'));
    expect((await b.stop()).led).toBe(false);
    expect((await a.stop()).led).toBe(true);
  });

  it('a leader that cannot renew its lease stops streaming and fails with LEADERSHIP_LOST', async () => {
    const s = sink('lost');
    produce(5);
    const a = start('lost', election('pod-a', 1000));
    await until(s, () => s.ids.length >= 5);
    server.faults.add({ resource: 'leases', verb: 'update', times: Infinity, fault: { type: 'http', status: 500 } });
    const err = await a.running.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(K8streamError);
    expect((err as K8streamError).code).toBe('LEADERSHIP_LOST');
    expect((err as K8streamError).message).toContain('lease ops/k8stream');
  });
});
