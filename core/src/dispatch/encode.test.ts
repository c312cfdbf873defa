import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Compression, Format } from '../plugins/api.js';
import { decodeBody, encodingInfo } from './encode.js';
import { encodeBatch } from './body-writer.js';
import { compressionLevelProblem } from '../config/compression.js';
import { escapeLineSeparators } from '../util/ndjson.js';

const records = [
  { id: 'a', message: 'Back-off restarting failed container\nline two\r\n\ttabbed' },
  { id: 'b', message: 'ünïcödé — 日本語 — emoji 🚀 and \u2028 separator' },
  { id: 'c', message: 'quotes " and backslash \\ and control \u0001' },
];
const lines = records.map((r) => JSON.stringify(r));
/** What the body holds: the lines with U+2028/U+2029 escaped. */
const written = lines.map(escapeLineSeparators);

const combos: [Format, Compression, string, string | undefined][] = [
  ['ndjson', 'none', '.ndjson', undefined],
  ['ndjson', 'gzip', '.ndjson.gz', 'gzip'],
  ['ndjson', 'zstd', '.ndjson.zst', 'zstd'],
  ['json', 'none', '.json', undefined],
  ['json', 'gzip', '.json.gz', 'gzip'],
  ['json', 'zstd', '.json.zst', 'zstd'],
];

function decompressSync(body: Uint8Array, compression: Compression): string {
  const raw = compression === 'gzip' ? gunzipSync(body) : compression === 'zstd' ? zstdDecompressSync(body) : body;
  return new TextDecoder().decode(raw);
}

describe('encodeBatch / decodeBody', () => {
  for (const [format, compression, extension, contentEncoding] of combos) {
    it(`round-trips ${format} + ${compression}`, async () => {
      const encoded = await encodeBatch(lines, { format, compression });
      expect(encoded.extension).toBe(extension);
      expect(encoded.contentEncoding).toBe(contentEncoding);
      expect(encoded.contentType).toBe(format === 'ndjson' ? 'application/x-ndjson' : 'application/json');
      const text = format === 'ndjson' ? `${written.join('\n')}\n` : `[${written.join(',')}]`;
      expect(decompressSync(encoded.body, compression)).toBe(text);
      expect(encoded.rawBytes).toBe(Buffer.byteLength(text, 'utf8'));
      expect(await decodeBody(encoded.body, { format, compression })).toEqual(records);
    });
  }

  it('writes one line per record with a trailing newline for ndjson', async () => {
    const encoded = await encodeBatch(['{"a":1}', '{"b":2}'], { format: 'ndjson', compression: 'none' });
    expect(new TextDecoder().decode(encoded.body)).toBe('{"a":1}\n{"b":2}\n');
    expect(encoded.rawBytes).toBe(16);
  });

  it('encodes an empty batch as an empty body (ndjson) or [] (json)', async () => {
    const nd = await encodeBatch([], { format: 'ndjson', compression: 'none' });
    expect(nd.body.byteLength).toBe(0);
    expect(await decodeBody(nd.body, { format: 'ndjson', compression: 'none' })).toEqual([]);
    const js = await encodeBatch([], { format: 'json', compression: 'gzip' });
    expect(js.rawBytes).toBe(2);
    expect(await decodeBody(js.body, { format: 'json', compression: 'gzip' })).toEqual([]);
  });

  it('compresses: a repetitive batch gets much smaller with gzip and zstd', async () => {
    const many = Array.from({ length: 1000 }, () => lines[0] as string);
    const gz = await encodeBatch(many, { format: 'ndjson', compression: 'gzip' });
    const zs = await encodeBatch(many, { format: 'ndjson', compression: 'zstd' });
    expect(gz.body.byteLength).toBeLessThan(gz.rawBytes / 20);
    expect(zs.body.byteLength).toBeLessThan(zs.rawBytes / 20);
  });

  it('reports malformed bodies with EVENT_INVALID', async () => {
    const junk = new TextEncoder().encode('not gzip');
    await expect(decodeBody(junk, { format: 'ndjson', compression: 'gzip' })).rejects.toMatchObject({
      code: 'EVENT_INVALID',
      message: 'cannot decompress gzip body',
    });
    await expect(decodeBody(new TextEncoder().encode('{"a":1}'), { format: 'json', compression: 'none' })).rejects.toMatchObject({
      code: 'EVENT_INVALID',
      message: 'cannot parse json body',
    });
  });

  it('describes an encoding without encoding anything', () => {
    expect(encodingInfo({ format: 'json', compression: 'zstd' })).toEqual({
      contentType: 'application/json',
      contentEncoding: 'zstd',
      extension: '.json.zst',
    });
  });
});

describe('buffer reuse', () => {
  it('bodies encoded one after another, and at once, stay intact when raw buffers are reused', async () => {
    const lines = (tag: string, n: number): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ tag, i, text: `é ${tag} ${'x'.repeat(i % 50)}` }));
    const a = lines('a', 300);
    const b = lines('b', 120); // fits in a's buffer
    const encoding = { format: 'ndjson' as const, compression: 'gzip' as const };
    const first = await encodeBatch(a, encoding);
    const second = await encodeBatch(b, encoding);
    const together = await Promise.all([encodeBatch(b, encoding), encodeBatch(a, { ...encoding, compression: 'zstd' as const })]);
    expect(gunzipSync(first.body).toString()).toBe(`${a.join('\n')}\n`);
    expect(gunzipSync(second.body).toString()).toBe(`${b.join('\n')}\n`);
    expect(gunzipSync(together[0].body).toString()).toBe(`${b.join('\n')}\n`);
    expect(zstdDecompressSync(together[1].body).toString()).toBe(`${a.join('\n')}\n`);
    // Uncompressed bodies are what the sink keeps: a later batch must not overwrite one.
    const plain = await encodeBatch(a, { format: 'ndjson', compression: 'none' });
    await encodeBatch(b, encoding);
    expect(Buffer.from(plain.body).toString()).toBe(`${a.join('\n')}\n`);
  });
});

describe('compression level', () => {
  const lines = Array.from({ length: 2000 }, (_, i) =>
    JSON.stringify({ id: `e${i}`, message: `Back-off restarting failed container web-${i % 7} in pod shop/web-${i % 13}`, count: i }),
  );

  it('gzip and zstd honour the level: lower is larger, every level round-trips', async () => {
    for (const [compression, low, high] of [
      ['gzip', 1, 9],
      ['zstd', 1, 19],
    ] as const) {
      const fast = await encodeBatch(lines, { format: 'ndjson', compression, level: low });
      const small = await encodeBatch(lines, { format: 'ndjson', compression, level: high });
      expect(fast.body.byteLength).toBeGreaterThan(small.body.byteLength);
      for (const e of [fast, small]) {
        expect((await decodeBody(e.body, { format: 'ndjson', compression })).map((r) => (r as { id: string }).id)).toEqual(lines.map((_, i) => `e${i}`));
      }
    }
    const unset = await encodeBatch(lines, { format: 'ndjson', compression: 'gzip' });
    const six = await encodeBatch(lines, { format: 'ndjson', compression: 'gzip', level: 6 });
    expect(unset.body.byteLength).toBe(six.body.byteLength); // unset = the library default
  });

  it('names what is wrong with a level', () => {
    expect(compressionLevelProblem('gzip', undefined)).toBeNull();
    expect(compressionLevelProblem('gzip', 9)).toBeNull();
    expect(compressionLevelProblem('zstd', 22)).toBeNull();
    expect(compressionLevelProblem('gzip', 12)).toBe('must be an integer from 1 to 9 for gzip, got 12');
    expect(compressionLevelProblem('none', 3)).toBe('a compression level needs compression gzip or zstd');
  });
});
