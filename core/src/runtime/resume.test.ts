import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.js';
import { LEASE_SAVE_INTERVAL_MS, minSaveIntervalMs } from './resume.js';

describe('minSaveIntervalMs', () => {
  it('saves on every acknowledgement into state.dir unless configured', () => {
    expect(minSaveIntervalMs(validateConfig({ state: { dir: './state' } }))).toBe(0);
    expect(minSaveIntervalMs(validateConfig({ state: { dir: './state', saveIntervalMs: '250ms' } }))).toBe(250);
  });

  it('spaces saves into the Lease by a second unless configured', () => {
    expect(LEASE_SAVE_INTERVAL_MS).toBe(1000);
    expect(minSaveIntervalMs(validateConfig({ leaderElection: { enabled: true } }))).toBe(LEASE_SAVE_INTERVAL_MS);
    expect(minSaveIntervalMs(validateConfig({ leaderElection: { enabled: true }, state: { saveIntervalMs: 0 } }))).toBe(0);
  });
});
