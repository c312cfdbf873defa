import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { K8streamError } from '../errors.js';
import { DEFAULT_KIT_VERSION, SCAFFOLD_DEPENDENCIES, checkTransformName, scaffoldTransform } from './scaffold.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const KIT = path.join(REPO, 'transforms/kit');

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'k8stream-scaffold-'));
  temps.push(dir);
  return dir;
}

afterEach(async () => {
  for (const dir of temps.splice(0)) {
    // unlink a linked node_modules first so nothing outside the temp dir is touched
    await unlink(path.join(dir, 'proj', 'node_modules')).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
});

const FILES = ['package.json', 'asconfig.json', 'assembly/index.ts', 'assembly/tsconfig.json', 'test/team-tag.test.ts', 'README.md', '.gitignore'];

describe('scaffoldTransform', () => {
  it('writes a complete project and returns the files in order', async () => {
    const dir = path.join(await tempDir(), 'proj');
    const files = await scaffoldTransform(dir, 'team-tag');
    expect(files).toEqual(FILES.map((f) => path.join(dir, f)));
    expect(JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'))).toEqual({
      name: 'k8stream-transform-team-tag',
      version: '0.1.0',
      description: 'k8stream transform team-tag (AssemblyScript, Extism plugin)',
      type: 'module',
      keywords: ['k8stream', 'k8stream-transform'],
      k8stream: { transform: './dist/team-tag.wasm' },
      files: ['dist'],
      scripts: {
        'build:wasm': 'asc assembly/index.ts --config asconfig.json -o dist/team-tag.wasm',
        build: 'npm run build:wasm',
        test: 'vitest run',
      },
      devDependencies: {
        '@k8stream/transform-kit': DEFAULT_KIT_VERSION,
        assemblyscript: '^0.28.20',
        '@extism/as-pdk': '^1.0.0',
        'json-as': '^1.6.0',
        '@extism/extism': '^1.0.3',
        vitest: '^5.1.2',
      },
    });
    expect(JSON.parse(await readFile(path.join(dir, 'asconfig.json'), 'utf8'))).toEqual({
      extends: '@k8stream/transform-kit/asconfig.json',
    });
    const readme = await readFile(path.join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('npm run build      # → dist/team-tag.wasm');
    expect(readme).toContain('# or, once published: team-tag (k8stream-transform-team-tag)');
  });

  it('depends on a local kit through a relative file: path, or on a given version', async () => {
    const base = await tempDir();
    await scaffoldTransform(path.join(base, 'proj'), 'local', { kitPath: path.join(base, 'kits', 'kit') });
    const pkg = JSON.parse(await readFile(path.join(base, 'proj', 'package.json'), 'utf8'));
    expect(pkg.devDependencies['@k8stream/transform-kit']).toBe('file:../kits/kit');
    await scaffoldTransform(path.join(base, 'other'), 'pinned', { kitVersion: '0.1.0' });
    const pinned = JSON.parse(await readFile(path.join(base, 'other', 'package.json'), 'utf8'));
    expect(pinned.devDependencies['@k8stream/transform-kit']).toBe('0.1.0');
  });

  it('uses the dependency ranges the kit itself uses', async () => {
    const kit = JSON.parse(await readFile(path.join(KIT, 'package.json'), 'utf8'));
    expect(SCAFFOLD_DEPENDENCIES['@extism/as-pdk']).toBe(kit.dependencies['@extism/as-pdk']);
    expect(SCAFFOLD_DEPENDENCIES['json-as']).toBe(kit.dependencies['json-as']);
    expect(SCAFFOLD_DEPENDENCIES.assemblyscript).toBe(kit.peerDependencies.assemblyscript);
    expect(SCAFFOLD_DEPENDENCIES['@extism/extism']).toBe(kit.peerDependencies['@extism/extism']);
    expect(DEFAULT_KIT_VERSION).toBe(`^${kit.version}`);
  });

  it.each(['', 'Team', '1tag', '-tag', 'tag-', 'a--b', 'a_b', 'a b', '../x', 'x'.repeat(51)])('rejects the name %j', async (name) => {
    const dir = path.join(await tempDir(), 'proj');
    const err = await scaffoldTransform(dir, name).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(K8streamError);
    expect(err).toMatchObject({ code: 'TRANSFORM_SCAFFOLD_FAILED', message: `invalid transform name "${name}"` });
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('accepts names like a, tag2 and team-tag', () => {
    for (const name of ['a', 'tag2', 'team-tag', 'x'.repeat(50)]) expect(() => checkTransformName(name)).not.toThrow();
  });

  it('refuses a directory that is not empty, and a file', async () => {
    const base = await tempDir();
    await writeFile(path.join(base, 'keep.txt'), 'mine');
    await expect(scaffoldTransform(base, 'x')).rejects.toMatchObject({
      code: 'TRANSFORM_SCAFFOLD_FAILED',
      message: `${base} is not empty`,
    });
    expect(await readFile(path.join(base, 'keep.txt'), 'utf8')).toBe('mine');
    await expect(scaffoldTransform(path.join(base, 'keep.txt'), 'x')).rejects.toMatchObject({
      code: 'TRANSFORM_SCAFFOLD_FAILED',
      message: `${path.join(base, 'keep.txt')} exists and is not a directory`,
    });
  });
});

/** Runs a command; resolves with its output, rejects with it on a non-zero exit. */
function run(command: string, args: string[], cwd: string): Promise<string> {
  // A clean environment for nested tools: no vitest worker state from this process.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'NODE_OPTIONS') env[k] = v;
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  env.NO_COLOR = '1';
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

function npm(args: string[], cwd: string): Promise<string> {
  const cli = process.env.npm_execpath;
  if (cli && cli.endsWith('.js')) return run(process.execPath, [cli, ...args], cwd);
  return run('npm', args, cwd);
}

describe('a scaffolded project, outside the repository', () => {
  it('builds with asc and passes its own test', async () => {
    // The project lives in a fresh temp dir; its dependencies are this repository's installed
    // ones (node_modules linked in), and it depends on the local kit through `file:`.
    const proj = path.join(await tempDir(), 'proj');
    await scaffoldTransform(proj, 'team-tag', { kitPath: KIT });
    await symlink(path.join(REPO, 'node_modules'), path.join(proj, 'node_modules'), 'dir');

    await npm(['run', 'build', '--silent'], proj);
    const wasm = await readFile(path.join(proj, 'dist', 'team-tag.wasm'));
    expect(WebAssembly.Module.exports(new WebAssembly.Module(wasm)).map((e) => e.name)).toEqual(['transform', 'memory']);

    const vitest = path.join(path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
    const out = await run(process.execPath, [vitest, 'run'], proj);
    expect(out).toMatch(/Test Files\s+1 passed \(1\)/);
    expect(out).toMatch(/Tests\s+3 passed \(3\)/);
  }, 300_000);
});
