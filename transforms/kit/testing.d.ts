/** Node helpers for testing k8stream transforms (`@k8stream/transform-kit/testing`). */
import type { Plugin } from '@extism/extism';

/** What a transform did with one record. `text` is the raw output ('' for a drop). */
export type TransformOutcome =
  { kind: 'drop'; text: string } | { kind: 'replace'; value: Record<string, unknown>; text: string } | { kind: 'fanOut'; values: Record<string, unknown>[]; text: string };

export interface TransformHandle {
  plugin: Plugin;
  /** Calls the transform; resolves with the raw output text ('' = drop), rejects with its error. */
  callRaw(input: string | object): Promise<string>;
  /** Calls the transform with a record (object or JSON text) and classifies the output. */
  call(input: string | object): Promise<TransformOutcome>;
  close(): Promise<void>;
}

/**
 * `.k8streamrc` `transforms[].config` → Extism config strings, as k8stream encodes them:
 * strings unchanged, numbers/booleans as text, objects/arrays as JSON; null/undefined left out.
 */
export function toExtismConfig(config?: Record<string, unknown>): Record<string, string>;

/** Compiles an AssemblyScript entry with the kit's settings (or `cwd/asconfig.json`). Resolves with the build time in ms. */
export function compile(options: { entry: string; outFile: string; cwd?: string; args?: string[] }): Promise<number>;

/**
 * Runs the package's `build:wasm` script (or `script`) when its `.wasm`
 * (`package.json#k8stream.transform`) is missing or older than its sources or the kit.
 * Resolves with the absolute `.wasm` path.
 */
export function ensureBuilt(pkgDir: string, options?: { script?: string; force?: boolean }): Promise<string>;

/** Compiles an entry file (e.g. a test harness) once per distinct source content. Resolves with the `.wasm` path. */
export function ensureCompiled(options: { entry: string; outFile: string; cwd?: string; args?: string[] }): Promise<string>;

/** Loads a transform (path or bytes) with the Extism JS SDK, no WASI, `config` encoded as k8stream does. */
export function openTransform(wasm: string | Uint8Array, config?: Record<string, unknown>, options?: { functionName?: string }): Promise<TransformHandle>;

/** A realistic `k8stream.event/v1` record with `overrides` applied (shallow). */
export function sampleRecord(overrides?: Record<string, unknown>): Record<string, any>;
