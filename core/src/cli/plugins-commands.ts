/**
 * `k8stream plugins add|list`: install sink plugins from npm and show what a config resolves to.
 *   add <name> [--registry URL] [--dev] [-c FILE]  find the package a short name means, npm install it
 *   list [-c FILE]                                 every sink (and the dead letter): package, version, API range, path
 */
import { execFile } from 'node:child_process';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { K8streamError, errorMessage } from '../errors.js';
import { loadConfig } from '../config/load.js';
import { candidatesFor, resolvePlugin } from '../plugins/loader.js';
import { isFile } from '../plugins/package-files.js';
import { PLUGIN_API_VERSION } from '../plugins/api.js';
import { pluginLabel, resolvePlugins } from '../runtime.js';
import type { ResolvedSink } from '../runtime.js';

export const PLUGINS_HELP = `k8stream plugins — install and inspect sink plugins

Usage:
  k8stream plugins add <name> [options]   npm install the sink package <name> means and print a .k8streamrc snippet
      --registry URL      npm registry to install from
      --dev               save as a devDependency
  k8stream plugins list [options]         the plugins the config resolves to: package@version, API range, path

Options:
  -c, --config FILE       config file (add: install next to it; list: resolve from it)

<name> is what you write in \`use:\`: s3 → @k8stream/sink-s3, then k8stream-sink-s3;
@acme/s3 → @acme/k8stream-sink-s3; module:<package> names a package exactly.
`;

/** Parsed `k8stream plugins ...` arguments. */
export type PluginsArgs =
  { action: 'help' } | { action: 'add'; name: string; registry: string | undefined; dev: boolean; config: string | undefined } | { action: 'list'; config: string | undefined };

/** Runs npm; resolves with its output or rejects with an error carrying `stdout`/`stderr`. */
export type NpmRunner = (args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }) => Promise<{ stdout: string; stderr: string }>;

/** What `plugins` needs from the outside world (tests pass a fake npm). */
export interface PluginsIo {
  stdout: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  npm?: NpmRunner;
}

function usage(message: string): K8streamError {
  return new K8streamError('CONFIG_INVALID', message, { hint: 'run `k8stream plugins --help`' });
}

/** Parses the arguments after `plugins`. Throws CONFIG_INVALID (a usage error) on bad input. */
export function parsePluginsArgs(argv: readonly string[]): PluginsArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        registry: { type: 'string' },
        dev: { type: 'boolean', default: false },
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [action, name, extra] = positionals;
  if (values.help || action === undefined || action === 'help') return { action: 'help' };
  if (action === 'add') {
    if (name === undefined || name.trim() === '') throw usage('plugins add: missing <name>');
    if (extra !== undefined) throw usage(`unexpected argument "${extra}"`);
    return { action: 'add', name: name.trim(), registry: values.registry, dev: values.dev ?? false, config: values.config };
  }
  if (action === 'list') {
    if (name !== undefined) throw usage(`unexpected argument "${name}"`);
    if (values.registry !== undefined || values.dev) throw usage('plugins list: --registry and --dev only apply to plugins add');
    return { action: 'list', config: values.config };
  }
  throw usage(`unknown plugins command "${action}" (commands: add, list)`);
}

/** The directory of the nearest package.json at or above `start`, or `start` when there is none. */
export function findProjectDir(start: string): string {
  let dir = resolve(start);
  for (;;) {
    if (isFile(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(start);
    dir = parent;
  }
}

/** The `.k8streamrc` lines that use sink `name`. */
export function sinkSnippet(name: string): string {
  return `sinks:\n  - use: ${name}\n    config: {}\n`;
}

/** npm from PATH, run on the Node that runs k8stream (so an npm shim finds a matching Node). */
export const defaultNpm: NpmRunner = (args, options) =>
  new Promise((resolvePromise, reject) => {
    const env = { ...options.env, PATH: `${dirname(process.execPath)}:${options.env.PATH ?? ''}` };
    execFile('npm', [...args], { cwd: options.cwd, env, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stdout, stderr }));
      else resolvePromise({ stdout, stderr });
    });
  });

function npmOutput(err: unknown): string {
  const e = err as { stderr?: unknown };
  return typeof e.stderr === 'string' ? e.stderr : '';
}

/** Last lines of npm's error output, for a message. */
function tail(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.slice(-6).join('\n');
}

/** The first candidate package that exists in the registry (`npm view <pkg> name`). */
async function findPackage(name: string, registry: string[], io: PluginsIo, npm: NpmRunner, cwd: string): Promise<string> {
  const candidates = candidatesFor(name, 'sink');
  const first = candidates[0]!;
  if (first.startsWith('.') || first.startsWith('/')) {
    throw new K8streamError('PLUGIN_NOT_FOUND', `"${name}" is a path, not an npm package: nothing to install`, {
      plugin: name,
      hint: 'write the path in `use:` directly',
    });
  }
  for (const candidate of candidates) {
    try {
      const { stdout } = await npm(['view', candidate, 'name', ...registry], { cwd, env: io.env });
      if (stdout.trim() !== '') return candidate;
    } catch (err) {
      const out = npmOutput(err);
      if (/E404|404 Not Found|is not in this registry/i.test(out)) continue;
      throw new K8streamError('PLUGIN_NOT_FOUND', `npm view ${candidate} failed: ${tail(out) || errorMessage(err)}`, { plugin: name });
    }
  }
  throw new K8streamError('PLUGIN_NOT_FOUND', [`no package for sink plugin "${name}" in the npm registry. Tried:`, ...candidates.map((c) => `  - ${c}`)].join('\n'), {
    plugin: name,
    hint: 'check the name, or write module:<exact package name>',
  });
}

async function addCommand(args: Extract<PluginsArgs, { action: 'add' }>, io: PluginsIo): Promise<number> {
  const npm = io.npm ?? defaultNpm;
  const project = args.config !== undefined ? dirname(resolve(io.cwd, args.config)) : findProjectDir(io.cwd);
  const registry = args.registry !== undefined ? ['--registry', args.registry] : [];
  const pkg = await findPackage(args.name, registry, io, npm, project);
  const installArgs = ['install', pkg, ...(args.dev ? ['--save-dev'] : []), ...registry];
  try {
    await npm(installArgs, { cwd: project, env: io.env });
  } catch (err) {
    throw new K8streamError('PLUGIN_LOAD_FAILED', `npm ${installArgs.join(' ')} failed in ${project}:\n${tail(npmOutput(err)) || errorMessage(err)}`, {
      plugin: pkg,
    });
  }
  const readme = join(project, 'node_modules', pkg, 'README.md');
  const lines = [`installed ${pkg} in ${project}`, '', 'add to .k8streamrc:', '', sinkSnippet(args.name)];
  if (isFile(readme)) lines.push(`config options: see ${relative(io.cwd, readme) || readme}`, '');
  io.stdout.write(lines.join('\n'));
  return 0;
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
    .join('  ')
    .trimEnd();
}

async function listCommand(args: Extract<PluginsArgs, { action: 'list' }>, io: PluginsIo): Promise<number> {
  const loaded = await loadConfig({ cwd: io.cwd, configPath: args.config, env: io.env });
  const resolution = await resolvePlugins(loaded);
  const entries: ResolvedSink[] = [...resolution.sinks, ...(resolution.deadLetter ? [resolution.deadLetter] : [])];
  const rows = entries.map((s) => {
    const file = resolvePlugin(s.sink.use, 'sink', { configDir: loaded.dir }).resolvedPath;
    const name = s.path === 'deadLetter' ? 'deadLetter' : s.sink.name;
    return [name, pluginLabel(s), s.definition.apiVersion, file];
  });
  const table = [['NAME', 'PACKAGE', 'API', 'PATH'], ...rows];
  const widths = [0, 1, 2].map((i) => Math.max(...table.map((r) => r[i]!.length)));
  io.stdout.write(`config: ${loaded.filepath ?? '(defaults)'} (plugin API ${PLUGIN_API_VERSION})\n`);
  io.stdout.write(table.map((r) => row(r, widths)).join('\n') + '\n');
  if (resolution.errors.length > 0) {
    throw resolution.errors.length === 1 ? resolution.errors[0]! : new K8streamError(resolution.errors[0]!.code, resolution.errors.map((e) => e.toUserString()).join('\n'));
  }
  return 0;
}

/** Runs `k8stream plugins ...`; returns the exit code. Failures throw `K8streamError` for the caller to print. */
export async function pluginsCommand(argv: readonly string[], io: PluginsIo): Promise<number> {
  const args = parsePluginsArgs(argv);
  switch (args.action) {
    case 'help':
      io.stdout.write(PLUGINS_HELP);
      return 0;
    case 'add':
      return addCommand(args, io);
    case 'list':
      return listCommand(args, io);
  }
}
