/**
 * Runs one record through a transform chain, for `k8stream transform test`: what would come
 * out, whether it was dropped, the first failure (whatever the transform's `onError`), and the
 * time spent in calls.
 */
import { errorMessage, isK8streamError } from '../errors.js';
import type { TransformConfig } from '../config/types.js';
import type { DeadLetterRecord } from '../dispatch/types.js';
import type { EventRecord } from '../record/types.js';
import { silentLogger } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { createTransformStage } from './stage.js';
import type { TransformFailure, TransformStageOptions } from './stage.js';

export interface RunOnceOptions extends Partial<Omit<TransformStageOptions, 'deadLetter' | 'onTransformError' | 'logger'>> {
  /** Directory of the config file. @default process.cwd() */
  configDir?: string;
  logger?: Logger;
}

export interface RunOnceResult {
  /** Records the chain delivered (after every policy). */
  outputs: EventRecord[];
  /** True when nothing came out (dropped by a transform or by a policy, or dead-lettered). */
  dropped: boolean;
  /** The first failure, whatever the policy; null when every call succeeded. */
  error: { transform: string; code: string; message: string } | null;
  /** Records the chain would have dead-lettered. */
  deadLettered: DeadLetterRecord[];
  /** µs spent in calls, all transforms together. */
  micros: number;
}

/** Runs `record` through the chain `configs` on a one-worker pool, then closes it. */
export async function runTransformOnce(configs: readonly TransformConfig[], record: EventRecord, options: RunOnceOptions = {}): Promise<RunOnceResult> {
  const failures: TransformFailure[] = [];
  const deadLettered: DeadLetterRecord[] = [];
  const stage = await createTransformStage(configs, {
    ...options,
    configDir: options.configDir ?? process.cwd(),
    workers: options.workers ?? 1,
    logger: options.logger ?? silentLogger,
    deadLetter: {
      write: async (records) => {
        deadLettered.push(...records);
      },
    },
    onTransformError: (failure) => failures.push(failure),
  });
  try {
    let outputs: EventRecord[] = [];
    try {
      outputs = await stage.apply([record]);
    } catch (err) {
      // onError: fail; the failure itself was reported above.
      if (failures.length === 0) {
        failures.push({
          transform: isK8streamError(err) ? (err.plugin ?? '') : '',
          recordId: record.id,
          code: isK8streamError(err) ? err.code : 'INTERNAL',
          message: errorMessage(err),
          policy: 'fail',
        });
      }
    }
    const first = failures[0];
    const micros = Object.values(stage.counters()).reduce((sum, c) => sum + c.micros, 0);
    return {
      outputs,
      dropped: outputs.length === 0,
      error: first ? { transform: first.transform, code: first.code, message: first.message } : null,
      deadLettered,
      micros,
    };
  } finally {
    await stage.close();
  }
}
