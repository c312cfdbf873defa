/**
 * `stageArchive`: from the command's archive options to the window's batch files on local disk.
 *
 *   open the reader (--archive / --sink / the config's only storage sink)
 *   → the key template (the sink's, `--layout`, or detected for a directory)
 *   → the clusters (--cluster, the config's with --sink, else one delimiter listing)
 *   → the partition prefixes of the window (one per hour, from `lookBackMs` before it)
 *   → list them (8 at a time), keep the keys the whole template matches inside the window
 *   → fetch them (in place for a directory, else downloaded 8 at a time).
 *
 * Listing failures throw (no partial answer); a single object that cannot be read is skipped
 * and reported with its key.
 */
import { K8streamError, errorMessage } from '../../errors.js';
import type { ArchiveObject, ArchiveReader } from '../../plugins/api.js';
import type { StagedArchive, TimeWindow } from '../types.js';
import { fetchObjects } from './fetch.js';
import type { Candidate } from './fetch.js';
import { DEFAULT_LOOK_BACK_MS, compileLayout, inWindow, layoutProblems } from './layout.js';
import type { ArchiveLayout, ClusterDiscovery } from './layout.js';
import { openArchive } from './open.js';
import { mapLimit } from './pool.js';
import { progressLine } from './progress.js';
import type { Progress } from './progress.js';

/** The archive options of `query`, `timeline` and `report`. */
export interface ArchiveOptions {
  /** A directory, s3://bucket/prefix or gs://bucket/prefix. */
  archive?: string;
  /** Or: the name of a sink in the .k8streamrc. */
  sink?: string;
  /** -c/--config; otherwise the cosmiconfig search from cwd. */
  configPath?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** --cluster; with --sink, defaults to the config's cluster. */
  cluster?: string;
  /** For --archive s3://… (S3-compatible stores), or a GCS API endpoint for gs://…. */
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** --layout TEMPLATE: override the key template. */
  layout?: string;
  window: TimeWindow;
  /** Given only when stderr is a TTY. */
  progress?: NodeJS.WritableStream;
  signal?: AbortSignal;
  /**
   * How far before the window partitions are listed. A batch is filed under the hour of its
   * earliest event, so one filed at 09:58 can hold events of 10:00 and later.
   * @default 3_600_000 (one hour)
   */
  lookBackMs?: number;
  /** Listings and downloads in flight. @default 8 */
  concurrency?: number;
}

/** The hive layout of a local copy of an S3/GCS prefix. */
export const HIVE_LAYOUT = 'cluster={cluster}/dt={date}/hour={HH}/{batchId}{ext}';
/** The hive layout of a copy of one cluster's folder. */
export const HIVE_LAYOUT_NO_CLUSTER = 'dt={date}/hour={HH}/{batchId}{ext}';

/** Whether a thrown value is already a coded k8stream error (from this core or a plugin's copy of it). */
function isCoded(err: unknown): err is K8streamError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && typeof (err as { toUserString?: unknown }).toUserString === 'function';
}

/** Runs a reader call; anything but a coded error becomes `code` naming what was being done. */
export async function guarded<T>(reader: ArchiveReader, what: string, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (signal?.aborted || isCoded(err)) throw err;
    throw new K8streamError('ARCHIVE_READ_FAILED', `${reader.describe()}: ${what} failed: ${errorMessage(err)}`, { cause: err });
  }
}

export function checkWindow(window: TimeWindow): void {
  if (!Number.isFinite(window.fromMs) || !Number.isFinite(window.toMs) || window.toMs <= window.fromMs) {
    const show = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));
    throw new K8streamError('ARGUMENT_INVALID', `the window ${show(window.fromMs)} to ${show(window.toMs)} is empty: --to must come after --from`, { path: '--from' });
  }
}

/** The key template to read with: `--layout`, else detected for a directory, else the sink's. */
export async function templateOf(reader: ArchiveReader, options: ArchiveOptions, detect: boolean): Promise<string> {
  if (options.layout !== undefined) {
    const problems = layoutProblems(options.layout, Object.keys(reader.templateValues));
    if (problems.length > 0) throw new K8streamError('ARGUMENT_INVALID', `--layout ${JSON.stringify(options.layout)}: ${problems.join('; ')}`, { path: '--layout' });
    return options.layout;
  }
  if (!detect) return reader.template;
  const top = await guarded(reader, 'listing the top level', options.signal, () => reader.list('', { delimiter: '/', ...(options.signal ? { signal: options.signal } : {}) }));
  if (top.prefixes.some((p) => p.startsWith('cluster='))) return HIVE_LAYOUT;
  if (top.prefixes.some((p) => p.startsWith('dt='))) return HIVE_LAYOUT_NO_CLUSTER;
  return reader.template;
}

/** The clusters to read (undefined: every cluster, sorted out by the key match) and the partitions to list. */
export async function plan(
  reader: ArchiveReader,
  layout: ArchiveLayout,
  wanted: string | undefined,
  options: ArchiveOptions,
): Promise<{ discovered: string[]; partitions: string[]; listed: string[] }> {
  const window = options.window;
  const lookBackMs = options.lookBackMs ?? DEFAULT_LOOK_BACK_MS;
  const discovery = wanted === undefined ? layout.clusterDiscovery() : null;
  if (discovery === null) {
    const partitions = layout.partitions(window, { cluster: wanted, lookBackMs });
    return { discovered: [], partitions, listed: partitions };
  }
  const level = await guarded(reader, `listing ${discovery.prefix || 'the top level'}`, options.signal, () =>
    reader.list(discovery.prefix, { delimiter: '/', ...(options.signal ? { signal: options.signal } : {}) }),
  );
  const named = new Map<string, string>();
  for (const p of level.prefixes) {
    const cluster = discovery.clusterOf(p);
    if (cluster !== null && !named.has(cluster)) named.set(cluster, p);
  }
  const discovered = (await mapLimit([...named], options.concurrency ?? 8, async ([cluster, p]) => ((await fitsLayout(reader, discovery, p, options.signal)) ? [cluster] : [])))
    .flat()
    .sort();
  const partitions = discovered.flatMap((cluster) => layout.partitions(window, { cluster, lookBackMs }));
  return { discovered, partitions, listed: discovered.length === 0 ? [discovery.prefix] : partitions };
}

/**
 * Whether a discovered cluster's folder holds the template's next level: `demo/2026/` does under
 * `{cluster}/{yyyy}/…`, a sibling folder of another layout (`warnings/demo/`) does not.
 */
async function fitsLayout(reader: ArchiveReader, discovery: ClusterDiscovery, commonPrefix: string, signal: AbortSignal | undefined): Promise<boolean> {
  const fits = discovery.fitsBelow;
  if (fits === null) return true;
  const below = await guarded(reader, `listing ${commonPrefix}`, signal, () => reader.list(commonPrefix, { delimiter: '/', ...(signal ? { signal } : {}) }));
  return below.prefixes.some((p) => fits(p.slice(commonPrefix.length).replace(/\/$/, '')));
}

/**
 * Nothing in the window's partitions: tells a quiet window from a wrong location. The archive's
 * root (the template's fixed start, `events/` for `{prefix}` = `events`) is listed one level deep;
 * nothing at all there is ARCHIVE_UNAVAILABLE (no such prefix, an empty directory).
 */
export async function assertNotEmpty(reader: ArchiveReader, layout: ArchiveLayout, signal: AbortSignal | undefined): Promise<void> {
  const fixed = layout.prefixFor({});
  const root = fixed.slice(0, fixed.lastIndexOf('/') + 1);
  const top = await guarded(reader, `listing ${root || 'the top level'}`, signal, () => reader.list(root, { delimiter: '/', ...(signal ? { signal } : {}) }));
  if (top.objects.length === 0 && top.prefixes.length === 0) {
    const base = reader.describe();
    const where = root === '' || base.endsWith(`/${root.slice(0, -1)}`) ? base : `${base} (under ${root})`;
    throw new K8streamError('ARCHIVE_UNAVAILABLE', `${where}: holds nothing: no such prefix, or nothing was archived there yet`, {
      path: reader.describe(),
      hint: "check --archive (or the sink's bucket, prefix and dir) and --layout",
    });
  }
}

/** Lists every partition, at most `concurrency` at a time; objects in key order, each once. */
async function listPartitions(reader: ArchiveReader, partitions: readonly string[], options: ArchiveOptions, progress: Progress): Promise<ArchiveObject[]> {
  let listed = 0;
  const pages = await mapLimit(partitions, options.concurrency ?? 8, async (prefix) => {
    const page = await guarded(reader, `listing ${prefix}`, options.signal, () => reader.list(prefix, options.signal ? { signal: options.signal } : {}));
    listed += page.objects.length;
    progress.update({ listed, partitions: partitions.length, fetched: 0, toFetch: 0, bytes: 0 });
    return page.objects;
  });
  const byKey = new Map<string, ArchiveObject>();
  for (const page of pages) for (const o of page) byKey.set(o.key, o);
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Lists and fetches the batch objects of `options.window`. Throws `ARGUMENT_INVALID` (options),
 * `ARCHIVE_UNAVAILABLE` (no such directory/bucket, access denied, a sink without archive support)
 * or `ARCHIVE_READ_FAILED` (a listing failed part-way); objects that cannot be read after three
 * tries are in `skipped`. Call `dispose()` when done with the files.
 */
export async function stageArchive(options: ArchiveOptions): Promise<StagedArchive> {
  checkWindow(options.window);
  const opened = await openArchive(options);
  const { reader } = opened;
  const progress = progressLine(options.progress);
  try {
    const template = await templateOf(reader, options, opened.detectLayout);
    const layout = compileLayout(template, reader.templateValues);
    const wanted = options.cluster ?? opened.defaultCluster;
    const { discovered, partitions, listed } = await plan(reader, layout, wanted, options);
    const objects = await listPartitions(reader, partitions, options, progress);
    if (objects.length === 0) await assertNotEmpty(reader, layout, options.signal);

    const lookBackMs = options.lookBackMs ?? DEFAULT_LOOK_BACK_MS;
    const candidates: Candidate[] = [];
    const clusters = new Set<string>();
    for (const o of objects) {
      const m = layout.match(o.key, wanted);
      if (m === null || !inWindow(m, options.window, lookBackMs)) continue;
      if (m.cluster !== null) clusters.add(m.cluster);
      candidates.push({ key: o.key, size: o.size, extension: m.extension });
    }

    const counts = { listed: objects.length, partitions: listed.length, toFetch: candidates.length };
    progress.update({ ...counts, fetched: 0, bytes: 0 });
    const fetched = await fetchObjects(reader, candidates, {
      concurrency: options.concurrency ?? 8,
      signal: options.signal,
      onProgress: (n, bytes) => progress.update({ ...counts, fetched: n, bytes }),
    });
    progress.done();
    return {
      describe: reader.describe(),
      clusters: wanted !== undefined ? [wanted] : clusters.size > 0 ? [...clusters].sort() : discovered,
      partitions: listed,
      files: fetched.files,
      stats: { objectsListed: objects.length, objectsFetched: fetched.files.length, bytesFetched: fetched.bytes },
      skipped: fetched.skipped,
      dispose: () => fetched.dispose(),
    };
  } finally {
    progress.done();
    await reader.close?.().catch(() => undefined);
  }
}
