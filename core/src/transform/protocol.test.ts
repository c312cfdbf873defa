import { describe, expect, it } from 'vitest';
import { interpretOutput } from './output.js';
import { packRecords, readResults, resultSizeBound, writeResult } from './protocol.js';
import type { ItemResult } from './protocol.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('result encoding', () => {
  it('round-trips outputs, drops and errors through a shared buffer', () => {
    const results: ItemResult[] = [
      { kind: 'output', bytes: enc('{"schema":"s","id":"é"}') },
      { kind: 'drop' },
      { kind: 'error', code: 'TRANSFORM_ERROR', message: 'bad — ünïcode' },
      { kind: 'error', code: 'TRANSFORM_TIMEOUT', message: '' },
      { kind: 'output', bytes: new Uint8Array(70_000).fill(0x41) },
    ];
    const sab = new SharedArrayBuffer(results.reduce((n, r) => n + resultSizeBound(r), 0));
    const bytes = new Uint8Array(sab);
    const view = new DataView(sab);
    let at = 0;
    for (const r of results) at = writeResult(bytes, view, at, r);
    expect(at).toBeLessThanOrEqual(sab.byteLength);
    const back = readResults(bytes, view, 0, results.length);
    expect(back).toEqual(results);
    // Copies, not views of the shared buffer.
    expect((back[0] as { bytes: Uint8Array }).bytes.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('packs records with offsets', () => {
    const { data, offsets } = packRecords([enc('ab'), enc(''), enc('cde')]);
    expect(new TextDecoder().decode(data)).toBe('abcde');
    expect([...offsets]).toEqual([0, 2, 2, 5]);
  });
});

describe('interpretOutput', () => {
  it('drops on no output, zero bytes, or an empty array', () => {
    expect(interpretOutput(null, 'x')).toEqual({ kind: 'drop' });
    expect(interpretOutput(new Uint8Array(0), 'x')).toEqual({ kind: 'drop' });
    expect(interpretOutput(enc(' [ ] '), 'x')).toEqual({ kind: 'drop' });
  });

  it('keeps the module bytes of a single record', () => {
    const bytes = enc('{"schema":"k8stream.event/v1","id":"a","n":1}');
    expect(interpretOutput(bytes, 'x')).toEqual({
      kind: 'ok',
      fanout: false,
      outputs: [{ id: 'a', record: { schema: 'k8stream.event/v1', id: 'a', n: 1 }, json: bytes }],
    });
  });

  it('rejects invalid UTF-8 before parsing', () => {
    expect(interpretOutput(Uint8Array.from([0x7b, 0xff, 0x7d]), 'x')).toEqual({ kind: 'invalid', message: 'output is not valid UTF-8 (3 bytes)' });
  });
});
