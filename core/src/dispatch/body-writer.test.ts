import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { EncodingOptions } from '../plugins/api.js';
import { ALL_ENCODINGS } from '../testing/batch.js';
import { CHUNK_BYTES, createBodyWriter, decodeRecords, encodeBatch } from './body-writer.js';
import { decodeBody, decompressSync, encodingInfo } from './encode.js';

/** Texts that cross chunk boundaries: ASCII, multi-byte UTF-8, and one record larger than a chunk. */
function texts(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 3000; i++) out.push(JSON.stringify({ i, msg: i % 7 === 0 ? `Pod ünïcödé ✓ ${'é'.repeat(i % 50)}` : 'x'.repeat(i % 300) }));
  out.splice(1500, 0, JSON.stringify({ big: 'y'.repeat(CHUNK_BYTES + 1000) }));
  out.push('not json {');
  return out;
}

async function written(encoding: EncodingOptions, lines: readonly string[]) {
  const writer = createBodyWriter(encoding);
  for (const line of lines) writer.add(line);
  expect(writer.count).toBe(lines.length);
  return writer.finish();
}

describe('body writer', () => {
  it.each(ALL_ENCODINGS.map((e) => [`${e.format}/${e.compression}`, e] as const))(
    '%s: the body holds the lines in order, whatever chunks they crossed',
    async (_name, encoding) => {
      const lines = texts().slice(0, -1); // every line valid JSON, so a json array decodes
      const body = await written(encoding, lines);
      const text = encoding.format === 'json' ? `[${lines.join(',')}]` : lines.map((l) => `${l}\n`).join('');
      expect(body.rawBytes).toBe(Buffer.byteLength(text));
      // Deflate's output does not depend on how its input was split: byte-identical to one-shot gzip.
      if (encoding.compression === 'gzip') expect(Buffer.from(body.body).equals(gzipSync(text))).toBe(true);
      if (encoding.compression === 'none') expect(Buffer.from(body.body).toString('utf8')).toBe(text);
      expect(await decodeBody(body.body, encoding)).toEqual(lines.map((l) => JSON.parse(l) as unknown));
      expect(body).toMatchObject(encodingInfo(encoding));
    },
  );

  it.each(ALL_ENCODINGS.map((e) => [`${e.format}/${e.compression}`, e] as const))(
    '%s: decodeRecords cuts every record back out by its length, text kept where it is not JSON',
    async (_name, encoding) => {
      const lines = texts();
      const body = await written(encoding, lines);
      expect(body.recordBytes).toHaveLength(lines.length);
      expect(Array.from(body.recordBytes.subarray(0, 8))).toEqual(lines.slice(0, 8).map((l) => Buffer.byteLength(l)));
      const records = decodeRecords(body.body, encoding, body.recordBytes);
      expect(records).toEqual(lines.map((l) => (l === 'not json {' ? l : (JSON.parse(l) as unknown))));
    },
  );

  it('an empty body: nothing for ndjson, [] for json', async () => {
    const ndjson = await written({ format: 'ndjson', compression: 'none' }, []);
    expect(ndjson.body.byteLength).toBe(0);
    const json = await written({ format: 'json', compression: 'gzip' }, []);
    expect(await decodeBody(json.body, { format: 'json', compression: 'gzip' })).toEqual([]);
  });

  it('a small body owns a buffer of its own size, not a whole chunk', async () => {
    for (const encoding of ALL_ENCODINGS) {
      const body = await written(encoding, ['{"a":1}']);
      expect(body.body.buffer.byteLength).toBe(body.body.byteLength);
    }
  });

  it('a compression level is honoured', async () => {
    const lines = texts().slice(0, 500);
    const fast = await written({ format: 'ndjson', compression: 'gzip', level: 1 }, lines);
    const best = await written({ format: 'ndjson', compression: 'gzip', level: 9 }, lines);
    expect(Buffer.from(fast.body).equals(Buffer.from((await encodeBatch(lines, { format: 'ndjson', compression: 'gzip', level: 1 })).body))).toBe(true);
    expect(best.body.byteLength).toBeLessThan(fast.body.byteLength);
  });

  it.each(ALL_ENCODINGS.map((e) => [`${e.format}/${e.compression}`, e] as const))(
    '%s: U+2028/U+2029 are written escaped, so line readers see one record per line; lengths and values are kept',
    async (_name, encoding) => {
      const records = [
        { message: 'first\u2028second\u2029third' },
        { message: 'plain' },
        { message: '\u2028'.repeat(CHUNK_BYTES / 2) }, // larger than a chunk once escaped
        { big: 'x'.repeat(CHUNK_BYTES - 1100) }, // leaves ~1 KiB of the chunk: room for the next record raw, not escaped
        { message: '\u2029'.repeat(300) },
      ];
      const lines = records.map((r) => JSON.stringify(r));
      const writer = createBodyWriter(encoding);
      lines.forEach((l) => writer.add(l, Buffer.byteLength(l))); // the caller's sizes are of the raw text
      const body = await writer.finish();
      const text = decompressSync(body.body, encoding.compression).toString('utf8');
      expect(text).not.toMatch(/[\u2028\u2029]/);
      expect(text).toContain('first\\u2028second\\u2029third');
      if (encoding.format === 'ndjson') {
        const read: unknown[] = [];
        for await (const line of createInterface({ input: Readable.from([text]), crlfDelay: Infinity })) read.push(JSON.parse(line));
        expect(read).toEqual(records);
      }
      expect(decodeRecords(body.body, encoding, body.recordBytes)).toEqual(records);
      expect(await decodeBody(body.body, encoding)).toEqual(records);
      expect(body.rawBytes).toBe(Buffer.byteLength(text));
    },
  );
});
