// Builds dist/filter.wasm (when stale) and calls it through the Extism JS SDK.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, openTransform, sampleRecord } from '@k8stream/transform-kit/testing';
import type { TransformHandle } from '@k8stream/transform-kit/testing';

const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let wasm: string;
const open: TransformHandle[] = [];

beforeAll(async () => {
  wasm = await ensureBuilt(PKG);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

async function filter(config: Record<string, unknown>): Promise<TransformHandle> {
  const h = await openTransform(wasm, config);
  open.push(h);
  return h;
}

type Rec = ReturnType<typeof sampleRecord>;

/** The records of `recs` the filter keeps (by id); asserts kept ones come back byte for byte. */
async function kept(h: TransformHandle, recs: Rec[]): Promise<string[]> {
  const ids: string[] = [];
  for (const rec of recs) {
    const text = JSON.stringify(rec);
    const out = await h.callRaw(text);
    if (out === '') continue;
    expect(out).toBe(text);
    ids.push(rec.id as string);
  }
  return ids;
}

function withLabels(id: string, labels: Record<string, string>, more: Record<string, unknown> = {}): Rec {
  const base = sampleRecord();
  return sampleRecord({ id, ...more, enrichment: { ...base.enrichment, labels } });
}

const SYSTEM = sampleRecord({
  id: 'system',
  namespace: 'kube-system',
  reason: 'Pulled',
  type: 'Normal',
  message: 'Container image "registry.k8s.io/pause:3.9" already present on machine',
});
const SHOP_WARN = sampleRecord({ id: 'shop-warn', namespace: 'shop', reason: 'BackOff', type: 'Warning' });
const SHOP_NORMAL = sampleRecord({ id: 'shop-normal', namespace: 'shop', reason: 'Scheduled', type: 'Normal', message: 'Successfully assigned shop/web-1 to node-2' });
const PUBLIC = sampleRecord({ id: 'public', namespace: 'kube-public', reason: 'Pulling', type: 'Normal', message: 'Pulling image "busybox"' });
const NODE = sampleRecord({
  id: 'node',
  namespace: 'default',
  reason: 'NodeNotReady',
  type: 'Warning',
  message: 'Node node-2 status is now: NodeNotReady',
  involvedObject: { kind: 'Node', name: 'node-2', namespace: '', uid: 'n2', apiVersion: 'v1', fieldPath: '' },
  source: { component: 'node-controller', host: '' },
});
const ALL = [SYSTEM, SHOP_WARN, SHOP_NORMAL, PUBLIC, NODE];

describe('drop rules', () => {
  it('by namespace (exact and glob)', async () => {
    expect(await kept(await filter({ drop: { namespaces: ['kube-system'] } }), ALL)).toEqual(['shop-warn', 'shop-normal', 'public', 'node']);
    expect(await kept(await filter({ drop: { namespaces: ['kube-*'] } }), ALL)).toEqual(['shop-warn', 'shop-normal', 'node']);
  });

  it('by reason', async () => {
    expect(await kept(await filter({ drop: { reasons: ['Pulled', 'Pulling', 'Scheduled'] } }), ALL)).toEqual(['shop-warn', 'node']);
  });

  it('by type', async () => {
    expect(await kept(await filter({ drop: { types: ['Normal'] } }), ALL)).toEqual(['shop-warn', 'node']);
  });

  it('by message regex', async () => {
    expect(await kept(await filter({ drop: { message: '(?i)^successfully assigned' } }), ALL)).toEqual(['system', 'shop-warn', 'public', 'node']);
    expect(await kept(await filter({ drop: { message: 'NodeNotReady|Back-off' } }), ALL)).toEqual(['system', 'shop-normal', 'public']);
  });

  it('by involved object kind, name and reporting component', async () => {
    expect(await kept(await filter({ drop: { kinds: ['Node'] } }), ALL)).toEqual(['system', 'shop-warn', 'shop-normal', 'public']);
    expect(await kept(await filter({ drop: { names: ['node-*'] } }), ALL)).toEqual(['system', 'shop-warn', 'shop-normal', 'public']);
    expect(await kept(await filter({ drop: { components: ['node-controller'] } }), ALL)).toEqual(['system', 'shop-warn', 'shop-normal', 'public']);
  });

  it('by label (value glob, "*" = present)', async () => {
    const recs = [
      withLabels('noisy', { app: 'noisy-batch', tier: 'jobs' }),
      withLabels('quiet', { app: 'web', tier: 'jobs' }),
      withLabels('untiered', { app: 'noisy-cron' }),
      withLabels('none', {}),
    ];
    expect(await kept(await filter({ drop: { labels: { app: 'noisy-*' } } }), recs)).toEqual(['quiet', 'none']);
    expect(await kept(await filter({ drop: { labels: { app: 'noisy-*', tier: '*' } } }), recs)).toEqual(['quiet', 'untiered', 'none']);
  });

  it('ANDs the criteria of one rule and ORs a list of rules', async () => {
    const and = await filter({ drop: { namespaces: ['shop'], types: ['Normal'] } });
    expect(await kept(and, ALL)).toEqual(['system', 'shop-warn', 'public', 'node']);
    const or = await filter({ drop: [{ namespaces: ['shop'] }, { types: ['Normal'] }] });
    expect(await kept(or, ALL)).toEqual(['node']);
  });
});

describe('keep rules', () => {
  it('keep only what matches a keep rule', async () => {
    expect(await kept(await filter({ keep: { types: ['Warning'] } }), ALL)).toEqual(['shop-warn', 'node']);
    expect(await kept(await filter({ keep: [{ namespaces: ['shop'] }, { kinds: ['Node'] }] }), ALL)).toEqual(['shop-warn', 'shop-normal', 'node']);
  });

  it('drop wins over keep', async () => {
    const h = await filter({ keep: { types: ['Warning'] }, drop: { reasons: ['NodeNotReady'] } });
    expect(await kept(h, ALL)).toEqual(['shop-warn']);
  });

  it('keeps unknown fields and formatting of kept events', async () => {
    const h = await filter({ drop: { namespaces: ['kube-system'] } });
    const text = JSON.stringify({ ...SHOP_WARN, extra: { a: [1, 'é 😀'] } }, null, 2);
    expect(await h.callRaw(text)).toBe(text);
  });

  it('a drop is an empty output, not an error', async () => {
    const h = await filter({ drop: { namespaces: ['kube-system'] } });
    expect(await h.call(SYSTEM)).toEqual({ kind: 'drop', text: '' });
  });
});

describe('bad config is an error on every call, never a drop', () => {
  it.each([
    [{ drop: { message: '[unclosed' } }, 'invalid transform config: config "drop.message": invalid regex /[unclosed/: missing \']\' at offset 0'],
    [
      { drop: { namespace: ['x'] } },
      'invalid transform config: config "drop.namespace": unknown criterion (known: namespaces, reasons, types, kinds, names, components, message, labels)',
    ],
    [{ keep: [{ types: 'Warning' }, 'x'] }, 'invalid transform config: config "keep[1]": expected a rule object, got string'],
    [{ drop: { reasons: [1] } }, 'invalid transform config: config "drop.reasons[0]": expected a string, got number'],
    [{ drop: { labels: ['app'] } }, 'invalid transform config: config "drop.labels": expected an object of label globs, got array'],
    [{ drop: '{not json' }, 'invalid transform config: config "drop": invalid JSON: expected a string key at offset 1'],
    [{}, 'invalid transform config: config "keep": set "keep" and/or "drop" rules (with neither, the filter would pass everything)'],
  ])('%j', async (config, message) => {
    const h = await filter(config);
    await expect(h.callRaw(SHOP_WARN)).rejects.toThrow(`Plugin-originated error: ${message}`);
    await expect(h.callRaw(SYSTEM)).rejects.toThrow(message);
  });
});
