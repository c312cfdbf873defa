/**
 * From `--archive` / `--sink` to an `ArchiveReader`: the sink plugin is found by the core's own
 * loader (the resolution `k8stream run` uses), its config validated by the plugin, and its
 * `archive()` hook called with the same context `create()` gets.
 */
import { K8streamError, errorMessage } from '../../errors.js';
import type { ValidationIssue } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import type { LoadedConfig } from '../../config/types.js';
import type { ArchiveReader, SinkDefinition } from '../../plugins/api.js';
import { loadSinkPlugin, validateSinkConfig } from '../../plugins/loader.js';
import { resolvePlugins } from '../../runtime/resolve.js';
import { silentLogger } from '../../util/logger.js';
import { parseArchiveLocation } from './location.js';
import type { LocationOptions } from './location.js';

/** What selects the archive (a subset of the command's options). */
export interface OpenArchiveOptions extends LocationOptions {
  archive?: string | undefined;
  sink?: string | undefined;
  configPath?: string | undefined;
  cwd: string;
  env: NodeJS.ProcessEnv;
  cluster?: string | undefined;
}

/** An opened archive. */
export interface OpenedArchive {
  reader: ArchiveReader;
  /** The plugin reading it, for messages (`@k8stream/sink-s3@0.1.0`). */
  plugin: string;
  /** The cluster to read unless `--cluster` says otherwise: the config's `cluster` with `--sink`, else none (discovered). */
  defaultCluster: string | undefined;
  /** True for a directory named by `--archive`: its layout is detected (file sink's or hive). */
  detectLayout: boolean;
}

interface Chosen {
  definition: SinkDefinition<unknown>;
  config: unknown;
  name: string;
  plugin: string;
}

function label(p: { packageName: string; version: string | null }): string {
  return p.version ? `${p.packageName}@${p.version}` : p.packageName;
}

function issuesOf(err: unknown): readonly ValidationIssue[] | null {
  const issues = (err as { issues?: unknown } | null)?.issues;
  return Array.isArray(issues) ? (issues as ValidationIssue[]) : null;
}

/** Calls the plugin's `archive` hook; a plugin without one cannot be read back. */
async function readerOf(chosen: Chosen, ctx: { cluster: string; configDir: string }): Promise<ArchiveReader> {
  if (typeof chosen.definition.archive !== 'function') {
    throw new K8streamError('ARCHIVE_UNAVAILABLE', `sink "${chosen.name}" uses ${chosen.plugin}, which cannot read back what it wrote (no archive support)`, {
      plugin: chosen.plugin,
      hint: 'name a file, s3 or gcs sink with --sink, or the storage location with --archive',
    });
  }
  return chosen.definition.archive(chosen.config, { name: chosen.name, cluster: ctx.cluster, logger: silentLogger, configDir: ctx.configDir });
}

/** `--archive LOCATION`. */
async function openLocation(location: string, options: OpenArchiveOptions): Promise<OpenedArchive> {
  const loc = parseArchiveLocation(location, options.cwd, options);
  const plugin = await loadSinkPlugin(loc.use, { configDir: options.cwd });
  let config: unknown;
  try {
    config = plugin.definition.validate(loc.config);
  } catch (err) {
    const issues = issuesOf(err);
    const detail = issues === null ? errorMessage(err) : issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    throw new K8streamError('ARGUMENT_INVALID', `--archive ${location}: ${detail}`, { path: '--archive', plugin: plugin.packageName });
  }
  const chosen: Chosen = { definition: plugin.definition, config, name: loc.use, plugin: label(plugin) };
  const reader = await readerOf(chosen, { cluster: options.cluster ?? 'default', configDir: options.cwd });
  return { reader, plugin: chosen.plugin, defaultCluster: undefined, detectLayout: loc.use === 'file' };
}

/** `--sink NAME`: that sink of the config. */
async function openSink(loaded: LoadedConfig, name: string): Promise<OpenedArchive> {
  const { config, dir } = loaded;
  const index = config.sinks.findIndex((s) => s.name === name);
  if (index < 0) {
    const names = config.sinks.map((s) => s.name);
    throw new K8streamError(
      'ARGUMENT_INVALID',
      `--sink ${name}: no sink of that name in ${loaded.filepath ?? 'the config'}${names.length > 0 ? ` (sinks: ${names.join(', ')})` : ' (it has no sinks)'}`,
      {
        path: '--sink',
      },
    );
  }
  const sink = config.sinks[index]!;
  const plugin = await loadSinkPlugin(sink.use, { configDir: dir });
  const validated = validateSinkConfig(plugin.definition, sink.config, sink.name, `sinks[${index}]`);
  const chosen: Chosen = { definition: plugin.definition, config: validated, name: sink.name, plugin: label(plugin) };
  const reader = await readerOf(chosen, { cluster: config.cluster, configDir: dir });
  return { reader, plugin: chosen.plugin, defaultCluster: config.cluster, detectLayout: false };
}

/** Neither `--archive` nor `--sink`: the config's only sink that can be read back. */
async function openOnlySink(loaded: LoadedConfig): Promise<OpenedArchive> {
  const resolution = await resolvePlugins(loaded);
  const readable = resolution.sinks.filter((s) => typeof s.definition.archive === 'function');
  if (readable.length === 1) return openSink(loaded, readable[0]!.sink.name);
  const all = loaded.config.sinks.map((s) => s.name);
  const where = loaded.filepath ?? 'the config';
  const message =
    readable.length === 0
      ? `no --archive or --sink given, and no sink of ${where} can be read back${all.length > 0 ? ` (sinks: ${all.join(', ')})` : ''}`
      : `no --archive or --sink given, and ${where} has ${readable.length} sinks that can be read back: ${readable.map((s) => s.sink.name).join(', ')}`;
  throw new K8streamError('ARGUMENT_INVALID', message, {
    path: '--sink',
    hint: readable.length === 0 ? 'name the storage location with --archive DIR|s3://BUCKET/PREFIX|gs://BUCKET/PREFIX' : 'choose one with --sink NAME',
  });
}

/** Opens the archive the options select. */
export async function openArchive(options: OpenArchiveOptions): Promise<OpenedArchive> {
  if (options.archive !== undefined && options.sink !== undefined) {
    throw new K8streamError('ARGUMENT_INVALID', '--archive and --sink are exclusive: give one', { path: '--archive' });
  }
  if (options.archive !== undefined) return openLocation(options.archive, options);
  // Reading an archive needs the sinks and the cluster name, not the source's kubeconfig or a transform's secrets.
  const loaded = await loadConfig({
    cwd: options.cwd,
    env: options.env,
    variablesNeededAt: (path) => path === 'cluster' || path.startsWith('sinks'),
    ...(options.configPath !== undefined ? { configPath: options.configPath } : {}),
  });
  return options.sink !== undefined ? openSink(loaded, options.sink) : openOnlySink(loaded);
}
