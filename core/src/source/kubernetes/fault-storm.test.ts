/**
 * The fault-storm property (test/reliability/fault-storm.ts) against this folder's source and
 * the double's sources, short storms: 20 seeds, 5 at a time. Each seed must deliver or cover
 * (gap markers) every event version the server produced, exactly, and be watching again within
 * 5 s + the Retry-After in effect when the server became healthy. Long version (200 seeds,
 * recovery p50/p95/max): `npm run reliability` (fault-storm row).
 */
import { describe, it } from 'vitest';
import { createClusterSimulation, randomFaultSchedule, startApiServer } from '../../../../test/apiserver/src/index.js';
import { runStorm, STORM_PROFILES, stormViolations, type StormKit } from '../../../../test/reliability/fault-storm.ts';
import { silentLogger } from '../../util/logger.js';
import { createKubernetesSource } from './events-source.js';
import { clientFor, sourceConfig } from './harness.fixture.js';

const kit: StormKit = {
  startApiServer,
  createClusterSimulation,
  randomFaultSchedule,
  createSource(server, config) {
    // No engine tuning: the timings the runtime uses.
    const source = createKubernetesSource(sourceConfig(config), { client: clientFor(server), clusterName: 'storm' });
    return {
      stream: (signal) => source.stream({ signal, logger: silentLogger }),
      state: () => source.state(),
      counters: () => source.counters(),
      onChange: (listener) => source.onChange(listener),
    };
  },
};

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe.concurrent('fault storm (short)', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: every produced version delivered or covered by a gap marker; watching again within the recovery target`, async ({ expect }) => {
      const r = await runStorm(kit, seed, STORM_PROFILES.short);
      console.log(
        `fault storm seed ${seed}: ${r.faultsApplied}/${r.faultsScheduled} faults applied; produced ${r.produced} = delivered ${r.delivered} + covered ${r.covered} + lost ${r.lost}; ` +
          `${r.gapMarkers} gap markers; recovery ${r.recoveryMs ?? 'never'} ms (target ${r.targetMs} ms)${stormViolations(r).length > 0 ? `\n  applied: ${r.appliedLabels.join(', ')}` : ''}`,
      );
      expect(r.faultsApplied).toBeGreaterThan(0);
      expect(r.produced).toBeGreaterThan(0);
      expect({ delivered: r.delivered, covered: r.covered, lost: r.lost, duplicated: r.duplicated, unknown: r.unknown }).toEqual({
        delivered: r.produced - r.covered,
        covered: r.covered,
        lost: 0,
        duplicated: 0,
        unknown: 0,
      });
      expect(r.recoveryMs).not.toBeNull();
      expect(r.recoveryMs!).toBeLessThanOrEqual(r.targetMs);
    }, 60_000);
  }
});
