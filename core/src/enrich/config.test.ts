import { describe, expect, it } from 'vitest';
import { checkConfig, validateConfig } from '../config/validate.js';
import { ENRICH_DEFAULTS } from './enricher.js';

describe('enrich config keys', () => {
  it('defaults match the enricher defaults', () => {
    const { enrich } = validateConfig({});
    expect(enrich).toEqual({
      objects: true,
      owners: true,
      nodes: true,
      services: true,
      cacheTtlMs: ENRICH_DEFAULTS.cacheTtlMs,
      cacheMaxEntries: ENRICH_DEFAULTS.cacheMaxEntries,
      qps: ENRICH_DEFAULTS.qps,
      burst: ENRICH_DEFAULTS.burst,
      serviceChanges: false,
    });
  });

  it('reads durations and numbers', () => {
    const { enrich } = validateConfig({ enrich: { cacheTtlMs: '5m', cacheMaxEntries: 500, qps: 2.5, burst: 5, serviceChanges: true } });
    expect(enrich).toMatchObject({ cacheTtlMs: 300_000, cacheMaxEntries: 500, qps: 2.5, burst: 5, serviceChanges: true });
  });

  it('reports bad values with their paths', () => {
    expect(checkConfig({ enrich: { cacheTtlMs: 'soon', cacheMaxEntries: -1, qps: 0, burst: 1.5, serviceChanges: 'yes please' } }).map((i) => i.path)).toEqual([
      'enrich.cacheTtlMs',
      'enrich.cacheMaxEntries',
      'enrich.qps',
      'enrich.burst',
      'enrich.serviceChanges',
    ]);
  });
});
