/** File-system helpers shared by the sink and transform resolvers. */
import { readFileSync, statSync } from 'node:fs';
import { K8streamError, errorMessage } from '../errors.js';
import { createRequire } from 'node:module';
import * as path from 'node:path';

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Splits `@scope/name/sub/path` or `name/sub` into the package name and the subpath (`''` or `/sub`). */
export function splitPackage(spec: string): { name: string; subpath: string } {
  const parts = spec.split('/');
  const count = spec.startsWith('@') ? 2 : 1;
  const rest = parts.slice(count).join('/');
  return { name: parts.slice(0, count).join('/'), subpath: rest ? `/${rest}` : '' };
}

/** The `node_modules` directories Node would search for `name` from `base`, nearest first. */
export function lookupDirs(base: string, name: string): string[] {
  try {
    return createRequire(path.join(base, 'noop.js')).resolve.paths(name) ?? [];
  } catch {
    return [];
  }
}

/** The fields of a package.json the resolvers read (all unchecked). */
export interface PackageJson {
  name?: unknown;
  version?: unknown;
  main?: unknown;
  exports?: unknown;
  type?: unknown;
  k8stream?: unknown;
}

/**
 * `dir/package.json`, parsed; null when there is none. A file that is not JSON fails with
 * `PLUGIN_LOAD_FAILED`, its message prefixed by `label` (e.g. `transform x: `) when given.
 */
export function readPackageJson(dir: string, label?: string): PackageJson | null {
  const file = path.join(dir, 'package.json');
  if (!isFile(file)) return null;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? parsed : {};
  } catch (err) {
    const prefix = label === undefined ? '' : `transform ${label}: `;
    throw new K8streamError('PLUGIN_LOAD_FAILED', `${prefix}cannot read ${file}: ${errorMessage(err)}`, {
      cause: err,
      path: file,
      ...(label === undefined ? {} : { plugin: label }),
    });
  }
}
