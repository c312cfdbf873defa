#!/usr/bin/env node
// Runs the reliability scenarios (long versions by default) against the built k8stream and
// prints one table row per scenario. Node 24 strips the types of the imported .ts modules.
//
//   node test/reliability/run.mjs [--short] [name[:mode] | @limit ...]
//   node test/reliability/run.mjs @128Mi        # only the 128 MiB cgroup variants
//
// Writes test/reliability/.last-results.json; exits 1 when a scenario breaks its guarantee or
// fails outright. Build first: npx tsc -b.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SCENARIOS, violations } from './scenarios.ts';

const args = process.argv.slice(2);
const size = args.includes('--short') ? 'short' : 'long';
const filters = args.filter((a) => !a.startsWith('--'));
const selected = SCENARIOS.filter((s) => filters.length === 0 || filters.some((f) => f === s.name || f === `${s.name}:${s.mode}` || (f.startsWith('@') && s.mode.endsWith(f))));
if (selected.length === 0) {
  console.error(`no scenario matches ${filters.join(', ')}; known: ${SCENARIOS.map((s) => `${s.name}:${s.mode}`).join(', ')}`);
  process.exit(2);
}

// Counts (README, "Columns"): produced, the event versions the producer created (uid:resourceVersion);
// received, the records the receiver holds, every copy counted; delivered / lost, produced ids it
// holds / never got; duplicated, produced ids it holds more than once; unknown, records it holds
// that the producer never made (gap markers apart, in markers). at-most-once rows show the loss
// with its bound: "lost (≤ kills × batch.maxEvents; batches the lost ids fill ≤ kills)". kill -9 rows
// show repeats/kill: duplicated / kills; archive dup, produced ids an object-store archive (one
// object per batch id, a batch re-sent under its id overwriting itself) would hold more than once.
// Memory-limited variants only ('-' without a limit): cgroup MiB, the highest peak charged to one
// process's cgroup (max RSS counts Node's binary pages charged elsewhere, so it can exceed the limit);
// OOM, the kills summed over every process's cgroup.
// Fault storms only: seeds run; faults applied/scheduled over all seeds (the others were still
// pending when their storm ended); covered, the versions a gap marker accounts for (counted in
// delivered); recovery, healthy server → watching again, p50/p95/max against the largest target.
const COLUMNS = [
  'scenario',
  'mode',
  'seeds',
  'faults',
  'produced',
  'received',
  'delivered',
  'covered',
  'lost',
  'duplicated',
  'repeats/kill',
  'archive dup',
  'unknown',
  'markers',
  'recovery p50/p95/max s (target)',
  'max RSS MB',
  'cgroup MiB',
  'OOM',
  'seconds',
  'verdict',
];
const secs = (ms) => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : 'never');
const rows = [];
let failed = false;
for (const s of selected) {
  process.stderr.write(`${s.name} (${s.mode}, ${size})... `);
  let row;
  try {
    const r = await s.run(size);
    const broken = violations(s, r);
    failed ||= broken.length > 0;
    row = { ...r, verdict: broken.length === 0 ? 'ok' : `FAIL: ${broken.join(', ')}` };
  } catch (err) {
    failed = true;
    const message = err instanceof Error ? err.message : String(err);
    row = { scenario: s.name, mode: s.mode, verdict: `ERROR: ${message.split('\n')[0]}`, error: message };
  }
  process.stderr.write(`${row.verdict}\n`);
  rows.push(row);
}

const cells = rows.map((r) =>
  [
    r.scenario,
    r.mode,
    r.seeds,
    r.faults === undefined ? undefined : `${r.faults.applied}/${r.faults.scheduled}`,
    r.produced,
    r.received,
    r.delivered,
    r.covered,
    r.lossBound === undefined ? r.lost : `${r.lost} (≤ ${r.lossBound.ids}; ${r.lostBatches} batch${r.lostBatches === 1 ? '' : 'es'} ≤ ${r.lossBound.kills})`,
    r.duplicated,
    r.kills === undefined ? undefined : (r.duplicated / r.kills).toFixed(1),
    r.archiveDuplicated,
    r.unknown,
    r.markers,
    r.recovery === undefined ? undefined : `${secs(r.recovery.p50Ms)}/${secs(r.recovery.p95Ms)}/${secs(r.recovery.maxMs)} (${secs(r.recovery.targetMs)})`,
    r.maxRssMb,
    r.cgroupPeakMb === null ? '?' : r.cgroupPeakMb,
    r.oomKills === null ? '?' : r.oomKills,
    r.seconds,
    r.verdict,
  ].map((v) => (v === undefined ? '-' : String(v))),
);
const widths = COLUMNS.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
const line = (values) => `| ${values.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
console.log(line(COLUMNS));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const c of cells) console.log(line(c));

const out = fileURLToPath(new URL('./.last-results.json', import.meta.url));
await writeFile(out, `${JSON.stringify({ size, at: new Date().toISOString(), results: rows }, null, 2)}\n`);
for (const r of rows) if (r.error) console.error(`\n${r.scenario} (${r.mode}):\n${r.error}`);
process.exit(failed ? 1 : 0);
