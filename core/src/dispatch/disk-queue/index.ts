/** Per-sink disk queue (not wired into the dispatcher yet). */
export { createDiskQueue } from './queue.js';
export type {
  DiskQueue,
  DiskQueueFsync,
  DiskQueueItem,
  DiskQueueOptions,
  DiskQueueOverflow,
  DiskQueueRecord,
  DiskQueueStats,
} from './types.js';
