// Builds every transform package's .wasm from source (`npm run build:wasm` in each), two at a
// time, skipping a package whose .wasm is newer than its sources and the kit's. Run by the
// root `npm run build`; `--force` rebuilds everything.
import { spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const force = process.argv.includes('--force');

async function newestMtime(dir) {
  let newest = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? await newestMtime(p) : (await stat(p)).mtimeMs);
  }
  return newest;
}

async function packages() {
  const out = [];
  for (const name of (await readdir(root)).sort()) {
    const dir = join(root, name);
    let pkg;
    try {
      pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    const wasm = pkg.k8stream?.transform;
    if (pkg.scripts?.['build:wasm'] && typeof wasm === 'string') out.push({ name: pkg.name, dir, wasm: join(dir, wasm) });
  }
  return out;
}

async function upToDate(p, kitMtime) {
  try {
    const built = (await stat(p.wasm)).mtimeMs;
    const sources = Math.max(kitMtime, await newestMtime(join(p.dir, 'assembly')), (await stat(join(p.dir, 'package.json'))).mtimeMs);
    return built > sources;
  } catch {
    return false;
  }
}

function build(p) {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'build:wasm'], { cwd: p.dir, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${p.name}: build:wasm exited with ${code}`))));
  });
}

const kitMtime = Math.max(await newestMtime(join(root, 'kit', 'assembly')), (await stat(join(root, 'kit', 'transform.js'))).mtimeMs);
const todo = [];
for (const p of await packages()) if (force || !(await upToDate(p, kitMtime))) todo.push(p);
const started = Date.now();
const queue = [...todo];
await Promise.all(
  Array.from({ length: Math.min(2, queue.length) }, async () => {
    for (let p = queue.shift(); p; p = queue.shift()) await build(p);
  }),
);
if (todo.length > 0) console.error(`built ${todo.map((p) => p.name).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
