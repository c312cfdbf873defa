/** Reads what the file sink wrote: every batch file under a directory, decoded to records. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';

export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

export async function readRecords(files: string[]): Promise<Record<string, unknown>[]> {
  const records: Record<string, unknown>[] = [];
  for (const f of files) {
    const raw = await readFile(f);
    const text = (f.endsWith('.gz') ? gunzipSync(raw) : f.endsWith('.zst') ? zstdDecompressSync(raw) : raw).toString('utf8');
    if (f.includes('.json') && !f.includes('.ndjson')) {
      records.push(...(JSON.parse(text) as Record<string, unknown>[]));
    } else {
      for (const line of text.split('\n')) if (line) records.push(JSON.parse(line) as Record<string, unknown>);
    }
  }
  return records;
}
