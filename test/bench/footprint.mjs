// The footprint scenarios of issue 14: the REAL binary (`node core/dist/cli/main.js run --config …`)
// against the API-server double (its own process, via a kubeconfig), enrichment off, file sinks,
// inside a cgroup memory/CPU limit as a Kubernetes node enforces it (cgroup.mjs).
//   G: 100,000-event initial sync. Rows: the minimal Node client (node-client.mjs) with no limit;
//      k8stream with no limit, in 256 MiB, in 128 MiB. Wall and CPU to the last event acked (the
//      sink's events-sent metric, polled every 100 ms; then SIGTERM), peak RSS, events in the
//      output files, OOM kills.
//   H: steady 1,000 events/s with `redact` and two file sinks in 128 MiB + 250m CPU.
// Where cgroups are not writable the limited rows are skipped with one loud line; the rest runs.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { here, repo, startDouble } from './harness.mjs';
import { buildGoClient } from './go-client.mjs';
import { createGroup, MiB, parseProcStat, parseStatusBytes, probeCgroups } from './cgroup.mjs';
import { bucketPercentile, histogramBuckets, metricValue, peakGrowthMb, round } from './stats.mjs';

const MAIN = join(repo, 'core', 'dist', 'cli', 'main.js');
const NODE_CLIENT = join(here, 'node-client.mjs');
/** The binary as the image runs it (no Node flags: it sizes V8 from the limit it finds). */
export const K8STREAM = (config) => [MAIN, 'run', '--config', config];

/** A free TCP port on 127.0.0.1 for k8stream's metrics server. */
export async function freePort() {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/** The process's CPU seconds, VmHWM and VmRSS (bytes) from /proc; null once it is gone. */
function procSample(pid) {
  try {
    const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { cpuSeconds: stat.cpuSeconds, hwm: parseStatusBytes(status, 'VmHWM'), rss: parseStatusBytes(status, 'VmRSS') };
  } catch {
    return null;
  }
}

/**
 * Starts `node args` (or `command args`; inside `group` when given; `env` added to ours) and samples /proc every
 * `everyMs`. Returns { child, exited (promise of { code, signal }), last(): latest sample, samples, stop() }.
 */
export function launch(args, { command = process.execPath, group = null, everyMs = 100, cwd = repo, keepSamples = false, env = {} } = {}) {
  const opts = { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } };
  const child = group ? group.spawn(command, args, opts) : spawn(command, args, opts);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
  const t0 = performance.now();
  let last = null;
  let hwm = 0;
  const samples = [];
  const take = () => {
    const s = procSample(child.pid);
    if (s === null || s.hwm === null) return; // gone, or a zombie (no memory lines)
    last = s;
    hwm = Math.max(hwm, s.hwm ?? 0);
    if (keepSamples) samples.push({ t: (performance.now() - t0) / 1000, v: s.rss / MiB });
  };
  const timer = setInterval(take, everyMs);
  exited.then(() => clearInterval(timer));
  return {
    child,
    t0,
    exited,
    samples,
    take,
    last: () => last,
    hwm: () => hwm,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: () => clearInterval(timer),
  };
}

export async function scrape(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : null;
  } catch {
    return null; // not listening yet, or gone
  }
}

/** Lines and distinct record ids in the finished gzip NDJSON files under `dir` (temp files skipped). */
export async function countDelivered(dir) {
  let files;
  try {
    files = (await readdir(dir, { recursive: true })).map(String).filter((f) => f.endsWith('.ndjson.gz'));
  } catch {
    return { lines: 0, distinct: 0, files: 0 };
  }
  let lines = 0;
  const ids = new Set();
  for (const f of files) {
    const text = gunzipSync(await readFile(join(dir, f))).toString('utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      lines++;
      const o = JSON.parse(line); // a k8stream record (its id) or a client's raw Event (its own uid)
      ids.add(o.id ?? o.metadata?.uid ?? `line-${lines}`);
    }
  }
  return { lines, distinct: ids.size, files: files.length };
}

/** A generated .k8streamrc for the binary: enrichment off, metrics on 127.0.0.1:`port`, warn logs. */
export function k8streamConfig({ kubeconfig, port, sinks, transforms = [], out }) {
  return {
    cluster: 'bench',
    source: { kubeconfig, pageSize: 500 },
    enrich: { objects: false, owners: false, nodes: false, services: false },
    transforms,
    sinks,
    deadLetter: { use: 'file', config: { dir: join(out, 'deadletter') } },
    server: { enabled: true, host: '127.0.0.1', port },
    log: { level: 'warn', format: 'json' },
  };
}

/** A file sink as a user writes it (the plugin's batch defaults, gzip NDJSON); no fsync, like the Node client. */
export function fileSink(name, dir, batch = {}) {
  return { name, use: 'file', batch: { maxAgeMs: '1s', ...batch }, encoding: { format: 'ndjson', compression: 'gzip' }, config: { dir, fsync: false } };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit. */
export async function terminate(run, graceMs = 30_000) {
  run.child.kill('SIGTERM');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), graceMs);
  const exit = await run.exited;
  clearTimeout(timer);
  return exit;
}

/** One k8stream row of G: to the last event acked (or its death, or `timeoutMs`). */
export async function k8streamSync({ api, total, workDir, label, memoryMiB = null, timeoutMs = 180_000, env = {} }) {
  const out = join(workDir, label);
  await mkdir(out, { recursive: true });
  const port = await freePort();
  const config = join(out, '.k8streamrc.json');
  await writeFile(config, JSON.stringify(k8streamConfig({ kubeconfig: api.kubeconfig, port, sinks: [fileSink('file', join(out, 'file'))], out }), null, 2));
  const group = memoryMiB === null ? null : createGroup({ memoryBytes: memoryMiB * MiB });
  try {
    const run = launch(K8STREAM(config), { group, env });
    let acked = 0;
    let doneAt = null;
    let dead = null;
    run.exited.then((e) => (dead = e));
    while (dead === null && performance.now() - run.t0 < timeoutMs) {
      await new Promise((r) => setTimeout(r, 100));
      const text = await scrape(port);
      if (text !== null) acked = metricValue(text, 'k8stream_sink_events_sent_total', 'file');
      if (acked >= total) {
        run.take();
        doneAt = performance.now();
        break;
      }
    }
    const at = run.last();
    const wallS = ((doneAt ?? performance.now()) - run.t0) / 1000;
    const died = dead; // before the SIGTERM: did it end on its own?
    const exit = died ?? (await terminate(run));
    const oom = group?.oomKills() ?? null;
    const groupPeak = group?.peakBytes() ?? null;
    const delivered = await countDelivered(join(out, 'file'));
    const oomKilled = oom !== null ? oom > 0 : died !== null && died.signal === 'SIGKILL';
    return {
      row: label,
      limitMiB: memoryMiB,
      wallS: round(wallS, 2),
      cpuS: at ? round(at.cpuSeconds, 2) : null,
      peakRssMb: round(run.hwm() / 1e6, 0),
      groupPeakMb: groupPeak === null ? null : round(groupPeak / 1e6, 0),
      delivered: delivered.distinct,
      deliveredLines: delivered.lines,
      ackedMetric: acked,
      oomKilled,
      oomKills: oom,
      completed: doneAt !== null,
      exit: died ? `died (${died.signal ?? `exit ${died.code}`}) before all were acked` : `SIGTERM → ${exit.signal ?? `exit ${exit.code}`}`,
      stderrTail: doneAt === null ? run.stderr().slice(-600) : undefined,
    };
  } finally {
    group?.kill();
    group?.remove();
  }
}

/**
 * A minimal client's row of G (no limit): `command args…` writes gzip NDJSON files of the raw Events
 * under `out` and prints { events, cpuSeconds } last. Peak RSS is VmHWM sampled every 20 ms: the
 * client's own getrusage maxRSS would include the bench process's pages it was forked from.
 */
async function clientSync({ row, command, args, out, total }) {
  const run = launch(args, { command, everyMs: 20 });
  const exit = await run.exited;
  const wallS = (performance.now() - run.t0) / 1000;
  if (exit.code !== 0) throw new Error(`${row} failed (${exit.signal ?? exit.code}): ${run.stderr()}`);
  const self = JSON.parse(run.stdout().trim().split('\n').at(-1));
  const delivered = await countDelivered(out);
  return {
    row,
    limitMiB: null,
    wallS: round(wallS, 2),
    cpuS: round(self.cpuSeconds, 2),
    peakRssMb: round(run.hwm() / 1e6, 0),
    groupPeakMb: null,
    delivered: delivered.distinct,
    deliveredLines: delivered.lines,
    oomKilled: false,
    oomKills: null,
    completed: self.events >= total,
  };
}

/** The Node client row of G. */
function nodeClientSync({ api, total, workDir }) {
  const out = join(workDir, 'node-client');
  return clientSync({ row: 'minimal Node client (list, parse, re-encode, gzip)', command: process.execPath, args: [NODE_CLIENT, api.kubeconfig, out, '500'], out, total });
}

/** The Go client row of G: the same job in Go's standard library, built by the bench. */
async function goClientSync({ api, total, workDir }) {
  const row = 'minimal Go client (stdlib: list, parse, re-encode, gzip)';
  const built = await buildGoClient(workDir);
  if (built.skipped) return { row, limitMiB: null, skipped: built.skipped };
  const out = join(workDir, 'go-client-out');
  return clientSync({ row, command: built.bin, args: [api.kubeconfig, out, '500'], out, total });
}

/** The cgroup check, once per bench run; prints the loud line when limited rows cannot run. */
let cgroupState = null;
function cgroups() {
  if (cgroupState === null) {
    cgroupState = probeCgroups();
    if (!cgroupState.ok)
      console.log(`!!! CGROUPS NOT WRITABLE (${cgroupState.reason}): the memory/CPU-limited rows of G and H are SKIPPED — run the bench as root on Linux to measure them !!!`);
  }
  return cgroupState;
}

/** G: the 100,000-event initial sync, four rows. */
export async function footprintStartup({ events }) {
  const cg = cgroups();
  const api = await startDouble();
  const workDir = join(repo, '.bench', `footprint-G-${process.pid}`); // under the repo: `file` resolves from here
  try {
    const { events: total } = await api.request({ fill: events });
    const rows = [];
    rows.push(await nodeClientSync({ api, total, workDir }));
    rows.push(await goClientSync({ api, total, workDir }));
    rows.push(await k8streamSync({ api, total, workDir, label: 'k8stream, no limit' }));
    for (const mib of [256, 128]) {
      if (cg.ok) rows.push(await k8streamSync({ api, total, workDir, label: `k8stream in a ${mib} MiB cgroup`, memoryMiB: mib }));
      else rows.push({ row: `k8stream in a ${mib} MiB cgroup`, limitMiB: mib, skipped: cg.reason });
    }
    const client = rows[0];
    const limited128 = rows.at(-1);
    return {
      id: 'G',
      title: `initial sync of ${total.toLocaleString('en-US')} events, the real binary (enrichment off, one file sink), cgroup limits`,
      mode: `k8stream and the Node client in their own processes; double in its own process; cgroups ${cg.ok ? cg.version : 'not available'}`,
      events: total,
      cgroups: cg.ok ? cg.version : false,
      rows,
      vsNodeClient128: limited128.skipped || !limited128.completed ? null : round(limited128.wallS / client.wallS, 2),
    };
  } finally {
    await api.close();
    await rm(workDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

/** H: steady `rate` events/s for `seconds`, `redact` + two file sinks, in `memoryMiB` + `millicores`. */
export async function footprintSteady({ rate, seconds, memoryMiB = 128, millicores = 250 }) {
  const cg = cgroups();
  const title = `steady ${rate.toLocaleString('en-US')} ev/s × ${seconds} s, redact + two file sinks, in ${memoryMiB} MiB + ${millicores}m CPU (the real binary)`;
  if (!cg.ok) return { id: 'H', title, mode: 'skipped', cgroups: false, skipped: cg.reason };
  const api = await startDouble();
  const workDir = join(repo, '.bench', `footprint-H-${process.pid}`);
  const group = createGroup({ memoryBytes: memoryMiB * MiB, millicores });
  try {
    const { events: history } = await api.request({ emit: 500 });
    await mkdir(workDir, { recursive: true });
    const port = await freePort();
    const config = join(workDir, '.k8streamrc.json');
    const sinks = [fileSink('H-file-1', join(workDir, 'f1')), fileSink('H-file-2', join(workDir, 'f2'))];
    await writeFile(config, JSON.stringify(k8streamConfig({ kubeconfig: api.kubeconfig, port, sinks, transforms: [{ use: 'redact' }], out: workDir }), null, 2));
    const run = launch(K8STREAM(config), { group, everyMs: 1000, keepSamples: true });
    let dead = null;
    run.exited.then((e) => (dead = e));
    const sent = async () => {
      const text = await scrape(port);
      return text === null
        ? null
        : { a: metricValue(text, 'k8stream_sink_events_sent_total', 'H-file-1'), b: metricValue(text, 'k8stream_sink_events_sent_total', 'H-file-2'), text };
    };
    // Start-up: the history acked by both sinks.
    let s = null;
    const startBy = performance.now() + 120_000;
    while (dead === null && performance.now() < startBy) {
      s = await sent();
      if (s && s.a >= history && s.b >= history) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const startupS = (performance.now() - run.t0) / 1000;
    run.take();
    const rssStartMb = run.last() ? round(run.last().rss / 1e6, 1) : null;
    const cpu0 = run.last()?.cpuSeconds ?? 0;
    const lag0 = s ? histogramBuckets(s.text, 'k8stream_sink_lag_seconds', 'H-file-1') : [];
    const count = rate * seconds;
    const w0 = performance.now();
    const produced = history + count;
    await api.request({ stamped: { rate, count } }); // even after a death: what it then misses counts as lost
    // Drain: both sinks acked everything produced, or 60 s more, or the process died.
    const drainBy = performance.now() + 60_000;
    while (dead === null && performance.now() < drainBy) {
      s = (await sent()) ?? s;
      if (s && s.a >= produced && s.b >= produced) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    run.take();
    const windowS = (performance.now() - w0) / 1000;
    const end = run.last();
    const lag1 = s ? histogramBuckets(s.text, 'k8stream_sink_lag_seconds', 'H-file-1') : [];
    const died = dead; // before the SIGTERM: did it end on its own?
    const exit = died ?? (await terminate(run));
    const oom = group.oomKills();
    const groupPeak = group.peakBytes();
    const [d1, d2] = [await countDelivered(join(workDir, 'f1')), await countDelivered(join(workDir, 'f2'))];
    const delivered = Math.min(d1.distinct, d2.distinct);
    return {
      id: 'H',
      title,
      mode: `the binary in a cgroup (${cg.version}); double in its own process`,
      cgroups: cg.version,
      produced,
      delivered,
      deliveredBySink: [d1.distinct, d2.distinct],
      lost: Math.max(0, produced - delivered),
      oomKilled: oom !== null ? oom > 0 : died?.signal === 'SIGKILL',
      oomKills: oom,
      p99LagS: bucketPercentile(lag0, lag1, 99),
      startupS: round(startupS, 1),
      cpuPercent: end ? round(((end.cpuSeconds - cpu0) / windowS) * 100, 1) : null,
      peakRssMb: round(run.hwm() / 1e6, 0),
      groupPeakMb: groupPeak === null ? null : round(groupPeak / 1e6, 0),
      rssStartMb,
      rssEndMb: end ? round(end.rss / 1e6, 1) : null,
      rssPeakGrowthMb: round(peakGrowthMb(run.samples.filter((x) => x.t >= startupS).map((x) => ({ t: x.t - startupS, v: x.v }))), 1),
      exit: died ? `died (${died.signal ?? `exit ${died.code}`})` : `SIGTERM → ${exit.signal ?? `exit ${exit.code}`}`,
      stderrTail: died ? run.stderr().slice(-600) : undefined,
    };
  } finally {
    group.kill();
    await new Promise((r) => setTimeout(r, 100));
    group.remove();
    await api.close();
    await rm(workDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

const cell = (v, unit = '') => (v === null || v === undefined ? '–' : `${typeof v === 'number' ? v.toLocaleString('en-US') : v}${unit}`);

/** G's table (the issue's columns) and H's lines. */
export function formatFootprint(r) {
  const lines = [`${r.id}: ${r.title}`, `   ${r.mode}`];
  if (r.id === 'G') {
    const head = ['same run', 'wall', 'CPU', 'peak RSS', 'cgroup peak', `events / ${r.events.toLocaleString('en-US')}`, 'OOM-killed'];
    const body = r.rows.map((x) =>
      x.skipped
        ? [x.row, `skipped: ${x.limitMiB ? 'no writable cgroups' : x.skipped}`, '', '', '', '', '']
        : [
            x.row,
            x.completed ? cell(x.wallS, ' s') : `– (${x.oomKilled ? 'killed' : 'stopped'} at ${cell(x.wallS, ' s')})`,
            cell(x.cpuS, ' s'),
            cell(x.peakRssMb, ' MB'),
            cell(x.groupPeakMb, ' MB'),
            cell(x.delivered),
            x.oomKilled ? 'yes' : 'no',
          ],
    );
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
    const line = (c) => '   ' + c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
    lines.push(line(head), '   ' + widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line));
    lines.push('   (peak RSS: VmHWM sampled every 100 ms, the clients’ every 20 ms; cgroup peak: the group’s max usage, page cache included)');
    for (const x of r.rows)
      if (x.exit && !x.completed) lines.push(`   ${x.row}: ${x.exit}${x.stderrTail?.trim() ? `; last stderr: ${x.stderrTail.trim().split('\n').at(-1)}` : ''}`);
  } else if (r.skipped) {
    lines.push(`   skipped: ${r.skipped}`);
  } else {
    lines.push(
      `   delivered ${cell(r.delivered)} of ${cell(r.produced)} produced (per sink ${r.deliveredBySink.map((n) => cell(n)).join(' / ')}), OOM-killed ${r.oomKilled ? 'yes' : 'no'}, ${r.exit}`,
      `   p99 watch-to-ack latency ${r.p99LagS === null ? '–' : `≤ ${r.p99LagS} s (lag histogram bucket)`}; CPU ${cell(r.cpuPercent, '%')} of one core; start-up to history acked ${cell(r.startupS, ' s')}`,
      `   peak RSS ${cell(r.peakRssMb, ' MB')} (cgroup peak ${cell(r.groupPeakMb, ' MB')}); RSS at start ${cell(r.rssStartMb, ' MB')}, at end ${cell(r.rssEndMb, ' MB')}; peaks of the last third vs the middle third ${cell(r.rssPeakGrowthMb, ' MiB')}`,
    );
    if (r.stderrTail?.trim()) lines.push(`   last stderr: ${r.stderrTail.trim().split('\n').at(-1)}`);
  }
  return lines.join('\n');
}
