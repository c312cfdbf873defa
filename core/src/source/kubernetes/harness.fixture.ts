/**
 * Test support for the live source (used by this folder's tests, the soak and benchmarks):
 * a client for anything that renders a kubeconfig, fast engine timings, and collectors that
 * consume a list+watch or a source in the background and let a test await a condition
 * (re-checked on every delivery) instead of sleeping.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { SourceConfig } from '../../config/types.js';
import { silentLogger } from '../../util/logger.js';
import type { Source, SourceItem } from '../types.js';
import { createKubeClientFromKubeConfig } from '../../kube/client.js';
import type { KubeClient, KubeClientOptions } from '../../kube/client.js';
import type { ListWatch, ListWatchItem } from '../../kube/listwatch.js';
import type { ListWatchTuning } from './events-source.js';

/** Anything that renders a kubeconfig (the API-server double does). */
export interface KubeconfigProvider {
  kubeconfig(opts?: { token?: string }): string;
}

/** A client for `server`'s kubeconfig. */
export function clientFor(server: KubeconfigProvider, opts: KubeClientOptions & { token?: string } = {}): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig(opts.token !== undefined ? { token: opts.token } : {}));
  return createKubeClientFromKubeConfig(kc, opts);
}

/** A resolved `source` config with the defaults, for tests. */
export function sourceConfig(overrides: Partial<SourceConfig> = {}): SourceConfig {
  return {
    type: 'kubernetes',
    kubeconfig: null,
    context: null,
    api: 'core/v1',
    namespaces: [],
    excludeNamespaces: [],
    types: [],
    reasons: [],
    kinds: [],
    minCount: 0,
    labelSelector: null,
    maxEventAge: null,
    pageSize: 500,
    watchTimeoutSeconds: 300,
    sendInitialEvents: false,
    emitDeleted: false,
    replay: null,
    archive: null,
    ...overrides,
  };
}

/** Engine timings for tests: millisecond backoff, short deadlines. */
export const FAST: ListWatchTuning = {
  backoff: { initialMs: 2, maxMs: 20 },
  idleTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
};

/** Waits for a condition re-checked after every change. */
class Waiters {
  private waiters: { pred: () => boolean; resolve: () => void; reject: (e: unknown) => void }[] = [];
  failure: unknown = undefined;

  until(pred: () => boolean, what = 'condition'): Promise<void> {
    if (pred()) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ pred, resolve, reject: (e) => reject(new Error(`${what}: ${String(e)}`, { cause: e })) }));
  }

  changed(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred()) return true;
      w.resolve();
      return false;
    });
  }

  fail(err: unknown): void {
    this.failure = err;
    for (const w of this.waiters) w.reject(err);
    this.waiters = [];
  }
}

/** Consumes a list+watch in the background. */
export class ListWatchCollector {
  readonly items: ListWatchItem[] = [];
  done = false;
  error: unknown = undefined;
  private readonly w = new Waiters();
  readonly finished: Promise<void>;

  constructor(lw: ListWatch) {
    lw.onChange(() => this.w.changed());
    this.finished = (async () => {
      try {
        for await (const item of lw) {
          this.items.push(item);
          this.w.changed();
        }
      } catch (err) {
        this.error = err;
        this.w.fail(err);
      } finally {
        this.done = true;
        this.w.changed();
      }
    })();
  }

  /** Resolves once `pred` holds; re-checked on every item and every engine state/counter change. */
  until(pred: (items: readonly ListWatchItem[]) => boolean, what?: string): Promise<void> {
    return this.w.until(() => pred(this.items), what);
  }

  /** Items of one kind. */
  of<K extends ListWatchItem['kind']>(kind: K): Extract<ListWatchItem, { kind: K }>[] {
    return this.items.filter((i): i is Extract<ListWatchItem, { kind: K }> => i.kind === kind);
  }
}

/** Consumes a source in the background (optionally slowly, to exercise backpressure). */
export class SourceCollector {
  readonly items: SourceItem[] = [];
  /** Every chunk's resume position, with the number of items received up to and including it. */
  readonly positions: { key: string; rv: string; items: number }[] = [];
  /** The number of items received up to and including each chunk marked `synced`. */
  readonly synced: number[] = [];
  chunks = 0;
  done = false;
  error: unknown = undefined;
  private readonly w = new Waiters();
  readonly finished: Promise<void>;

  constructor(source: Source & { onChange?: (l: () => void) => () => void }, signal: AbortSignal, onChunk?: (chunk: readonly SourceItem[]) => Promise<void> | void) {
    source.onChange?.(() => this.w.changed());
    this.finished = (async () => {
      try {
        for await (const chunk of source.stream({ signal, logger: silentLogger })) {
          this.chunks++;
          for (const item of chunk) this.items.push(item);
          const p = chunk.position;
          if (p !== undefined) this.positions.push({ ...p, items: this.items.length });
          if (chunk.synced === true) this.synced.push(this.items.length);
          this.w.changed();
          if (onChunk) await onChunk(chunk);
        }
      } catch (err) {
        this.error = err;
        this.w.fail(err);
      } finally {
        this.done = true;
        this.w.changed();
      }
    })();
  }

  until(pred: (items: readonly SourceItem[]) => boolean, what?: string): Promise<void> {
    return this.w.until(() => pred(this.items), what);
  }

  /** `uid:resourceVersion` of every item, in order. */
  ids(): string[] {
    return this.items.map((i) => idOf(i.object));
  }
}

/** `uid:resourceVersion`, the record id. */
export function idOf(obj: Record<string, unknown>): string {
  const m = obj['metadata'] as { uid?: unknown; resourceVersion?: unknown } | undefined;
  return `${String(m?.uid)}:${String(m?.resourceVersion)}`;
}
