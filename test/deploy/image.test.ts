// The container image, without a Docker engine: the runtime stage of the Dockerfile is followed
// file by file. Its `COPY --from=build` lines are copied from this (built) repository into a
// temporary /app, its `npm ci` line runs there, and k8stream then runs from that directory the
// way the image runs it: ENTRYPOINT + CMD, as the image's non-root USER when the test runs as
// root, with the application and config directories read-only to it and writes only to the
// state volume (/var/lib/k8stream) and HOME (/tmp).
//
// Not verified here: the image build itself (base image, apt-get install tini, layer order),
// and tini's signal forwarding (SIGTERM goes straight to node in this test).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { chmod, chown, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dump, load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copiesFrom, execForm, last, npmCiArgs, parseDockerfile, type Stage } from './dockerfile.js';
import { REPO } from './support.fixture.js';

const stages = parseDockerfile(await readFile(join(REPO, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1)!;
const build = stages.find((s) => s.name === 'build');

/** The image's user when the test runs as root (the only case where it can switch user). */
const asRoot = process.getuid?.() === 0;
const IMAGE_UID = 1000;

let root = '';
let app = '';
let etc = '';
let data = '';
let home = '';
/** The node binary the image user runs (a copy; see beforeAll). */
let nodeBin = process.execPath;
const npmCiSeconds = { value: 0 };

/** Maps an absolute path in the image to the temporary tree. */
function hostPath(imagePath: string): string {
  const mounts: [string, () => string][] = [
    [last(runtime, 'WORKDIR')!, () => app],
    ['/etc/k8stream', () => etc],
    ['/var/lib/k8stream', () => data],
    ['/tmp', () => home],
  ];
  for (const [prefix, dir] of mounts) {
    if (imagePath === prefix || imagePath.startsWith(`${prefix}/`)) return join(dir(), imagePath.slice(prefix.length));
  }
  throw new Error(`no mapping for ${imagePath}`);
}

/** Copies what the runtime stage copies from the build stage, following Docker's COPY rules. */
async function assemble(stage: Stage, buildStage: Stage): Promise<string[]> {
  const buildDir = last(buildStage, 'WORKDIR')!;
  const workdir = last(stage, 'WORKDIR')!;
  const copied: string[] = [];
  for (const c of copiesFrom(stage)) {
    expect(c.stage).toBe(buildStage.name);
    const destAbs = posix.isAbsolute(c.dest) ? c.dest : posix.join(workdir, c.dest);
    const destIsDir = c.sources.length > 1 || c.dest.endsWith('/');
    for (const src of c.sources) {
      const rel = posix.relative(buildDir, src);
      expect(rel.startsWith('..'), `${src} is outside the build stage's WORKDIR`).toBe(false);
      const from = join(REPO, rel);
      const info = await stat(from).catch(() => null);
      expect(info, `${rel} does not exist: run \`npm run build\` first`).not.toBeNull();
      const target = hostPath(destIsDir && !info!.isDirectory() ? posix.join(destAbs, posix.basename(src)) : destAbs);
      await mkdir(info!.isDirectory() ? target : dirname(target), { recursive: true });
      await cp(from, target, { recursive: true });
      copied.push(rel);
    }
  }
  return copied;
}

function sh(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return once(child, 'exit').then(([code]) => {
    clearTimeout(timer);
    return { code: code as number | null, out };
  });
}

interface Proc {
  exit: Promise<number | null>;
  stderr: () => string;
  stdout: () => string;
  /** Resolves with the first JSON log line for which `pred` holds; rejects when the process exits first. */
  logLine(pred: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
}

/** Runs the image's ENTRYPOINT (minus tini) with `cmd` (image paths), as the image's user when possible. */
function runImage(cmd: string[]): Proc {
  const entry = execForm(runtime, 'ENTRYPOINT');
  const nodeAt = entry.indexOf('node');
  const script = hostPath(entry[nodeAt + 1]!);
  const args = cmd.map((a) => (a.startsWith('/') ? hostPath(a) : a));
  const child = spawn(nodeBin, [script, ...args], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, NODE_ENV: 'production' },
    ...(asRoot ? { uid: IMAGE_UID, gid: IMAGE_UID } : {}),
  });
  let out = '';
  let err = '';
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    partial += d.toString();
    let i: number;
    while ((i = partial.indexOf('\n')) >= 0) {
      const text = partial.slice(0, i);
      partial = partial.slice(i + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return {
    exit,
    stderr: () => err,
    stdout: () => out,
    kill: (s) => child.kill(s),
    logLine: (pred) => {
      const hit = lines.find(pred);
      if (hit) return Promise.resolve(hit);
      return Promise.race([
        new Promise<Record<string, unknown>>((resolve) => waiters.push({ pred, resolve })),
        exit.then((code) => Promise.reject(new Error(`k8stream exited (${String(code)}) before the expected log line:\n${err}`))),
      ]);
    },
  };
}

/** Replaces /var/lib/k8stream in every string of the config with the temporary data directory. */
function relocate(value: unknown): unknown {
  if (typeof value === 'string') return value.startsWith('/var/lib/k8stream') ? hostPath(value) : value;
  if (Array.isArray(value)) return value.map(relocate);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relocate(v)]));
  return value;
}

/**
 * Writes /etc/k8stream/<name>: the chart's default config, with a replay source (no cluster here), the built WebAssembly
 * transforms by package name, and the server on a free loopback port.
 */
async function writeConfig(name: string, replay: Record<string, unknown>, extraSinks: unknown[] = []): Promise<string> {
  const values = load(await readFile(join(REPO, 'charts/k8stream/values.yaml'), 'utf8')) as { config: Record<string, unknown> };
  const config = relocate(structuredClone(values.config)) as Record<string, unknown>;
  config['source'] = { type: 'replay', replay: { file: './events.json', ...replay } };
  config['enrich'] = { objects: false, owners: false, nodes: false, services: false };
  config['transforms'] = [{ use: '@k8stream/transform-redact' }, { use: '@k8stream/transform-route-tag', config: { namespaces: { '*': { team: 'image-test' } } } }];
  config['server'] = { ...(config['server'] as object), host: '127.0.0.1', port: 0 };
  config['sinks'] = [...(config['sinks'] as unknown[]), ...extraSinks];
  await writeFile(join(etc, name), dump(config));
  return `/etc/k8stream/${name}`;
}

/** Records in every .ndjson.gz under `dir`. */
async function archived(dir: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    if (!entry.endsWith('.ndjson.gz')) continue;
    const text = gunzipSync(await readFile(join(dir, entry))).toString('utf8');
    for (const line of text.split('\n')) if (line) out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}

async function mkdirFor(dir: string, owner: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (asRoot && owner) await chown(dir, IMAGE_UID, IMAGE_UID);
}

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage on the same node:24 slim base', () => {
    expect(build, 'a stage named "build"').toBeDefined();
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(readFileSync(join(REPO, 'Dockerfile'), 'utf8'))?.[1];
    expect(base).toMatch(/^node:24(\.\d+)*(-[a-z]+)?-slim$/);
    for (const s of stages) expect(s.from).toBe('${NODE_IMAGE}');
  });

  it('runs as a numeric non-root user, under tini, with the config path the chart mounts', () => {
    const user = last(runtime, 'USER')!;
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    expect(Number(user.split(':')[0])).toBe(IMAGE_UID);
    const entry = execForm(runtime, 'ENTRYPOINT');
    expect(entry.slice(0, 3)).toEqual(['/usr/bin/tini', '--', 'node']);
    expect(runtime.instructions.some((i) => i.keyword === 'RUN' && /apt-get install .*\btini\b/.test(i.args))).toBe(true);
    expect(execForm(runtime, 'CMD')).toEqual(['run', '--config', '/etc/k8stream/.k8streamrc']);
    expect(last(runtime, 'EXPOSE')).toBe('9464');
    expect(last(runtime, 'ENV')).toMatch(/\bHOME=\/tmp\b/);
    expect(last(runtime, 'ENV')).not.toMatch(/\bNODE_OPTIONS=/); // the binary sizes V8 from the container's limit; NODE_OPTIONS would override it
  });

  it('copies every sink plugin and every built WebAssembly transform of the repository', async () => {
    const copied = new Set(copiesFrom(runtime).flatMap((c) => c.sources.map((s) => posix.relative(last(build!, 'WORKDIR')!, s))));
    for (const dir of ['plugins', 'transforms']) {
      for (const name of await readdir(join(REPO, dir))) {
        const pkgFile = join(REPO, dir, name, 'package.json');
        const pkg = JSON.parse(await readFile(pkgFile, 'utf8').catch(() => 'null')) as { k8stream?: { transform?: string } } | null;
        if (pkg === null) continue;
        if (dir === 'transforms' && typeof pkg.k8stream?.transform !== 'string') continue; // the kit: build-time only
        expect(copied, `${dir}/${name}/package.json`).toContain(`${dir}/${name}/package.json`);
        expect(copied, `${dir}/${name}/dist`).toContain(`${dir}/${name}/dist`);
      }
    }
    for (const p of ['package.json', 'package-lock.json', 'core/package.json', 'core/dist', 'core/schema']) expect(copied).toContain(p);
  });

  it('starts the CLI the build stage compiled, and installs without the root prepare script (it compiles, with dev dependencies)', () => {
    const entry = execForm(runtime, 'ENTRYPOINT');
    const app = last(runtime, 'WORKDIR')!;
    const copied = copiesFrom(runtime).map((c) => posix.join(app, c.dest));
    expect(entry[3]).toBe(posix.join(app, 'core/dist/cli/main.js'));
    expect(copied.some((dest) => entry[3]!.startsWith(`${dest}/`))).toBe(true);
    expect(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts.prepare).toMatch(/\btsc -b\b/);
    expect(npmCiArgs(runtime)).toContain('--ignore-scripts');
  });

  it('.dockerignore keeps host node_modules and build output out of the build context', async () => {
    const lines = (await readFile(join(REPO, '.dockerignore'), 'utf8')).split('\n').map((l) => l.trim());
    for (const p of ['**/node_modules', '**/dist', '**/*.tsbuildinfo', '**/*.wasm']) expect(lines).toContain(p);
    for (const needed of ['package-lock.json', 'core', 'plugins', 'transforms', 'tsconfig.json', 'tsconfig.base.json']) expect(lines).not.toContain(needed);
  });
});

describe('the runtime stage, assembled from its COPY lines', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'k8stream-image-'));
    await chmod(root, 0o755);
    app = join(root, 'app');
    etc = join(root, 'etc-k8stream');
    data = join(root, 'var-lib-k8stream');
    home = join(root, 'tmp');
    await mkdirFor(app, false);
    await mkdirFor(etc, false);
    await mkdirFor(data, true);
    await mkdirFor(home, true);
    await cp(join(REPO, 'examples/demo/events.json'), join(etc, 'events.json'));
    // The image has its own node; the repo's may sit under a directory the image user cannot
    // enter (a clone in a mode-0700 temp dir), so the image user runs a copy of it.
    nodeBin = join(root, 'node');
    await cp(process.execPath, nodeBin);
    await chmod(nodeBin, 0o755);
    await assemble(runtime, build!);
    const started = Date.now();
    const ci = await sh('npm', ['ci', ...npmCiArgs(runtime), '--prefer-offline'], app, 170_000);
    npmCiSeconds.value = (Date.now() - started) / 1000;
    if (ci.code !== 0) throw new Error(`npm ci failed (${String(ci.code)}):\n${ci.out}`);
  }, 180_000);
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('installs production dependencies only', async () => {
    const installed = await readdir(join(app, 'node_modules'));
    for (const dev of ['typescript', 'vitest', 'verdaccio', 'assemblyscript', 'fauxqs', 'wabt']) expect(installed, dev).not.toContain(dev);
    expect(installed).toContain('@k8stream');
    console.log(`npm ci in the assembled image: ${npmCiSeconds.value.toFixed(1)} s`);
  });

  it('validates the chart default config, every bundled sink and the built transforms, resolved by package name', async () => {
    const config = await writeConfig('validate.k8streamrc', {}, [
      { use: 's3', config: { bucket: 'my-bucket', region: 'eu-west-1' } },
      { use: 'gcs', config: { bucket: 'my-bucket' } },
      { use: 'http', config: { url: 'https://example.invalid/events' } },
      { use: 'stdout' },
      { use: 'nats', config: { servers: ['nats://nats.example:4222'] } },
    ]);
    const p = runImage(['validate', '--config', config]);
    expect(await p.exit, p.stderr()).toBe(0);
    expect(p.stdout()).toMatch(/config is valid/);
    expect(p.stdout()).toMatch(/transform-redact, transform-route-tag/);
    for (const sink of ['file', 's3', 'gcs', 'http', 'stdout', 'nats']) expect(p.stdout()).toContain(`@k8stream/sink-${sink}@`);
  });

  it('replays to the file sink under /var/lib/k8stream, transforms applied, and exits 0', async () => {
    const events = (JSON.parse(await readFile(join(etc, 'events.json'), 'utf8')) as { items: unknown[] }).items.length;
    const config = await writeConfig('.k8streamrc', {});
    expect(execForm(runtime, 'CMD')).toContain(config);
    const p = runImage(execForm(runtime, 'CMD'));
    expect(await p.exit, p.stderr()).toBe(0);
    const records = await archived(join(data, 'archive'));
    expect(records.length).toBe(events);
    if (asRoot) expect((await stat(join(data, 'archive'))).uid, 'written by the image user').toBe(IMAGE_UID);
    expect((records[0]!['enrichment'] as { labels: Record<string, string> }).labels['team']).toBe('image-test');
    // Nothing was written next to the config (read-only in the pod).
    for (const f of await readdir(etc)) expect(f === 'events.json' || f.endsWith('.k8streamrc'), f).toBe(true);
  });

  it('serves /healthz, /readyz and /metrics, and flushes on SIGTERM', async () => {
    await rm(join(data, 'archive'), { recursive: true, force: true });
    const config = await writeConfig('follow.k8streamrc', { follow: true, rate: 500 });
    const p = runImage(['run', '--config', config]);
    const serving = await p.logLine((l) => typeof l['url'] === 'string');
    const url = serving['url'] as string;
    await p.logLine((l) => l['msg'] === 'replay source started');
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    // Ready once the pipeline runs (polled with a deadline; readiness is not instant).
    const deadline = Date.now() + 10_000;
    let ready = await fetch(`${url}/readyz`);
    while (ready.status !== 200 && Date.now() < deadline) ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^k8stream_build_info\{/m);
    expect(metrics).toMatch(/^k8stream_ready 1$/m);
    p.kill('SIGTERM');
    expect(await p.exit, p.stderr()).toBe(0);
    const finished = await p.logLine((l) => l['msg'] === 'run finished');
    const emitted = finished['emitted'] as number;
    expect(emitted).toBeGreaterThan(0);
    expect((await archived(join(data, 'archive'))).length).toBe(emitted);
  });
});
