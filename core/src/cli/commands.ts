/** What each CLI command does. Returns the exit code; never calls process.exit itself. */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { K8streamError, errorMessage } from '../errors.js';
import { loadConfig } from '../config/load.js';
import type { LoadedConfig } from '../config/types.js';
import { pluginLabel, resolvePlugins, run } from '../runtime.js';
import type { RunOptions, RunSummary } from '../runtime.js';
import { redactString } from '../util/redact.js';
import { createLogger } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { memoryBudget, readMemoryLimit } from '../util/memory-limit.js';
import { exposeGc } from '../util/expose-gc.js';
import { startIdleGc } from '../util/idle-gc.js';
import type { IdleGc } from '../util/idle-gc.js';
import type { MemoryBudget, MemoryLimit } from '../util/memory-limit.js';
import { applyHeapResize, planHeapLimit } from './heap-limit.js';
import { HELP, parseCli } from './args.js';
import type { CliOptions } from './args.js';
import { groupDigits } from '../util/format.js';
import { PARTITION_DONE } from '../source/archive-source.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Embedders (the demo): aborting stops a run like SIGTERM does. */
  signal?: AbortSignal;
  /** Embedders: running pipeline counters after every chunk. */
  onProgress?: RunOptions['onProgress'];
  /**
   * `run` collects garbage once the pipeline has been quiet for a while, giving the memory a
   * burst made V8 commit back (util/idle-gc.ts). The binary sets it; embedders share their
   * process and decide for themselves. @default false
   */
  idleGc?: boolean;
  /**
   * `run` may replace this process once more (`process.execve`) with a V8 heap sized for the
   * config's transforms (cli/heap-limit.ts). Only the binary sets it. @default false
   */
  heapResize?: boolean;
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const group = commandGroup(argv[0]);
  if (group) {
    const debug = argv.includes('--debug');
    try {
      const command = await group;
      return await command(
        argv.slice(1).filter((a) => a !== '--debug'),
        io,
      );
    } catch (err) {
      io.stderr.write(userMessage(err, debug) + '\n');
      return err instanceof K8streamError && err.code === 'CONFIG_INVALID' && !err.path ? 2 : 1;
    }
  }
  let options: CliOptions;
  try {
    options = parseCli(argv, io.env);
  } catch (err) {
    io.stderr.write(userMessage(err, false) + '\n');
    return 2;
  }
  switch (options.command) {
    case 'help':
      io.stdout.write(HELP);
      return 0;
    case 'version':
      io.stdout.write(`k8stream ${version()}\n`);
      return 0;
    case 'validate':
      return validateCommand(options, io);
    case 'run':
      return runCommand(options, io);
  }
}

type CommandGroup = (argv: readonly string[], io: CliIo) => Promise<number>;

/**
 * The `transform`, `plugins` and forensics (`query`, `timeline`, `report`) command groups, loaded
 * only when one of them runs: `run` never needs their code (scaffolding, the transform bench,
 * plugin installs, DuckDB).
 */
function commandGroup(name: string | undefined): Promise<CommandGroup> | null {
  if (name === 'transform') return import('./transform-commands.js').then((m) => m.transformCommand);
  if (name === 'plugins') return import('./plugins-commands.js').then((m) => m.pluginsCommand);
  if (name === 'query') return import('./query-command.js').then((m) => m.queryCommand);
  if (name === 'timeline') return import('./timeline-commands.js').then((m) => m.timelineCommand);
  if (name === 'report') return import('./timeline-commands.js').then((m) => m.reportCommand);
  return null;
}

async function load(options: CliOptions, io: CliIo): Promise<LoadedConfig> {
  const loaded = await loadConfig({ cwd: io.cwd, configPath: options.config, env: io.env });
  if (options.follow && loaded.config.source.replay) loaded.config.source.replay.follow = true;
  return loaded;
}

async function validateCommand(options: CliOptions, io: CliIo): Promise<number> {
  try {
    const loaded = await load(options, io);
    const resolution = await resolvePlugins(loaded);
    if (resolution.errors.length > 0) {
      for (const err of resolution.errors) io.stderr.write(userMessage(err, options.debug) + '\n');
      io.stderr.write(`${resolution.errors.length} error${resolution.errors.length === 1 ? '' : 's'}\n`);
      return 1;
    }
    const { config } = loaded;
    const lines = [
      `config:      ${loaded.filepath ?? '(defaults)'}`,
      `cluster:     ${config.cluster}`,
      `source:      ${config.source.type}${config.source.replay ? ` (${config.source.replay.file})` : ''}`,
      `delivery:    ${config.delivery}`,
      `transforms:  ${config.transforms.length === 0 ? 'none' : config.transforms.map((t) => t.name).join(', ')}`,
      `sinks:`,
      ...resolution.sinks.map((s) => `  - ${s.sink.name}: ${pluginLabel(s)}`),
      `dead letter: ${resolution.deadLetter ? pluginLabel(resolution.deadLetter) : '-'}`,
      'config is valid',
    ];
    io.stdout.write(lines.join('\n') + '\n');
    return 0;
  } catch (err) {
    io.stderr.write(userMessage(err, options.debug) + '\n');
    return 1;
  }
}

async function runCommand(options: CliOptions, io: CliIo): Promise<number> {
  // Straight to fd 2 (synchronous: no line is lost at exit) when io.stderr is the real stderr; embedders keep their stream.
  const write = io.stderr === process.stderr ? undefined : (l: string) => void io.stderr.write(l + '\n');
  let logger: Logger = createLogger({ level: options.debug ? 'debug' : (options.logLevel ?? 'info'), format: options.logFormat ?? 'pretty', ...(write ? { write } : {}) });
  let loaded: LoadedConfig;
  let limit: MemoryLimit;
  try {
    loaded = await load(options, io);
    limit = readMemoryLimit({ env: io.env });
  } catch (err) {
    io.stderr.write(userMessage(err, options.debug) + '\n');
    return 1;
  }
  const budget = memoryBudget(limit.bytes, undefined, loaded.config.transforms.length);
  // The binary's first re-exec sized the heap before the config was read; transforms need room.
  if (io.heapResize === true) applyHeapResize(budget);
  const { log } = loaded.config;
  // The archive source's progress line: on a terminal only, like the forensics commands'. Each log
  // line then first clears it (it is redrawn at the next update) instead of being appended to it.
  const progress = (io.stderr as { isTTY?: boolean }).isTTY === true && loaded.config.source.type === 'archive' ? io.stderr : null;
  const lineWrite = progress !== null ? (l: string) => void progress.write(`\r\x1b[K${l}\n`) : write;
  logger = createLogger({
    level: options.debug ? 'debug' : (options.logLevel ?? log.level),
    format: options.logFormat ?? log.format,
    ...(lineWrite ? { write: lineWrite } : {}),
  });

  const controller = new AbortController();
  let stops = 0;
  const stop = (signal: string) => {
    stops++;
    if (stops === 1) {
      logger.info('stopping: flushing open batches', { signal, graceMs: loaded.config.shutdown.graceMs });
      controller.abort();
    } else {
      logger.warn('second stop signal: exiting without waiting for sinks', { signal });
      process.exit(130);
    }
  };
  const onSigint = () => stop('SIGINT');
  const onSigterm = () => stop('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  io.signal?.addEventListener('abort', () => stop('embedder'), { once: true });
  const idle = io.idleGc === true ? idleCollector(logger) : null;
  const onProgress: RunOptions['onProgress'] = (counters) => {
    idle?.activity();
    io.onProgress?.(counters);
  };

  try {
    logger.info('k8stream starting', { version: version(), config: displayPath(loaded.filepath, io.cwd), cluster: loaded.config.cluster });
    logBudget(logger, loaded, limit, budget, io.env);
    const summary = await run(loaded, {
      logger,
      signal: controller.signal,
      budget,
      ...(idle !== null || io.onProgress ? { onProgress } : {}),
      ...(progress !== null ? { progress } : {}),
    });
    if (!summary.led) return 0; // stopped while on standby: nothing streamed, nothing to flush
    report(summary, logger, io.cwd);
    const all = [...summary.sinks, summary.deadLetter];
    const kept = all.filter((s) => !s.flushed && s.diskBuffered);
    if (kept.length > 0) {
      logger.warn('grace period ended: undelivered events stay in the disk buffer for the next start', {
        sinks: kept.map((s) => s.name),
        events: kept.reduce((n, s) => n + s.stats.queuedEvents, 0),
      });
    }
    const unflushed = all.filter((s) => !s.flushed && !s.diskBuffered);
    if (unflushed.length > 0) {
      logger.error('shutdown grace period ended before every batch was delivered', { sinks: unflushed.map((s) => s.name) });
      return 1;
    }
    // A stop signal may have cut the replay short of its first good event: only a finished replay is judged.
    const useless = controller.signal.aborted ? null : uselessReplay(summary, loaded, io.cwd);
    if (useless !== null) {
      io.stderr.write(userMessage(useless, options.debug) + '\n');
      return 1;
    }
    return 0;
  } catch (err) {
    io.stderr.write(userMessage(err, options.debug) + '\n');
    return 1;
  } finally {
    idle?.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}

/** The idle collector of `run` (start-up counts as work: a run that never sees an event collects too). */
function idleCollector(logger: Logger): IdleGc | null {
  const gc = exposeGc();
  if (gc === null) return null;
  const idle = startIdleGc({ gc, onCollect: (c) => logger.debug('idle: collected garbage', { ms: Math.round(c.ms), heapBefore: c.heapBefore, heapAfter: c.heapAfter }) });
  idle.activity();
  return idle;
}

/**
 * The one start-up line on memory: the limit and where it was read, the V8 heap limit in force
 * (and who set it), the sinks' default queue bound and the transform workers (issue 14).
 */
function logBudget(logger: Logger, loaded: LoadedConfig, limit: MemoryLimit, budget: MemoryBudget, env: NodeJS.ProcessEnv): void {
  const heapSizeLimit = getHeapStatistics().heap_size_limit;
  const plan = planHeapLimit({
    argv: ['run'],
    execArgv: process.execArgv,
    env,
    heapMb: budget.heapMb,
    semiSpaceMb: budget.semiSpaceMb,
    canExec: typeof process.execve === 'function',
  });
  const heapSetBy = plan.reexec ? 'V8 default (not re-executed)' : plan.setBy;
  const { config } = loaded;
  const defaulted = config.sinks.filter((s) => s.queue.maxBytes === null).length;
  const workers = config.transforms.length > 0 ? budget.transformWorkers : 0;
  const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;
  const limitText = limit.bytes === null ? 'none' : mib(limit.bytes);
  const queueText = defaulted > 0 ? `${mib(budget.queueMaxBytes)} per sink` : 'set by every sink';
  const workerText =
    workers === 0
      ? 'no transform workers'
      : `${workers === 1 ? '1 transform worker' : `up to ${workers} transform workers`}${budget.workerHeapMb === null ? '' : ` (heap ${budget.workerHeapMb} MB each)`}`;
  const trackedText = config.source.type === 'kubernetes' ? `; up to ${groupDigits(budget.trackedEvents)} tracked events per watch` : '';
  logger.info(`memory: limit ${limitText} (${limit.source}); heap limit ${mib(heapSizeLimit)} (${heapSetBy}); queues ${queueText}${trackedText}; ${workerText}`, {
    limitBytes: limit.bytes,
    limitSource: limit.source,
    ...(limit.file !== undefined ? { limitFile: limit.file } : {}),
    heapSizeLimit,
    heapSetBy,
    heapBudgetMb: budget.heapMb,
    semiSpaceBudgetMb: budget.semiSpaceMb,
    queueMaxBytes: budget.queueMaxBytes,
    queueDefaultSinks: defaulted,
    transformWorkers: workers,
    workerHeapMb: budget.workerHeapMb,
    trackedEvents: budget.trackedEvents,
    mallocMmapThreshold: process.env.MALLOC_MMAP_THRESHOLD_ ?? null,
  });
}

/**
 * The end-of-run lines. `run finished` accounts for every entry received: it is the sum of
 * `records` (went on to transforms and sinks), `filtered`, `invalid` (dead-lettered),
 * `deletedSkipped`, `bookmarks` and `watchErrors`; `emitted` and `unrouted` follow the records.
 */
function report(summary: RunSummary, logger: Logger, cwd: string): void {
  const c = summary.counters;
  logger.info('run finished', {
    received: c.received,
    records: c.records,
    filtered: c.filtered,
    invalid: c.invalid,
    deletedSkipped: c.deletedSkipped,
    bookmarks: c.bookmarks,
    watchErrors: c.watchErrorEntries,
    emitted: c.transformed,
    unrouted: c.unrouted,
  });
  for (const s of [...summary.sinks, summary.deadLetter]) {
    if (s === summary.deadLetter && s.stats.eventsSent === 0) continue;
    logger.info(`sink ${s.name}: ${s.stats.eventsSent} records in ${s.stats.batchesSent} batches → ${displayPath(s.destination, cwd)}`, {
      sink: s.name,
      deadLettered: s.stats.deadLettered,
      retries: s.stats.retries,
    });
  }
  const a = summary.archive;
  if (a !== null) {
    logger.info(`archive: ${a.records} records from ${a.objectsRead} objects in ${a.partitionsDone}/${a.partitions} partitions`, {
      partitions: a.partitions,
      partitionsDone: a.partitionsDone,
      partitionsResumed: a.partitionsResumed,
      objectsRead: a.objectsRead,
      objectsResumed: a.objectsResumed,
      objectsFailed: a.objectsFailed,
      records: a.records,
      entriesRejected: a.entriesRejected,
      outsideWindow: a.outsideWindow,
    });
  }
  if (summary.resume !== null) {
    const point = summary.resume.saved ?? summary.resume.from;
    logger.info('resume point saved', {
      state: displayPath(summary.resume.store, cwd),
      // An archive's point is one entry per partition (a month: ~720): counted, not listed.
      ...(a !== null ? { partitionsFinished: Object.values(point).filter((rv) => rv === PARTITION_DONE).length, entries: Object.keys(point).length } : { watches: point }),
      saveErrors: summary.resume.saveErrors,
    });
  }
}

/**
 * A replay that read its file to the end without one usable event (every entry dead-lettered)
 * fails: the summary is printed, then this one line, and the exit code is 1. Null otherwise.
 */
function uselessReplay(summary: RunSummary, loaded: LoadedConfig, cwd: string): K8streamError | null {
  const c = summary.counters;
  const replay = loaded.config.source.replay;
  if (loaded.config.source.type !== 'replay' || !replay || c.invalid === 0 || c.records + c.filtered + c.deletedSkipped > 0) return null;
  const file = displayPath(resolve(loaded.dir, replay.file), cwd);
  const entries = c.invalid === 1 ? 'its only entry was' : `all ${c.invalid} entries were`;
  return new K8streamError(
    'SOURCE_INPUT_INVALID',
    `${file} holds no usable Kubernetes Event: ${entries} dead-lettered (→ ${displayPath(summary.deadLetter.destination, cwd)}); replay files hold Kubernetes Events (kubectl get events -A -o json)`,
    { path: 'source.replay.file' },
  );
}

function displayPath(p: string | null, cwd: string): string {
  if (!p) return '(none)';
  if (!p.startsWith('/')) return p;
  const rel = relative(cwd, p);
  return rel.startsWith('..') ? p : `./${rel}`;
}

/** One clear message for users; the stack only with --debug. */
export function userMessage(err: unknown, debug: boolean): string {
  const text = err instanceof K8streamError ? err.toUserString() : `[INTERNAL] ${errorMessage(err)}`;
  // Fatal errors bypass the logger: the same redaction applies here.
  if (debug && err instanceof Error && err.stack) return redactString(`${text}\n${err.stack}`);
  return redactString(`error: ${text}`);
}
