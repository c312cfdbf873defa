// `npx k8stream` in a fresh clone: `npm ci` links the committed bin shim (core/bin/k8stream.js)
// and the root `prepare` script compiles the packages (tsc), so the README's `npx k8stream validate` / `run` work
// without a registry package named k8stream. The clone is of the committed HEAD (uncommitted
// changes are not in it); it needs `git` and npm's registry or its cache.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.fixture.js';

const exec = promisify(execFile);
let work = '';
let clone = '';

/** This process's environment without what `npm test` adds (npm_* settings, the repo's .bin on PATH). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|GIT_)/i.test(key) || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  const path = (process.env.PATH ?? '').split(delimiter).filter((p) => !/node_modules[\\/]\.bin|node-gyp-bin/.test(p));
  env.PATH = [dirname(process.execPath), ...path].join(delimiter);
  return env;
}

async function run(cmd: string, args: string[], cwd: string) {
  try {
    const r = await exec(cmd, args, { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

beforeAll(async () => {
  work = await realpath(await mkdtemp(join(tmpdir(), 'k8stream-fresh-clone-')));
  clone = join(work, 'k8stream');
  const cloned = await run('git', ['clone', '--quiet', '--depth=1', `file://${REPO}`, clone], work);
  if (cloned.code !== 0) throw new Error(`git clone failed: ${cloned.stderr}`);
  const installed = await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], clone);
  if (installed.code !== 0) throw new Error(`npm ci failed:\n${installed.stderr.slice(-4000)}`);
}, 420_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a fresh clone after npm ci', () => {
  it('links the committed, executable bin shim', async () => {
    const pkg = JSON.parse(await readFile(join(clone, 'core', 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
    expect(pkg.bin).toEqual({ k8stream: 'bin/k8stream.js' });
    expect(pkg.files).toContain('bin');
    expect((await stat(join(clone, 'core', 'bin', 'k8stream.js'))).mode & 0o111).toBe(0o111);
    expect(await realpath(join(clone, 'node_modules', '.bin', 'k8stream'))).toBe(join(clone, 'core', 'bin', 'k8stream.js'));
  });

  it('runs `npx --no-install k8stream --help`', async () => {
    const r = await run('npx', ['--no-install', 'k8stream', '--help'], clone);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('k8stream — stream Kubernetes events to durable storage');
    expect(r.stdout).toContain('k8stream validate');
  });

  it('runs `npx k8stream validate` on an example config', async () => {
    const r = await run('npx', ['k8stream', 'validate', '--config', 'examples/demo/replay.k8streamrc'], clone);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('source:      replay (./events.json)');
    expect(r.stdout).toContain('config is valid');
  });
});

describe('the bin shim without a build', () => {
  it('prints one line saying how to build, and fails', async () => {
    const dir = join(work, 'unbuilt', 'core');
    await mkdir(join(dir, 'bin'), { recursive: true });
    await cp(join(REPO, 'core', 'bin', 'k8stream.js'), join(dir, 'bin', 'k8stream.js'));
    const r = await run(process.execPath, [join(dir, 'bin', 'k8stream.js'), '--help'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('k8stream is not built (core/dist/cli/main.js is missing): run `npm run build` at the repository root\n');
  });
});
