import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { K8streamError, ValidationError } from '../errors.js';
import { PLUGIN_API_VERSION, defineSink } from './api.js';
import { candidatesFor, loadSinkPlugin, resolvePlugin, validateSinkConfig } from './loader.js';

/** A sink module's source: ESM `export default`, or CommonJS `module.exports`. */
function sinkSource(name: string, opts: { cjs?: boolean; apiVersion?: string; transpiled?: boolean } = {}): string {
  const def = `{ name: ${JSON.stringify(name)}, apiVersion: ${JSON.stringify(opts.apiVersion ?? '^1.0.0')}, validate: (raw) => raw, create: () => ({ send: async () => {} }) }`;
  if (opts.transpiled) return `"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.default = ${def};\n`;
  if (opts.cjs) return `module.exports = ${def};\n`;
  return `export default ${def};\n`;
}

async function writePackage(nodeModules: string, name: string, pkg: Record<string, unknown>, files: Record<string, string>): Promise<string> {
  const dir = path.join(nodeModules, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.2.3', ...pkg }));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

describe('candidatesFor', () => {
  it.each([
    ['s3', ['@k8stream/sink-s3', 'k8stream-sink-s3']],
    ['file', ['@k8stream/sink-file', 'k8stream-sink-file']],
    ['@acme/s3', ['@acme/k8stream-sink-s3']],
    ['@acme/k8stream-sink-s3', ['@acme/k8stream-sink-s3']],
    ['@acme', ['@acme/k8stream-sink']],
    ['@k8stream/s3', ['@k8stream/sink-s3']],
    ['@k8stream/sink-s3', ['@k8stream/sink-s3']],
    ['k8stream-sink-s3', ['k8stream-sink-s3']],
    ['module:my-exact-pkg', ['my-exact-pkg']],
    ['module:@acme/anything', ['@acme/anything']],
    ['./sinks/mine.js', ['./sinks/mine.js']],
    ['../shared/sink', ['../shared/sink']],
    ['/opt/sinks/x.mjs', ['/opt/sinks/x.mjs']],
    ['s3/sub/entry.js', ['@k8stream/sink-s3/sub/entry.js', 'k8stream-sink-s3/sub/entry.js']],
  ])('sink %s → %j', (ref, expected) => {
    expect(candidatesFor(ref, 'sink')).toEqual(expected);
  });

  it('uses the transform prefix for transforms', () => {
    expect(candidatesFor('redact', 'transform')).toEqual(['@k8stream/transform-redact', 'k8stream-transform-redact']);
    expect(candidatesFor('@acme/redact', 'transform')).toEqual(['@acme/k8stream-transform-redact']);
  });

  it('rejects empty references', () => {
    expect(() => candidatesFor('  ', 'sink')).toThrow(expect.objectContaining({ code: 'PLUGIN_NOT_FOUND' }));
    expect(() => candidatesFor('module:', 'sink')).toThrow(expect.objectContaining({ code: 'PLUGIN_NOT_FOUND' }));
  });
});

describe('loadSinkPlugin', () => {
  let root: string;
  let configDir: string;
  let nm: string;

  beforeEach(async () => {
    root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'k8stream-loader-')));
    configDir = path.join(root, 'project');
    nm = path.join(configDir, 'node_modules');
    await mkdir(nm, { recursive: true });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('resolves a short name to @k8stream/sink-<name> through exports (import condition)', async () => {
    const dir = await writePackage(
      nm,
      '@k8stream/sink-alpha',
      { type: 'module', exports: { '.': { require: './dist/index.cjs', import: './dist/index.js' }, './package.json': './package.json' } },
      { 'dist/index.js': sinkSource('alpha'), 'dist/index.cjs': 'throw new Error("the require entry must not be used");' },
    );
    const loaded = await loadSinkPlugin('alpha', { configDir });
    expect(loaded.definition.name).toBe('alpha');
    expect(loaded.packageName).toBe('@k8stream/sink-alpha');
    expect(loaded.version).toBe('1.2.3');
    expect(loaded.resolvedPath).toBe(path.join(dir, 'dist/index.js'));
    expect(loaded.ref).toBe('alpha');
  });

  it('falls back to k8stream-sink-<name>, loading a CommonJS module', async () => {
    await writePackage(nm, 'k8stream-sink-beta', { main: 'lib/main' }, { 'lib/main.js': sinkSource('beta', { cjs: true }) });
    const loaded = await loadSinkPlugin('beta', { configDir });
    expect(loaded.definition.name).toBe('beta');
    expect(typeof loaded.definition.validate).toBe('function');
    expect(loaded.packageName).toBe('k8stream-sink-beta');
    expect(loaded.resolvedPath).toBe(path.join(nm, 'k8stream-sink-beta/lib/main.js'));
  });

  it('prefers @k8stream/sink-<name> when both candidates are installed', async () => {
    await writePackage(nm, '@k8stream/sink-both', { type: 'module', exports: './index.js' }, { 'index.js': sinkSource('scoped') });
    await writePackage(nm, 'k8stream-sink-both', { type: 'module', exports: './index.js' }, { 'index.js': sinkSource('unscoped') });
    expect((await loadSinkPlugin('both', { configDir })).definition.name).toBe('scoped');
  });

  it('loads a CommonJS-only package through its "require" export', async () => {
    await writePackage(nm, 'k8stream-sink-cjsonly', { exports: { '.': { require: './lib/index.cjs' } } }, { 'lib/index.cjs': sinkSource('cjs-only', { cjs: true }) });
    const loaded = await loadSinkPlugin('cjsonly', { configDir });
    expect(loaded.definition.name).toBe('cjs-only');
    expect(loaded.resolvedPath).toBe(path.join(nm, 'k8stream-sink-cjsonly/lib/index.cjs'));
  });

  it('resolves subpath patterns in exports', async () => {
    await writePackage(
      nm,
      'k8stream-sink-multi',
      { type: 'module', exports: { '.': './a.js', './variants/*': './variants/*.js' } },
      { 'a.js': sinkSource('a'), 'variants/fast.js': sinkSource('fast') },
    );
    expect((await loadSinkPlugin('multi/variants/fast', { configDir })).definition.name).toBe('fast');
  });

  it('unwraps a transpiled CommonJS default export (exports.default)', async () => {
    await writePackage(nm, 'k8stream-sink-gamma', {}, { 'index.js': sinkSource('gamma', { transpiled: true }) });
    const loaded = await loadSinkPlugin('gamma', { configDir });
    expect(loaded.definition.name).toBe('gamma');
  });

  it('resolves @scope/name to @scope/k8stream-sink-name, and full names as is', async () => {
    await writePackage(nm, '@acme/k8stream-sink-s3', { type: 'module', exports: { import: './s3.js' } }, { 's3.js': sinkSource('acme-s3') });
    await writePackage(nm, 'k8stream-sink-delta', { type: 'module', exports: './i.js' }, { 'i.js': sinkSource('delta') });
    expect((await loadSinkPlugin('@acme/s3', { configDir })).packageName).toBe('@acme/k8stream-sink-s3');
    expect((await loadSinkPlugin('@acme/k8stream-sink-s3', { configDir })).definition.name).toBe('acme-s3');
    expect((await loadSinkPlugin('k8stream-sink-delta', { configDir })).definition.name).toBe('delta');
  });

  it('resolves module:x to exactly x', async () => {
    await writePackage(nm, 'my-exact-sink', { type: 'module', exports: './x.js' }, { 'x.js': sinkSource('exact') });
    const loaded = await loadSinkPlugin('module:my-exact-sink', { configDir });
    expect(loaded.packageName).toBe('my-exact-sink');
    expect(loaded.definition.name).toBe('exact');
    await expect(loadSinkPlugin('my-exact-sink', { configDir })).rejects.toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
  });

  it('finds packages in node_modules above the config directory', async () => {
    await writePackage(nm, 'k8stream-sink-up', { type: 'module', exports: './u.js' }, { 'u.js': sinkSource('up') });
    const nested = path.join(configDir, 'deploy', 'prod');
    await mkdir(nested, { recursive: true });
    expect((await loadSinkPlugin('up', { configDir: nested })).definition.name).toBe('up');
  });

  it('resolves relative paths against the config directory, and absolute paths as is', async () => {
    await mkdir(path.join(configDir, 'sinks'), { recursive: true });
    await writeFile(path.join(configDir, 'sinks', 'mine.mjs'), sinkSource('mine'));
    await writeFile(path.join(root, 'shared.cjs'), sinkSource('shared', { cjs: true }));
    const rel = await loadSinkPlugin('./sinks/mine.mjs', { configDir });
    expect(rel.definition.name).toBe('mine');
    expect(rel.resolvedPath).toBe(path.join(configDir, 'sinks', 'mine.mjs'));
    expect(rel.packageName).toBe('./sinks/mine.mjs');
    expect(rel.version).toBeNull();
    expect((await loadSinkPlugin('../shared.cjs', { configDir })).definition.name).toBe('shared');
    expect((await loadSinkPlugin(path.join(configDir, 'sinks', 'mine'), { configDir: os.tmpdir() })).definition.name).toBe('mine');
  });

  it('loads a path to a package directory through its package.json', async () => {
    const dir = await writePackage(
      path.join(configDir, 'vendor'),
      'local-sink',
      { type: 'module', exports: { '.': { default: './src/main.js' } } },
      { 'src/main.js': sinkSource('local') },
    );
    const loaded = await loadSinkPlugin('./vendor/local-sink', { configDir });
    expect(loaded.definition.name).toBe('local');
    expect(loaded.packageName).toBe('local-sink');
    expect(loaded.version).toBe('1.2.3');
    expect(loaded.resolvedPath).toBe(path.join(dir, 'src/main.js'));
  });

  it('lists every candidate tried and the install command when nothing is found', async () => {
    const err = await loadSinkPlugin('nope', { configDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(K8streamError);
    expect((err as K8streamError).code).toBe('PLUGIN_NOT_FOUND');
    expect((err as K8streamError).message).toBe(
      [
        'sink plugin "nope" not found. Tried:',
        '  - @k8stream/sink-nope',
        '  - k8stream-sink-nope',
        `(searched node_modules above ${configDir} and above the k8stream installation)`,
        'Install it with: npm install @k8stream/sink-nope',
      ].join('\n'),
    );
    const scoped = (await loadSinkPlugin('@acme/nope', { configDir }).catch((e: unknown) => e)) as K8streamError;
    expect(scoped.message).toContain('  - @acme/k8stream-sink-nope\n');
    expect(scoped.message).toContain('Install it with: npm install @acme/k8stream-sink-nope');
  });

  it('names the absolute path when a path reference does not exist', async () => {
    const err = (await loadSinkPlugin('./missing/sink.js', { configDir }).catch((e: unknown) => e)) as K8streamError;
    const abs = path.join(configDir, 'missing/sink.js');
    expect(err.code).toBe('PLUGIN_NOT_FOUND');
    expect(err.message).toBe(`sink plugin "./missing/sink.js" not found: nothing at ${abs} (also tried ${abs}.js, ${abs}.mjs, ${abs}.cjs)`);
  });

  it('fails with PLUGIN_API_MISMATCH naming both versions', async () => {
    await writePackage(nm, 'k8stream-sink-future', { type: 'module', exports: './f.js' }, { 'f.js': sinkSource('future', { apiVersion: '^2.0.0' }) });
    const err = (await loadSinkPlugin('future', { configDir }).catch((e: unknown) => e)) as K8streamError;
    expect(err.code).toBe('PLUGIN_API_MISMATCH');
    expect(err.message).toBe(`k8stream-sink-future@1.2.3 needs sink plugin API ^2.0.0, but this k8stream implements plugin API ${PLUGIN_API_VERSION}`);
    expect(err.plugin).toBe('k8stream-sink-future');
  });

  it('rejects an apiVersion that is not a semver range', async () => {
    await writePackage(nm, 'k8stream-sink-odd', { type: 'module', exports: './o.js' }, { 'o.js': sinkSource('odd', { apiVersion: 'banana' }) });
    await expect(loadSinkPlugin('odd', { configDir })).rejects.toMatchObject({
      code: 'PLUGIN_INVALID',
      message: 'k8stream-sink-odd@1.2.3 declares apiVersion "banana", which is not a semver range',
    });
  });

  it('fails with PLUGIN_INVALID naming what a non-sink module lacks', async () => {
    await writePackage(nm, 'k8stream-sink-hollow', { type: 'module', exports: './h.js' }, { 'h.js': 'export default { name: "hollow", validate() {} };\n' });
    await writePackage(nm, 'k8stream-sink-nodefault', { type: 'module', exports: './n.js' }, { 'n.js': 'export const x = 1;\n' });
    await expect(loadSinkPlugin('hollow', { configDir })).rejects.toMatchObject({
      code: 'PLUGIN_INVALID',
      message: 'k8stream-sink-hollow@1.2.3 is not a k8stream sink plugin: missing `apiVersion` (semver range string), `create` (function)',
    });
    await expect(loadSinkPlugin('nodefault', { configDir })).rejects.toMatchObject({
      code: 'PLUGIN_INVALID',
      message: 'k8stream-sink-nodefault@1.2.3 is not a k8stream sink plugin: missing a default export (got undefined)',
    });
  });

  it('fails with PLUGIN_LOAD_FAILED when importing the module throws', async () => {
    const dir = await writePackage(nm, 'k8stream-sink-boom', { type: 'module', exports: './b.js' }, { 'b.js': 'throw new Error("kaboom at import");\n' });
    const err = (await loadSinkPlugin('boom', { configDir }).catch((e: unknown) => e)) as K8streamError;
    expect(err.code).toBe('PLUGIN_LOAD_FAILED');
    expect(err.message).toBe(`sink plugin k8stream-sink-boom@1.2.3 failed to load from ${path.join(dir, 'b.js')}: kaboom at import`);
  });

  it('fails with PLUGIN_LOAD_FAILED when the exported entry file is missing (unbuilt package)', async () => {
    await writePackage(nm, 'k8stream-sink-unbuilt', { type: 'module', exports: { '.': { import: './dist/index.js' } } }, {});
    await expect(loadSinkPlugin('unbuilt', { configDir })).rejects.toMatchObject({
      code: 'PLUGIN_LOAD_FAILED',
      message: `package k8stream-sink-unbuilt: entry ./dist/index.js does not exist at ${path.join(nm, 'k8stream-sink-unbuilt/dist/index.js')}`,
    });
  });

  it('fails with PLUGIN_LOAD_FAILED when exports offer no import entry', async () => {
    await writePackage(nm, 'k8stream-sink-browseronly', { exports: { '.': { browser: './b.js' } } }, { 'b.js': '' });
    await expect(loadSinkPlugin('browseronly', { configDir })).rejects.toMatchObject({ code: 'PLUGIN_LOAD_FAILED' });
  });

  it("prefers the config directory's package over one next to the core", async () => {
    await writePackage(nm, '@k8stream/sink-file', { type: 'module', exports: './mine.js' }, { 'mine.js': sinkSource('my-file-sink') });
    const loaded = await loadSinkPlugin('file', { configDir });
    expect(loaded.definition.name).toBe('my-file-sink');
    expect(loaded.resolvedPath).toBe(path.join(nm, '@k8stream/sink-file/mine.js'));
  });

  it('falls back to packages installed next to the core', () => {
    // semver is a dependency of the core, not installed in the (empty) config directory.
    const found = resolvePlugin('module:semver', 'sink', { configDir });
    expect(found.packageName).toBe('semver');
    expect(found.resolvedPath.startsWith(configDir)).toBe(false);
    expect(path.basename(found.resolvedPath)).toBe('index.js');
    expect(() => resolvePlugin('module:semver', 'sink', { configDir, searchCore: false })).toThrow(expect.objectContaining({ code: 'PLUGIN_NOT_FOUND' }));
  });
});

describe('validateSinkConfig', () => {
  const withIssues = defineSink<{ bucket: string }>({
    name: 'archive-like',
    apiVersion: '^1.0.0',
    validate(raw) {
      const r = (raw ?? {}) as Record<string, unknown>;
      const issues = [];
      if (typeof r.bucket !== 'string') issues.push({ path: 'bucket', message: 'required string' });
      if (r.retries !== undefined) issues.push({ path: '(root)', message: 'unknown key "retries"' });
      if (Array.isArray(r.tags)) issues.push({ path: '[0]', message: 'weird' });
      if (issues.length) throw new ValidationError('PLUGIN_CONFIG_INVALID', issues, { plugin: 'archive-like' });
      return { bucket: r.bucket as string };
    },
    create: () => ({ send: async () => {} }),
  });

  it('returns the typed config', () => {
    expect(validateSinkConfig(withIssues, { bucket: 'b' }, 'archive', 'sinks[0]')).toEqual({ bucket: 'b' });
  });

  it('prefixes issue paths with the sink entry path and names the sink', () => {
    let err: unknown;
    try {
      validateSinkConfig(withIssues, { retries: 3 }, 'archive', 'sinks[2]');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const v = err as ValidationError;
    expect(v.code).toBe('PLUGIN_CONFIG_INVALID');
    expect(v.plugin).toBe('archive');
    expect(v.issues).toEqual([
      { path: 'sinks[2].config.bucket', message: 'required string' },
      { path: 'sinks[2].config', message: 'unknown key "retries"' },
    ]);
    expect(v.message).toBe('2 configuration errors in sinks[2] (archive):\n  sinks[2].config.bucket: required string\n  sinks[2].config: unknown key "retries"');
  });

  it('turns any other throw into one issue at the config path', () => {
    const throwsPlain = defineSink({
      name: 'plain',
      apiVersion: '^1.0.0',
      validate: () => {
        throw new Error('dir must be a string');
      },
      create: () => ({ send: async () => {} }),
    });
    expect(() => validateSinkConfig(throwsPlain, {}, 'out', 'deadLetter')).toThrow(
      expect.objectContaining({
        code: 'PLUGIN_CONFIG_INVALID',
        issues: [{ path: 'deadLetter.config', message: 'dir must be a string' }],
        message: '1 configuration error in deadLetter (out):\n  deadLetter.config: dir must be a string',
      }),
    );
  });

  it('accepts issues from a foreign error class (a plugin bundling its own core)', () => {
    class ForeignValidationError extends Error {
      code = 'PLUGIN_CONFIG_INVALID';
      issues = [{ path: 'items[1].name', message: 'expected a string' }];
    }
    const foreign = defineSink({
      name: 'foreign',
      apiVersion: '^1.0.0',
      validate: () => {
        throw new ForeignValidationError('bad');
      },
      create: () => ({ send: async () => {} }),
    });
    expect(() => validateSinkConfig(foreign, {}, 'f', 'sinks[0]')).toThrow(
      expect.objectContaining({ issues: [{ path: 'sinks[0].config.items[1].name', message: 'expected a string' }] }),
    );
  });
});
