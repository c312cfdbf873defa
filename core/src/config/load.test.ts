import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { K8streamError, ValidationError } from '../errors.js';
import { loadConfig, SEARCH_PLACES } from './load.js';

const run = promisify(execFile);

let base: string;
/** A fresh project directory per test, so nothing leaks between tests. */
let root: string;
/** Where the search starts: three levels below `root`, proving the upward search. */
let deep: string;
let count = 0;
const savedXdg = process.env.XDG_CONFIG_HOME;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'k8stream-load-'));
  // cosmiconfig's global strategy ends in the user config dir: keep it inside the sandbox.
  process.env.XDG_CONFIG_HOME = join(base, 'xdg');
});

afterAll(async () => {
  if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME;
  else process.env.XDG_CONFIG_HOME = savedXdg;
  await rm(base, { recursive: true, force: true });
});

beforeEach(async () => {
  root = join(base, `p${++count}`);
  deep = join(root, 'a', 'b', 'c');
  await mkdir(deep, { recursive: true });
});

async function put(path: string, text: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  return path;
}

const load = (options: Parameters<typeof loadConfig>[0] = {}) => loadConfig({ cwd: deep, stopDir: root, env: {}, ...options });

async function failure(promise: Promise<unknown>): Promise<K8streamError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof K8streamError) return err;
    throw err;
  }
  throw new Error('expected loadConfig to fail');
}

describe('discovery, searching upward from the working directory', () => {
  const forms: [file: string, text: string][] = [
    ['.k8streamrc', 'cluster: from-rc-yaml\n'],
    ['.k8streamrc.json', '{ "cluster": "from-json" }\n'],
    ['.k8streamrc.yaml', 'cluster: from-yaml\n'],
    ['.k8streamrc.yml', 'cluster: from-yml\n'],
    ['.k8streamrc.js', "export default { cluster: 'from-js' };\n"],
    ['.k8streamrc.mjs', "export default { cluster: 'from-mjs' };\n"],
    ['.k8streamrc.cjs', "module.exports = { cluster: 'from-cjs' };\n"],
    ['k8stream.config.js', "export default { cluster: 'from-config-js' };\n"],
    ['k8stream.config.mjs', "export default { cluster: 'from-config-mjs' };\n"],
    ['k8stream.config.ts', "interface Rc { cluster: string }\nconst config: Rc = { cluster: 'from-config-ts' };\nexport default config;\n"],
  ];

  it.each(forms)('finds %s in an ancestor directory', async (file, text) => {
    const path = await put(join(root, file), text);
    const loaded = await load();
    expect(loaded.filepath).toBe(path);
    expect(loaded.dir).toBe(root);
    expect(loaded.config.cluster).toMatch(/^from-/);
    expect(loaded.config.sinks).toEqual([]);
  });

  it('reads `.k8streamrc` as JSON too', async () => {
    await put(join(root, '.k8streamrc'), '{ "cluster": "json-in-rc", "sinks": [{ "use": "file" }] }');
    const loaded = await load();
    expect(loaded.config.cluster).toBe('json-in-rc');
    expect(loaded.config.sinks.map((s) => s.name)).toEqual(['file']);
  });

  it('finds the "k8stream" key of package.json', async () => {
    const path = await put(join(root, 'package.json'), JSON.stringify({ name: 'app', k8stream: { cluster: 'from-package-json' } }));
    const loaded = await load();
    expect(loaded).toMatchObject({ filepath: path, dir: root, config: { cluster: 'from-package-json' } });
  });

  it('skips a package.json without the key and goes on upward', async () => {
    await put(join(root, 'a', 'package.json'), JSON.stringify({ name: 'nested' }));
    const path = await put(join(root, '.k8streamrc.yaml'), 'cluster: outer\n');
    expect((await load()).filepath).toBe(path);
  });

  it('takes the nearest directory first, and package.json before rc files within one', async () => {
    await put(join(root, '.k8streamrc'), 'cluster: outer\n');
    await put(join(root, 'a', 'b', '.k8streamrc.yaml'), 'cluster: inner-rc\n');
    await put(join(root, 'a', 'b', 'package.json'), JSON.stringify({ k8stream: { cluster: 'inner-package' } }));
    expect((await load()).config.cluster).toBe('inner-package');
    expect((await load({ cwd: join(root, 'a') })).config.cluster).toBe('outer');
  });

  it('searches the places in the documented order', () => {
    expect(SEARCH_PLACES).toEqual([
      'package.json',
      '.k8streamrc',
      '.k8streamrc.json',
      '.k8streamrc.yaml',
      '.k8streamrc.yml',
      '.k8streamrc.js',
      '.k8streamrc.mjs',
      '.k8streamrc.cjs',
      'k8stream.config.js',
      'k8stream.config.mjs',
      'k8stream.config.ts',
    ]);
  });

  it('an empty rc file is a config with every default', async () => {
    const path = await put(join(root, '.k8streamrc'), '# nothing yet\n');
    const loaded = await load();
    expect(loaded.filepath).toBe(path);
    expect(loaded.config.cluster).toBe('default');
  });

  it('falls back to the user config directory (~/.config/k8stream/config.yaml)', async () => {
    const path = await put(join(base, 'xdg', 'k8stream', 'config.yaml'), 'cluster: from-user-dir\n');
    try {
      const loaded = await load();
      expect(loaded).toMatchObject({ filepath: path, config: { cluster: 'from-user-dir' } });
    } finally {
      await rm(path);
    }
  });

  it('without any config: CONFIG_NOT_FOUND with a hint naming every file searched', async () => {
    const error = await failure(load());
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.message).toBe(`no k8stream config found in ${deep} or its parent directories`);
    expect(error.hint).toBe(
      'create one of .k8streamrc, .k8streamrc.json, .k8streamrc.yaml, .k8streamrc.yml, .k8streamrc.js, .k8streamrc.mjs, ' +
        '.k8streamrc.cjs, k8stream.config.js, k8stream.config.mjs, k8stream.config.ts (or a "k8stream" key in package.json, ' +
        'or ~/.config/k8stream/config.yaml), or pass --config FILE',
    );
  });

  it('with `optional`, no config means the defaults', async () => {
    const loaded = await load({ optional: true });
    expect(loaded.filepath).toBeNull();
    expect(loaded.dir).toBe(deep);
    expect(loaded.config.cluster).toBe('default');
  });
});

describe('--config FILE', () => {
  it('loads exactly that file, relative to the working directory, ignoring discovery', async () => {
    await put(join(root, '.k8streamrc'), 'cluster: discovered\n');
    const path = await put(join(root, 'conf', 'prod.yaml'), 'cluster: explicit\n');
    const loaded = await load({ configPath: '../../../conf/prod.yaml' });
    expect(loaded).toMatchObject({ filepath: path, dir: join(root, 'conf'), config: { cluster: 'explicit' } });
  });

  it.each([
    ['custom.json', '{"cluster":"c-json"}', 'c-json'],
    ['custom.yml', 'cluster: c-yml', 'c-yml'],
    ['custom-rc', 'cluster: c-noext', 'c-noext'],
    ['custom.mjs', "export default { cluster: 'c-mjs' }", 'c-mjs'],
    ['custom.cjs', "module.exports = { cluster: 'c-cjs' }", 'c-cjs'],
    ['custom.ts', "export default { cluster: 'c-ts' as string }", 'c-ts'],
    ['package.json', '{"k8stream":{"cluster":"c-pkg"}}', 'c-pkg'],
  ])('loads %s', async (file, text, cluster) => {
    const path = await put(join(root, file), text);
    expect((await load({ configPath: path })).config.cluster).toBe(cluster);
  });

  it('awaits a default export that is a promise', async () => {
    const path = await put(join(root, 'async.mjs'), "export default Promise.resolve({ cluster: 'later' });\n");
    expect((await load({ configPath: path })).config.cluster).toBe('later');
  });

  it('a missing file is CONFIG_NOT_FOUND', async () => {
    const error = await failure(load({ configPath: join(root, 'nope.yaml') }));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.message).toBe(`config file not found: ${join(root, 'nope.yaml')}`);
  });

  it('a package.json without the key is CONFIG_NOT_FOUND', async () => {
    const path = await put(join(root, 'package.json'), '{"name":"x"}');
    const error = await failure(load({ configPath: path }));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.message).toBe(`no "k8stream" key in ${path}`);
  });

  it('a directory or an unknown extension is CONFIG_LOAD_FAILED', async () => {
    const dirError = await failure(load({ configPath: root }));
    expect(dirError.code).toBe('CONFIG_LOAD_FAILED');
    expect(dirError.message).toBe(`cannot load ${root}: it is a directory`);
    const toml = await put(join(root, 'k8stream.toml'), 'cluster = "x"\n');
    const extError = await failure(load({ configPath: toml }));
    expect(extError.code).toBe('CONFIG_LOAD_FAILED');
    expect(extError.message).toBe(`cannot load ${toml}: unsupported extension ".toml"`);
    expect(extError.hint).toBe('use .json, .yaml, .yml, .js, .mjs, .cjs, .ts, or no extension for YAML/JSON');
  });
});

describe('$import', () => {
  it('merges imported files under the importing one', async () => {
    await put(join(root, 'base.yaml'), 'cluster: base\nlog: { level: debug }\nsinks: [{ use: file }]\n');
    await put(join(root, '.k8streamrc.yaml'), '$import: ./base.yaml\ncluster: own\n');
    const { config } = await load();
    expect(config.cluster).toBe('own');
    expect(config.log.level).toBe('debug');
    expect(config.sinks.map((s) => s.name)).toEqual(['file']);
  });
});

describe('files that fail to load: CONFIG_LOAD_FAILED naming the file and the parser message', () => {
  it('YAML', async () => {
    const path = await put(join(root, '.k8streamrc'), 'cluster: a\n  password: hunter2\n');
    const error = await failure(load());
    expect(error.code).toBe('CONFIG_LOAD_FAILED');
    expect(error.path).toBe(path);
    expect(error.message).toBe(`failed to load ${path}: bad indentation of a mapping entry (line 2, column 11)`);
  });

  it('JSON, without echoing the file content', async () => {
    const path = await put(join(root, '.k8streamrc.json'), '{ "password": hunter2 }');
    const error = await failure(load());
    expect(error.code).toBe('CONFIG_LOAD_FAILED');
    expect(error.message).toBe(`failed to load ${path}: Unexpected token 'h' (not valid JSON)`);
    expect(error.message).not.toContain('hunter2');
  });

  it('package.json', async () => {
    const path = await put(join(root, 'package.json'), '{ "k8stream": { "cluster": "x", } }');
    const error = await failure(load());
    expect(error.code).toBe('CONFIG_LOAD_FAILED');
    expect(error.message).toMatch(new RegExp(`^failed to load ${path}: Expected double-quoted property name in JSON at position \\d+`));
  });

  it('a module that throws', async () => {
    const path = await put(join(root, 'k8stream.config.mjs'), "throw new Error('boom in config');\n");
    const error = await failure(load());
    expect(error.code).toBe('CONFIG_LOAD_FAILED');
    expect(error.message).toBe(`failed to load ${path}: boom in config`);
  });

  it('a module without a default export', async () => {
    const path = await put(join(root, '.k8streamrc.mjs'), 'export const cluster = "x";\n');
    const error = await failure(load());
    expect(error.code).toBe('CONFIG_LOAD_FAILED');
    expect(error.message).toBe(`failed to load ${path}: no default export (write \`export default { ... }\`)`);
  });
});

describe('interpolation and validation after loading', () => {
  it('interpolates from `env`, then validates (numbers from strings included)', async () => {
    await put(
      join(root, '.k8streamrc.yaml'),
      [
        'cluster: ${CLUSTER}',
        'sinks:',
        '  - use: s3',
        '    batch: { maxEvents: "${MAX_EVENTS}", maxBytes: "${MAX_BYTES:-8MiB}" }',
        '    config: { bucket: "${BUCKET}", note: "$${NOT_A_VAR}" }',
        '',
      ].join('\n'),
    );
    const loaded = await load({ env: { CLUSTER: 'prod-eu-1', MAX_EVENTS: '250', BUCKET: 'events' } });
    expect(loaded.config.cluster).toBe('prod-eu-1');
    expect(loaded.config.sinks[0]!.batch).toEqual({ maxEvents: 250, maxBytes: 8 * 1024 * 1024 });
    expect(loaded.config.sinks[0]!.config).toEqual({ bucket: 'events', note: '${NOT_A_VAR}' });
  });

  it('uses process.env by default', async () => {
    await put(join(root, '.k8streamrc.yaml'), 'cluster: ${K8STREAM_LOAD_TEST_CLUSTER}\n');
    process.env.K8STREAM_LOAD_TEST_CLUSTER = 'from-process-env';
    try {
      expect((await loadConfig({ cwd: deep, stopDir: root })).config.cluster).toBe('from-process-env');
    } finally {
      delete process.env.K8STREAM_LOAD_TEST_CLUSTER;
    }
  });

  it('missing variables: one CONFIG_INTERPOLATION error listing each with its path', async () => {
    const path = await put(join(root, '.k8streamrc.yaml'), 'cluster: ${CLUSTER}\nsinks:\n  - use: s3\n    config: { secret: "${S3_SECRET}" }\n');
    const error = await failure(load());
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('CONFIG_INTERPOLATION');
    expect((error as ValidationError).issues).toEqual([
      { path: 'cluster', message: 'environment variable CLUSTER is not set (set it, or give a default: ${CLUSTER:-value})' },
      { path: 'sinks[0].config.secret', message: 'environment variable S3_SECRET is not set (set it, or give a default: ${S3_SECRET:-value})' },
    ]);
    expect(error.message.split('\n')[0]).toBe(`2 configuration errors in ${path}:`);
  });

  it('invalid values: one CONFIG_INVALID error naming the file', async () => {
    const path = await put(join(root, '.k8streamrc.yaml'), 'sinks:\n  - use: s3\n    batch: { maxEvents: "${N}" }\ndelivery: maybe\n');
    const error = await failure(load({ env: { N: 'ten' } }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(
      [
        `2 configuration errors in ${path}:`,
        '  sinks[0].batch.maxEvents: expected a positive integer, got "ten"',
        '  delivery: expected one of "at-least-once", "at-most-once", got "maybe"',
      ].join('\n'),
    );
  });
});

describe('TypeScript configs under plain Node (type stripping, no bundler)', () => {
  const loaderUrl = new URL('./module-loader.ts', import.meta.url).href;
  const script = `
    const { loadModuleConfig } = await import(${JSON.stringify(loaderUrl)});
    try { process.stdout.write(JSON.stringify(await loadModuleConfig(process.argv[1]))); }
    catch (err) { process.stdout.write(JSON.stringify({ code: err.code, message: err.message })); }
  `;
  const nodeLoad = async (file: string): Promise<unknown> => {
    const { stdout } = await run(process.execPath, ['--no-warnings', '--input-type=module', '-e', script, file]);
    return JSON.parse(stdout) as unknown;
  };

  it('imports a .ts config and returns its default export', async () => {
    const file = await put(
      join(root, 'k8stream.config.ts'),
      "import type { K8streamrc } from '@k8stream/core';\nconst config: K8streamrc = { cluster: 'typed', sinks: [{ use: 'file' }] };\nexport default config;\n",
    );
    expect(await nodeLoad(file)).toEqual({ cluster: 'typed', sinks: [{ use: 'file' }] });
  });

  it('rejects non-erasable syntax with the error Node gives', async () => {
    const file = await put(join(root, 'k8stream.config.ts'), 'enum Level { Info }\nexport default { cluster: String(Level.Info) };\n');
    expect(await nodeLoad(file)).toEqual({
      code: 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX',
      message: 'TypeScript enum is not supported in strip-only mode',
    });
  });

  it('is the loader this module uses', () => {
    expect(fileURLToPath(loaderUrl)).toMatch(/config[/\\]module-loader\.ts$/);
  });
});
