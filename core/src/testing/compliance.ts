/**
 * The sink compliance suite: one set of behaviour tests every sink runs, first-party or not.
 * It registers vitest `describe`/`it` blocks, so call it at the top level of a test file:
 *
 * ```ts
 * import { sinkComplianceSuite } from '@k8stream/core/testing';
 * import sink from '../src/index.js';
 * sinkComplianceSuite({
 *   plugin: sink,
 *   validConfig: { dir: 'out' },
 *   invalidConfigs: [{ config: {}, path: 'dir' }],
 *   readBack: async (batch, env) => readEverything(env.configDir),
 * });
 * ```
 */
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import semver from 'semver';
import { PLUGIN_API_VERSION } from '../plugins/api.js';
import type { Batch, EncodingOptions, SinkContext, SinkDefinition, SinkInstance } from '../plugins/api.js';
import { ALL_ENCODINGS, makeTestBatch, testSendContext, testSinkContext } from './batch.js';
import { classifySinkError } from './classify.js';
import type { SinkErrorClass } from './classify.js';
import { sampleRecords } from './records.js';

/** A config `validate` must reject, and where the problem must be reported. */
export interface InvalidConfigCase {
  /** The raw `config` object, as a user would write it. */
  config: unknown;
  /** Path of an issue the rejection must carry, relative to the sink's config: `dir`, `retry.max`, `''` (or `(root)`) for the root. */
  path: string;
  /** The issue's message must contain this string or match this pattern. */
  message?: string | RegExp;
}

/** What every hook and callback of the suite receives. */
export type ComplianceEnv<E> = E & {
  /** A fresh temporary directory per test, used as the sink's `configDir`; removed afterwards. */
  configDir: string;
};

/** A way to make `send` fail, and how the failure must be classified. */
export interface FailureCase<E> {
  /** Test title: `a file blocks the partition directory`. */
  name: string;
  /** Config for this case (default: `validConfig`). */
  config?: unknown;
  /** Runs after `create`, before `send`: break the destination here. */
  arrange?: (env: ComplianceEnv<E>, sink: SinkInstance) => void | Promise<void>;
  /** The class the dispatcher must see. */
  expect: SinkErrorClass;
}

export interface SinkComplianceOptions<C, E extends object> {
  /** The sink definition (the package's default export). */
  plugin: SinkDefinition<C>;
  /** Title of the `describe` block. @default `sink compliance: <plugin.name>` */
  name?: string;
  /** A config that `validate` accepts and `create` can use in the test environment. Relative paths resolve against `env.configDir`. */
  validConfig: unknown;
  /** Configs `validate` must reject, each with the path of an issue it must report. */
  invalidConfigs: readonly InvalidConfigCase[];
  /** Runs before each test with a fresh `configDir` (start a test server, reset a capture...). */
  setup?: (env: { configDir: string }) => E | Promise<E>;
  /** Runs after each test (after the sink was closed). */
  teardown?: (env: ComplianceEnv<E>) => void | Promise<void>;
  /**
   * Every record the destination now holds (all batches, duplicates included), decoded. Without it
   * the suite checks only that sends resolve.
   */
  readBack?: (batch: Batch<unknown>, env: ComplianceEnv<E>) => Promise<readonly unknown[]>;
  /** Ways to make `send` fail, with the classification each must get. */
  failures?: readonly FailureCase<E>[];
  /** Extra `SinkContext` fields (the suite sets `configDir`). */
  context?: Partial<Omit<SinkContext, 'configDir'>>;
  /** Records in the "large batch" test. @default 2000 */
  largeBatchRecords?: number;
  /**
   * Whether a batch redelivered to a new instance (after a restart) must not be duplicated.
   * Only a destination that cannot be read back (stdout) may set false. @default true
   */
  idempotentAcrossRestarts?: boolean;
}

/** The config root may be written `''`, `(root)` or `$`. */
function samePath(a: string, b: string): boolean {
  const root = (p: string) => (p === '(root)' || p === '$' ? '' : p);
  return root(a) === root(b);
}

function hasIssueAt(err: unknown, want: InvalidConfigCase): { ok: boolean; paths: string[] } {
  const issues = (err as { issues?: unknown } | null)?.issues;
  if (!Array.isArray(issues)) return { ok: false, paths: [] };
  const list = issues as { path?: unknown; message?: unknown }[];
  const paths = list.map((i) => String(i.path));
  const ok = list.some((i) => {
    if (!samePath(String(i.path), want.path)) return false;
    if (want.message === undefined) return true;
    const message = String(i.message);
    return typeof want.message === 'string' ? message.includes(want.message) : want.message.test(message);
  });
  return { ok, paths };
}

function byJson(a: unknown, b: unknown): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function describeConfig(config: unknown): string {
  const text = JSON.stringify(config) ?? String(config);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Registers the compliance tests for a sink: identity and plugin API range; `validate` accepts
 * the valid config, rejects each invalid one with an issue at its path, and is pure; `create` and
 * `healthcheck`; `send` of real encoded batches in every encoding, read back record for record;
 * a large batch; idempotent redelivery of the same batch; failure classification; `close` (after
 * which `send` rejects with `SINK_CLOSED`; see `createClosedGuard`).
 */
export function sinkComplianceSuite<C, E extends object = Record<never, never>>(options: SinkComplianceOptions<C, E>): void {
  const { plugin, validConfig, invalidConfigs, readBack } = options;
  const title = options.name ?? `sink compliance: ${plugin.name}`;

  describe(title, () => {
    let env: ComplianceEnv<E> | null = null;
    let open: SinkInstance[] = [];

    const current = (): ComplianceEnv<E> => {
      if (env === null) throw new Error('compliance environment not set up');
      return env;
    };

    const context = (): SinkContext => testSinkContext({ name: plugin.name, ...options.context, configDir: current().configDir });

    const createSink = async (raw: unknown = validConfig): Promise<SinkInstance> => {
      const instance = await plugin.create(plugin.validate(raw), context());
      open.push(instance);
      return instance;
    };

    const closeSink = async (instance: SinkInstance): Promise<void> => {
      open = open.filter((s) => s !== instance);
      await instance.close?.();
    };

    const batchFor = async (count: number, from: number, encoding?: EncodingOptions): Promise<Batch<unknown>> =>
      makeTestBatch(sampleRecords(count, from), encoding, { sink: context().name, cluster: context().cluster });

    beforeEach(async () => {
      const configDir = await mkdtemp(path.join(os.tmpdir(), 'k8stream-compliance-'));
      const extra = options.setup ? await options.setup({ configDir }) : ({} as E);
      env = Object.assign({}, extra, { configDir });
    });

    afterEach(async () => {
      const e = current();
      const left = open;
      open = [];
      for (const instance of left) await instance.close?.();
      try {
        await options.teardown?.(e);
      } finally {
        env = null;
        await rm(e.configDir, { recursive: true, force: true });
      }
    });

    it(`declares a name and a plugin API range that includes ${PLUGIN_API_VERSION}`, () => {
      expect(typeof plugin.name).toBe('string');
      expect(plugin.name).not.toBe('');
      expect(semver.validRange(plugin.apiVersion)).not.toBeNull();
      expect(semver.satisfies(PLUGIN_API_VERSION, plugin.apiVersion)).toBe(true);
    });

    it('validate accepts the valid config', () => {
      expect(() => plugin.validate(structuredClone(validConfig))).not.toThrow();
    });

    it('validate does not modify its input', () => {
      const raw = structuredClone(validConfig);
      plugin.validate(raw);
      expect(raw).toEqual(validConfig);
    });

    for (const [i, bad] of invalidConfigs.entries()) {
      it(`validate rejects invalid config #${i + 1} ${describeConfig(bad.config)} with an issue at "${bad.path}"`, () => {
        let thrown: unknown = null;
        try {
          plugin.validate(structuredClone(bad.config));
        } catch (err) {
          thrown = err;
        }
        expect(thrown, 'validate must throw').not.toBeNull();
        expect((thrown as { code?: unknown }).code).toBe('PLUGIN_CONFIG_INVALID');
        const { ok, paths } = hasIssueAt(thrown, bad);
        expect(ok, `expected an issue at "${bad.path}"${bad.message ? ` matching ${String(bad.message)}` : ''}; got issues at ${JSON.stringify(paths)}`).toBe(true);
      });
    }

    it('create succeeds and healthcheck resolves', async () => {
      const sink = await createSink();
      expect(typeof sink.send).toBe('function');
      if (sink.healthcheck) await expect(sink.healthcheck()).resolves.toBeUndefined();
    });

    it('send delivers every record of an encoded batch (resolving is the ack)', async () => {
      const sink = await createSink();
      const batch = await batchFor(25, 0);
      await expect(sink.send(batch, testSendContext())).resolves.toBeUndefined();
      if (readBack) expect(await readBack(batch, current())).toEqual(batch.records);
    });

    it('send accepts batches in every encoding', async () => {
      const sink = await createSink();
      const sent: unknown[] = [];
      let last: Batch<unknown> | null = null;
      for (const [k, encoding] of ALL_ENCODINGS.entries()) {
        const batch = await batchFor(7, 1000 * (k + 1), encoding);
        await sink.send(batch, testSendContext());
        sent.push(...batch.records);
        last = batch;
      }
      if (readBack && last) {
        const got = [...(await readBack(last, current()))].sort(byJson);
        expect(got).toEqual([...sent].sort(byJson));
      }
    });

    it('send delivers a large batch', async () => {
      const sink = await createSink();
      const batch = await batchFor(options.largeBatchRecords ?? 2000, 50_000);
      await sink.send(batch, testSendContext());
      if (readBack) {
        const got = await readBack(batch, current());
        expect(got.length).toBe(batch.records.length);
        expect(got).toEqual(batch.records);
      }
    });

    it('redelivering the same batch is idempotent', async () => {
      const sink = await createSink();
      const first = await batchFor(10, 200);
      const second = await batchFor(10, 300);
      await sink.send(first, testSendContext());
      await sink.send(second, testSendContext());
      const before = readBack ? [...(await readBack(first, current()))].sort(byJson) : [];
      await sink.send(first, testSendContext({ attempt: 2 }));
      if (readBack) {
        const after = [...(await readBack(first, current()))].sort(byJson);
        expect(after.length).toBe(before.length);
        expect(after).toEqual(before);
        expect(after).toEqual([...first.records, ...second.records].sort(byJson));
      }
    });

    if (options.idempotentAcrossRestarts !== false) {
      it('redelivery by a new instance (after a restart) is idempotent', async () => {
        const batch = await batchFor(10, 400);
        const one = await createSink();
        await one.send(batch, testSendContext());
        await closeSink(one);
        const two = await createSink();
        await two.send(batch, testSendContext({ attempt: 2 }));
        if (readBack) expect(await readBack(batch, current())).toEqual(batch.records);
      });
    }

    for (const failure of options.failures ?? []) {
      it(`classifies a failed send as ${failure.expect}: ${failure.name}`, async () => {
        const sink = await createSink(failure.config ?? validConfig);
        await failure.arrange?.(current(), sink);
        const batch = await batchFor(5, 600);
        let thrown: unknown = null;
        try {
          await sink.send(batch, testSendContext());
        } catch (err) {
          thrown = err;
        }
        expect(thrown, 'send must reject').not.toBeNull();
        expect(classifySinkError(thrown)).toBe(failure.expect);
      });
    }

    it('close resolves after sends, and right after create', async () => {
      const used = await createSink();
      await used.send(await batchFor(3, 700), testSendContext());
      await expect(closeSink(used)).resolves.toBeUndefined();
      const unused = await createSink();
      await expect(closeSink(unused)).resolves.toBeUndefined();
    });

    it('send after close rejects with SINK_CLOSED naming the sink; a second close resolves', async () => {
      const sink = await createSink();
      await closeSink(sink);
      const thrown = await sink.send(await batchFor(1, 800), testSendContext()).then(
        () => null,
        (err: unknown) => err,
      );
      expect(thrown, 'send after close must reject').toMatchObject({ code: 'SINK_CLOSED', plugin: context().name });
      await expect(sink.close?.()).resolves.toBeUndefined();
    });
  });
}
