/**
 * The real `k8stream` binary as a child process: writes its `.k8streamrc` (kubernetes source on
 * the API-server double, enrichment off, one HTTP sink posting to the receiver), starts it,
 * stops it (SIGTERM), kills it (-9), and samples its peak resident memory from `/proc`.
 * With a memory limit each process starts inside its own fresh cgroup (as a restarted container
 * gets a new one), via test/bench/cgroup.mjs, and its OOM kills are read before the group goes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGroup, MiB, probeCgroups } from '../bench/cgroup.mjs';
import { startCli } from '../helpers/cli.fixture.ts';
import type { CliRun, Spawner } from '../helpers/cli.fixture.ts';

export type Delivery = 'at-least-once' | 'at-most-once';

/** What differs between the scenarios' configurations. */
export interface K8streamOptions {
  /** Working directory: holds `.k8streamrc`, the dead letter and (unless given) the state dir. */
  dir: string;
  kubeconfig: string;
  sinkUrl: string;
  /** Sink instance name (also named in errors). @default "receiver" */
  sinkName?: string;
  delivery?: Delivery;
  /** Resume state directory; null = no `state` key at all. */
  stateDir?: string | null;
  saveIntervalMs?: number;
  /** Disk buffer in front of the sink; undefined = the memory queue. */
  buffer?: { type: 'disk'; dir?: string; fsync?: 'always' | number };
  leaderElection?: { identity: string; name?: string; namespace?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  batch?: { maxEvents?: number; maxAgeMs?: number };
  retry?: { initialBackoffMs?: number; maxBackoffMs?: number };
  /** Deadline per send. @default 5000 */
  sendTimeoutMs?: number;
  graceMs?: number;
  watchTimeoutSeconds?: number;
}

/** The sink's `batch.maxEvents` unless a scenario sets one: at-most-once loses at most one such batch per kill. */
export const DEFAULT_BATCH_MAX_EVENTS = 50;

/** The `.k8streamrc` content (JSON is YAML) for `o`. */
export function k8streamrc(o: K8streamOptions): string {
  const rc: Record<string, unknown> = {
    cluster: 'reliability',
    source: { type: 'kubernetes', kubeconfig: o.kubeconfig, watchTimeoutSeconds: o.watchTimeoutSeconds ?? 300 },
    enrich: { objects: false, owners: false, nodes: false, services: false },
    sinks: [
      {
        name: o.sinkName ?? 'receiver',
        use: 'http',
        config: { url: o.sinkUrl },
        batch: { maxEvents: o.batch?.maxEvents ?? DEFAULT_BATCH_MAX_EVENTS, maxAgeMs: o.batch?.maxAgeMs ?? 50 },
        encoding: { format: 'ndjson', compression: 'gzip' },
        timeoutMs: o.sendTimeoutMs ?? 5000,
        retry: { initialBackoffMs: o.retry?.initialBackoffMs ?? 50, maxBackoffMs: o.retry?.maxBackoffMs ?? 500 },
        ...(o.buffer ? { buffer: { fsync: 'always', ...o.buffer } } : {}),
      },
    ],
    deadLetter: { use: 'file', config: { dir: join(o.dir, 'deadletter') } },
    shutdown: { graceMs: o.graceMs ?? 10_000 },
    log: { level: 'info', format: 'json' },
  };
  if (o.delivery) rc['delivery'] = o.delivery;
  if (o.stateDir) rc['state'] = { dir: o.stateDir, ...(o.saveIntervalMs !== undefined ? { saveIntervalMs: o.saveIntervalMs } : {}) };
  if (o.leaderElection) {
    const { identity, name = 'k8stream-reliability', namespace = 'default', leaseDurationMs = 3000, renewDeadlineMs = 2000, retryPeriodMs = 250 } = o.leaderElection;
    rc['leaderElection'] = { enabled: true, identity, name, namespace, leaseDurationMs, renewDeadlineMs, retryPeriodMs };
  }
  return `${JSON.stringify(rc, null, 2)}\n`;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One running k8stream process. */
export interface K8streamRun {
  pid: number;
  cli: CliRun;
  exit: Promise<ExitStatus>;
  /** Everything it wrote to stderr so far (its log). */
  stderr(): string;
  /** Resolves when its log matches `pattern`; rejects if it exits first. */
  waitForLog(pattern: RegExp): Promise<RegExpMatchArray>;
  /** SIGTERM (graceful: flush, save state, exit 0), then the exit status. */
  stop(): Promise<ExitStatus>;
  /** SIGKILL (no cleanup at all), then the exit status. */
  kill(): Promise<ExitStatus>;
  /** Peak resident set size seen so far, in MiB (`VmHWM`, sampled every 100 ms and at stop/kill). */
  maxRssMb(): number;
  /**
   * OOM kills in its cgroup: undefined without a memory limit; null when the kernel does not
   * count them (no `oom_kill` line). Final once `exit` resolved.
   */
  oomKills(): number | null | undefined;
  /**
   * Peak memory charged to its cgroup, MiB (v1 `memory.max_usage_in_bytes`, v2 `memory.peak`:
   * anonymous memory plus the page cache it brought in). Unlike VmHWM it leaves out file pages
   * mapped from the page cache but charged elsewhere (Node's own binary), so it is what the limit
   * is judged against. Undefined without a limit, null when unreadable. Final once `exit` resolved.
   */
  cgroupPeakMb(): number | null | undefined;
}

/** Limits for one k8stream process. */
export interface K8streamLimits {
  /** Memory limit of its cgroup, MiB; undefined = no cgroup. */
  memoryMiB?: number;
}

/**
 * Throws one line naming what is missing when memory-limited runs are impossible here (no Linux,
 * no cgroup hierarchy, not root): limited scenarios fail loudly instead of skipping.
 */
export function assertCgroupsWritable(memoryMiB: number): void {
  const probe = probeCgroups();
  if (!probe.ok) throw new Error(`the ${memoryMiB} MiB variant needs a writable cgroup memory hierarchy (v1 or v2, as root): ${probe.reason}`);
}

/** Reads the peak RSS (VmHWM) of `pid` in MiB; 0 once the process is gone. */
async function peakRssMb(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Writes `.k8streamrc` for `o` under `o.dir` and starts k8stream on it. */
export async function startK8stream(o: K8streamOptions, env: NodeJS.ProcessEnv = {}, limits: K8streamLimits = {}): Promise<K8streamRun> {
  await mkdir(o.dir, { recursive: true });
  const config = join(o.dir, '.k8streamrc');
  await writeFile(config, k8streamrc(o));
  const group = limits.memoryMiB === undefined ? undefined : createGroup({ memoryBytes: limits.memoryMiB * MiB });
  let oom: number | null | undefined;
  const readOom = (): number | null | undefined => {
    if (!group || oom !== undefined) return oom;
    try {
      return group.oomKills();
    } catch {
      return null;
    }
  };
  let cgroupPeak: number | null | undefined;
  const readPeak = (): number | null | undefined => {
    if (!group || cgroupPeak !== undefined) return cgroupPeak;
    try {
      const bytes = group.peakBytes();
      return bytes === null ? null : Math.round((bytes / MiB) * 10) / 10;
    } catch {
      return null;
    }
  };
  let cli: CliRun;
  try {
    // The shell writes its pid into the group's cgroup.procs, then execs node: same pid, limited from its first allocation.
    const spawner: Spawner | undefined = group ? (cmd, args, opts) => group.spawn(cmd, args, opts) : undefined;
    cli = startCli(['run', '--config', config], { cwd: o.dir, env, ...(spawner ? { spawn: spawner } : {}) });
  } catch (err) {
    group?.remove();
    throw err;
  }
  const pid = cli.child.pid;
  if (pid === undefined) {
    group?.remove();
    throw new Error('k8stream did not start');
  }
  let peak = 0;
  let sampling = false;
  const sample = async () => {
    if (sampling) return;
    sampling = true;
    peak = Math.max(peak, await peakRssMb(pid));
    sampling = false;
  };
  const timer = setInterval(() => void sample(), 100);
  const exit = cli.exit.then((status) => {
    clearInterval(timer);
    if (group) {
      oom = readOom();
      cgroupPeak = readPeak();
      group.remove();
      // Exit 97: the shell could not write cgroup.procs (its error is in stderr, which waitForLog's rejection quotes).
    }
    return status;
  });
  const signalAndWait = async (signal: NodeJS.Signals) => {
    await sample();
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill(signal);
    return exit;
  };
  return {
    pid,
    cli,
    exit,
    stderr: cli.stderr,
    waitForLog: (pattern) => cli.waitFor(pattern),
    stop: () => signalAndWait('SIGTERM'),
    kill: () => signalAndWait('SIGKILL'),
    maxRssMb: () => Math.round(peak * 10) / 10,
    oomKills: readOom,
    cgroupPeakMb: readPeak,
  };
}
