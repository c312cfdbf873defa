import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.js';
import { queueBounds } from './sinks.js';

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
