/**
 * Loads the saved resume state at start: decoded, checked against this API server, and turned
 * into the source's resume point plus the ledger and keeper that move it on.
 */
import type { Delivery } from '../config/types.js';
import type { Logger } from '../util/logger.js';
import { CheckpointLedger } from './checkpoints.js';
import { ResumeKeeper } from './keeper.js';
import type { ResumePoint } from './position.js';
import { decodeState } from './state-doc.js';
import type { StateStore } from './state-store.js';

export interface Resume {
  /** What the source resumes after (empty: a fresh start). */
  from: ResumePoint;
  ledger: CheckpointLedger;
  keeper: ResumeKeeper;
  store: StateStore;
}

export async function openResume(options: { store: StateStore; delivery: Delivery; server: string; minIntervalMs: number; logger: Logger; signal?: AbortSignal }): Promise<Resume> {
  const { store, logger, server } = options;
  const text = await store.load(options.signal);
  let from: ResumePoint = {};
  if (text === null) {
    logger.info('no saved resume point: starting from a full list', { state: store.describe });
  } else {
    const state = decodeState(text);
    if (typeof state === 'string') {
      logger.warn('the saved resume point is unreadable; ignoring it (every listed event is emitted again)', { state: store.describe, problem: state });
    } else if (state.server.replace(/\/+$/, '') !== server.replace(/\/+$/, '')) {
      logger.warn('the saved resume point belongs to another API server; ignoring it', { state: store.describe, saved: state.server, server });
    } else {
      from = state.watches;
      if (state.delivery !== options.delivery) {
        logger.info('the saved resume point was written in the other delivery mode; resuming from it', { saved: state.delivery, now: options.delivery });
      }
      logger.info('resume point loaded', { state: store.describe, savedAt: state.savedAt, watches: Object.keys(from).length });
    }
  }
  const ledger = new CheckpointLedger(from);
  const keeper = new ResumeKeeper({ store, ledger, delivery: options.delivery, server, minIntervalMs: options.minIntervalMs, logger });
  return { from, ledger, keeper, store };
}
