/**
 * The transform hook between filter and router. The WASM transform chain implements it;
 * until transforms are configured the identity stage passes records through unchanged.
 */
import type { EventRecord } from '../record/types.js';

export interface TransformStage {
  /**
   * Apply the chain to a chunk of records. Returns the records to route (zero or more per
   * input). Failures are handled inside, per each transform's `onError` policy; only the
   * `fail` policy makes this reject.
   */
  apply(records: EventRecord[]): EventRecord[] | Promise<EventRecord[]>;
  close(): Promise<void>;
}

export const identityStage: TransformStage = {
  apply: (records) => records,
  close: async () => {},
};
