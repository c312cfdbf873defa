// Issue 14: a process whose sinks write NDJSON must not load the Parquet writer or reader
// (hyparquet-writer, hyparquet, dispatch/parquet/*: ~1.3 MB of heap). Module loading is Node's,
// which vitest's module runner bypasses: each case runs a fresh `node` on the BUILT code
// (core/dist, `npm run build` first) with a load hook recording every module URL it loads.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const dist = (p: string): string => new URL(`../../../dist/${p}`, import.meta.url).href;

/** Runs `body` (an ES module body) and returns the URLs of the Parquet modules loaded by the end of it. */
function parquetModulesLoaded(body: string): string[] {
  const script = `
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
${body}
console.log(JSON.stringify(loaded.filter((url) => /\\/hyparquet(-writer)?\\/|\\/dispatch\\/parquet\\//.test(url))));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as string[];
}

describe('the Parquet modules load only when a Parquet body is written or read', () => {
  it('importing the body writer, the encodings and the dispatcher, and writing and reading a gzip NDJSON body, loads none of them', () => {
    const loaded = parquetModulesLoaded(`
const { createBodyWriter } = await import(${JSON.stringify(dist('dispatch/body-writer.js'))});
const { decodeBody } = await import(${JSON.stringify(dist('dispatch/encode.js'))});
await import(${JSON.stringify(dist('dispatch/dispatcher.js'))});
const encoding = { format: 'ndjson', compression: 'gzip' };
const writer = createBodyWriter(encoding);
writer.add('{"a":1}');
const records = await decodeBody((await writer.finish()).body, encoding);
if (records.length !== 1) throw new Error('expected one record back');`);
    expect(loaded).toEqual([]);
  });

  it('a Parquet body loads the writer; reading it loads the reader', () => {
    const loaded = parquetModulesLoaded(`
const { createBodyWriter, loadParquetWriter } = await import(${JSON.stringify(dist('dispatch/body-writer.js'))});
const { decodeBody } = await import(${JSON.stringify(dist('dispatch/encode.js'))});
await loadParquetWriter();
const encoding = { format: 'parquet', compression: 'zstd' };
const writer = createBodyWriter(encoding);
writer.add('{"a":1}', undefined, { a: 1 });
const records = await decodeBody((await writer.finish()).body, encoding);
if (JSON.stringify(records) !== '[{"a":1}]') throw new Error('expected the record back: ' + JSON.stringify(records));`);
    const names = new Set(loaded.map((url) => /\/(hyparquet-writer|hyparquet)\/|\/dispatch\/parquet\/(\w+)\.js$/.exec(url)!.slice(1).join('')));
    expect([...names].sort()).toEqual(expect.arrayContaining(['hyparquet', 'hyparquet-writer', 'reader', 'schema', 'writer']));
  });
});
