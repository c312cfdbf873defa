// Measures µs per call of the built-in transforms through the Extism JS SDK (one instance, main
// thread, calls in sequence), with a ~1.2 KB record. Builds stale modules first.
// Usage: node transforms/kit/bench.js [calls per case, default 5000]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt, ensureCompiled, openTransform, sampleRecord } from './testing.js';

const KIT = path.dirname(fileURLToPath(import.meta.url));
const TRANSFORMS = path.resolve(KIT, '..');
const N = Number(process.argv[2] ?? 5000);

// ~1.2 KB: the sample record without its annotation and service lookups
const base = sampleRecord();
const enrichment = { ...base.enrichment, annotations: {}, services: [], owners: [base.enrichment.workload] };
const clean = sampleRecord({ enrichment, message: `${base.message} — Größe ✓ 🚀` });
const secret = sampleRecord({ enrichment, message: `${base.message.slice(0, -40)} token=abc123 bob@example.com 10.2.3.4` });
const system = { ...clean, namespace: 'kube-system' };

const cases = [
  { name: 'kit harness: readRecord + keep (I/O floor)', wasm: 'harness', fn: 'passthrough', config: {}, rec: clean },
  { name: 'redact, nothing found (keep)', pkg: 'redact', config: {}, rec: clean },
  { name: 'redact, 3 hits (replace)', pkg: 'redact', config: {}, rec: secret },
  { name: 'filter, kept', pkg: 'filter', config: { drop: { namespaces: ['kube-*'], reasons: ['Pulled'] } }, rec: clean },
  { name: 'filter, dropped', pkg: 'filter', config: { drop: { namespaces: ['kube-*'] } }, rec: system },
  { name: 'route-tag, tagged (replace)', pkg: 'route-tag', config: { namespaces: { shop: { team: 'shop', owner: 'ana' } } }, rec: clean },
  { name: 'cloudevents', pkg: 'cloudevents', config: {}, rec: clean },
];

console.log(`record: ${Buffer.byteLength(JSON.stringify(clean))} bytes (secret variant ${Buffer.byteLength(JSON.stringify(secret))}); ${N} calls per case`);
for (const c of cases) {
  const wasm = c.pkg ? await ensureBuilt(path.join(TRANSFORMS, c.pkg)) : await ensureCompiled({ entry: 'test/assembly/harness.ts', outFile: 'dist/test/harness.wasm', cwd: KIT });
  const h = await openTransform(wasm, c.config, { functionName: c.fn ?? 'transform' });
  const input = JSON.stringify(c.rec);
  for (let i = 0; i < 1000; i++) await h.callRaw(input);
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await h.callRaw(input);
  const us = Number(process.hrtime.bigint() - started) / 1000 / N;
  console.log(`${c.name.padEnd(48)} ${us.toFixed(1).padStart(6)} µs/call`);
  await h.close();
}
