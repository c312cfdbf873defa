/**
 * Test fixture: records which kernel every transform worker of this test file reported once its
 * chain was instantiated (the pool publishes it on {@link KERNEL_CHANNEL}), so a suite can check
 * that its workers really ran the kernel it asked for: `K8STREAM_TRANSFORM_KERNEL=sdk` (the
 * `*.sdk.test.ts` re-runs) or the default fast path. Not part of the build.
 */
import { subscribe } from 'node:diagnostics_channel';
import { kernelPreference } from './instance.js';
import { KERNEL_CHANNEL } from './pool.js';
import type { WorkerKernels } from './pool.js';
import type { KernelKind } from './host-api.js';

export interface KernelReports {
  /** Every transform of every worker started so far, in order. */
  readonly reported: WorkerKernels['transforms'];
  /**
   * The reports that do not match the kernel this run asked for: with `sdk`, every transform of
   * every worker must have run on the SDK; by default, every transform not named in `sdkOnly`
   * (modules the fast kernel cannot serve, e.g. WASI) on the fast kernel, and those on the SDK.
   */
  unexpected(sdkOnly?: readonly string[]): (WorkerKernels['transforms'][number] & { expected: KernelKind })[];
}

export function recordKernels(): KernelReports {
  const reported: WorkerKernels['transforms'] = [];
  subscribe(KERNEL_CHANNEL, (message) => {
    reported.push(...(message as WorkerKernels).transforms);
  });
  return {
    reported,
    unexpected(sdkOnly = []) {
      const sdk = kernelPreference() === 'sdk';
      return reported.map((t) => ({ ...t, expected: sdk || sdkOnly.includes(t.name) ? ('sdk' as const) : ('fast' as const) })).filter((t) => t.kernel !== t.expected);
    },
  };
}
