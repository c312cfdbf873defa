/** Per-sink disk queue (used by the disk-buffered dispatcher, `../disk-buffer.ts`). */
export { createDiskQueue } from './queue.js';
export type { DiskQueue, DiskQueueFsync, DiskQueueItem, DiskQueueOptions, DiskQueueOverflow, DiskQueueRecord, DiskQueueStats } from './types.js';
