// Builds dist/route-tag.wasm (when stale) and calls it through the Extism JS SDK.
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

async function routeTag(config: Record<string, unknown>): Promise<TransformHandle> {
  const h = await openTransform(wasm, config);
  open.push(h);
  return h;
}

function rec(namespace: string, labels: Record<string, string> = {}): ReturnType<typeof sampleRecord> {
  return sampleRecord({ namespace, enrichment: { ...sampleRecord().enrichment, labels } });
}

/** The labels after the transform; asserts the rest of the record is untouched. */
async function labelsAfter(h: TransformHandle, input: ReturnType<typeof sampleRecord>): Promise<Record<string, string>> {
  const out = await h.call(input);
  if (out.kind !== 'replace') throw new Error(`expected a replacement, got ${out.kind}`);
  const { enrichment, ...rest } = out.value as typeof input;
  const { enrichment: inEnrichment, ...inRest } = input;
  expect(rest).toEqual(inRest);
  expect({ ...enrichment, labels: {} }).toEqual({ ...inEnrichment, labels: {} });
  return enrichment.labels as Record<string, string>;
}

const NAMESPACES = {
  payments: { team: 'payments', owner: 'ana@example.com' },
  'shop-*': { team: 'shop' },
  '*-staging': { team: 'qa', env: 'staging' },
  'shop-legacy': { team: 'platform' },
};

describe('namespace mapping', () => {
  it('tags by exact namespace', async () => {
    const h = await routeTag({ namespaces: NAMESPACES });
    expect(await labelsAfter(h, rec('payments', { app: 'api' }))).toEqual({ app: 'api', team: 'payments', owner: 'ana@example.com' });
  });

  it('tags by glob, first glob in order wins, exact beats glob', async () => {
    const h = await routeTag({ namespaces: NAMESPACES });
    expect(await labelsAfter(h, rec('shop-frontend'))).toEqual({ team: 'shop' });
    expect(await labelsAfter(h, rec('shop-staging'))).toEqual({ team: 'shop' });
    expect(await labelsAfter(h, rec('search-staging'))).toEqual({ team: 'qa', env: 'staging' });
    expect(await labelsAfter(h, rec('shop-legacy'))).toEqual({ team: 'platform' });
  });

  it('passes unmatched events through unchanged, byte for byte', async () => {
    const h = await routeTag({ namespaces: NAMESPACES });
    const text = JSON.stringify(rec('kube-system'));
    expect(await h.callRaw(text)).toBe(text);
  });

  it('tags unmatched events with the default', async () => {
    const h = await routeTag({ namespaces: NAMESPACES, default: { team: 'unowned' } });
    expect(await labelsAfter(h, rec('kube-system', { app: 'dns' }))).toEqual({ app: 'dns', team: 'unowned' });
    expect(await labelsAfter(h, rec('payments'))).toEqual({ team: 'payments', owner: 'ana@example.com' });
  });
});

describe('label mapping', () => {
  const LABELS = {
    'app.kubernetes.io/part-of': { checkout: { team: 'checkout', owner: 'bo@example.com' }, 'search-*': { team: 'search' } },
    'team.example.com/cost-center': { '*': { billing: 'tracked' } },
  };

  it('tags by label value (exact and glob)', async () => {
    const h = await routeTag({ labels: LABELS });
    expect(await labelsAfter(h, rec('default', { 'app.kubernetes.io/part-of': 'checkout' }))).toEqual({
      'app.kubernetes.io/part-of': 'checkout',
      team: 'checkout',
      owner: 'bo@example.com',
    });
    expect(await labelsAfter(h, rec('default', { 'app.kubernetes.io/part-of': 'search-indexer', 'team.example.com/cost-center': 'cc-12' }))).toEqual({
      'app.kubernetes.io/part-of': 'search-indexer',
      'team.example.com/cost-center': 'cc-12',
      team: 'search',
      billing: 'tracked',
    });
  });

  it('label tags override namespace tags', async () => {
    const h = await routeTag({ namespaces: NAMESPACES, labels: LABELS });
    expect(await labelsAfter(h, rec('payments', { 'app.kubernetes.io/part-of': 'checkout' }))).toEqual({
      'app.kubernetes.io/part-of': 'checkout',
      team: 'checkout',
      owner: 'bo@example.com',
    });
  });

  it('ignores label values that match nothing', async () => {
    const h = await routeTag({ labels: LABELS });
    const text = JSON.stringify(rec('default', { 'app.kubernetes.io/part-of': 'other' }));
    expect(await h.callRaw(text)).toBe(text);
  });
});

describe('existing labels, prefix', () => {
  it('does not overwrite a label the object already has, unless asked', async () => {
    const input = rec('payments', { team: 'self-declared' });
    expect(await labelsAfter(await routeTag({ namespaces: NAMESPACES }), input)).toEqual({ team: 'self-declared', owner: 'ana@example.com' });
    expect(await labelsAfter(await routeTag({ namespaces: NAMESPACES, overwrite: true }), input)).toEqual({ team: 'payments', owner: 'ana@example.com' });
  });

  it('prefixes tag keys', async () => {
    const h = await routeTag({ namespaces: NAMESPACES, prefix: 'k8stream.io/' });
    expect(await labelsAfter(h, rec('payments', { team: 'self-declared' }))).toEqual({
      team: 'self-declared',
      'k8stream.io/team': 'payments',
      'k8stream.io/owner': 'ana@example.com',
    });
  });

  it('keeps non-ASCII tag values intact', async () => {
    const h = await routeTag({ namespaces: { payments: { owner: 'Zoë Ångström 🚀', note: 'line\nbreak "quoted"' } } });
    expect(await labelsAfter(h, rec('payments'))).toEqual({ owner: 'Zoë Ångström 🚀', note: 'line\nbreak "quoted"' });
  });
});

describe('bad config is an error on every call, never a drop', () => {
  it.each([
    [{}, 'invalid transform config: config "namespaces": set a "namespaces" and/or "labels" mapping'],
    [{ namespaces: ['payments'] }, 'invalid transform config: config "namespaces": expected an object of name → tags, got array'],
    [{ namespaces: { payments: { team: 7 } } }, 'invalid transform config: config "namespaces.payments.team": expected a string, got number'],
    [{ namespaces: { payments: 'team' } }, 'invalid transform config: config "namespaces.payments": expected an object of strings, got string'],
    [{ labels: { app: ['x'] } }, 'invalid transform config: config "labels.app": expected an object of name → tags, got array'],
    [
      { namespaces: '{', overwrite: 'sometimes' },
      'invalid transform config (2 problems): config "namespaces": invalid JSON: expected a string key at offset 1; config "overwrite": expected true or false',
    ],
  ])('%j', async (config, message) => {
    const h = await routeTag(config);
    await expect(h.callRaw(rec('payments'))).rejects.toThrow(`Plugin-originated error: ${message}`);
    await expect(h.callRaw(rec('payments'))).rejects.toThrow(message);
  });
});
