// The typed record and the output helpers (assembly/record.ts, assembly/plugin.ts), compiled to
// wasm and called through Extism.
import { afterEach, describe, expect, it } from 'vitest';
import { sampleRecord } from '../testing.js';
import type { TransformHandle } from '../testing.js';
import { openHarness } from './harness.fixture.js';

const open: TransformHandle[] = [];
async function harness(fn: string): Promise<TransformHandle> {
  const h = await openHarness(fn);
  open.push(h);
  return h;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

/** Strings that broke JSON encoders we tried (json-as SWAR mode, assemblyscript-json). */
const TRICKY = [
  'line one\nline two\r\n\ttabbed',
  'quotes "double" and \'single\' and back\\slash /slash',
  'control \u0000\u0001\u0002\u0007\b\f\u000b\u001f\u007f end',
  'unicode Größe ✓ — ünïcödé 中文 العربية',
  'emoji 🚀🔥 and a flag 🇪🇺 and ZWJ 👩‍💻',
  'x\u2028\u0001😀 (emoji after escapes)',
  'hi\nthere é 😀 \u0001 "q"',
  '😀😀😀\n😀"😀\\😀\u0001😀',
  '',
];

describe('EventRecord JSON round trip', () => {
  it('re-encodes a record byte for byte, whatever its strings contain', async () => {
    const h = await harness('roundtrip');
    for (const s of TRICKY) {
      const rec = sampleRecord({
        message: s,
        reason: s.slice(0, 8),
        enrichment: {
          ...sampleRecord().enrichment,
          labels: { [`k${s.slice(0, 3)}`]: s, app: 'web' },
          annotations: { note: s },
          errors: [{ lookup: 'node', message: s }],
        },
      });
      expect(await h.callRaw(rec)).toBe(JSON.stringify(rec));
    }
  });

  it('round-trips every optional shape: nulls, empty maps and lists, big counts', async () => {
    const h = await harness('roundtrip');
    const sparse = sampleRecord({
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: '2026-01-02T03:04:05.123Z',
      count: 9007199254740991,
      namespace: '',
      enrichment: {
        labels: {},
        annotations: {},
        owners: [],
        workload: null,
        node: null,
        pod: null,
        services: [],
        errors: [],
      },
    });
    expect(await h.callRaw(sparse)).toBe(JSON.stringify(sparse));
    const eventsApi = sampleRecord({
      apiVersion: 'events.k8s.io/v1beta1',
      eventAction: 'Scheduling',
      related: { kind: 'PersistentVolumeClaim', name: 'data-0 ✓', namespace: 'shop', uid: 'c1', apiVersion: 'v1', fieldPath: '' },
      series: { count: 9007199254740991, lastObservedTime: '2026-01-02T03:09:05.999Z' },
    });
    expect(await h.callRaw(eventsApi)).toBe(JSON.stringify(eventsApi));
    const seriesWithoutTime = sampleRecord({ series: { count: 0, lastObservedTime: null } });
    expect(await h.callRaw(seriesWithoutTime)).toBe(JSON.stringify(seriesWithoutTime));
    const podStartNull = sampleRecord();
    podStartNull.enrichment.pod.startTime = null;
    podStartNull.enrichment.node.addresses.push({ type: 'Hostname', address: 'node-2' });
    expect(await h.callRaw(podStartNull)).toBe(JSON.stringify(podStartNull));
  });

  it('fuzzes strings over the characters that matter', async () => {
    const h = await harness('roundtrip');
    const alphabet = ['a', 'é', '中', '😀', '\n', '\u0001', '"', '\\', '\u2028', '\u007f', ' ', '/', '\t'];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let i = 0; i < 300; i++) {
      let s = '';
      const n = rnd(40);
      for (let k = 0; k < n; k++) s += alphabet[rnd(alphabet.length)];
      const rec = sampleRecord({ message: s });
      expect(await h.callRaw(rec)).toBe(JSON.stringify(rec));
    }
  });

  it('accepts input with unknown fields and whitespace (dropped on replace)', async () => {
    const h = await harness('roundtrip');
    const rec = sampleRecord();
    const withExtra = { extra: { nested: [1, 2, { x: 'y' }] }, ...rec, later: 'field' };
    expect(await h.callRaw(JSON.stringify(withExtra, null, 2))).toBe(JSON.stringify(rec));
  });

  it('exposes accessors: time(), label(), annotation()', async () => {
    const h = await harness('accessors');
    expect(JSON.parse(await h.callRaw(sampleRecord()))).toEqual({
      time: '2026-01-02T03:09:05.000Z',
      app: 'web',
      missing: null,
      annotation: '2026-01-01T00:00:00Z',
    });
    const noLast = sampleRecord({ lastTimestamp: null, eventTime: '2026-01-02T00:00:00.000Z' });
    expect(JSON.parse(await h.callRaw(noLast)).time).toBe('2026-01-02T00:00:00.000Z');
    const none = sampleRecord({ lastTimestamp: null, eventTime: null, firstTimestamp: null });
    expect(JSON.parse(await h.callRaw(none)).time).toBe(null);
  });

  it('builds a record from defaults', async () => {
    const h = await harness('fresh');
    expect(JSON.parse(await h.callRaw(sampleRecord()))).toEqual({
      schema: 'k8stream.event/v1',
      id: 'u:1',
      cluster: '',
      uid: '',
      resourceVersion: '',
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: null,
      count: 1,
      type: '',
      reason: '',
      message: 'made in wasm',
      action: '',
      namespace: '',
      involvedObject: { kind: '', name: '', namespace: '', uid: '', apiVersion: '', fieldPath: '' },
      source: { component: '', host: '' },
      reportingController: '',
      reportingInstance: '',
      apiVersion: '',
      eventAction: '',
      related: null,
      series: null,
      enrichment: { labels: {}, annotations: {}, owners: [], workload: null, node: null, pod: null, services: [], errors: [] },
    });
  });
});

describe('outputs', () => {
  it('fanOut emits a JSON array of records', async () => {
    const h = await harness('fanout');
    const rec = sampleRecord({ message: 'm 😀\n' });
    const out = await h.call(rec);
    const copy = structuredClone(rec);
    copy.id = `${rec.id}#2`;
    copy.message = `copy: ${rec.message}`;
    copy.enrichment.labels.copy = 'yes';
    expect(out).toEqual({ kind: 'fanOut', values: [rec, copy], text: JSON.stringify([rec, copy]) });
  });

  it('fanOut of nothing is a drop', async () => {
    const h = await harness('fanout_none');
    expect(await h.call(sampleRecord())).toEqual({ kind: 'drop', text: '' });
  });

  it('keep passes the input through byte for byte, unknown fields and formatting included', async () => {
    const h = await harness('passthrough');
    const text = JSON.stringify({ ...sampleRecord({ message: 'é 😀 \u0001' }), future: { x: 1 } }, null, 1);
    expect(await h.callRaw(text)).toBe(text);
    const other = JSON.stringify(sampleRecord({ id: 'second:1' }));
    expect(await h.callRaw(other)).toBe(other);
  });

  it('keep reads the input itself when the transform did not', async () => {
    const h = await harness('keep_unread');
    const a = JSON.stringify(sampleRecord({ id: 'a:1' }));
    const b = JSON.stringify(sampleRecord({ id: 'b:2' }));
    expect(await h.callRaw(a)).toBe(a);
    expect(await h.callRaw(b)).toBe(b);
  });

  it('drop is a success with empty output', async () => {
    const h = await harness('drop_all');
    expect(await h.call(sampleRecord())).toEqual({ kind: 'drop', text: '' });
  });

  it('fail reports through the Extism error channel, non-ASCII intact', async () => {
    const h = await harness('fail_always');
    await expect(h.callRaw(sampleRecord())).rejects.toThrow('Plugin-originated error: custom failure: ünïcode ✓ 🚀');
  });

  it('input that is not a record fails the call (never a drop)', async () => {
    const h = await harness('roundtrip');
    await expect(h.callRaw('garbage')).rejects.toThrow();
    await expect(h.callRaw('[1,2]')).rejects.toThrow();
    await expect(h.callRaw(sampleRecord({ schema: 'k8stream.event/v2' }))).rejects.toThrow();
    // the instance stays usable
    const rec = sampleRecord();
    expect(await h.callRaw(rec)).toBe(JSON.stringify(rec));
  });

  it('a throw inside the transform traps the call through the kit abort', async () => {
    const h = await harness('throws');
    await expect(h.callRaw(sampleRecord())).rejects.toThrow('unreachable');
  });

  it('serves thousands of calls on one instance', async () => {
    const h = await harness('roundtrip');
    const rec = sampleRecord();
    const want = JSON.stringify(rec);
    for (let i = 0; i < 3000; i++) {
      const out = await h.callRaw(rec);
      if (out !== want) expect(out).toBe(want);
    }
  });
});
