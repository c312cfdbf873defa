/**
 * The demo end to end up to routing: examples/demo/replay.k8streamrc loads, its replay source reads
 * events.json, every event maps to a record, and the `warnings` sink receives exactly the
 * Warning events while `archive` receives everything.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { toRecord } from '../record/map.js';
import { createReplaySource } from '../source/replay.js';
import { silentLogger } from '../util/logger.js';
import { createRouter } from './router.js';
import { createSourceFilter } from './match.js';

const configPath = fileURLToPath(new URL('../../../examples/demo/replay.k8streamrc', import.meta.url));

describe('demo config', () => {
  it('routes every event to the archive and only Warnings to the warnings sink', async () => {
    const { config, dir } = await loadConfig({ configPath, env: {} });
    expect(config.cluster).toBe('demo');
    expect(config.sinks.map((s) => [s.name, s.use, s.config])).toEqual([
      ['archive', 'file', { dir: '../../out' }],
      ['warnings', 'file', { dir: '../../out/warnings' }],
    ]);
    expect(config.source.replay).not.toBeNull();

    const source = createReplaySource({ ...config.source.replay!, dir });
    const keep = createSourceFilter(config.source);
    const route = createRouter(config.sinks);
    const perSink = [0, 0];
    let warnings = 0;
    let total = 0;
    for await (const chunk of source.stream({ signal: new AbortController().signal, logger: silentLogger })) {
      for (const item of chunk) {
        const rec = toRecord(item.object, { cluster: config.cluster, action: item.type });
        if (!keep(rec)) continue;
        total++;
        if (rec.type === 'Warning') warnings++;
        for (const i of route(rec)) perSink[i] = (perSink[i] ?? 0) + 1;
      }
    }
    expect(total).toBeGreaterThanOrEqual(300);
    expect(warnings).toBeGreaterThan(20);
    expect(perSink).toEqual([total, warnings]);
  });
});
