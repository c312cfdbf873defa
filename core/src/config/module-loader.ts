/**
 * Loads a JavaScript or TypeScript config module and returns its default export. `.ts`, `.mts`
 * and `.cts` files run through Node's built-in type stripping (Node ≥ 22.18 / 23.6): only
 * erasable syntax (types, interfaces, `import type`) is allowed, no enums or namespaces.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Extensions this loader handles. */
export const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] as const;

/**
 * Imports `file` and resolves its default export (awaited when it is a promise). The URL carries
 * the file's modification time so an edited file is imported afresh in a long-lived process.
 */
export async function loadModuleConfig(file: string): Promise<unknown> {
  const info = await stat(file);
  const url = `${pathToFileURL(file).href}?mtime=${Math.trunc(info.mtimeMs)}`;
  const mod = (await import(url)) as Record<string, unknown>;
  if (!('default' in mod) || mod.default === undefined) {
    const ext = extname(file);
    const how = ext === '.cjs' || ext === '.cts' ? 'module.exports = { ... }' : 'export default { ... }';
    throw new Error(`no default export (write \`${how}\`)`);
  }
  return mod.default;
}
