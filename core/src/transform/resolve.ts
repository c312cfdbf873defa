/**
 * Resolves a transform's `use` to where its module is:
 * - an `https://` URL, pinned by `sha256` (the config field, or `#sha256=<hex>` / `?sha256=` in
 *   the URL); plain `http://` is refused;
 * - a path (`./x.wasm`, `../x`, `/abs`, `~/x`, or any name ending in `.wasm` that exists),
 *   relative to the config file's directory; a directory is read as a package;
 * - an npm package, short names resolved like sinks (`redact` → `@k8stream/transform-redact`,
 *   then `k8stream-transform-redact`; `module:x` exactly `x`), looked up above the config
 *   directory, then above the core. The package names its module in `package.json`:
 *   `"k8stream": { "transform": "./dist/redact.wasm" }`, or a `main` ending in `.wasm`.
 *   A subpath (`@acme/pii/dist/other.wasm`) names a file inside the package.
 */
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { isDirectory, isFile, lookupDirs, readPackageJson, splitPackage } from '../plugins/package-files.js';
import { fileURLToPath } from 'node:url';
import { K8streamError } from '../errors.js';
import { candidatesFor } from '../plugins/loader.js';
import { displayUrl } from './fetch.js';

export type TransformSource =
  { kind: 'file'; file: string } | { kind: 'package'; file: string; packageName: string; version: string | null } | { kind: 'url'; url: string; sha256: string };

export interface ResolveOptions {
  /** Directory of the config file. */
  configDir: string;
  /** Transform name, for messages. */
  name: string;
  /** The config's `sha256` (URLs only). */
  sha256?: string | null;
  /** Also look for packages next to the core. @default true */
  searchCore?: boolean;
}

/** Human-readable origin of a module, for logs and messages. */
export function describeSource(source: TransformSource): string {
  switch (source.kind) {
    case 'file':
      return source.file;
    case 'package':
      return `${source.packageName}${source.version ? `@${source.version}` : ''} (${source.file})`;
    case 'url':
      return displayUrl(source.url);
  }
}

function isPathLike(use: string): boolean {
  return use === '.' || use === '..' || /^\.\.?[\\/]/.test(use) || use === '~' || use.startsWith('~/') || path.isAbsolute(use) || use.startsWith('file:');
}

function expandPath(use: string, configDir: string): string {
  if (use.startsWith('file:')) return fileURLToPath(use);
  if (use === '~') return homedir();
  if (use.startsWith('~/')) return path.join(homedir(), use.slice(2));
  return path.resolve(configDir, use);
}

/** The `sha256=<hex>` parameter in a URL's fragment or query, if any. */
function sha256InUrl(url: string): string | null {
  const match = /[?#&]sha256=([0-9a-fA-F]{64})\b/.exec(url);
  return match ? match[1]!.toLowerCase() : null;
}

/** The URL without a `sha256` fragment (fragments are not sent; keep the query as written). */
function withoutPinFragment(url: string): string {
  const u = new URL(url);
  u.hash = '';
  return u.href;
}

/** The module file a package directory declares. */
function packageModule(dir: string, subpath: string, label: string): { file: string; packageName: string; version: string | null } {
  const pkg = readPackageJson(dir, label);
  const packageName = pkg && typeof pkg.name === 'string' && pkg.name !== '' ? pkg.name : label;
  const version = pkg && typeof pkg.version === 'string' ? pkg.version : null;
  let rel: string | null = null;
  if (subpath) {
    rel = `.${subpath}`;
  } else {
    const meta = pkg?.k8stream;
    if (meta !== null && typeof meta === 'object' && typeof (meta as { transform?: unknown }).transform === 'string') {
      rel = (meta as { transform: string }).transform;
    } else if (typeof pkg?.main === 'string' && pkg.main.endsWith('.wasm')) {
      rel = pkg.main;
    }
  }
  if (rel === null) {
    throw new K8streamError('PLUGIN_INVALID', `package ${packageName} (${dir}) is not a k8stream transform: its package.json names no .wasm module`, {
      plugin: packageName,
      hint: 'a transform package sets "k8stream": { "transform": "./dist/<name>.wasm" } in its package.json',
    });
  }
  const file = path.resolve(dir, rel);
  if (!file.startsWith(path.resolve(dir) + path.sep)) {
    throw new K8streamError('PLUGIN_INVALID', `package ${packageName}: transform module ${rel} is outside the package`, { plugin: packageName });
  }
  if (!isFile(file)) {
    throw new K8streamError('PLUGIN_LOAD_FAILED', `package ${packageName}: transform module ${rel} does not exist at ${file}`, {
      plugin: packageName,
      path: file,
      hint: 'is the package built?',
    });
  }
  return { file: realpathSync(file), packageName, version };
}

function coreDir(): string {
  return path.dirname(fileURLToPath(import.meta.url));
}

/** `node_modules/<name>` directories Node would consider from `base`, nearest first. */
function packageDirs(base: string, name: string): string[] {
  return lookupDirs(base, name).map((dir) => path.join(dir, name));
}

/** Resolves `use` to a file, a package's module, or a pinned URL. Throws a coded K8streamError. */
export function resolveTransformSource(use: string, options: ResolveOptions): TransformSource {
  const { configDir, name } = options;
  const trimmed = use.trim();
  if (/^http:\/\//i.test(trimmed)) {
    throw new K8streamError('CONFIG_INVALID', `transform "${name}": plain http modules are not allowed (${displayUrl(trimmed)})`, {
      plugin: name,
      hint: 'serve the module over https and pin it with sha256',
    });
  }
  if (/^https:\/\//i.test(trimmed)) {
    const inUrl = sha256InUrl(trimmed);
    const configured = options.sha256 ? options.sha256.toLowerCase() : null;
    if (inUrl !== null && configured !== null && inUrl !== configured) {
      throw new K8streamError('CONFIG_INVALID', `transform "${name}": sha256 in the URL (${inUrl}) differs from the sha256 setting (${configured})`, { plugin: name });
    }
    const sha256 = configured ?? inUrl;
    if (sha256 === null) {
      throw new K8streamError('CONFIG_INVALID', `transform "${name}": the https module ${displayUrl(trimmed)} is not pinned`, {
        plugin: name,
        hint: 'set sha256 to the hex sha256 of the .wasm file (sha256sum module.wasm)',
      });
    }
    return { kind: 'url', url: withoutPinFragment(trimmed), sha256 };
  }

  const dir = path.resolve(configDir);
  if (isPathLike(trimmed) || (trimmed.endsWith('.wasm') && isFile(path.resolve(dir, trimmed)))) {
    const abs = expandPath(trimmed, dir);
    if (isDirectory(abs)) return { kind: 'package', ...packageModule(abs, '', trimmed) };
    if (!isFile(abs)) {
      throw new K8streamError('PLUGIN_NOT_FOUND', `transform "${name}": no module at ${abs}`, {
        plugin: name,
        path: abs,
        hint: `relative paths resolve against ${dir} (the config file's directory; on the command line, the current directory)`,
      });
    }
    return { kind: 'file', file: realpathSync(abs) };
  }

  const candidates = candidatesFor(trimmed, 'transform');
  const bases = options.searchCore === false ? [dir] : [dir, coreDir()];
  for (const base of bases) {
    for (const candidate of candidates) {
      const { name: pkgName, subpath } = splitPackage(candidate);
      for (const pkgDir of packageDirs(base, pkgName)) {
        if (isDirectory(pkgDir)) return { kind: 'package', ...packageModule(pkgDir, subpath, pkgName) };
      }
    }
  }
  const install = `npm install ${splitPackage(candidates[0]!).name}`;
  throw new K8streamError(
    'PLUGIN_NOT_FOUND',
    [
      `transform "${name}": module "${trimmed}" not found. Tried:`,
      ...candidates.map((c) => `  - ${c}`),
      `(searched node_modules above ${dir}${bases.length > 1 ? ' and above the k8stream installation' : ''})`,
      `Install it with: ${install}`,
    ].join('\n'),
    { plugin: name, hint: `or give a path to a .wasm file (relative to ${dir}), or an https URL with sha256` },
  );
}
