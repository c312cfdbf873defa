// Scenario K: a transform's circuit breaker under a steady stream. A 1,000 events/s replay goes
// through a chain of the built-in `redact` transform and a module that never returns
// (`timeoutMs: 50`, `onError: pass`), into the bench sink. Without the breaker each event costs
// the deadline plus a worker respawn (the stream fell to ~8 events/s); with it, after a few
// timeouts the module is no longer called and events pass at once. Target: the stream keeps
// ≥ 95% of its rate and every produced event is accounted for (delivered, dead-lettered or
// dropped).
//
// Also `timeoutStarvation`: does a healthy module (redact) ever overrun a wall-clock `timeoutMs`
// when the process is starved of CPU (pinned to one core with busy loops beside it, or under a
// cgroup CPU quota)?
//
//   node test/bench/breaker.mjs               both, printed (needs `npm run build` first)
//   BREAKER_SECONDS=10 BREAKER_ONLY=K|W        one of them
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { run } from '../../core/dist/runtime.js';
import { validateConfig } from '../../core/dist/config/index.js';
import { createTransformStage } from '../../core/dist/transform/stage.js';
import { benchRecord } from '../../core/dist/transform/bench.js';
import { benchEvent } from './events.mjs';
import { BENCH_SINK, repo } from './harness.mjs';
import { dropProbe, probe } from './bench-sink.mjs';
import { createGroup } from './cgroup.mjs';
import { round } from './stats.mjs';

/** Compiles a WAT fixture of test/fixtures/wasm to `dir/<name>.wasm`. */
async function fixture(dir, name) {
  const wabt = await wabtInit();
  const source = await readFile(join(repo, 'test', 'fixtures', 'wasm', `${name}.wat`), 'utf8');
  const module = wabt.parseWat(`${name}.wat`, source);
  try {
    const file = join(dir, `${name}.wasm`);
    await writeFile(file, Uint8Array.from(module.toBinary({}).buffer));
    return file;
  } finally {
    module.destroy();
  }
}

/** A logger that keeps the lines at info and above (message, fields, time). */
function capturingLogger() {
  const lines = [];
  const at =
    (level) =>
    (msg, fields = {}) =>
      lines.push({ level, msg, fields, at: Date.now() });
  const logger = { debug: () => {}, info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return { logger, lines };
}

/**
 * K: `rate` events/s for `seconds` through [redact, never-returning module] (`onError`, default
 * pass; `breaker` as configured, default on). Accounting: every produced record (handed to the
 * transforms) is delivered, dead-lettered or dropped; `passed` are the delivered records the
 * never-returning module let through (all of them: it never succeeds). The achieved rate is the
 * delivered events over the time from the source's start to the last ack (when none is
 * delivered: the produced events over the time to the run's end, shutdown included).
 */
export async function breakerScenario(options = {}) {
  const rate = options.rate ?? 1000;
  const seconds = options.seconds ?? Number(process.env.BREAKER_SECONDS ?? 10);
  const onError = options.onError ?? 'pass';
  const events = Math.round(rate * seconds);
  const dir = await mkdtemp(join(tmpdir(), 'k8stream-bench-K-'));
  const probeName = `K-${process.pid}-${Date.now()}`;
  try {
    const loop = await fixture(dir, 'loop');
    const file = join(dir, 'events.ndjson');
    await writeFile(file, Array.from({ length: events }, (_, i) => JSON.stringify({ type: 'ADDED', object: benchEvent(i) })).join('\n') + '\n');
    const config = validateConfig({
      cluster: 'bench',
      source: { type: 'replay', replay: { file, rate } },
      transforms: [{ use: 'redact' }, { use: loop, name: 'never-returns', timeoutMs: 50, onError, ...(options.breaker !== undefined ? { breaker: options.breaker } : {}) }],
      sinks: [
        {
          name: 'K',
          use: BENCH_SINK,
          batch: { maxEvents: 10_000, maxBytes: '64MiB', maxAgeMs: 50 },
          encoding: { format: 'ndjson', compression: 'gzip' },
          config: { dir: join(dir, 'out'), fsync: false, probe: probeName },
        },
      ],
      deadLetter: { use: 'file', config: { dir: join(dir, 'deadletter'), fsync: false } },
      server: { enabled: false },
    });
    const p = probe(probeName);
    const { logger, lines } = capturingLogger();
    const summary = await run({ config, filepath: null, dir: repo }, { logger, signal: new AbortController().signal });
    const endedAt = Date.now();
    const started = lines.find((l) => l.msg === 'replay source started')?.at ?? null;
    const produced = summary.counters.records;
    const delivered = p.acked;
    const deadLettered = summary.deadLetter.stats.eventsSent;
    const dropped = produced - summary.counters.transformed - deadLettered;
    const breakerLines = lines.filter((l) => l.msg.startsWith('transform circuit breaker'));
    const trips = breakerLines.filter((l) => l.level === 'warn').length;
    // Delivered events: up to the last ack. Otherwise (dead-lettered, dropped): up to the run's end,
    // shutdown included (a lower bound).
    const endAt = delivered > 0 ? p.lastAckAt : endedAt;
    const windowMs = started !== null && endAt !== null ? endAt - started : null;
    const achievedRate = windowMs ? ((delivered > 0 ? delivered : produced) / windowMs) * 1000 : 0;
    return {
      id: 'K',
      title: `${rate} events/s for ${seconds} s through [redact, a module that never returns (timeoutMs 50, onError ${onError})]`,
      targetRate: rate,
      achievedRate: round(achievedRate),
      ratio: round(achievedRate / rate, 3),
      produced,
      delivered,
      passed: onError === 'pass' ? delivered : 0,
      deadLettered,
      dropped,
      trips,
      accounted: delivered + deadLettered + dropped === produced && produced === events,
      breakerLog: breakerLines.map((l) => `${l.level} ${l.msg} ${JSON.stringify({ failures: l.fields.failures, coolDownMs: l.fields.coolDownMs })}`),
    };
  } finally {
    dropProbe(probeName);
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

/** Text lines for a {@link breakerScenario} result. */
export function formatBreaker(result) {
  return [
    `K  ${result.title}`,
    `   achieved ${result.achievedRate} events/s of ${result.targetRate} (ratio ${result.ratio}; target ≥ 0.95)`,
    `   produced ${result.produced} = delivered ${result.delivered} (passed ${result.passed}) + dead-lettered ${result.deadLettered} + dropped ${result.dropped}: ${result.accounted ? 'all accounted for' : 'NOT ACCOUNTED FOR'}`,
    `   breaker trips ${result.trips}${result.breakerLog?.length ? `: ${result.breakerLog.join('; ')}` : ''}`,
  ];
}

/** Starts `n` busy-loop processes pinned to `cpu` (taskset); returns a stop function. */
function busyLoops(n, cpu) {
  const children = Array.from({ length: n }, () => spawn('taskset', ['-c', String(cpu), process.execPath, '-e', 'for(;;){}'], { stdio: 'ignore' }));
  return async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', resolve);
            c.kill('SIGKILL');
          }),
      ),
    );
  };
}

/**
 * One starvation run, in this process: the stage with `redact` (`timeoutMs`) over `records`
 * records sent in chunks of `chunk`, counting timeouts; reports the calls' time in the workers.
 */
async function starvedRun({ records, chunk, timeoutMs }) {
  const stage = await createTransformStage(validateConfig({ transforms: [{ use: 'redact', timeoutMs, onError: 'pass', breaker: false }] }).transforms, {
    configDir: repo,
    deadLetter: { write: async () => {} },
    logger: {
      debug() {},
      info() {},
      warn() {},
      error() {},
      child() {
        return this;
      },
    },
  });
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let done = 0; done < records; done += chunk) {
      await stage.apply(Array.from({ length: Math.min(chunk, records - done) }, (_, i) => benchRecord(done + i)));
    }
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const c = stage.counters().redact;
    return {
      records,
      calls: c.calls,
      timeouts: c.timeouts,
      wallMs: round(ms),
      cpuMs: round((cpu.user + cpu.system) / 1000),
      usPerCallInWorker: round(c.micros / Math.max(1, c.calls), 1),
      poolTimeouts: stage.poolStats().timeouts,
      starved: stage.poolStats().starved ?? null,
    };
  } finally {
    await stage.close();
  }
}

/** Runs {@link starvedRun} in a child process started by `spawnIn(cmd, args, opts)` (plain, under taskset, in a cgroup). */
function starvedChild(spawnIn, options) {
  return new Promise((resolve, reject) => {
    const child = spawnIn(process.execPath, [fileURLToPath(import.meta.url), '--starved', JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line));
      else reject(new Error(`starvation child failed (exit ${code}): ${out}`));
    });
  });
}

const plain = (cmd, args, opts) => spawn(cmd, args, opts);
const pinned = (cpu) => (cmd, args, opts) => spawn('taskset', ['-c', String(cpu), cmd, ...args], opts);

/**
 * W: does a healthy module time out when its process is starved of CPU? Runs redact (`timeoutMs`,
 * default the config default 100 ms, and 20 ms) over `records` records, in chunks of `chunk`:
 * unconstrained; pinned to core 0 (`taskset -c 0`, the process's main thread and workers alike)
 * with `busy` busy loops beside it on that core; and in a cgroup limited to `millicores`
 * (when cgroups are writable). Reports timeouts per case.
 */
export async function timeoutStarvation(options = {}) {
  const records = options.records ?? 20_000;
  const chunk = options.chunk ?? 500;
  const busy = options.busy ?? 4;
  const millicores = options.millicores ?? 100;
  const timeouts = options.timeoutsMs ?? [100, 20];
  const hasTaskset = (() => {
    try {
      execFileSync('taskset', ['-V'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const cases = [];
  for (const timeoutMs of timeouts) {
    const opts = { records, chunk, timeoutMs };
    cases.push({ case: 'unconstrained', timeoutMs, ...(await starvedChild(plain, opts)) });
    if (hasTaskset) {
      const stop = busyLoops(busy, 0);
      try {
        cases.push({ case: `taskset -c 0 + ${busy} busy loops on core 0`, timeoutMs, ...(await starvedChild(pinned(0), opts)) });
      } finally {
        await stop();
      }
    }
    let group = null;
    try {
      group = createGroup({ millicores });
    } catch (err) {
      cases.push({ case: `cgroup cpu quota ${millicores} millicores`, timeoutMs, skipped: String(err?.message ?? err) });
    }
    if (group !== null) {
      try {
        cases.push({ case: `cgroup cpu quota ${millicores} millicores`, timeoutMs, ...(await starvedChild((c, a, o) => group.spawn(c, a, o), opts)) });
      } finally {
        group.remove();
      }
    }
  }
  return { id: 'W', title: `timeouts of a healthy module (redact) under CPU starvation, ${records} records in chunks of ${chunk}, ${availableParallelism()} cores`, cases };
}

/** Text lines for a {@link timeoutStarvation} result. */
export function formatStarvation(result) {
  return [
    `${result.id}  ${result.title}`,
    ...result.cases.map((c) =>
      c.skipped
        ? `   ${c.case}: skipped (${c.skipped})`
        : `   timeoutMs ${c.timeoutMs}, ${c.case}: ${c.timeouts} timeouts of ${c.calls} calls, ${c.starved ?? '-'} given more time (starved); wall ${c.wallMs} ms, ${c.usPerCallInWorker} µs/call in the worker`,
    ),
  ];
}

if (process.argv[2] === '--starved') {
  const result = await starvedRun(JSON.parse(process.argv[3]));
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!existsSync(join(repo, 'core', 'dist', 'runtime.js'))) throw new Error('build first: npm run build');
  const only = process.env.BREAKER_ONLY?.toUpperCase() ?? null;
  if (only === null || only === 'K') for (const line of formatBreaker(await breakerScenario())) console.log(line);
  if (only === null || only === 'W') for (const line of formatStarvation(await timeoutStarvation())) console.log(line);
}
