/**
 * Finds, imports and checks sink plugins.
 *
 * A reference (`sinks[].use`) resolves like Babel/ESLint plugin names, relative to the config file:
 * `./x`, `../x` or an absolute path as is; `module:x` exactly `x`; `s3` → `@k8stream/sink-s3`,
 * then `k8stream-sink-s3`; `@acme/s3` → `@acme/k8stream-sink-s3`. Packages are looked up in the
 * `node_modules` folders above the config directory first, then above the core itself (so the
 * first-party sinks installed next to the core are found), honouring `exports` with the `import`
 * condition. ESM and CommonJS plugins both load.
 */
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { isDirectory, isFile, lookupDirs, readPackageJson, splitPackage } from './package-files.js';
import type { PackageJson } from './package-files.js';
import { fileURLToPath, pathToFileURL } from 'node:url';
import semver from 'semver';
import { K8streamError, ValidationError, errorMessage } from '../errors.js';
import type { ValidationIssue } from '../errors.js';
import { PLUGIN_API_VERSION } from './api.js';
import type { SinkDefinition } from './api.js';

/** What kind of plugin a reference names; decides the package name prefix. */
export type PluginKind = 'sink' | 'transform';

export interface LoadSinkPluginOptions {
  /** Directory of the config file: relative paths and packages resolve from here. */
  configDir: string;
  /**
   * Also look next to the core package when the config directory has no match.
   * @default true
   */
  searchCore?: boolean;
}

/** A resolved plugin module: where it is and which package it belongs to. */
export interface ResolvedPlugin {
  /** The reference as written in the config. */
  ref: string;
  /** Package name (`@k8stream/sink-file`), or the path as written for a plain file. */
  packageName: string;
  /** Package version, or null when the plugin is a file outside any package. */
  version: string | null;
  /** Absolute (real) path of the module that is imported. */
  resolvedPath: string;
}

/** A loaded, checked sink plugin. */
export interface LoadedSinkPlugin extends ResolvedPlugin {
  definition: SinkDefinition<unknown>;
}

const PREFIX: Record<PluginKind, string> = { sink: 'sink-', transform: 'transform-' };

/** True for references that name a file or directory rather than a package. */
function isPathRef(ref: string): boolean {
  return ref === '.' || ref === '..' || ref.startsWith('./') || ref.startsWith('../') || ref.startsWith('.\\') || ref.startsWith('..\\') || path.isAbsolute(ref);
}

/**
 * The module specifiers a plugin reference may mean, in the order they are tried.
 * Paths are returned as written (the loader resolves them against the config directory).
 */
export function candidatesFor(ref: string, kind: PluginKind): string[] {
  const trimmed = ref.trim();
  if (trimmed === '') {
    throw new K8streamError('PLUGIN_NOT_FOUND', `empty ${kind} plugin reference`, {
      hint: `name a ${kind} plugin: a short name (file), a package name, module:<package>, or a path`,
    });
  }
  if (isPathRef(trimmed)) return [trimmed];
  if (trimmed.startsWith('module:')) {
    const exact = trimmed.slice('module:'.length).trim();
    if (exact === '') {
      throw new K8streamError('PLUGIN_NOT_FOUND', `"${ref}" names no module`, {
        hint: 'write module:<exact package name or path>',
      });
    }
    return [exact];
  }
  const prefix = PREFIX[kind];
  const full = `k8stream-${prefix}`;
  const { name, subpath } = splitPackage(trimmed);
  if (name.startsWith('@')) {
    const slash = name.indexOf('/');
    const scope = slash < 0 ? name : name.slice(0, slash);
    const bare = slash < 0 ? '' : name.slice(slash + 1);
    if (bare === '') return [`${scope}/${full.slice(0, -1)}${subpath}`];
    if (bare.startsWith(full)) return [`${name}${subpath}`];
    if (scope === '@k8stream' && bare.startsWith(prefix)) return [`${name}${subpath}`];
    if (scope === '@k8stream') return [`@k8stream/${prefix}${bare}${subpath}`];
    return [`${scope}/${full}${bare}${subpath}`];
  }
  if (name.startsWith(full)) return [`${name}${subpath}`];
  return [`@k8stream/${prefix}${name}${subpath}`, `${full}${name}${subpath}`];
}

// ---------------------------------------------------------------------------------------------
// Resolution

/** Conditions Node's ESM loader matches for `import()`, plus `default`. */
const IMPORT_CONDITIONS: ReadonlySet<string> = new Set(['node', 'import', 'module-sync', 'default']);
/** Conditions of `require()`: tried when a CommonJS-only package exports nothing for import. */
const REQUIRE_CONDITIONS: ReadonlySet<string> = new Set(['node', 'require', 'default']);

/** Resolves one `exports` target (string, array, or conditions object). */
function resolveTarget(target: unknown, star: string | null, conditions: ReadonlySet<string>): string | null | undefined {
  if (typeof target === 'string') {
    if (!target.startsWith('./')) return undefined;
    const resolved = star === null ? target : target.split('*').join(star);
    // Like Node: a target may not climb out of its package or into nested node_modules.
    const segments = resolved.split(/[/\\]/);
    return segments.includes('..') || segments.includes('node_modules') ? undefined : resolved;
  }
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = resolveTarget(t, star, conditions);
      if (r !== undefined && r !== null) return r;
    }
    return undefined;
  }
  if (target !== null && typeof target === 'object') {
    for (const [key, value] of Object.entries(target)) {
      if (!conditions.has(key)) continue;
      const r = resolveTarget(value, star, conditions);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  return target === null ? null : undefined;
}

/** The package-relative entry (`./dist/index.js`) for `subpath` under an `exports` field. */
function resolveExports(exports: unknown, subpath: string, conditions: ReadonlySet<string>): string | null | undefined {
  const key = `.${subpath}`;
  const isSubpathMap = exports !== null && typeof exports === 'object' && !Array.isArray(exports) && Object.keys(exports).some((k) => k.startsWith('.'));
  if (!isSubpathMap) return key === '.' ? resolveTarget(exports, null, conditions) : undefined;
  const map = exports as Record<string, unknown>;
  if (Object.hasOwn(map, key)) return resolveTarget(map[key], null, conditions);
  // Pattern keys (`./*`, `./sinks/*.js`): the longest matching prefix wins.
  let best: { prefix: string; target: unknown; star: string } | null = null;
  for (const [pattern, target] of Object.entries(map)) {
    const starAt = pattern.indexOf('*');
    if (starAt < 0) continue;
    const before = pattern.slice(0, starAt);
    const after = pattern.slice(starAt + 1);
    if (key.startsWith(before) && key.endsWith(after) && key.length >= pattern.length - 1) {
      if (best === null || before.length > best.prefix.length) {
        best = { prefix: before, target, star: key.slice(before.length, key.length - after.length) };
      }
    }
  }
  return best === null ? undefined : resolveTarget(best.target, best.star, conditions);
}

/** Legacy entry: `main` (with `.js`/`index.js` fallbacks), then `index.js`. */
function resolveMain(dir: string, pkg: PackageJson | null): string | null {
  const tries: string[] = [];
  if (pkg && typeof pkg.main === 'string' && pkg.main !== '') {
    const main = path.join(dir, pkg.main);
    tries.push(main, `${main}.js`, `${main}.mjs`, `${main}.cjs`, path.join(main, 'index.js'));
  }
  tries.push(path.join(dir, 'index.js'), path.join(dir, 'index.mjs'), path.join(dir, 'index.cjs'));
  return tries.find(isFile) ?? null;
}

/** Entry file of a package directory for `subpath`; throws PLUGIN_LOAD_FAILED when the package has none. */
function resolvePackageEntry(dir: string, subpath: string, label: string): string {
  const pkg = readPackageJson(dir);
  if (pkg && pkg.exports !== undefined) {
    // The ESM entry first; a CommonJS-only package (a `require` entry alone) is imported as CommonJS.
    const rel = resolveExports(pkg.exports, subpath, IMPORT_CONDITIONS) ?? resolveExports(pkg.exports, subpath, REQUIRE_CONDITIONS);
    if (rel === undefined || rel === null) {
      throw new K8streamError('PLUGIN_LOAD_FAILED', `package ${label} (${dir}) does not export "${subpath ? `.${subpath}` : '.'}" for import or require`, {
        plugin: label,
        hint: 'its package.json "exports" needs an "import", "require" or "default" entry',
      });
    }
    const file = path.join(dir, rel);
    if (!isFile(file)) {
      throw new K8streamError('PLUGIN_LOAD_FAILED', `package ${label}: entry ${rel} does not exist at ${file}`, {
        plugin: label,
        hint: 'is the package built? (its "exports" points at a missing file)',
      });
    }
    return file;
  }
  if (subpath) {
    const file = path.join(dir, subpath);
    const found = [file, `${file}.js`, `${file}.mjs`, `${file}.cjs`, path.join(file, 'index.js')].find(isFile);
    if (found) return found;
    throw new K8streamError('PLUGIN_LOAD_FAILED', `package ${label}: ${subpath.slice(1)} does not exist in ${dir}`, { plugin: label });
  }
  const main = resolveMain(dir, pkg);
  if (main === null) {
    throw new K8streamError('PLUGIN_LOAD_FAILED', `package ${label} (${dir}) has no entry point`, {
      plugin: label,
      hint: 'set "exports" (or "main") in its package.json',
    });
  }
  return main;
}

/** Name and version from a package.json, or `fallbackName` and no version. */
function packageInfo(dir: string, pkg: PackageJson | null, fallbackName: string): { packageName: string; version: string | null } {
  return {
    packageName: pkg && typeof pkg.name === 'string' && pkg.name !== '' ? pkg.name : fallbackName,
    version: pkg && typeof pkg.version === 'string' ? pkg.version : null,
  };
}

/** Resolves a path reference; null when nothing exists there. */
function resolvePath(ref: string, configDir: string): { file: string; packageName: string; version: string | null } | null {
  const abs = path.resolve(configDir, ref);
  if (isDirectory(abs)) {
    const pkg = readPackageJson(abs);
    const file = resolvePackageEntry(abs, '', ref);
    return { file, ...packageInfo(abs, pkg, ref) };
  }
  const file = [abs, `${abs}.js`, `${abs}.mjs`, `${abs}.cjs`].find(isFile);
  return file === undefined ? null : { file, packageName: ref, version: null };
}

/** Directory the core runs from (`core/dist/plugins` or `core/src/plugins`). */
function coreDir(): string {
  return path.dirname(fileURLToPath(import.meta.url));
}

/** Resolves a package specifier from the given bases; null when no base has it. */
function resolvePackage(spec: string, bases: readonly string[]): { file: string; packageName: string; version: string | null } | null {
  const { name, subpath } = splitPackage(spec);
  const seen = new Set<string>();
  for (const base of bases) {
    for (const dir of lookupDirs(base, name)) {
      if (seen.has(dir)) continue;
      seen.add(dir);
      const pkgDir = path.join(dir, name);
      if (!isDirectory(pkgDir)) continue;
      const pkg = readPackageJson(pkgDir);
      const file = resolvePackageEntry(pkgDir, subpath, name);
      return { file, ...packageInfo(pkgDir, pkg, name) };
    }
  }
  return null;
}

/**
 * Resolves a plugin reference to a module file without importing it. Throws `PLUGIN_NOT_FOUND`
 * listing every candidate tried and the install command, or `PLUGIN_LOAD_FAILED` when a package
 * is there but has no usable entry point.
 */
export function resolvePlugin(ref: string, kind: PluginKind, options: LoadSinkPluginOptions): ResolvedPlugin {
  const configDir = path.resolve(options.configDir);
  const candidates = candidatesFor(ref, kind);
  const bases = options.searchCore === false ? [configDir] : [configDir, coreDir()];
  // Every candidate from the user's directory first, then every candidate next to the core.
  for (const base of bases) {
    for (const candidate of candidates) {
      const found = isPathRef(candidate) ? (base === configDir ? resolvePath(candidate, configDir) : null) : resolvePackage(candidate, [base]);
      if (found) {
        return { ref, packageName: found.packageName, version: found.version, resolvedPath: realpathSync(found.file) };
      }
    }
  }
  throw notFound(ref, kind, candidates, configDir, bases.length > 1);
}

function notFound(ref: string, kind: PluginKind, candidates: string[], configDir: string, searchedCore: boolean): K8streamError {
  const first = candidates[0]!;
  if (isPathRef(first)) {
    const abs = path.resolve(configDir, first);
    return new K8streamError('PLUGIN_NOT_FOUND', `${kind} plugin "${ref}" not found: nothing at ${abs} (also tried ${abs}.js, ${abs}.mjs, ${abs}.cjs)`, {
      plugin: ref,
      path: abs,
      hint: `relative paths resolve against the config file's directory (${configDir})`,
    });
  }
  const where = searchedCore ? `node_modules above ${configDir} and above the k8stream installation` : `node_modules above ${configDir}`;
  const install = `npm install ${splitPackage(first).name}`;
  return new K8streamError(
    'PLUGIN_NOT_FOUND',
    [`${kind} plugin "${ref}" not found. Tried:`, ...candidates.map((c) => `  - ${c}`), `(searched ${where})`, `Install it with: ${install}`].join('\n'),
    {
      plugin: ref,
      hint: `run the install in the config file's directory (${configDir}); for another package name write use: module:<exact-name>, or give a path`,
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Import and checks

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

/** What is missing for `value` to be a sink definition (empty when it is one). */
function missingSinkParts(value: unknown): string[] {
  if (!isObject(value)) return ['a default export (got ' + (value === null ? 'null' : typeof value) + ')'];
  const missing: string[] = [];
  if (typeof value.name !== 'string' || value.name === '') missing.push('`name` (string)');
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') missing.push('`apiVersion` (semver range string)');
  if (typeof value.validate !== 'function') missing.push('`validate` (function)');
  if (typeof value.create !== 'function') missing.push('`create` (function)');
  return missing;
}

/**
 * Picks the sink definition out of an imported module namespace: the ESM `default` export,
 * CommonJS `module.exports` (which Node exposes as `default`), or a transpiled CommonJS module's
 * `exports.default` (`default.default`).
 */
function pickDefinition(namespace: Record<string, unknown>): unknown {
  const def = namespace.default;
  if (missingSinkParts(def).length === 0) return def;
  if (isObject(def) && missingSinkParts(def.default).length === 0) return def.default;
  if (missingSinkParts(namespace).length === 0) return namespace;
  return def;
}

/**
 * Resolves, imports and checks a sink plugin. Errors (all `K8streamError`):
 * `PLUGIN_NOT_FOUND` (lists candidates and the install command), `PLUGIN_LOAD_FAILED` (import
 * threw; names the package and the underlying message), `PLUGIN_INVALID` (not a sink: names
 * what is missing), `PLUGIN_API_MISMATCH` (its `apiVersion` range excludes this core's
 * {@link PLUGIN_API_VERSION}).
 */
export async function loadSinkPlugin(ref: string, options: LoadSinkPluginOptions): Promise<LoadedSinkPlugin> {
  const resolved = resolvePlugin(ref, 'sink', options);
  const label = resolved.version ? `${resolved.packageName}@${resolved.version}` : resolved.packageName;
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(resolved.resolvedPath).href)) as Record<string, unknown>;
  } catch (err) {
    throw new K8streamError('PLUGIN_LOAD_FAILED', `sink plugin ${label} failed to load from ${resolved.resolvedPath}: ${errorMessage(err)}`, {
      cause: err,
      plugin: resolved.packageName,
      path: resolved.resolvedPath,
    });
  }
  const definition = pickDefinition(namespace);
  const missing = missingSinkParts(definition);
  if (missing.length > 0) {
    throw new K8streamError('PLUGIN_INVALID', `${label} is not a k8stream sink plugin: missing ${missing.join(', ')}`, {
      plugin: resolved.packageName,
      path: resolved.resolvedPath,
      hint: "a sink package default-exports defineSink({ name, apiVersion, validate, create }) from '@k8stream/core'",
    });
  }
  const def = definition as SinkDefinition<unknown>;
  if (semver.validRange(def.apiVersion) === null) {
    throw new K8streamError('PLUGIN_INVALID', `${label} declares apiVersion ${JSON.stringify(def.apiVersion)}, which is not a semver range`, {
      plugin: resolved.packageName,
      hint: 'use a range such as "^1.0.0"',
    });
  }
  if (!semver.satisfies(PLUGIN_API_VERSION, def.apiVersion)) {
    throw new K8streamError('PLUGIN_API_MISMATCH', `${label} needs sink plugin API ${def.apiVersion}, but this k8stream implements plugin API ${PLUGIN_API_VERSION}`, {
      plugin: resolved.packageName,
      hint: `install a version of ${resolved.packageName} that supports plugin API ${PLUGIN_API_VERSION}, or a k8stream version that matches ${def.apiVersion}`,
    });
  }
  return { ...resolved, definition: def };
}

// ---------------------------------------------------------------------------------------------
// Config validation

function prefixPath(prefix: string, issuePath: string): string {
  if (issuePath === '' || issuePath === '$' || issuePath === '(root)') return prefix;
  if (issuePath.startsWith('[')) return `${prefix}${issuePath}`;
  return `${prefix}.${issuePath}`;
}

/** Issues carried by a thrown value (duck-typed: a plugin may bundle its own copy of the core). */
function issuesOf(err: unknown): ValidationIssue[] | null {
  if (!isObject(err) || !Array.isArray(err.issues)) return null;
  const issues: ValidationIssue[] = [];
  for (const issue of err.issues as unknown[]) {
    if (!isObject(issue) || typeof issue.message !== 'string') return null;
    issues.push({ path: typeof issue.path === 'string' ? issue.path : '', message: issue.message });
  }
  return issues.length > 0 ? issues : null;
}

/**
 * Runs a plugin's `validate` on a sink's raw `config`. Whatever it throws becomes a
 * `ValidationError('PLUGIN_CONFIG_INVALID')` whose message names the sink
 * (`1 configuration error in sinks[0] (archive):`) and whose issue paths are prefixed with the
 * config path (`sinks[0].config.bucket`); a throw without issues becomes one issue at
 * `sinks[0].config`.
 * @param sinkName the sink instance name (`archive`).
 * @param at config path of the sink entry: `sinks[0]`, `deadLetter`. @default 'sink'
 */
export function validateSinkConfig<C>(def: SinkDefinition<C>, raw: unknown, sinkName: string, at = 'sink'): C {
  try {
    return def.validate(raw);
  } catch (err) {
    const base = `${at}.config`;
    const issues = issuesOf(err)?.map((i) => ({ path: prefixPath(base, i.path), message: i.message })) ?? [{ path: base, message: errorMessage(err) }];
    throw new ValidationError('PLUGIN_CONFIG_INVALID', issues, {
      cause: err,
      plugin: sinkName,
      path: base,
      source: `${at} (${sinkName})`,
    });
  }
}
