import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiskQueue } from './queue.js';
import type { DiskQueueRecord } from './types.js';

/**
 * Child: appends with fsync always and prints each id once its append resolved. It runs the TS
 * sources with Node's type stripping, mapping `./x.js` imports to `./x.ts`.
 */
const CHILD = `
import { registerHooks } from 'node:module';
registerHooks({
  resolve(specifier, context, next) {
    try { return next(specifier, context); } catch (err) {
      if (specifier.startsWith('.') && specifier.endsWith('.js')) return next(specifier.slice(0, -3) + '.ts', context);
      throw err;
    }
  },
});
const [, , queueUrl, dir, run] = process.argv;
const { createDiskQueue } = await import(queueUrl);
const q = await createDiskQueue({ dir, maxBytes: 64 * 1024 * 1024, segmentBytes: 16 * 1024, fsync: 'always', overflow: 'block' });
process.stdout.write('ready\\n');
for (let i = 0; ; i++) {
  const n = (i % 3) + 1;
  const batch = [];
  for (let k = 0; k < n; k++) {
    const id = run + '-' + i + '-' + k;
    batch.push({ id, json: JSON.stringify({ id, pad: 'p'.repeat(300) }) });
  }
  await q.append(batch);
  process.stdout.write(batch.map((b) => b.id).join('\\n') + '\\n');
}
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-dq-crash-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the child until it confirmed at least `minConfirmed` ids, SIGKILLs it, returns confirmed ids. */
function runAndKill(script: string, queueDir: string, run: number, minConfirmed: number): Promise<string[]> {
  const queueUrl = pathToFileURL(join(fileURLToPath(new URL('.', import.meta.url)), 'queue.ts')).href;
  const child = spawn(process.execPath, ['--no-warnings', script, queueUrl, queueDir, String(run)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const confirmed: string[] = [];
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const l of lines) if (l !== 'ready') confirmed.push(l);
      if (confirmed.length >= minConfirmed && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(confirmed);
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}

describe('disk queue crash safety', () => {
  it('keeps every append that resolved before SIGKILL, with no corrupt record', async () => {
    const script = join(dir, 'child.mjs');
    await writeFile(script, CHILD);
    const queueDir = join(dir, 'q');
    const confirmed: string[] = [];
    for (let run = 0; run < 4; run++) confirmed.push(...(await runAndKill(script, queueDir, run, 150 + run * 37)));

    const q = await createDiskQueue({ dir: queueDir, maxBytes: 64 * 1024 * 1024, fsync: 'always', overflow: 'block' });
    try {
      const total = q.stats().records;
      const all: DiskQueueRecord[] = [];
      while (all.length < total) all.push(...(await q.read(10_000)));
      const ids = all.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      const present = new Set(ids);
      expect(confirmed.filter((id) => !present.has(id))).toEqual([]);
      // Anything beyond the confirmed ids can only be the last append in flight at each kill.
      expect(ids.length - confirmed.length).toBeLessThanOrEqual(4 * 3);
      for (const r of all) expect(JSON.parse(r.json)).toEqual({ id: r.id, pad: 'p'.repeat(300) });
      expect(all.every((r, i) => i === 0 || r.seq === all[i - 1]!.seq + 1)).toBe(true);
      // Ids come back in append order: confirmed is the order they were appended in.
      expect(ids.filter((id) => confirmed.includes(id))).toEqual(confirmed);
    } finally {
      await q.close();
    }
  }, 60_000);
});
