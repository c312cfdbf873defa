// The reliability suite, short versions: the real k8stream binary (core/dist, build first)
// between the API-server double and an HTTP receiver, under sink outages, sink faults, kill -9,
// watch faults, compaction while down, leader handover and an unusable disk buffer. Counts are
// taken on the receiving side, by record id. Long versions: node test/reliability/run.mjs.
// Of the 128 MiB cgroup variants only kill -9 at-least-once runs here (it fails, naming what is
// missing, where cgroups are not writable); run.mjs runs all of them.
import { describe, expect, it } from 'vitest';
import { SCENARIOS, violations } from './scenarios.ts';
import type { Result, Scenario } from './scenarios.ts';

/**
 * Asserts the scenario's guarantees exactly on the receiver's counts against the producer's
 * truth (see countDelivery in scenarios.ts): delivery settled; nothing the producer never made;
 * no loss (at-least-once and fault scenarios) or a loss within one batch per kill
 * (at-most-once); no duplicate where none is allowed, and then every produced version is
 * exactly one record of the receiver (besides gap markers).
 */
function expectGuarantees(s: Scenario, r: Result): void {
  expect(r.unsettled).toBeUndefined();
  expect(r.unknown).toBe(0);
  if (s.noLoss) expect(r.lost).toBe(0);
  if (r.lossBound !== undefined) {
    expect(r.lost).toBeLessThanOrEqual(r.lossBound.ids);
    expect(r.lostBatches).toBeLessThanOrEqual(r.lossBound.kills);
    expect(r.delivered).toBeGreaterThanOrEqual(r.produced - r.lossBound.ids);
  }
  if (s.noDuplicates) {
    expect(r.duplicated).toBe(0);
    expect(r.received).toBe(r.delivered + (r.markers ?? 0));
  }
  expect(violations(s, r)).toEqual([]);
}

const TIMEOUT_MS = 45_000;

/** The memory-limited variants `npm test` runs (the others only in run.mjs, to keep it fast). */
const SHORT_LIMITED = new Set(['kill-9:at-least-once@128Mi']);

/** Run elsewhere: the fault storms' short version is core/src/source/kubernetes/fault-storm.test.ts, on the sources. */
const ELSEWHERE = new Set(['fault-storm']);

for (const s of SCENARIOS.filter((x) => !ELSEWHERE.has(x.name) && (x.memoryMiB === undefined || SHORT_LIMITED.has(`${x.name}:${x.mode}`)))) {
  describe(`${s.name} (${s.mode})`, () => {
    it(
      // eslint-disable-next-line vitest/valid-title -- the title is a string either way
      s.name === 'unwritable-buffer'
        ? 'exits fast and non-zero with an error naming the sink and the dir'
        : `${s.noLoss ? 'loses nothing' : 'loses at most one batch per kill'}${s.noDuplicates ? ', duplicates nothing' : ', may duplicate'}`,
      async () => {
        const r = await s.run('short');
        console.log(JSON.stringify(r));
        if (s.name !== 'unwritable-buffer') expect(r.produced).toBeGreaterThan(0);
        expectGuarantees(s, r);
        if (s.memoryMiB !== undefined) expect(r.oomKills).toBe(0);
      },
      TIMEOUT_MS,
    );
  });
}
