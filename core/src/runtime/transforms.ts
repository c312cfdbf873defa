/**
 * The transform-stage component: loads the configured WASM chain (its worker pool) at start,
 * after the sinks and the dead letter it reports failures to; closes it at stop, after the
 * source has stopped, so no chunk is transformed once it is closed.
 */
import type { K8streamConfig } from '../config/types.js';
import type { DeadLetter } from '../dispatch/types.js';
import type { Ops } from '../ops/ops.js';
import { createTransformStage } from '../transform/stage.js';
import type { WasmTransformStage } from '../transform/stage.js';
import type { Logger } from '../util/logger.js';
import type { Component } from './lifecycle.js';

export interface TransformComponent extends Component {
  /** After start. */
  readonly stage: WasmTransformStage;
}

export interface TransformComponentOptions {
  dir: string;
  ops: Ops;
  logger: Logger;
  deadLetter: () => DeadLetter;
  /** Worker threads (the memory budget's). @default min(2, available cores) */
  workers?: number;
  /** Each worker's old-generation limit in MB (the memory budget's); null: V8's default. */
  workerHeapMb?: number | null;
}

export function transformComponent(config: K8streamConfig, options: TransformComponentOptions): TransformComponent {
  const { ops } = options;
  let stage: WasmTransformStage | null = null;
  return {
    name: 'transforms',
    get stage(): WasmTransformStage {
      if (stage === null) throw new Error('the transform stage is not started');
      return stage;
    },
    async start() {
      const started = await createTransformStage(config.transforms, {
        configDir: options.dir,
        deadLetter: options.deadLetter(),
        logger: options.logger.child({ stage: 'transform' }),
        onTransformError: (f) => ops.onTransformError(f),
        onRun: (t, calls, micros) => ops.onTransformRun(t, calls, micros),
        ...(options.workers !== undefined ? { workers: options.workers } : {}),
        ...(typeof options.workerHeapMb === 'number' ? { workerHeapMb: options.workerHeapMb } : {}),
      });
      stage = started;
      ops.setTransforms(() => started.counters());
    },
    async stop() {
      await stage?.close();
    },
  };
}
