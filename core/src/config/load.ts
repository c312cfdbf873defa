/**
 * Finds and loads `.k8streamrc` with cosmiconfig, searching upward from the working directory
 * (then the user config directory, `~/.config/k8stream/`), or loads exactly `--config FILE`;
 * then interpolates `${VAR}` and validates.
 */
import { cosmiconfig, defaultLoaders } from 'cosmiconfig';
import type { CosmiconfigResult, Loader } from 'cosmiconfig';
import { basename, dirname, extname, resolve } from 'node:path';
import { errorMessage, K8streamError } from '../errors.js';
import { interpolateConfig } from './interpolate.js';
import type { Env } from './interpolate.js';
import { loadModuleConfig, MODULE_EXTENSIONS } from './module-loader.js';
import type { K8streamConfig, LoadedConfig } from './types.js';
import { validateConfig } from './validate.js';

/** cosmiconfig module name: `package.json#k8stream`, `.k8streamrc*`, `k8stream.config.*`. */
export const MODULE_NAME = 'k8stream';

/** The places searched in each directory, in order; the first one found wins. */
export const SEARCH_PLACES: readonly string[] = [
  'package.json',
  '.k8streamrc',
  '.k8streamrc.json',
  '.k8streamrc.yaml',
  '.k8streamrc.yml',
  '.k8streamrc.js',
  '.k8streamrc.mjs',
  '.k8streamrc.cjs',
  'k8stream.config.js',
  'k8stream.config.mjs',
  'k8stream.config.ts',
];

export interface LoadConfigOptions {
  /** Where the search starts and `configPath` is resolved from. @default process.cwd() */
  cwd?: string;
  /** `--config FILE`: load exactly this file (JSON, YAML, JS or TS by extension; YAML/JSON without one). */
  configPath?: string;
  /** Variables for `${VAR}` interpolation. @default process.env */
  env?: Env;
  /** Last directory searched upward. @default the user's home directory (or `/` outside it) */
  stopDir?: string;
  /** When no config is found, return the defaults (filepath null) instead of throwing CONFIG_NOT_FOUND. */
  optional?: boolean;
  /**
   * Config paths (`sinks[0].config.bucket`) whose unset `${VAR}` is an error; an unset variable
   * anywhere else reads as empty. @default every path
   */
  variablesNeededAt?: (path: string) => boolean;
}

const SUPPORTED = '.json, .yaml, .yml, .js, .mjs, .cjs, .ts, or no extension for YAML/JSON';

/** Removes cosmiconfig's `YAML Error in <file>:` prefix and any copy of the file's text from a parser message. */
function parserMessage(err: unknown): string {
  const yaml = err as { name?: unknown; reason?: unknown; mark?: { line?: unknown; column?: unknown } };
  if (yaml.name === 'YAMLException' && typeof yaml.reason === 'string') {
    const { line, column } = yaml.mark ?? {};
    return typeof line === 'number' && typeof column === 'number' ? `${yaml.reason} (line ${line + 1}, column ${column + 1})` : yaml.reason;
  }
  return errorMessage(err)
    .replace(/^(JSON|YAML) Error in [^\n]*:\n/, '')
    .replace(/, (\.\.\.)?"[\s\S]*" is not valid JSON$/, ' (not valid JSON)');
}

/** Wraps a cosmiconfig loader so its errors carry only the parser's message. */
function quiet(loader: Loader): Loader {
  return async (filepath, content) => {
    try {
      return (await loader(filepath, content)) as unknown;
    } catch (err) {
      throw Object.assign(new Error(parserMessage(err)), { filepath });
    }
  };
}

/** True when a YAML text holds no document: only blank lines, comments and `---`/`...` markers. */
function isEmptyYaml(content: string): boolean {
  return content.split(/\r?\n/).every((line) => /^\s*(#.*)?$/.test(line) || /^(---|\.\.\.)\s*(#.*)?$/.test(line));
}

/** YAML (and JSON, which is YAML): a file with only comments is an empty config, not an error. */
function yamlLoader(loader: Loader): Loader {
  const wrapped = quiet(loader);
  return (filepath, content) => (isEmptyYaml(content) ? undefined : (wrapped(filepath, content) as unknown));
}

function explorer(stopDir: string | undefined) {
  const moduleLoader: Loader = (filepath) => loadModuleConfig(filepath);
  const loaders: Record<string, Loader> = {
    '.json': quiet(defaultLoaders['.json']),
    '.yaml': yamlLoader(defaultLoaders['.yaml']),
    '.yml': yamlLoader(defaultLoaders['.yml']),
    noExt: yamlLoader(defaultLoaders.noExt),
    // `--config prod.k8streamrc`: the same YAML-or-JSON format as `.k8streamrc`.
    '.k8streamrc': yamlLoader(defaultLoaders.noExt),
  };
  for (const ext of MODULE_EXTENSIONS) loaders[ext] = moduleLoader;
  return cosmiconfig(MODULE_NAME, {
    searchPlaces: [...SEARCH_PLACES],
    searchStrategy: 'global',
    ...(stopDir !== undefined ? { stopDir } : {}),
    // An empty `.k8streamrc` is a config (all defaults), not a reason to keep searching.
    ignoreEmptySearchPlaces: false,
    cache: false,
    loaders,
  });
}

function loadFailed(err: unknown, fallbackPath: string): K8streamError {
  if (err instanceof K8streamError) return err;
  const filepath = typeof (err as { filepath?: unknown }).filepath === 'string' ? (err as { filepath: string }).filepath : fallbackPath;
  const message = errorMessage(err);
  if (/^No loader specified for /.test(message)) {
    return new K8streamError('CONFIG_LOAD_FAILED', `cannot load ${filepath}: unsupported extension "${extname(filepath)}"`, {
      path: filepath,
      hint: `use ${SUPPORTED}`,
    });
  }
  const code = (err as { code?: unknown }).code;
  const typescript = code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' || code === 'ERR_INVALID_TYPESCRIPT_SYNTAX';
  return new K8streamError('CONFIG_LOAD_FAILED', `failed to load ${filepath}: ${parserMessage(err)}`, {
    path: filepath,
    ...(typescript ? { hint: 'TypeScript configs run with Node type stripping: use only erasable syntax (no enums, namespaces or parameter properties)' } : {}),
  });
}

/** Loads exactly `file` (`--config`). */
async function loadFile(file: string): Promise<NonNullable<CosmiconfigResult>> {
  let result: CosmiconfigResult;
  try {
    result = await explorer(undefined).load(file);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new K8streamError('CONFIG_NOT_FOUND', `config file not found: ${file}`, { path: file });
    }
    if (code === 'EISDIR') {
      throw new K8streamError('CONFIG_LOAD_FAILED', `cannot load ${file}: it is a directory`, {
        path: file,
        hint: 'pass the config file itself to --config, or omit --config to search from the working directory',
      });
    }
    throw loadFailed(err, file);
  }
  if (result === null) {
    if (basename(file) === 'package.json') {
      throw new K8streamError('CONFIG_NOT_FOUND', `no "${MODULE_NAME}" key in ${file}`, { path: file });
    }
    return { filepath: file, config: undefined, isEmpty: true }; // a YAML file holding only `~`
  }
  return result;
}

/** Searches upward from `cwd`; null when nothing is found. */
async function search(cwd: string, stopDir: string | undefined): Promise<CosmiconfigResult> {
  try {
    return await explorer(stopDir).search(cwd);
  } catch (err) {
    throw loadFailed(err, cwd);
  }
}

/**
 * Finds (or, with `configPath`, loads exactly) the config, interpolates `${VAR}` from `env`,
 * validates it and returns it with its file path and directory.
 *
 * Errors (all K8streamError): CONFIG_NOT_FOUND (nothing found, with a hint naming every file
 * searched; or `configPath` missing), CONFIG_LOAD_FAILED (a file that does not parse or import,
 * naming it), CONFIG_INTERPOLATION and CONFIG_INVALID (ValidationError listing every issue).
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const found =
    options.configPath !== undefined
      ? await loadFile(resolve(cwd, options.configPath))
      : await search(cwd, options.stopDir === undefined ? undefined : resolve(cwd, options.stopDir));
  if (found === null) {
    if (options.optional) return { config: validateConfig({}), filepath: null, dir: cwd };
    throw new K8streamError('CONFIG_NOT_FOUND', `no k8stream config found in ${cwd} or its parent directories`, {
      path: cwd,
      hint: `create one of ${SEARCH_PLACES.filter((p) => p !== 'package.json').join(', ')} (or a "k8stream" key in package.json, or ~/.config/k8stream/config.yaml), or pass --config FILE`,
    });
  }
  const filepath = resolve(found.filepath);
  const raw: unknown = found.isEmpty || found.config === undefined || found.config === null ? {} : found.config;
  const interpolated = interpolateConfig(raw, options.env ?? process.env, {
    source: filepath,
    ...(options.variablesNeededAt !== undefined ? { needed: options.variablesNeededAt } : {}),
  });
  const config: K8streamConfig = validateConfig(interpolated, { source: filepath });
  return { config, filepath, dir: dirname(filepath) };
}
