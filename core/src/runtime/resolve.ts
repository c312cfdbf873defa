/**
 * Plugin resolution: finds every sink plugin (and the dead letter's) and validates its config,
 * collecting every problem, each naming its sink. No side effects: nothing is created here.
 */
import { K8streamError, errorMessage } from '../errors.js';
import type { LoadedConfig, SinkConfig } from '../config/types.js';
import type { SinkDefinition } from '../plugins/api.js';
import { loadSinkPlugin, validateSinkConfig } from '../plugins/loader.js';

/** A sink whose plugin was found and whose config validated; nothing created yet. */
export interface ResolvedSink {
  /** `sinks[i]` or `deadLetter`. */
  path: string;
  sink: SinkConfig;
  definition: SinkDefinition<unknown>;
  config: unknown;
  packageName: string;
  version: string | null;
}

export interface Resolution {
  sinks: ResolvedSink[];
  deadLetter: ResolvedSink | null;
  /** Every problem found, each naming its sink. */
  errors: K8streamError[];
}

/** Resolve every plugin and validate every plugin config, collecting all errors. No side effects. */
export async function resolvePlugins(loaded: LoadedConfig): Promise<Resolution> {
  const { config, dir } = loaded;
  const errors: K8streamError[] = [];
  const resolveOne = async (path: string, sink: SinkConfig): Promise<ResolvedSink | null> => {
    try {
      const plugin = await loadSinkPlugin(sink.use, { configDir: dir });
      const validated = validateSinkConfig(plugin.definition, sink.config, sink.name, path);
      return { path, sink, definition: plugin.definition, config: validated, packageName: plugin.packageName, version: plugin.version };
    } catch (err) {
      errors.push(asK8streamError(err, path));
      return null;
    }
  };
  const sinks = await Promise.all(config.sinks.map((s, i) => resolveOne(`sinks[${i}]`, s)));
  const dl = config.deadLetter;
  const deadLetter = await resolveOne('deadLetter', {
    name: 'deadletter',
    use: dl.use,
    config: dl.config,
    encoding: dl.encoding,
    batch: { maxEvents: 1000, maxAgeMs: 1000 },
    match: { namespaces: [], excludeNamespaces: [], types: [], reasons: [], kinds: [] },
    timeoutMs: 30_000,
    retry: { maxAttempts: null, initialBackoffMs: 500, maxBackoffMs: 30_000 },
    queue: { maxEvents: 10_000, maxBytes: null },
  });
  return { sinks: sinks.filter((s): s is ResolvedSink => s !== null), deadLetter, errors };
}

/** The resolution's problems as one error (the first one's code), or null when there are none. */
export function resolutionError(resolution: Resolution): K8streamError | null {
  const { errors } = resolution;
  if (errors.length === 0) return null;
  if (errors.length === 1) return errors[0]!;
  const first = errors[0]!;
  return new K8streamError(first.code, errors.map((e) => e.toUserString()).join('\n'), { cause: errors });
}

export function pluginLabel(r: ResolvedSink): string {
  return r.version ? `${r.packageName}@${r.version}` : r.packageName;
}

export function asK8streamError(err: unknown, where: string, code: 'PLUGIN_LOAD_FAILED' | 'SINK_UNHEALTHY' = 'PLUGIN_LOAD_FAILED'): K8streamError {
  if (err instanceof K8streamError) return err;
  return new K8streamError(code, `${where}: ${errorMessage(err)}`, { path: where, cause: err });
}
