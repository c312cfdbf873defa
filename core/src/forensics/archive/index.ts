/**
 * The archive part of the forensics commands: find, prune and fetch the batch objects of a time
 * window from a file-sink directory, an S3 prefix or a GCS prefix (see stage.ts).
 */
export { stageArchive, HIVE_LAYOUT, HIVE_LAYOUT_NO_CLUSTER } from './stage.js';
export type { ArchiveOptions } from './stage.js';
export { BATCH_EXTENSIONS, DEFAULT_LOOK_BACK_MS, compileLayout, extensionOf, inWindow } from './layout.js';
export type { ArchiveLayout, KeyMatch } from './layout.js';
export { parseArchiveLocation } from './location.js';
export type { ArchiveLocation } from './location.js';
export { progressText } from './progress.js';
