// Third-party plugins from npm, end to end: a local registry (verdaccio, no uplinks) serves the
// core and a sink package written like examples/custom-sink; a user project installs them by
// name and runs k8stream with `use: example` — resolution, loading, the plugin-API check and
// delivery — and `k8stream plugins add|list` work against the same registry.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './helpers/cli.fixture.js';
import { npm, npmEnv, publish, startRegistry } from './registry/verdaccio.js';
import type { LocalRegistry } from './registry/verdaccio.js';

const EVENTS = 25;

let registry: LocalRegistry | undefined;
let work: string;
let project: string;
let env: NodeJS.ProcessEnv;
let expectedIds: string[];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the core CLI installed in `cwd`'s node_modules (not the repo's). */
/** The `k8stream` command npm linked when it installed the published @k8stream/core. */
async function k8stream(cwd: string, args: string[]): Promise<Run> {
  const bin = join(cwd, 'node_modules', '.bin', 'k8stream');
  const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

/**
 * Stages `@k8stream/core` for publishing: what its package.json's `files` lists (the bin shim,
 * the built `dist/`, `schema/`) with the package.json.
 * Its runtime dependencies (cosmiconfig, semver, the Kubernetes client, extism) are not in this
 * offline registry, so the staged copy declares none and the user project links them from the
 * workspace's node_modules instead (see beforeAll).
 */
async function stageCore(dir: string): Promise<string[]> {
  const pkg = await readJson(join(REPO, 'core', 'package.json'));
  const deps = Object.keys(pkg.dependencies as Record<string, string>);
  delete pkg.dependencies;
  delete pkg.devDependencies;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  for (const entry of pkg.files as string[]) await cp(join(REPO, 'core', entry), join(dir, entry), { recursive: true });
  return deps;
}

/** A copy of examples/custom-sink under another name, optionally declaring another plugin-API range. */
async function stageSink(dir: string, name: string, apiVersion?: string): Promise<void> {
  const src = join(REPO, 'examples', 'custom-sink');
  await mkdir(dir, { recursive: true });
  const pkg = await readJson(join(src, 'package.json'));
  pkg.name = name;
  delete pkg.devDependencies;
  delete pkg.scripts;
  await writeFile(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  await cp(join(src, 'README.md'), join(dir, 'README.md'));
  let code = await readFile(join(src, 'index.js'), 'utf8');
  if (apiVersion !== undefined) {
    const changed = code.replace("apiVersion: '^1.0.0'", `apiVersion: '${apiVersion}'`);
    if (changed === code) throw new Error('examples/custom-sink/index.js no longer declares apiVersion ^1.0.0');
    code = changed;
  }
  await writeFile(join(dir, 'index.js'), code);
}

beforeAll(async () => {
  if (!existsSync(join(REPO, 'core', 'dist', 'cli', 'main.js'))) throw new Error('core is not built: run `npm run build` first');
  work = await realpath(await mkdtemp(join(tmpdir(), 'k8stream-third-party-')));
  registry = await startRegistry();
  env = npmEnv(registry, join(work, 'npm-cache'));

  const coreDeps = await stageCore(join(work, 'pkg-core'));
  await stageSink(join(work, 'pkg-example'), 'k8stream-sink-example');
  await stageSink(join(work, 'pkg-future'), 'k8stream-sink-future', '^2.0.0');
  await Promise.all(['pkg-core', 'pkg-example', 'pkg-future'].map((d) => publish(join(work, d), env)));

  project = join(work, 'project');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true }));
  await npm(['install', '@k8stream/core', 'k8stream-sink-example', 'k8stream-sink-future'], project, env);
  for (const dep of coreDeps) {
    const link = join(project, 'node_modules', dep);
    await mkdir(join(link, '..'), { recursive: true });
    await symlink(join(REPO, 'node_modules', dep), link, 'dir');
  }

  const demo = JSON.parse(await readFile(join(REPO, 'examples', 'demo', 'events.json'), 'utf8')) as {
    items: { metadata: { uid: string; resourceVersion: string } }[];
  };
  const items = demo.items.slice(0, EVENTS);
  expectedIds = items.map((e) => `${e.metadata.uid}:${e.metadata.resourceVersion}`).sort();
  await writeFile(join(project, 'events.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  const rc = (use: string, out: string) =>
    [
      'cluster: e2e',
      'source: { type: replay, replay: { file: ./events.json } }',
      'enrich: { objects: false, owners: false, nodes: false, services: false }',
      'sinks:',
      `  - use: ${use}`,
      '    batch: { maxEvents: 10 }',
      `    config: { file: ./${out} }`,
      'deadLetter:',
      '  use: example',
      '  config: { file: ./dead.jsonl }',
      '',
    ].join('\n');
  await writeFile(join(project, '.k8streamrc'), rc('example', 'events.jsonl'));
  await writeFile(join(project, 'future.k8streamrc'), rc('future', 'future.jsonl'));
}, 60_000);

afterAll(async () => {
  await registry?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a third-party sink installed from npm', () => {
  it('installs by package name and delivers every record exactly once with use: example', async () => {
    const installed = await readJson(join(project, 'node_modules', 'k8stream-sink-example', 'package.json'));
    expect(installed.version).toBe('0.1.0');
    const r = await k8stream(project, ['run']);
    expect(r.stderr).not.toContain('error: ');
    expect(r.code).toBe(0);
    const lines = (await readFile(join(project, 'events.jsonl'), 'utf8')).trimEnd().split('\n');
    const batches = lines.map((l) => JSON.parse(l) as { batch: string; records: { id: string; schema: string }[] });
    expect(batches).toHaveLength(3);
    const records = batches.flatMap((b) => b.records);
    expect(records.every((rec) => rec.schema === 'k8stream.event/v1')).toBe(true);
    expect(records.map((rec) => rec.id).sort()).toEqual(expectedIds);
    expect(existsSync(join(project, 'dead.jsonl'))).toBe(false);
  });

  it('refuses a plugin whose API range excludes this core (PLUGIN_API_MISMATCH, both versions named)', async () => {
    const r = await k8stream(project, ['run', '-c', 'future.k8streamrc']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[PLUGIN_API_MISMATCH] k8stream-sink-future@0.1.0 needs sink plugin API ^2.0.0, but this k8stream implements plugin API 1.2.0');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(project, 'future.jsonl'))).toBe(false);
  });

  it('plugins list prints each resolved plugin with its version, API range and path', async () => {
    const r = await k8stream(project, ['plugins', 'list']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const file = join(project, 'node_modules', 'k8stream-sink-example', 'index.js');
    expect(r.stdout).toBe(
      [
        `config: ${join(project, '.k8streamrc')} (plugin API 1.2.0)`,
        'NAME        PACKAGE                      API     PATH',
        `example     k8stream-sink-example@0.1.0  ^1.0.0  ${file}`,
        `deadLetter  k8stream-sink-example@0.1.0  ^1.0.0  ${file}`,
        '',
      ].join('\n'),
    );
  });

  it('plugins list fails with the API mismatch for the future plugin', async () => {
    const r = await k8stream(project, ['plugins', 'list', '-c', 'future.k8streamrc']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('deadLetter  k8stream-sink-example@0.1.0');
    expect(r.stderr).toContain('[PLUGIN_API_MISMATCH] k8stream-sink-future@0.1.0 needs sink plugin API ^2.0.0');
  });

  it('plugins add <short name> installs the package it means in a fresh project and prints a snippet', async () => {
    const fresh = join(work, 'fresh');
    await mkdir(join(fresh, 'sub'), { recursive: true });
    await writeFile(join(fresh, 'package.json'), JSON.stringify({ name: 'fresh-project', version: '1.0.0', private: true }));
    // The CLI comes from the first project; the install goes to the nearest package.json above cwd.
    const main = join(project, 'node_modules', '@k8stream', 'core', 'dist', 'cli', 'main.js');
    const child = spawn(process.execPath, [main, 'plugins', 'add', 'example', '--registry', registry!.url], {
      cwd: join(fresh, 'sub'),
      env: { ...env, npm_config_registry: 'http://127.0.0.1:9/' }, // --registry must win
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        `installed k8stream-sink-example in ${fresh}`,
        '',
        'add to .k8streamrc:',
        '',
        'sinks:',
        '  - use: example',
        '    config: {}',
        '',
        'config options: see ../node_modules/k8stream-sink-example/README.md',
        '',
      ].join('\n'),
    );
    const pkg = await readJson(join(fresh, 'package.json'));
    expect(Object.keys(pkg.dependencies as object)).toEqual(['k8stream-sink-example']);
    expect((await readJson(join(fresh, 'node_modules', 'k8stream-sink-example', 'package.json'))).name).toBe('k8stream-sink-example');
  });

  it('plugins add of a name no registry package matches lists every candidate (exit 1)', async () => {
    const r = await k8stream(project, ['plugins', 'add', 'nosuch']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: [PLUGIN_NOT_FOUND] no package for sink plugin "nosuch" in the npm registry. Tried:\n' +
        '  - @k8stream/sink-nosuch\n  - k8stream-sink-nosuch\n  hint: check the name, or write module:<exact package name>\n',
    );
  });
});
