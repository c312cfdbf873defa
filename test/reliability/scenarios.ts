/**
 * Fault-injection scenarios: the real k8stream binary between the API-server double and the
 * HTTP receiver, with faults on either side and crashes in between. Each scenario produces
 * distinct events, lets delivery settle, and counts ids on the receiving side.
 *
 * A scenario throws when something other than the counts goes wrong (a process that does not
 * exit, a wrong exit code, a missing log line); the counts are judged by {@link violations}.
 * The counts compare what the receiver holds (records, by id, copies included) with the
 * producer's truth (every event version it created, `uid:resourceVersion`): see {@link countDelivery}.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '@k8stream/apiserver-double';
import type { ApiServerDouble, ApiServerOptions } from '@k8stream/apiserver-double';
import { countDelivery } from './counts.ts';
import { quantile, runStorms, STORM_PROFILES, stormViolations } from './fault-storm.ts';
import { createProducer } from './producer.ts';
import type { Producer } from './producer.ts';
import { assertCgroupsWritable, DEFAULT_BATCH_MAX_EVENTS, startK8stream } from './process.ts';
import type { Delivery, ExitStatus, K8streamOptions, K8streamRun } from './process.ts';
import { startReceiver } from './receiver.ts';
import type { Receiver } from './receiver.ts';
import { distKit } from './storm-kit.ts';

export type Size = 'short' | 'long';

export interface Result {
  scenario: string;
  mode: string;
  /** Distinct event ids written to the API server. */
  produced: number;
  /** Produced ids the receiver stored at least once. */
  delivered: number;
  /** Produced ids the receiver never stored. */
  lost: number;
  /** Produced ids the receiver stored more than once. */
  duplicated: number;
  /**
   * Records the receiver holds whose id the producer never made (or that have no id); gap
   * markers are counted in `markers` instead. Must be 0.
   */
  unknown: number;
  /** Records the receiver holds, every copy counted (the archive's line count). Not for fault storms. */
  received?: number;
  /** Gap-marker records the receiver holds (k8stream's own `WatchGap` events), copies counted. Not for fault storms. */
  markers?: number;
  /**
   * With `lossBound`: the fewest batches the lost ids can have travelled in. A batch holds
   * consecutively produced ids, so each stretch of consecutively produced ids all lost counts
   * ceil(length / `lossBound.batchMaxEvents`).
   */
  lostBatches?: number;
  /**
   * What the delivery mode may lose (at-most-once only): the batch in flight at each kill — at
   * most `kills` batches of `batchMaxEvents`, `ids` = their product.
   */
  lossBound?: LossBound;
  /** kill -9 scenarios: how many times k8stream was killed (the table's repeats per kill is `duplicated / kills`). */
  kills?: number;
  /**
   * kill -9 scenarios: produced ids an object-store archive would hold more than once — one
   * object per batch id, so a batch re-sent with the same records overwrites itself.
   */
  archiveDuplicated?: number;
  /** Why delivery did not settle before the deadline (the counts are those at that moment). */
  unsettled?: string;
  /** Peak RSS of the k8stream process(es), MiB. */
  maxRssMb: number;
  /**
   * OOM kills summed over the cgroups of every k8stream process (memory-limited variants only;
   * undefined without a limit, null when the kernel does not count them).
   */
  oomKills?: number | null;
  /** Highest peak charged to one of those cgroups, MiB (what the limit is judged against; see process.ts). */
  cgroupPeakMb?: number | null;
  seconds: number;
  /** Fault storms: seeds run. */
  seeds?: number;
  /** Fault storms: produced versions not delivered but covered by a gap marker. */
  covered?: number;
  /** Fault storms: recovery times (healthy server → watching again), ms, and the largest target. */
  recovery?: { p50Ms: number; p95Ms: number; maxMs: number; targetMs: number };
  /** Fault storms: faults applied and scheduled, over every seed (the rest were still pending when the storm ended). */
  faults?: { applied: number; scheduled: number };
  /** Fault storms: the seeds that broke the property, with why. */
  failedSeeds?: string[];
}

/** What at-most-once may lose over a scenario: one batch per kill. */
export interface LossBound {
  kills: number;
  batchMaxEvents: number;
  /** `kills × batchMaxEvents`. */
  ids: number;
}

/** A scenario with the guarantees its result must keep. */
export interface Scenario {
  name: string;
  mode: string;
  /** `lost` must be 0. */
  noLoss: boolean;
  /** `duplicated` must be 0. */
  noDuplicates: boolean;
  /** Every k8stream process runs in its own cgroup with this memory limit (MiB); OOM kills fail it. */
  memoryMiB?: number;
  run: (size: Size) => Promise<Result>;
}

/** The guarantees `result` breaks, as readable sentences (empty: all kept). */
export function violations(scenario: Pick<Scenario, 'noLoss' | 'noDuplicates'>, result: Result): string[] {
  const out: string[] = [];
  if (result.unsettled !== undefined) out.push(`not settled: ${result.unsettled}`);
  if (scenario.noLoss && result.lost !== 0) out.push(`${result.lost} ids lost`);
  const bound = result.lossBound;
  if (bound !== undefined && result.lost > bound.ids) out.push(`${result.lost} ids lost, more than ${bound.ids} (one batch per kill)`);
  if (bound !== undefined && (result.lostBatches ?? 0) > bound.kills) out.push(`lost ids fill at least ${result.lostBatches} batches, more than one per kill (${bound.kills})`);
  if (scenario.noDuplicates && result.duplicated !== 0) out.push(`${result.duplicated} ids duplicated`);
  if (result.unknown !== 0) out.push(`${result.unknown} records the producer never made`);
  if (result.failedSeeds !== undefined && result.failedSeeds.length > 0) out.push(`seeds failed: ${result.failedSeeds.join('; ')}`);
  if (result.oomKills === null) out.push('OOM kills not counted by this kernel (no oom_kill line)');
  else if (result.oomKills !== undefined && result.oomKills > 0) out.push(`${result.oomKills} OOM kills`);
  return out;
}

/** How big each size is. */
const SIZES = {
  short: { rate: 400, outageMs: 2_000, kills: 5, handovers: 1, stormMs: 2_500, burst: 500 },
  long: { rate: 1_000, outageMs: 30_000, kills: 20, handovers: 5, stormMs: 20_000, burst: 10_000 },
} as const;

const LOG_READY = /"msg":"watching events"/;
/** Deadline for delivery to settle after the faults end. */
const SETTLE_MS = { short: 30_000, long: 180_000 } as const;

/** One scenario's world: a temp dir, the API-server double, the receiver, a producer, and every k8stream started. */
interface World {
  dir: string;
  server: ApiServerDouble;
  kubeconfig: string;
  receiver: Receiver;
  producer: Producer;
  runs: K8streamRun[];
  /** What the scenario's delivery mode may lose (at-most-once); undefined: nothing. */
  lossBound?: LossBound;
  /** kill -9 scenarios: how many times k8stream was killed. */
  kills?: number;
  /** Set by {@link settle} when delivery did not settle in time. */
  unsettled?: string;
  /** Starts k8stream with the world's kubeconfig and receiver plus `o`. */
  start(o?: Partial<K8streamOptions>): Promise<K8streamRun>;
  /** Starts k8stream and waits until it watches. */
  startReady(o?: Partial<K8streamOptions>): Promise<K8streamRun>;
}

async function createWorld(name: string, api: ApiServerOptions = {}, memoryMiB?: number): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), `k8stream-reliability-${name}-`));
  const server = await startApiServer({ compactionWindow: 1_000_000, ...api });
  const kubeconfig = await server.writeKubeconfig(join(dir, 'kube'));
  const receiver = await startReceiver();
  const producer = createProducer(server.store);
  const runs: K8streamRun[] = [];
  const start = async (o: Partial<K8streamOptions> = {}) => {
    const run = await startK8stream({ dir: join(dir, 'k8stream'), kubeconfig, sinkUrl: receiver.url, ...o }, {}, memoryMiB === undefined ? {} : { memoryMiB });
    runs.push(run);
    return run;
  };
  return {
    dir,
    server,
    kubeconfig,
    receiver,
    producer,
    runs,
    start,
    async startReady(o) {
      const run = await start(o);
      await run.waitForLog(LOG_READY);
      return run;
    },
  };
}

async function destroyWorld(w: World): Promise<void> {
  await Promise.all(w.runs.map((r) => r.kill()));
  await w.receiver.close();
  await w.server.close();
  await rm(w.dir, { recursive: true, force: true });
}

/** OOM kills summed over `runs` (undefined when none is limited; null when any count is unknown). */
function sumOomKills(runs: K8streamRun[]): number | null | undefined {
  let sum: number | null | undefined;
  for (const r of runs) {
    const n = r.oomKills();
    if (n === undefined) continue;
    if (n === null || sum === null) sum = null;
    else sum = (sum ?? 0) + n;
  }
  return sum;
}

/** The highest cgroup peak among `runs` (null when one is unreadable). */
function maxCgroupPeak(runs: K8streamRun[]): number | null {
  let max = 0;
  for (const r of runs) {
    const p = r.cgroupPeakMb();
    if (p === null) return null;
    if (p !== undefined) max = Math.max(max, p);
  }
  return max;
}

/** The mode as the table shows it: `memory@128Mi` for a memory-limited variant. */
function modeName(mode: string, memoryMiB: number | undefined): string {
  return memoryMiB === undefined ? mode : `${mode}@${memoryMiB}Mi`;
}

/**
 * Runs `body` in a fresh world and turns the receiver's counts into a {@link Result}. With
 * `memoryMiB` every k8stream process of the world runs in its own cgroup with that limit.
 */
async function measure(scenario: string, mode: string, api: ApiServerOptions, body: (w: World) => Promise<void>, memoryMiB?: number): Promise<Result> {
  if (memoryMiB !== undefined) assertCgroupsWritable(memoryMiB);
  const t0 = performance.now();
  const w = await createWorld(scenario, api, memoryMiB);
  try {
    try {
      await body(w);
    } catch (err) {
      // An OOM kill usually shows up as a process that died early: say so first.
      await Promise.all(w.runs.map((r) => r.kill()));
      const oom = sumOomKills(w.runs);
      if (oom !== undefined && oom !== 0 && err instanceof Error) {
        const killed = w.runs.flatMap((r, i) => ((r.oomKills() ?? 1) > 0 ? [i + 1] : []));
        const last = w.runs[(killed.at(-1) ?? 1) - 1];
        err.message = `${oom ?? 'unknown'} OOM kills (k8stream start ${killed.join(', ')} of ${w.runs.length}); ${err.message}\nlast log of the OOM-killed process:\n${last?.stderr().slice(-3000) ?? ''}`;
      }
      throw err;
    }
    return {
      scenario,
      mode: modeName(mode, memoryMiB),
      ...countDelivery(w.producer.ids, w.receiver, w.lossBound?.batchMaxEvents),
      ...(w.lossBound === undefined ? {} : { lossBound: w.lossBound }),
      ...(w.kills === undefined ? {} : { kills: w.kills, archiveDuplicated: archiveDuplicated(w.producer.ids, w.receiver.archiveIds()) }),
      ...(w.unsettled === undefined ? {} : { unsettled: w.unsettled }),
      maxRssMb: Math.max(0, ...w.runs.map((r) => r.maxRssMb())),
      ...(memoryMiB === undefined ? {} : { oomKills: sumOomKills(w.runs), cgroupPeakMb: maxCgroupPeak(w.runs) }),
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
  } finally {
    await destroyWorld(w);
  }
}

/** Produced ids `archive` holds more than once. */
function archiveDuplicated(produced: ReadonlySet<string>, archive: Map<string, number>): number {
  let n = 0;
  for (const id of produced) if ((archive.get(id) ?? 0) > 1) n += 1;
  return n;
}

/** Throws unless `exit` is a clean exit 0 (a graceful stop). */
function expectClean(what: string, run: K8streamRun, exit: ExitStatus): void {
  if (exit.code !== 0) throw new Error(`${what}: k8stream exited ${exit.code ?? exit.signal}, expected 0:\n${run.stderr().slice(-3000)}`);
}

/**
 * Ends a scenario: ends the producer's stream with a final burst, waits until the receiver holds
 * every produced id — all but `w.lossBound.ids` where the delivery mode may lose (at-most-once),
 * and then the whole final burst, produced after the last kill — and went quiet, then stops `run`
 * gracefully. Past the deadline it records why in `w.unsettled` (the result then carries the
 * counts of that moment and fails) and leaves `run` to be killed.
 */
async function settle(w: World, run: K8streamRun, size: Size): Promise<void> {
  const last = w.producer.burst(20);
  const deadline = Date.now() + SETTLE_MS[size];
  try {
    await w.receiver.waitForIds(w.producer.ids, { timeoutMs: SETTLE_MS[size], mayMiss: w.lossBound?.ids ?? 0 });
    await w.receiver.waitForIds(last, { timeoutMs: Math.max(1, deadline - Date.now()) });
    await w.receiver.waitForQuiet(300, { timeoutMs: Math.max(1, deadline - Date.now()) });
  } catch (err) {
    w.unsettled = `${SETTLE_MS[size] / 1000} s after the last event: ${err instanceof Error ? err.message : String(err)}`;
    return;
  }
  expectClean('final stop', run, await run.stop());
}

/** Produces at `rate` in the background; `stop()` ends it and resolves once it stopped. */
function background(p: Producer, rate: number): { stop: () => Promise<number> } {
  const ac = new AbortController();
  const done = p.run({ rate, signal: ac.signal });
  return {
    stop: () => {
      ac.abort();
      return done;
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Sink outages
// ---------------------------------------------------------------------------------------------

/**
 * The sink is down for a long stretch (first connection refused, then 503) while events keep
 * coming, then back: everything arrives once. With the disk buffer k8stream is also restarted
 * (SIGTERM, start) while the sink is down; the state dir keeps the restart from re-listing
 * events already in the buffer.
 */
export function sinkDown(buffer: 'memory' | 'disk', memoryMiB?: number): (size: Size) => Promise<Result> {
  return (size) =>
    measure(
      'sink-down',
      buffer,
      {},
      async (w) => {
        const s = SIZES[size];
        const o: Partial<K8streamOptions> = buffer === 'disk' ? { buffer: { type: 'disk', fsync: 'always' }, stateDir: join(w.dir, 'state'), graceMs: 1000 } : {};
        let run = await w.startReady(o);
        w.producer.burst(s.burst);
        await w.receiver.waitForIds(w.producer.ids);
        await w.receiver.down();
        const load = background(w.producer, s.rate);
        await sleep(s.outageMs / 2);
        if (buffer === 'disk') {
          expectClean('restart while the sink is down', run, await run.stop());
          run = await w.startReady(o);
        }
        await w.receiver.up();
        w.receiver.fault({ type: 'status', status: 503 });
        await sleep(s.outageMs / 2);
        await load.stop();
        w.receiver.clearFaults();
        await settle(w, run, size);
      },
      memoryMiB,
    );
}

/** 429 with Retry-After, 500s, connection resets mid-body and slow answers, in rounds, under load. */
export async function sinkFaults(size: Size): Promise<Result> {
  return measure('sink-faults', 'memory', {}, async (w) => {
    const s = SIZES[size];
    const run = await w.startReady();
    const load = background(w.producer, s.rate);
    const rounds = size === 'short' ? 1 : 6;
    for (let i = 0; i < rounds; i++) {
      await w.receiver.waitForBatch();
      w.receiver.fault({ type: 'status', status: 429, retryAfterSeconds: 1 }, 2);
      w.receiver.fault({ type: 'status', status: 500 }, 3);
      w.receiver.fault({ type: 'reset' }, 3);
      w.receiver.fault({ type: 'slow', ms: 300 }, 2);
      w.receiver.fault({ type: 'status', status: 503, retryAfterSeconds: 1 }, 1);
      w.receiver.fault({ type: 'reset' }, 2);
      await sleep(s.stormMs / rounds);
    }
    await load.stop();
    await settle(w, run, size);
    const { rejected, resets } = w.receiver.stats;
    if (rejected < 6 * rounds || resets < 5 * rounds) throw new Error(`sink faults not all applied: ${rejected} rejected, ${resets} resets`);
  });
}

// ---------------------------------------------------------------------------------------------
// Crashes
// ---------------------------------------------------------------------------------------------

/**
 * kill -9 at mixed moments — a random delay, while a request is in flight (mid-upload), right
 * after a batch was stored — restarted each time while the producer keeps writing. At the end
 * the last process runs until delivery settles.
 */
export function killRestart(delivery: Delivery, memoryMiB?: number): (size: Size) => Promise<Result> {
  return (size) =>
    measure(
      'kill-9',
      delivery,
      {},
      async (w) => {
        const s = SIZES[size];
        const o: Partial<K8streamOptions> = { delivery, stateDir: join(w.dir, 'state') };
        w.kills = s.kills;
        // at-most-once saves the resume point before each send (one batch in flight per sink), so
        // a kill loses at most the batch it interrupts: one stretch of at most batch.maxEvents.
        if (delivery === 'at-most-once') w.lossBound = { kills: s.kills, batchMaxEvents: DEFAULT_BATCH_MAX_EVENTS, ids: s.kills * DEFAULT_BATCH_MAX_EVENTS };
        const load = background(w.producer, s.rate);
        // Park–Miller: the same "random" kill delays on every run.
        let seed = 42;
        const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
        for (let i = 0; i < s.kills; i++) {
          const run = await w.startReady(o);
          switch (i % 3) {
            case 0:
              await sleep(100 + random() * 1500);
              break;
            case 1:
              // Hold the next answer so the kill lands with a request in flight.
              w.receiver.fault({ type: 'slow', ms: 500 }, 1);
              await w.receiver.waitForInFlight({ timeoutMs: 10_000 });
              break;
            case 2:
              await w.receiver.waitForBatch({ timeoutMs: 10_000 });
              break;
          }
          const exit = await run.kill();
          if (exit.signal !== 'SIGKILL') throw new Error(`kill ${i}: k8stream ended by itself (${exit.code}) before the kill:\n${run.stderr().slice(-3000)}`);
          w.receiver.clearFaults();
        }
        const last = await w.startReady(o);
        await sleep(500);
        await load.stop();
        await settle(w, last, size);
      },
      memoryMiB,
    );
}

// ---------------------------------------------------------------------------------------------
// API-server faults
// ---------------------------------------------------------------------------------------------

/** Watch streams dropped (clean end, TCP reset) and 410 Expired storms, under load. */
export async function apiStreamFaults(size: Size): Promise<Result> {
  return measure('api-stream-faults', 'memory', {}, async (w) => {
    const s = SIZES[size];
    const run = await w.startReady({ watchTimeoutSeconds: 5 });
    const load = background(w.producer, s.rate);
    const rounds = size === 'short' ? 1 : 6;
    const match = { verb: 'watch', resource: 'events' } as const;
    for (let i = 0; i < rounds; i++) {
      // The 410 storm goes last: k8stream backs off harder after each 410 in a row.
      const rules = [
        { times: 1, fault: { type: 'reset' } },
        { times: 2, fault: { type: 'closeStream', afterEvents: 30 } },
        { times: 2, fault: { type: 'reset', afterEvents: 30 } },
        // A storm: every re-watch expires at once, several times in a row.
        { times: size === 'short' ? 3 : 4, fault: { type: 'error410', afterEvents: i % 2 === 0 ? 0 : 10 } },
      ] as const;
      const handles = rules.map((r) => w.server.faults.add({ ...match, ...r }));
      // Failures in a row back off exponentially (up to 30 s), so the deadline is generous.
      const consumed = Promise.all(handles.map((h, j) => h.applied(rules[j]!.times)));
      await Promise.race([consumed, sleep(60_000)]);
      if (handles.some((h) => h.remaining > 0)) throw new Error(`round ${i}: watch faults left unconsumed: ${handles.map((h) => h.remaining).join(', ')}`);
      // Streaming again before the next round: watch data resets k8stream's backoff.
      await w.receiver.waitForIds(w.producer.burst(5), { timeoutMs: 60_000 });
      await sleep(s.stormMs / rounds);
    }
    await load.stop();
    await settle(w, run, size);
  });
}

/**
 * k8stream stopped, events written, the history compacted past its resume point, started
 * again: it re-lists and delivers exactly the events it missed (state dir).
 */
export async function compactionWhileDown(size: Size): Promise<Result> {
  return measure('compaction-while-down', 'state', {}, async (w) => {
    const s = SIZES[size];
    const o: Partial<K8streamOptions> = { stateDir: join(w.dir, 'state') };
    const rounds = size === 'short' ? 2 : 5;
    for (let i = 0; i < rounds; i++) {
      const run = await w.startReady(o);
      w.producer.burst(s.burst);
      await w.receiver.waitForIds(w.producer.ids, { timeoutMs: SETTLE_MS[size] });
      expectClean(`stop ${i}`, run, await run.stop());
      w.producer.burst(s.burst);
      w.server.store.compact();
    }
    const last = await w.startReady(o);
    await settle(w, last, size);
  });
}

// ---------------------------------------------------------------------------------------------
// Leader election
// ---------------------------------------------------------------------------------------------

const LEASE = 'k8stream-reliability';

/** The Lease holder seen in the store ('' when released or absent). */
function holder(server: ApiServerDouble): string {
  try {
    const lease = server.store.get('leases', `default/${LEASE}`) as { spec?: { holderIdentity?: string } };
    return lease.spec?.holderIdentity ?? '';
  } catch {
    return '';
  }
}

/** Resolves with the holder once the Lease is held by one of `identities`. */
function waitForHolder(server: ApiServerDouble, identities: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const h = holder(server);
      if (!identities.includes(h)) return false;
      clearTimeout(timer);
      unsubscribe();
      resolve(h);
      return true;
    };
    const unsubscribe = server.store.subscribe('leases', () => void check());
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no leader among ${identities.join(', ')} within ${timeoutMs} ms (holder: ${JSON.stringify(holder(server))})`));
    }, timeoutMs);
    check();
  });
}

/**
 * Two replicas with leader election under load; the leader gets SIGTERM mid-load, the standby
 * takes over from the state saved in the Lease. The stopped replica comes back as the standby
 * for the next handover.
 */
export async function leaderHandover(size: Size): Promise<Result> {
  return measure('leader-handover', 'at-least-once', {}, async (w) => {
    const s = SIZES[size];
    const ids = ['replica-a', 'replica-b'];
    const replica = (identity: string) => w.start({ dir: join(w.dir, identity), delivery: 'at-least-once', leaderElection: { identity, name: LEASE } });
    const running = new Map<string, K8streamRun>();
    for (const id of ids) running.set(id, await replica(id));
    const load = background(w.producer, s.rate);
    let leader = await waitForHolder(w.server, ids, 15_000);
    for (let i = 0; i < s.handovers; i++) {
      await w.receiver.waitForBatch();
      await sleep(500);
      const old = running.get(leader)!;
      expectClean(`leader ${leader} on SIGTERM`, old, await old.stop());
      const next = ids.find((id) => id !== leader)!;
      if ((await waitForHolder(w.server, [next], 15_000)) !== next) throw new Error('handover failed');
      running.set(leader, await replica(leader));
      leader = next;
    }
    await sleep(500);
    await load.stop();
    const standby = running.get(ids.find((id) => id !== leader)!)!;
    await settle(w, running.get(leader)!, size);
    // The contract only says how the leader stops; a standby may also just die of the signal.
    const exit = await standby.stop();
    if (exit.code !== 0 && exit.signal !== 'SIGTERM') throw new Error(`standby on SIGTERM exited ${exit.code}:\n${standby.stderr().slice(-3000)}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Unwritable disk buffer
// ---------------------------------------------------------------------------------------------

/** How fast an unusable buffer dir must stop k8stream. */
const UNWRITABLE_DEADLINE_MS = 10_000;

/**
 * The disk buffer's dir cannot be created (it lies under a regular file: ENOTDIR, which root
 * cannot override): k8stream must exit fast, non-zero, with an error naming the sink and dir.
 */
export async function unwritableBuffer(_size: Size): Promise<Result> {
  return measure('unwritable-buffer', 'disk', {}, async (w) => {
    const blocker = join(w.dir, 'not-a-dir');
    await writeFile(blocker, 'a regular file\n');
    const bufferDir = join(blocker, 'buffer');
    const run = await w.start({ sinkName: 'vault', buffer: { type: 'disk', dir: bufferDir } });
    const exit = await Promise.race([run.exit, sleep(UNWRITABLE_DEADLINE_MS).then(() => undefined)]);
    if (!exit) throw new Error(`k8stream still running ${UNWRITABLE_DEADLINE_MS} ms after start with an unwritable buffer dir:\n${run.stderr().slice(-3000)}`);
    const log = run.stderr();
    if (exit.code === 0 || exit.code === null) throw new Error(`expected a non-zero exit code, got ${exit.code ?? exit.signal}:\n${log.slice(-3000)}`);
    const errorLine = log.split('\n').find((l) => l.includes(bufferDir) && l.includes('vault'));
    if (!errorLine) throw new Error(`no error line names the sink "vault" and the dir ${bufferDir}:\n${log.slice(-3000)}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Fault storms (in-process)
// ---------------------------------------------------------------------------------------------

/** Seeds per size, and how many run at once. */
const STORM_SEEDS = { short: { seeds: 20, concurrency: 5 }, long: { seeds: 200, concurrency: 10 } } as const;

/**
 * Seeded random fault storms on the API server (fault-storm.ts) against the events source of
 * the build, in this process: every produced version delivered or covered by a gap marker, and
 * watching again within 5 s + the Retry-After in effect (≤ 35 s) once the server is healthy.
 * `delivered` counts versions delivered or covered; `maxRssMb` is this process's peak.
 */
export async function faultStorm(size: Size): Promise<Result> {
  const t0 = performance.now();
  const { seeds, concurrency } = STORM_SEEDS[size];
  const results = await runStorms(
    distKit,
    Array.from({ length: seeds }, (_, i) => i + 1),
    STORM_PROFILES[size],
    concurrency,
  );
  const sum = (k: 'produced' | 'delivered' | 'covered' | 'lost' | 'duplicated' | 'unknown') => results.reduce((n, r) => n + r[k], 0);
  const recoveries = results.map((r) => r.recoveryMs ?? Infinity);
  return {
    scenario: 'fault-storm',
    mode: 'in-process',
    seeds,
    produced: sum('produced'),
    delivered: sum('delivered') + sum('covered'),
    covered: sum('covered'),
    lost: sum('lost'),
    duplicated: sum('duplicated'),
    unknown: sum('unknown'),
    faults: { applied: results.reduce((n, r) => n + r.faultsApplied, 0), scheduled: results.reduce((n, r) => n + r.faultsScheduled, 0) },
    recovery: { p50Ms: quantile(recoveries, 0.5), p95Ms: quantile(recoveries, 0.95), maxMs: Math.max(...recoveries), targetMs: Math.max(...results.map((r) => r.targetMs)) },
    failedSeeds: results.flatMap((r) => {
      const broken = stormViolations(r);
      return broken.length === 0 ? [] : [`${r.seed} (${broken.join(', ')})`];
    }),
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

/** The memory limits the outage and crash scenarios run in once more (issue 14). */
const LIMITED_MIB = [128] as const;

/** Every scenario, in the order of the table. */
export const SCENARIOS: Scenario[] = [
  { name: 'sink-down', mode: 'memory', noLoss: true, noDuplicates: true, run: sinkDown('memory') },
  { name: 'sink-down', mode: 'disk', noLoss: true, noDuplicates: true, run: sinkDown('disk') },
  { name: 'sink-faults', mode: 'memory', noLoss: true, noDuplicates: true, run: sinkFaults },
  { name: 'kill-9', mode: 'at-least-once', noLoss: true, noDuplicates: false, run: killRestart('at-least-once') },
  { name: 'kill-9', mode: 'at-most-once', noLoss: false, noDuplicates: true, run: killRestart('at-most-once') },
  { name: 'api-stream-faults', mode: 'memory', noLoss: true, noDuplicates: true, run: apiStreamFaults },
  { name: 'compaction-while-down', mode: 'state', noLoss: true, noDuplicates: true, run: compactionWhileDown },
  { name: 'leader-handover', mode: 'at-least-once', noLoss: true, noDuplicates: true, run: leaderHandover },
  { name: 'unwritable-buffer', mode: 'disk', noLoss: true, noDuplicates: true, run: unwritableBuffer },
  { name: 'fault-storm', mode: 'in-process', noLoss: true, noDuplicates: true, run: faultStorm },
  // Issue 14: the outages and crashes once more with every k8stream process in a 128 MiB cgroup.
  ...LIMITED_MIB.flatMap((mib) => [
    { name: 'sink-down', mode: `memory@${mib}Mi`, noLoss: true, noDuplicates: true, memoryMiB: mib, run: sinkDown('memory', mib) },
    { name: 'sink-down', mode: `disk@${mib}Mi`, noLoss: true, noDuplicates: true, memoryMiB: mib, run: sinkDown('disk', mib) },
    { name: 'kill-9', mode: `at-least-once@${mib}Mi`, noLoss: true, noDuplicates: false, memoryMiB: mib, run: killRestart('at-least-once', mib) },
    { name: 'kill-9', mode: `at-most-once@${mib}Mi`, noLoss: false, noDuplicates: true, memoryMiB: mib, run: killRestart('at-most-once', mib) },
  ]),
];
