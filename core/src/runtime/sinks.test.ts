import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.js';
import { batchOptions, queueBounds } from './sinks.js';

const MiB = 1024 * 1024;

describe('queueBounds', () => {
  it("takes the memory budget's maxBytes only where the config leaves queue.maxBytes unset", () => {
    const config = validateConfig({
      sinks: [
        { use: 'file', config: { dir: './a' } },
        { use: 'file', config: { dir: './b' }, queue: { maxBytes: '64MiB' } },
        { use: 'file', config: { dir: './c' }, queue: { maxEvents: 1000 } },
      ],
    });
    const [unset, explicit, eventsOnly] = config.sinks.map((s) => queueBounds(s, 8 * MiB));
    expect(unset).toEqual({ maxEvents: 50_000, maxBytes: 8 * MiB });
    expect(explicit).toEqual({ maxEvents: 50_000, maxBytes: 64 * MiB });
    expect(eventsOnly).toEqual({ maxEvents: 1000, maxBytes: 8 * MiB });
  });
});

describe('batchOptions', () => {
  const sinks = validateConfig({
    sinks: [
      { use: 'file', config: { dir: './a' } },
      { use: 'file', config: { dir: './b' }, batch: { maxBytes: '8MiB' } },
      { use: 'file', config: { dir: './c' }, batch: { maxEvents: 500 } },
    ],
  }).sinks;

  it("keeps an unset byte bound to a quarter of the sink's queue, never below 256 KiB", () => {
    const [unset] = sinks;
    expect(batchOptions(undefined, unset!, { maxEvents: 50_000, maxBytes: 64 * MiB })).toEqual({ maxEvents: 10_000, maxBytes: 8 * MiB, maxAgeMs: 30_000 });
    expect(batchOptions(undefined, unset!, { maxEvents: 50_000, maxBytes: 8 * MiB })).toEqual({ maxEvents: 10_000, maxBytes: 2 * MiB, maxAgeMs: 30_000 });
    expect(batchOptions({ maxBytes: 1 * MiB, maxAgeMs: 5_000 }, unset!, { maxEvents: 50_000, maxBytes: 8 * MiB })).toEqual({
      maxEvents: 10_000,
      maxBytes: 1 * MiB,
      maxAgeMs: 5_000,
    });
    expect(batchOptions(undefined, unset!, { maxEvents: 50_000, maxBytes: 512 * 1024 }).maxBytes).toBe(256 * 1024);
  });

  it('leaves a byte bound the config sets alone', () => {
    const [, explicit, eventsOnly] = sinks;
    expect(batchOptions(undefined, explicit!, { maxEvents: 50_000, maxBytes: 8 * MiB }).maxBytes).toBe(8 * MiB);
    expect(batchOptions(undefined, eventsOnly!, { maxEvents: 50_000, maxBytes: 8 * MiB })).toEqual({ maxEvents: 500, maxBytes: 2 * MiB, maxAgeMs: 30_000 });
  });
});
