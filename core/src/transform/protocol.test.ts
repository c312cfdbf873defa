import { describe, expect, it } from 'vitest';
import { interpretOutput, interpretText } from './output.js';
import { packRecordsInto, readResults, resultSizeBound, writeResult } from './protocol.js';
import type { ItemResult } from './protocol.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** Writes `results` into a fresh shared buffer, as a worker does, and reads them back. */
function roundTrip(results: ItemResult[]) {
  const sab = new SharedArrayBuffer(results.reduce((n, r) => n + resultSizeBound(r), 0));
  const bytes = new Uint8Array(sab);
  const view = new DataView(sab);
  let at = 0;
  for (const r of results) at = writeResult(bytes, view, at, r);
  expect(at).toBeLessThanOrEqual(sab.byteLength);
  return { back: readResults(bytes, view, 0, results.length), bytes };
}

describe('result encoding', () => {
  it('round-trips outputs (as text), unchanged outputs, drops and errors through a shared buffer', () => {
    const big = 'A'.repeat(70_000);
    const { back, bytes } = roundTrip([
      { kind: 'output', bytes: enc('{"schema":"s","id":"é"}') },
      { kind: 'same' },
      { kind: 'drop' },
      { kind: 'error', code: 'TRANSFORM_ERROR', message: 'bad — ünïcode' },
      { kind: 'error', code: 'TRANSFORM_TIMEOUT', message: '' },
      { kind: 'output', bytes: enc(big) },
    ]);
    expect(back).toEqual([
      { kind: 'output', text: '{"schema":"s","id":"é"}', bytes: 24 },
      { kind: 'same' },
      { kind: 'drop' },
      { kind: 'error', code: 'TRANSFORM_ERROR', message: 'bad — ünïcode' },
      { kind: 'error', code: 'TRANSFORM_TIMEOUT', message: '' },
      { kind: 'output', text: big, bytes: 70_000 },
    ]);
    // Copied out: overwriting the buffer changes nothing already read.
    bytes.fill(0x20);
    expect((back[0] as { text: string }).text).toBe('{"schema":"s","id":"é"}');
  });

  it('an unchanged output or a drop takes one byte', () => {
    expect(resultSizeBound({ kind: 'same' })).toBe(1);
    expect(resultSizeBound({ kind: 'drop' })).toBe(1);
  });

  it('reads an output that is not valid UTF-8 as TRANSFORM_OUTPUT_INVALID, and carries on', () => {
    const { back } = roundTrip([{ kind: 'output', bytes: Uint8Array.from([0x7b, 0xff, 0x7d]) }, { kind: 'same' }]);
    expect(back).toEqual([{ kind: 'error', code: 'TRANSFORM_OUTPUT_INVALID', message: 'output is not valid UTF-8 (3 bytes)' }, { kind: 'same' }]);
  });

  it('rejects a corrupt kind byte', () => {
    const sab = new SharedArrayBuffer(4);
    new Uint8Array(sab)[0] = 9;
    expect(() => readResults(new Uint8Array(sab), new DataView(sab), 0, 1)).toThrow('corrupt transform result buffer: kind 9 at byte 0');
  });
});

describe('packRecordsInto', () => {
  const text = (p: { data: Uint8Array; offsets: Uint32Array }, i: number) => new TextDecoder().decode(p.data.subarray(p.offsets[i], p.offsets[i + 1]));

  it('writes records as UTF-8 from byte 0, with offsets, starting at `from`', () => {
    const input = new SharedArrayBuffer(64, { maxByteLength: 1024 });
    const packed = packRecordsInto(input, ['skip', 'ab', '', 'é✓😀'], 1, 10);
    expect(packed.count).toBe(3);
    expect([...packed.offsets]).toEqual([0, 2, 2, 11]);
    expect(packed.data.buffer).toBe(input);
    expect(packed.data.length).toBe(11);
    expect([0, 1, 2].map((i) => text(packed, i))).toEqual(['ab', '', 'é✓😀']);
  });

  it('stops after `max` records', () => {
    const input = new SharedArrayBuffer(64, { maxByteLength: 64 });
    const packed = packRecordsInto(input, ['a', 'b', 'c'], 0, 2);
    expect(packed.count).toBe(2);
    expect([...packed.offsets]).toEqual([0, 1, 2]);
  });

  it('grows the buffer as needed, and reuses it from byte 0 next time', () => {
    const input = new SharedArrayBuffer(16, { maxByteLength: 1 << 20 });
    const records = Array.from({ length: 50 }, (_, i) => `{"id":"${i}","text":"${'ü'.repeat(i)}"}`);
    const packed = packRecordsInto(input, records, 0, 50);
    expect(packed.count).toBe(50);
    expect(input.byteLength).toBeGreaterThan(16);
    expect(records.map((_, i) => text(packed, i))).toEqual(records);
    const again = packRecordsInto(input, ['xyz'], 0, 1);
    expect(new TextDecoder().decode(again.data)).toBe('xyz');
  });

  it('stops before a record that no longer fits the buffer at its limit; 0 when the first alone does not', () => {
    const input = new SharedArrayBuffer(8, { maxByteLength: 10 });
    const packed = packRecordsInto(input, ['12345', '67890', 'abc'], 0, 3);
    expect(packed.count).toBe(2);
    expect([...packed.offsets]).toEqual([0, 5, 10]);
    expect(packRecordsInto(input, ['abc'], 0, 1).count).toBe(1);
    const none = packRecordsInto(input, ['x'.repeat(11)], 0, 1);
    expect(none.count).toBe(0);
    expect([...none.offsets]).toEqual([0]);
  });
});

describe('interpretOutput', () => {
  it('drops on no output, zero bytes, or an empty array', () => {
    expect(interpretOutput(null, 'x')).toEqual({ kind: 'drop' });
    expect(interpretOutput(new Uint8Array(0), 'x')).toEqual({ kind: 'drop' });
    expect(interpretOutput(enc(' [ ] '), 'x')).toEqual({ kind: 'drop' });
  });

  it("keeps the module's JSON text of a single record", () => {
    const text = '{"schema":"k8stream.event/v1",  "id":"a","n":1}';
    expect(interpretOutput(enc(text), 'x')).toEqual({
      kind: 'ok',
      fanout: false,
      outputs: [{ id: 'a', record: { schema: 'k8stream.event/v1', id: 'a', n: 1 }, json: text }],
    });
  });

  it('rejects invalid UTF-8 before parsing', () => {
    expect(interpretOutput(Uint8Array.from([0x7b, 0xff, 0x7d]), 'x')).toEqual({ kind: 'invalid', message: 'output is not valid UTF-8 (3 bytes)' });
  });
});

describe('interpretText', () => {
  it('applies the output rules to decoded text, naming the size in bytes', () => {
    expect(interpretText(' [ ] ', 5, 'x')).toEqual({ kind: 'drop' });
    expect(interpretText('{"schema":"s"', 13, 'x')).toEqual({ kind: 'invalid', message: 'output is not valid JSON (13 bytes)' });
    expect(interpretText('"é"', 4, 'x')).toEqual({ kind: 'invalid', message: 'output must be a JSON object or an array of objects, got a string' });
    expect(interpretText('{"schema":"s"}', 14, 'x')).toEqual({ kind: 'invalid', message: 'output a record needs an "id" string' });
    expect(interpretText('[{"schema":"s"},{"schema":"s","id":"k"}]', 40, 'in')).toEqual({
      kind: 'ok',
      fanout: true,
      outputs: [
        { id: 'in#0', record: { schema: 's', id: 'in#0' }, json: null },
        { id: 'k', record: { schema: 's', id: 'k' }, json: null },
      ],
    });
  });
});
