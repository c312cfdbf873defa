/**
 * The real `k8stream` binary as a child process: writes its `.k8streamrc` (kubernetes source on
 * the API-server double, enrichment off, one HTTP sink posting to the receiver), starts it,
 * stops it (SIGTERM), kills it (-9), and samples its peak resident memory from `/proc`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCli } from '../helpers/cli.fixture.ts';
import type { CliRun } from '../helpers/cli.fixture.ts';

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
        batch: { maxEvents: o.batch?.maxEvents ?? 50, maxAgeMs: o.batch?.maxAgeMs ?? 50 },
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
export async function startK8stream(o: K8streamOptions, env: NodeJS.ProcessEnv = {}): Promise<K8streamRun> {
  await mkdir(o.dir, { recursive: true });
  const config = join(o.dir, '.k8streamrc');
  await writeFile(config, k8streamrc(o));
  const cli = startCli(['run', '--config', config], { cwd: o.dir, env });
  const pid = cli.child.pid;
  if (pid === undefined) throw new Error('k8stream did not start');
  let peak = 0;
  let sampling = false;
  const sample = async () => {
    if (sampling) return;
    sampling = true;
    peak = Math.max(peak, await peakRssMb(pid));
    sampling = false;
  };
  const timer = setInterval(() => void sample(), 100);
  const exit = cli.exit.finally(() => clearInterval(timer));
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
  };
}
