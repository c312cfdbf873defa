/** File-system helpers shared by the sink and transform resolvers. */
import { statSync } from 'node:fs';
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
