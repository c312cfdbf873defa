import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tlsMaterial } from '@k8stream/apiserver-double';
import { K8streamError } from '../errors.js';
import { compileWat, compileWatSource, transformConfig, writeWasm } from '../../../test/fixtures/wasm/compile.js';
import { fetchPinned } from './fetch.js';
import { loadTransform, pluginConfig, workerSpec } from './load.js';
import type { LoadOptions } from './load.js';
import { readMemories } from './wasm-memory.js';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let dir: string;
let echo: Uint8Array;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'k8stream-load-'));
  echo = await compileWat('echo');
  await writeWasm(dir, 'echo');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function caught(promise: Promise<unknown>): Promise<K8streamError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(K8streamError);
  return err as K8streamError;
}

/** Writes a package under `<root>/node_modules/<name>`. */
async function writePackage(root: string, name: string, pkg: Record<string, unknown>, files: Record<string, Uint8Array> = {}): Promise<string> {
  const pkgDir = path.join(root, 'node_modules', ...name.split('/'));
  await mkdir(pkgDir, { recursive: true });
  await writeFile(path.join(pkgDir, 'package.json'), JSON.stringify({ name, version: '1.2.3', ...pkg }));
  for (const [file, bytes] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(pkgDir, file)), { recursive: true });
    await writeFile(path.join(pkgDir, file), bytes);
  }
  return pkgDir;
}

describe('loadTransform from a path', () => {
  it('resolves relative to the config directory, compiles, and caps memory at memoryMb', async () => {
    const loaded = await loadTransform(transformConfig('./echo.wasm', { memoryMb: 2 }), { configDir: dir });
    expect(loaded.source).toEqual({ kind: 'file', file: path.join(dir, 'echo.wasm') });
    expect(loaded.sha256).toBe(sha(echo));
    expect(loaded.importsWasi).toBe(false);
    expect(loaded.memories).toEqual([{ imported: false, min: 1, max: null, pageSize: 65_536, shared: false, memory64: false, cappedMax: 32 }]);
    expect(WebAssembly.Module.exports(loaded.module)).toEqual([
      { name: 'memory', kind: 'memory' },
      { name: 'transform', kind: 'function' },
    ]);
  });

  it('accepts a bare file name ending in .wasm that exists', async () => {
    const loaded = await loadTransform(transformConfig('echo.wasm'), { configDir: dir });
    expect(loaded.source.kind).toBe('file');
  });

  it('names the absolute path of a missing module', async () => {
    const err = await caught(loadTransform(transformConfig('./missing.wasm'), { configDir: dir }));
    expect(err.code).toBe('PLUGIN_NOT_FOUND');
    expect(err.message).toBe(`transform "missing": no module at ${path.join(dir, 'missing.wasm')}`);
  });

  it('refuses a module without the configured export, listing what it exports', async () => {
    const err = await caught(loadTransform(transformConfig('./echo.wasm', { function: 'process' }), { configDir: dir }));
    expect(err.code).toBe('TRANSFORM_INVALID');
    expect(err.message).toBe(`transform "echo" (${path.join(dir, 'echo.wasm')}): does not export a function named "process" (it exports "transform")`);
  });

  it('refuses imports outside the Extism kernel and WASI', async () => {
    const file = path.join(dir, 'custom-import.wasm');
    await writeFile(
      file,
      await compileWatSource(`(module
        (import "extism:host/user" "lookup" (func (param i64) (result i64)))
        (import "extism:host/env" "not_a_kernel_function" (func))
        (func (export "transform") (result i32) (i32.const 0)))`),
    );
    const err = await caught(loadTransform(transformConfig('./custom-import.wasm'), { configDir: dir }));
    expect(err.code).toBe('TRANSFORM_INVALID');
    expect(err.message).toBe(
      `transform "custom-import" (${file}): imports extism:host/user.lookup (function), extism:host/env.not_a_kernel_function (function), which k8stream does not provide`,
    );
    expect(err.hint).toMatch(
      /^k8stream serves the Extism kernel functions \(extism:host\/env: alloc, .*http_headers\) and WASI preview 1; host functions .*\(extism:host\/user\) do not exist here$/,
    );
  });

  it('accepts every kernel function of Extism, http_headers included (the Rust PDK imports it)', async () => {
    const file = path.join(dir, 'headers-import.wasm');
    await writeFile(
      file,
      await compileWatSource(`(module
        (import "extism:host/env" "http_headers" (func (result i64)))
        (import "extism:host/env" "log_trace" (func (param i64)))
        (import "extism:host/env" "get_log_level" (func (result i32)))
        (func (export "transform") (result i32) (i32.const 0)))`),
    );
    const loaded = await loadTransform(transformConfig('./headers-import.wasm'), { configDir: dir });
    expect(loaded.importsWasi).toBe(false);
  });

  it('detects WASI imports and checks allowedPaths are directories', async () => {
    await writeWasm(dir, 'wasi');
    const loaded = await loadTransform(transformConfig('./wasi.wasm'), { configDir: dir });
    expect(loaded.importsWasi).toBe(true);
    const err = await caught(loadTransform(transformConfig('./wasi.wasm', { allowedPaths: { '/data': './nope' } }), { configDir: dir }));
    expect(err.code).toBe('TRANSFORM_INVALID');
    expect(err.message).toMatch(/allowedPaths\["\/data"\]: .*\/nope is not a directory$/);
  });

  it('refuses bytes that are not WebAssembly', async () => {
    await writeFile(path.join(dir, 'text.wasm'), 'hello');
    const err = await caught(loadTransform(transformConfig('./text.wasm'), { configDir: dir }));
    expect(err.code).toBe('TRANSFORM_INVALID');
    expect(err.message).toBe('transform "text" (./text.wasm): not a WebAssembly module (missing the \\0asm header)');
  });

  it('reads a directory as a package', async () => {
    const pkgDir = path.join(dir, 'local-pkg');
    await mkdir(path.join(pkgDir, 'dist'), { recursive: true });
    await writeFile(path.join(pkgDir, 'package.json'), JSON.stringify({ name: 'local-pkg', version: '0.0.1', k8stream: { transform: './dist/t.wasm' } }));
    await writeFile(path.join(pkgDir, 'dist', 't.wasm'), echo);
    const loaded = await loadTransform(transformConfig('./local-pkg'), { configDir: dir });
    expect(loaded.source).toEqual({ kind: 'package', file: path.join(pkgDir, 'dist', 't.wasm'), packageName: 'local-pkg', version: '0.0.1' });
  });
});

describe('loadTransform from npm packages', () => {
  let root: string;
  const opts = (): LoadOptions => ({ configDir: root, searchCore: false });
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'k8stream-load-npm-'));
    await writePackage(root, '@k8stream/transform-shout', { k8stream: { transform: './dist/shout.wasm' } }, { 'dist/shout.wasm': echo });
    await writePackage(root, 'k8stream-transform-legacy', { main: 'legacy.wasm' }, { 'legacy.wasm': echo });
    await writePackage(root, '@acme/k8stream-transform-pii', { k8stream: { transform: './pii.wasm' } }, { 'pii.wasm': echo, 'extra/other.wasm': echo });
    await writePackage(root, 'exact-name', { k8stream: { transform: 'x.wasm' } }, { 'x.wasm': echo });
    await writePackage(root, '@k8stream/transform-unbuilt', { k8stream: { transform: './dist/unbuilt.wasm' } });
    await writePackage(root, '@k8stream/transform-jsonly', { main: 'index.js' });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('resolves a short name to @k8stream/transform-<name> and reads k8stream.transform', async () => {
    const loaded = await loadTransform(transformConfig('shout'), opts());
    expect(loaded.source).toEqual({
      kind: 'package',
      file: path.join(root, 'node_modules/@k8stream/transform-shout/dist/shout.wasm'),
      packageName: '@k8stream/transform-shout',
      version: '1.2.3',
    });
  });

  it('falls back to k8stream-transform-<name> and to a main ending in .wasm', async () => {
    const loaded = await loadTransform(transformConfig('legacy'), opts());
    expect(loaded.source).toMatchObject({ kind: 'package', packageName: 'k8stream-transform-legacy', file: path.join(root, 'node_modules/k8stream-transform-legacy/legacy.wasm') });
  });

  it('resolves scoped short names, subpaths, and module:<exact>', async () => {
    expect((await loadTransform(transformConfig('@acme/pii'), opts())).source).toMatchObject({ packageName: '@acme/k8stream-transform-pii' });
    expect((await loadTransform(transformConfig('@acme/pii/extra/other.wasm'), opts())).source).toMatchObject({
      file: path.join(root, 'node_modules/@acme/k8stream-transform-pii/extra/other.wasm'),
    });
    expect((await loadTransform(transformConfig('module:exact-name'), opts())).source).toMatchObject({ packageName: 'exact-name' });
  });

  it('lists every candidate and the install command when nothing matches', async () => {
    const err = await caught(loadTransform(transformConfig('nope'), opts()));
    expect(err.code).toBe('PLUGIN_NOT_FOUND');
    expect(err.message).toBe(
      [
        'transform "nope": module "nope" not found. Tried:',
        '  - @k8stream/transform-nope',
        '  - k8stream-transform-nope',
        `(searched node_modules above ${root})`,
        'Install it with: npm install @k8stream/transform-nope',
      ].join('\n'),
    );
  });

  it('says when a package is not built or is not a transform', async () => {
    const unbuilt = await caught(loadTransform(transformConfig('unbuilt'), opts()));
    expect(unbuilt.code).toBe('PLUGIN_LOAD_FAILED');
    expect(unbuilt.hint).toBe('is the package built?');
    const jsOnly = await caught(loadTransform(transformConfig('jsonly'), opts()));
    expect(jsOnly.code).toBe('PLUGIN_INVALID');
    expect(jsOnly.message).toMatch(/^package @k8stream\/transform-jsonly \(.*\) is not a k8stream transform: its package.json names no .wasm module$/);
  });
});

describe('loadTransform from https URLs pinned by sha256', () => {
  let server: https.Server;
  let base: string;
  let ca: string;
  let cacheDir: string;
  const hits: string[] = [];
  const other = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

  beforeAll(async () => {
    const tls = await tlsMaterial();
    ca = tls.ca;
    cacheDir = await mkdtemp(path.join(tmpdir(), 'k8stream-cache-'));
    server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/echo.wasm' || req.url?.startsWith('/echo.wasm?')) {
        res.writeHead(200, { 'content-type': 'application/wasm' }).end(echo);
      } else if (req.url === '/other.wasm') {
        res.writeHead(200).end(other);
      } else if (req.url === '/moved') {
        res.writeHead(302, { location: '/echo.wasm' }).end();
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('downloads once, verifies, caches by hash, and serves later loads from the cache', async () => {
    hits.length = 0;
    const config = transformConfig(`${base}/echo.wasm`, { sha256: sha(echo) });
    const first = await loadTransform(config, { configDir: dir, cacheDir, ca });
    expect(first.source).toEqual({ kind: 'url', url: `${base}/echo.wasm`, sha256: sha(echo) });
    expect(first.sha256).toBe(sha(echo));
    expect(await readdir(cacheDir)).toEqual([`${sha(echo)}.wasm`]);
    expect(Buffer.from(await readFile(path.join(cacheDir, `${sha(echo)}.wasm`))).equals(Buffer.from(echo))).toBe(true);
    await loadTransform(config, { configDir: dir, cacheDir, ca });
    expect(hits).toEqual(['/echo.wasm']);
  });

  it('refuses a download that does not match, naming the URL and both hashes', async () => {
    const pinned = sha(echo);
    const err = await caught(loadTransform(transformConfig(`${base}/other.wasm`, { sha256: pinned }), { configDir: dir, cacheDir: path.join(cacheDir, 'x'), ca }));
    expect(err.code).toBe('TRANSFORM_HASH_MISMATCH');
    expect(err.message).toBe(`transform module ${base}/other.wasm does not match its pinned sha256: expected ${pinned}, got ${sha(other)}`);
    await expect(readdir(path.join(cacheDir, 'x'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('downloads again when the cached file is corrupted', async () => {
    const own = await mkdtemp(path.join(tmpdir(), 'k8stream-cache-'));
    try {
      await writeFile(path.join(own, `${sha(echo)}.wasm`), 'garbage');
      hits.length = 0;
      const fetched = await fetchPinned(`${base}/echo.wasm`, sha(echo), { cacheDir: own, ca });
      expect(fetched.cached).toBe(false);
      expect(hits).toEqual(['/echo.wasm']);
      expect((await fetchPinned(`${base}/echo.wasm`, sha(echo), { cacheDir: own, ca })).cached).toBe(true);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  it('accepts the pin in the URL fragment and follows https redirects', async () => {
    const own = await mkdtemp(path.join(tmpdir(), 'k8stream-cache-'));
    try {
      const loaded = await loadTransform(transformConfig(`${base}/moved#sha256=${sha(echo)}`), { configDir: dir, cacheDir: own, ca });
      expect(loaded.source).toEqual({ kind: 'url', url: `${base}/moved`, sha256: sha(echo) });
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  it('refuses unpinned URLs and plain http', async () => {
    const unpinned = await caught(loadTransform(transformConfig(`${base}/echo.wasm`), { configDir: dir, cacheDir, ca }));
    expect(unpinned.code).toBe('CONFIG_INVALID');
    expect(unpinned.message).toBe(`transform "echo": the https module ${base}/echo.wasm is not pinned`);
    const http = await caught(loadTransform(transformConfig('http://example.com/x.wasm', { sha256: sha(echo) }), { configDir: dir }));
    expect(http.code).toBe('CONFIG_INVALID');
    expect(http.message).toBe('transform "x": plain http modules are not allowed (http://example.com/x.wasm)');
  });

  it('reports HTTP errors and untrusted certificates as load failures, hiding the query', async () => {
    const own = path.join(cacheDir, 'errors');
    const missing = await caught(loadTransform(transformConfig(`${base}/gone.wasm?token=secret`, { sha256: sha(echo) }), { configDir: dir, cacheDir: own, ca }));
    expect(missing.code).toBe('PLUGIN_LOAD_FAILED');
    expect(missing.message).toBe(`download of transform module ${base}/gone.wasm?… failed: HTTP 404`);
    const untrusted = await caught(loadTransform(transformConfig(`${base}/echo.wasm`, { sha256: sha(echo) }), { configDir: dir, cacheDir: own }));
    expect(untrusted.code).toBe('PLUGIN_LOAD_FAILED');
    expect(untrusted.message).toMatch(new RegExp(`^download of transform module ${base.replace(/\./g, '\\.')}/echo\\.wasm failed: `));
  });
});

describe('pluginConfig', () => {
  it('makes every value a string: objects JSON-encoded, empty strings kept, null left out', () => {
    expect(pluginConfig({ s: 'text', e: '', n: 5, b: false, z: null, o: { a: [1, 'x'] }, a: ['p', 'q'], u: undefined })).toEqual({
      s: 'text',
      e: '',
      n: '5',
      b: 'false',
      o: '{"a":[1,"x"]}',
      a: '["p","q"]',
    });
  });

  it('builds the worker spec: memory in bytes, WASI only when imported or paths are granted', async () => {
    const loaded = await loadTransform(transformConfig('./echo.wasm', { memoryMb: 3, config: { k: 1 } }), { configDir: dir });
    const spec = workerSpec(loaded, dir);
    expect(spec).toMatchObject({ name: 'echo', function: 'transform', config: { k: '1' }, memoryBytes: 3 * 1024 * 1024, wasi: false, allowedPaths: {}, allowedHosts: [] });
    const granted = workerSpec({ ...loaded, config: { ...loaded.config, allowedPaths: { '/data': '.' } } }, dir);
    expect(granted.wasi).toBe(true);
    expect(granted.allowedPaths).toEqual({ '/data': dir });
    expect(readMemories(echo)[0]!.max).toBeNull();
  });
});
