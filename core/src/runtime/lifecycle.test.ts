/**
 * The lifecycle: start in order, stop in reverse (groups concurrently), one cleanup path when a
 * start fails, the skip-flush flag, and the runtime's actual component list.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.js';
import type { K8streamrc } from '../config/definition.js';
import type { SinkConfig } from '../config/types.js';
import { silentLogger } from '../util/logger.js';
import { runComponents } from '../runtime.js';
import { Lifecycle, remainingMs } from './lifecycle.js';
import type { Component, StopContext } from './lifecycle.js';
import type { Resolution, ResolvedSink } from './resolve.js';

/** A component that records its start and stop in `log`. */
function recorder(log: string[], name: string, behaviour: { group?: string; start?: () => Promise<boolean | void>; stop?: (c: StopContext) => Promise<void> } = {}): Component {
  return {
    name,
    ...(behaviour.group !== undefined ? { group: behaviour.group } : {}),
    async start() {
      log.push(`start ${name}`);
      return behaviour.start?.();
    },
    async stop(context) {
      log.push(`stop ${name}`);
      await behaviour.stop?.(context);
    },
  };
}

describe('Lifecycle', () => {
  it('starts in registration order and stops in reverse', async () => {
    const log: string[] = [];
    const life = new Lifecycle(silentLogger);
    for (const name of ['a', 'b', 'c']) life.register(recorder(log, name));
    expect(life.names()).toEqual(['a', 'b', 'c']);
    expect(await life.start()).toBe(true);
    await life.stop(1000);
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    await life.stop(1000);
    expect(log).toHaveLength(6); // each component stops once
  });

  it('when a start fails, stops the components already started, in reverse, and rethrows', async () => {
    const log: string[] = [];
    const contexts: StopContext[] = [];
    const boom = new Error('cannot open');
    const life = new Lifecycle(silentLogger)
      .register(recorder(log, 'a', { stop: async (c) => void contexts.push(c) }))
      .register(recorder(log, 'b'))
      .register(recorder(log, 'c', { start: () => Promise.reject(boom) }))
      .register(recorder(log, 'd'));
    await expect(life.start()).rejects.toBe(boom);
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop b', 'stop a']);
    expect(remainingMs(contexts[0]!)).toBe(0); // nothing is flushed on a failed start
  });

  it('a start that fails because the run was stopped meanwhile (SIGTERM while starting) ends the run like a stop', async () => {
    const log: string[] = [];
    const stop = new AbortController();
    const aborted = new Error('This operation was aborted');
    const life = new Lifecycle(silentLogger)
      .register(recorder(log, 'leadership'))
      .register(
        recorder(log, 'resume', {
          start: () => {
            stop.abort();
            return Promise.reject(aborted);
          },
        }),
      )
      .register(recorder(log, 'sink'));
    expect(await life.start(stop.signal)).toBe(false);
    expect(log).toEqual(['start leadership', 'start resume', 'stop leadership']);
    // The same failure without the signal aborted is a failed start.
    const other = new Lifecycle(silentLogger).register(recorder([], 'resume', { start: () => Promise.reject(aborted) }));
    await expect(other.start(new AbortController().signal)).rejects.toBe(aborted);
  });

  it('a start resolving false ends the run there: later components do not start', async () => {
    const log: string[] = [];
    const life = new Lifecycle(silentLogger)
      .register(recorder(log, 'ops'))
      .register(recorder(log, 'leadership', { start: async () => false }))
      .register(recorder(log, 'sink'));
    expect(await life.start()).toBe(false);
    await life.stop(0);
    expect(log).toEqual(['start ops', 'start leadership', 'stop leadership', 'stop ops']);
  });

  it('stops the members of a group concurrently, between their neighbours', async () => {
    const log: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const life = new Lifecycle(silentLogger)
      .register(recorder(log, 'dead letter'))
      .register(recorder(log, 'sink:a', { group: 'sinks', stop: () => held }))
      .register(recorder(log, 'sink:b', { group: 'sinks', stop: async () => release() }))
      .register(recorder(log, 'source'));
    await life.start();
    await life.stop(1000); // sink:a waits for sink:b's stop: it would hang if they ran one after the other
    expect(log.slice(4)).toEqual(['stop source', 'stop sink:a', 'stop sink:b', 'stop dead letter']);
  });

  it('gives every stop the grace deadline; after skipFlush() the deadline is now and the flag is set', async () => {
    const seen: { remaining: number; skip: boolean }[] = [];
    const see = async (c: StopContext) => void seen.push({ remaining: remainingMs(c), skip: c.skipFlush });
    const life = new Lifecycle(silentLogger).register(recorder([], 'a', { stop: see }));
    await life.start();
    await life.stop(60_000);
    expect(seen[0]!.skip).toBe(false);
    expect(seen[0]!.remaining).toBeGreaterThan(50_000);

    const lost = new Lifecycle(silentLogger).register(recorder([], 'a', { stop: see }));
    await lost.start();
    lost.skipFlush();
    expect(lost.flushSkipped).toBe(true);
    await lost.stop(60_000);
    expect(seen[1]).toEqual({ remaining: 0, skip: true });
  });

  it('a skipFlush() during the stop reaches the components that stop after it', async () => {
    const seen: Record<string, boolean> = {};
    const life = new Lifecycle(silentLogger);
    life
      .register(recorder([], 'leadership', { stop: async (c) => void (seen['leadership'] = c.skipFlush) }))
      .register(recorder([], 'sink', { stop: async (c) => void ((seen['sink'] = c.skipFlush), life.skipFlush()) }));
    await life.start();
    await life.stop(1000);
    expect(seen).toEqual({ sink: false, leadership: true });
  });

  it('a stop that throws is logged and the others still stop', async () => {
    const log: string[] = [];
    const errors: string[] = [];
    const logger = { ...silentLogger, error: (msg: string) => void errors.push(msg), child: () => logger };
    const life = new Lifecycle(logger).register(recorder(log, 'a')).register(recorder(log, 'b', { stop: () => Promise.reject(new Error('stuck')) }));
    await life.start();
    await life.stop(0);
    expect(log).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    expect(errors).toEqual(['could not stop a component cleanly']);
  });
});

describe('the runtime component list', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'http://127.0.0.1:9' } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`;

  async function components(rc: Partial<K8streamrc>) {
    dir = await mkdtemp(path.join(tmpdir(), 'k8stream-lifecycle-'));
    await writeFile(path.join(dir, 'kubeconfig'), KUBECONFIG);
    const config = validateConfig({
      cluster: 'order',
      sinks: [
        { name: 'a', use: './a.mjs', config: {} },
        { name: 'b', use: './b.mjs', config: {} },
      ],
      deadLetter: { config: { dir: './dl' } },
      ...rc,
    });
    const resolved = (p: string, sink: SinkConfig): ResolvedSink => ({
      path: p,
      sink,
      definition: { name: 'x', apiVersion: '^1.0.0', validate: (r) => r, create: () => ({ send: async () => {} }) },
      config: {},
      packageName: 'x',
      version: null,
    });
    const resolution: Resolution = {
      sinks: config.sinks.map((s, i) => resolved(`sinks[${i}]`, s)),
      deadLetter: resolved('deadLetter', { ...config.sinks[0]!, name: 'deadletter' }),
      errors: [],
    };
    return runComponents({ config, dir, filepath: path.join(dir, '.k8streamrc') }, resolution, { logger: silentLogger, signal: new AbortController().signal });
  }

  it('is ops, leadership, resume point, dead letter, the sinks, the transform stage, the source (stopped in reverse)', async () => {
    const parts = await components({
      source: { kubeconfig: './kubeconfig' },
      leaderElection: { enabled: true, namespace: 'ops', identity: 'pod-a' },
    });
    expect(parts.lifecycle.names()).toEqual(['ops', 'leadership', 'resume', 'dead letter', 'sink:a', 'sink:b', 'transforms', 'source']);
    expect(parts.sinks.map((s) => s.group)).toEqual(['sinks', 'sinks']);
    expect(parts.deadLetter.group).toBeUndefined();
  });

  it('has no leadership and no resume point for a replay source', async () => {
    const parts = await components({ source: { type: 'replay', replay: { file: './events.ndjson' } } });
    expect(parts.lifecycle.names()).toEqual(['ops', 'dead letter', 'sink:a', 'sink:b', 'transforms', 'source']);
  });
});
