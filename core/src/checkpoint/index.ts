/** Resume points: which chunks are finished, when the resume point is saved, the state document and where it is kept. */
export { CheckpointLedger } from './checkpoints.js';
export type { ChunkHandle, Hold } from './checkpoints.js';
export { ResumeKeeper } from './keeper.js';
export type { ResumeKeeperOptions, ResumeKeeperStats } from './keeper.js';
export { rvNumber } from './position.js';
export type { Position, ResumePoint } from './position.js';
export { decodeState, encodeState } from './state-doc.js';
export type { ResumeState } from './state-doc.js';
export { createFileStateStore, createLeaseStateStore, STATE_FILE } from './state-store.js';
export type { StateStore } from './state-store.js';
export { openResume } from './resume.js';
export type { Resume } from './resume.js';
