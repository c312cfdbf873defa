// Node helpers for testing k8stream transforms: build the .wasm when its sources changed, load it
// with the Extism JS SDK the way k8stream does, call it with records, and get the outcome back
// as a drop, a replacement or a fan-out. Types: testing.d.ts.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const KIT_DIR = path.dirname(fileURLToPath(import.meta.url));
const requireHere = createRequire(import.meta.url);

/** Extism JS SDK 1.0.3 fails every call after ~16k calls on one instance unless reset. */
const RESET_EVERY = 1000;

/**
 * Turns a `.k8streamrc` `transforms[].config` object into Extism config strings the way k8stream
 * does: strings as they are, numbers and booleans as text, objects and arrays JSON-encoded.
 * `null`/`undefined` values are left out.
 */
export function toExtismConfig(config = {}) {
  const out = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === null || value === undefined) continue;
    out[key] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}

/** Every file under `dir` (recursively), skipping node_modules and dist. */
async function listFiles(dir) {
  const out = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}

async function newestMtime(files) {
  let newest = 0;
  for (const f of files) {
    try {
      newest = Math.max(newest, (await stat(f)).mtimeMs);
    } catch {
      // a missing optional input
    }
  }
  return newest;
}

/** The kit's own build inputs (its AssemblyScript sources, asc transform and settings). */
async function kitInputs() {
  return [...(await listFiles(path.join(KIT_DIR, 'assembly'))), path.join(KIT_DIR, 'transform.js'), path.join(KIT_DIR, 'asconfig.json')];
}

function run(command, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}) in ${options.cwd}:\n${output}`));
    });
  });
}

/** Environment for child builds: this Node first on PATH, so `asc` runs on the same Node. */
function buildEnv() {
  const bin = path.dirname(process.execPath);
  return { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
}

/** Serialises builds of the same output across processes (vitest runs test files in parallel). */
async function withLock(lockDir, fn) {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const age = await stat(lockDir).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 300_000) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for build lock ${lockDir}`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

/**
 * Compiles an AssemblyScript entry with the kit's asc settings (or the `asconfig.json` in `cwd`
 * when there is one) into `outFile`. Writes atomically. Returns the build time in ms.
 */
export async function compile({ entry, outFile, cwd = process.cwd(), args = [] }) {
  const asc = requireHere.resolve('assemblyscript/bin/asc.js', { paths: [cwd, KIT_DIR] });
  const ownConfig = await stat(path.join(cwd, 'asconfig.json')).then(
    () => true,
    () => false,
  );
  const config = ownConfig ? path.join(cwd, 'asconfig.json') : path.join(KIT_DIR, 'asconfig.json');
  const absOut = path.resolve(cwd, outFile);
  await mkdir(path.dirname(absOut), { recursive: true });
  const tmp = `${absOut}.${process.pid}.${Date.now()}.tmp`;
  const started = performance.now();
  await run(process.execPath, [asc, entry, '-o', tmp, '--config', config, ...args], { cwd, env: buildEnv() });
  await rename(tmp, absOut);
  return performance.now() - started;
}

/**
 * Makes sure the transform package in `pkgDir` has an up-to-date `.wasm`: runs its
 * `build:wasm` script (or `script`) when the file named by `package.json#k8stream.transform` is
 * missing or older than any source (the package's `assembly/`, `asconfig.json`,
 * `package.json`, and the kit). Returns the absolute path of the `.wasm`.
 */
export async function ensureBuilt(pkgDir, { script = 'build:wasm', force = false } = {}) {
  const pkg = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8'));
  const rel = pkg.k8stream?.transform;
  if (typeof rel !== 'string') throw new Error(`${pkgDir}/package.json has no "k8stream": { "transform": "./dist/<name>.wasm" }`);
  const wasm = path.resolve(pkgDir, rel);
  const inputs = [...(await listFiles(path.join(pkgDir, 'assembly'))), path.join(pkgDir, 'asconfig.json'), path.join(pkgDir, 'package.json'), ...(await kitInputs())];
  const fresh = async () => {
    const built = await stat(wasm).then(
      (s) => s.mtimeMs,
      () => -1,
    );
    return built >= 0 && built >= (await newestMtime(inputs));
  };
  if (!force && (await fresh())) return wasm;
  await mkdir(path.dirname(wasm), { recursive: true });
  await withLock(`${wasm}.lock`, async () => {
    if (!force && (await fresh())) return;
    const npm = process.env.npm_execpath && process.env.npm_execpath.endsWith('.js') ? process.env.npm_execpath : null;
    if (npm) await run(process.execPath, [npm, 'run', script, '--silent'], { cwd: pkgDir, env: buildEnv() });
    else await run('npm', ['run', script, '--silent'], { cwd: pkgDir, env: buildEnv(), shell: process.platform === 'win32' });
  });
  return wasm;
}

/**
 * Builds an AssemblyScript entry file (not a package) into `outFile` unless an output built from
 * the same sources exists. Used for test harnesses. Returns the absolute output path.
 */
export async function ensureCompiled({ entry, outFile, cwd = process.cwd(), args = [] }) {
  const absOut = path.resolve(cwd, outFile);
  const inputs = [path.resolve(cwd, entry), ...(await listFiles(path.dirname(path.resolve(cwd, entry)))), ...(await kitInputs())];
  const hash = createHash('sha256');
  for (const f of [...new Set(inputs)].sort()) {
    hash.update(f);
    hash.update(await readFile(f).catch(() => Buffer.alloc(0)));
  }
  hash.update(JSON.stringify(args));
  const stamp = hash.digest('hex').slice(0, 16);
  const stamped = `${absOut.replace(/\.wasm$/, '')}.${stamp}.wasm`;
  const exists = () =>
    stat(stamped).then(
      () => true,
      () => false,
    );
  if (await exists()) return stamped;
  await mkdir(path.dirname(absOut), { recursive: true });
  await withLock(`${absOut}.lock`, async () => {
    if (await exists()) return;
    await compile({ entry, outFile: stamped, cwd, args });
    // outputs of earlier sources are not needed any more
    const stem = path.basename(absOut).replace(/\.wasm$/, '');
    for (const f of await readdir(path.dirname(absOut))) {
      if (f !== path.basename(stamped) && new RegExp(`^${stem}\\.[0-9a-f]{16}\\.wasm$`).test(f)) {
        await rm(path.join(path.dirname(absOut), f), { force: true });
      }
    }
  });
  return stamped;
}

/**
 * Loads a transform module with the Extism JS SDK (no WASI, no network, no filesystem), with
 * `config` encoded as k8stream does. Returns a handle whose `call` reports what the transform
 * did with one record.
 */
export async function openTransform(wasm, config = {}, { functionName = 'transform' } = {}) {
  const { default: createPlugin } = await import('@extism/extism');
  const data = typeof wasm === 'string' ? await readFile(wasm) : wasm;
  const plugin = await createPlugin({ wasm: [{ data }] }, { useWasi: false, config: toExtismConfig(config) });
  let calls = 0;
  const callRaw = async (input) => {
    if (calls > 0 && calls % RESET_EVERY === 0) await plugin.reset();
    calls++;
    const text = typeof input === 'string' ? input : JSON.stringify(input);
    const out = await plugin.call(functionName, text);
    return out === null ? '' : out.text();
  };
  return {
    plugin,
    /** The raw output text ('' = drop); rejects with the plugin's error. */
    callRaw,
    /** `{ kind: 'drop' }`, `{ kind: 'replace', value }` or `{ kind: 'fanOut', values }`. */
    async call(input) {
      const text = await callRaw(input);
      if (text === '') return { kind: 'drop', text };
      const value = JSON.parse(text);
      if (Array.isArray(value)) return { kind: 'fanOut', values: value, text };
      return { kind: 'replace', value, text };
    },
    async close() {
      await plugin.close();
    },
  };
}

/**
 * A realistic `k8stream.event/v1` record (a Warning about a pod of a Deployment) with
 * `overrides` applied on top (shallow; pass a whole `enrichment` to replace it).
 */
export function sampleRecord(overrides = {}) {
  const workload = { kind: 'Deployment', name: 'web', uid: 'deploy-uid-1', apiVersion: 'apps/v1' };
  return {
    schema: 'k8stream.event/v1',
    id: '6f1c2d3e-0000-4000-8000-000000000042:5012',
    cluster: 'prod-eu-1',
    uid: '6f1c2d3e-0000-4000-8000-000000000042',
    resourceVersion: '5012',
    firstTimestamp: '2026-01-02T03:04:05.000Z',
    lastTimestamp: '2026-01-02T03:09:05.000Z',
    eventTime: null,
    count: 3,
    type: 'Warning',
    reason: 'BackOff',
    message: 'Back-off restarting failed container "app" in pod web-7d9f8c6b5-x2x4q_shop(6f1c)\nlast state: terminated (exit 137)',
    action: 'MODIFIED',
    namespace: 'shop',
    involvedObject: {
      kind: 'Pod',
      name: 'web-7d9f8c6b5-x2x4q',
      namespace: 'shop',
      uid: 'pod-uid-42',
      apiVersion: 'v1',
      fieldPath: 'spec.containers{app}',
    },
    source: { component: 'kubelet', host: 'node-2' },
    reportingController: 'kubelet',
    reportingInstance: 'node-2',
    apiVersion: 'v1',
    eventAction: '',
    related: null,
    series: null,
    enrichment: {
      labels: { app: 'web', 'pod-template-hash': '7d9f8c6b5' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' },
      owners: [{ kind: 'ReplicaSet', name: 'web-7d9f8c6b5', uid: 'rs-uid-1', apiVersion: 'apps/v1' }, workload],
      workload,
      node: { name: 'node-2', addresses: [{ type: 'InternalIP', address: '10.0.0.2' }] },
      pod: { ip: '10.1.1.2', hostIP: '10.0.0.2', phase: 'Running', startTime: '2026-01-01T00:00:00.000Z' },
      services: [{ name: 'web', namespace: 'shop' }],
      errors: [],
    },
    ...overrides,
  };
}
