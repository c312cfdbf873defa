import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.js';
import { K8streamError } from '../errors.js';
import type { SinkDefinition, SinkInstance } from '../plugins/api.js';
import { silentLogger } from '../util/logger.js';
import type { ResolvedSink } from './resolve.js';
import { batchOptions, createInstance, queueBounds } from './sinks.js';

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

describe('createInstance', () => {
  const config = validateConfig({ sinks: [{ name: 'bus', use: 'file', config: { dir: './a' } }] });
  function resolved(instance: SinkInstance): ResolvedSink {
    const definition = { name: 'fake', apiVersion: '^1.0.0', create: async () => instance } as unknown as SinkDefinition<unknown>;
    return { path: 'sinks[0]', sink: config.sinks[0]!, definition, config: {}, packageName: 'fake', version: null };
  }

  it('closes an instance whose healthcheck failed, then reports the failure as SINK_UNHEALTHY naming the sink', async () => {
    const calls: string[] = [];
    const instance: SinkInstance = {
      send: async () => {},
      healthcheck: async () => {
        calls.push('healthcheck');
        throw new Error('no route to the server');
      },
      close: async () => {
        calls.push('close');
        throw new Error('closing failed too'); // not the error reported
      },
    };
    const err = await createInstance(resolved(instance), { config, dir: '.' }, silentLogger).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(K8streamError);
    expect(err).toMatchObject({ code: 'SINK_UNHEALTHY' });
    expect((err as Error).message).toContain('sinks[0] (bus)');
    expect((err as Error).message).toContain('no route to the server');
    expect(calls).toEqual(['healthcheck', 'close']);
  });

  it('returns a healthy instance open', async () => {
    const calls: string[] = [];
    const instance: SinkInstance = { send: async () => {}, healthcheck: async () => void calls.push('healthcheck'), close: async () => void calls.push('close') };
    expect(await createInstance(resolved(instance), { config, dir: '.' }, silentLogger)).toBe(instance);
    expect(calls).toEqual(['healthcheck']);
  });
});
