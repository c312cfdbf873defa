/**
 * `k8stream transform new <name>`: writes a buildable AssemblyScript transform project that uses
 * `@k8stream/transform-kit` — package.json (build and test scripts), asconfig.json, a sample
 * transform that tags records, a vitest test that builds and calls it, and a README.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { K8streamError } from '../errors.js';

/** Version range of `@k8stream/transform-kit` a new project depends on. @default '^0.1.0' */
export const DEFAULT_KIT_VERSION = '^0.1.0';

/**
 * Dependency ranges of a new project besides the kit. They match what the kit is built and
 * tested with (its own package.json).
 */
export const SCAFFOLD_DEPENDENCIES = {
  assemblyscript: '^0.28.20',
  '@extism/as-pdk': '^1.0.0',
  'json-as': '^1.6.0',
  '@extism/extism': '^1.0.3',
  vitest: '^5.1.2',
} as const;

export interface ScaffoldOptions {
  /** Range for the kit dependency. @default DEFAULT_KIT_VERSION */
  kitVersion?: string;
  /** Use a local kit checkout instead (a `file:` dependency, relative to the project). */
  kitPath?: string;
}

const NAME = /^[a-z](?:[a-z0-9-]{0,48}[a-z0-9])?$/;

/** Throws unless `name` can name the transform, its package and its `.wasm` file. */
export function checkTransformName(name: string): void {
  if (!NAME.test(name) || name.includes('--')) {
    throw new K8streamError('TRANSFORM_SCAFFOLD_FAILED', `invalid transform name "${name}"`, {
      hint: 'use 1-50 lowercase letters, digits and single dashes, starting with a letter (e.g. "team-tag")',
    });
  }
}

async function ensureEmptyDir(dir: string): Promise<void> {
  const info = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (info === null) {
    await mkdir(dir, { recursive: true });
    return;
  }
  if (!info.isDirectory()) {
    throw new K8streamError('TRANSFORM_SCAFFOLD_FAILED', `${dir} exists and is not a directory`, { path: dir });
  }
  if ((await readdir(dir)).length > 0) {
    throw new K8streamError('TRANSFORM_SCAFFOLD_FAILED', `${dir} is not empty`, {
      path: dir,
      hint: 'choose a new directory; existing files are never overwritten',
    });
  }
}

function kitDependency(dir: string, opts: ScaffoldOptions): string {
  if (opts.kitPath === undefined) return opts.kitVersion ?? DEFAULT_KIT_VERSION;
  const target = path.resolve(opts.kitPath);
  const rel = path.relative(dir, target);
  const spec = path.isAbsolute(rel) ? target : rel.split(path.sep).join('/');
  return `file:${spec.startsWith('.') || path.isAbsolute(spec) ? spec : `./${spec}`}`;
}

function packageJson(name: string, kit: string): string {
  const pkg = {
    name: `k8stream-transform-${name}`,
    version: '0.1.0',
    description: `k8stream transform ${name} (AssemblyScript, Extism plugin)`,
    type: 'module',
    keywords: ['k8stream', 'k8stream-transform'],
    k8stream: { transform: `./dist/${name}.wasm` },
    files: ['dist'],
    scripts: {
      'build:wasm': `asc assembly/index.ts --config asconfig.json -o dist/${name}.wasm`,
      build: 'npm run build:wasm',
      test: 'vitest run',
    },
    devDependencies: {
      '@k8stream/transform-kit': kit,
      ...SCAFFOLD_DEPENDENCIES,
    },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

const ASCONFIG = `{
  "extends": "@k8stream/transform-kit/asconfig.json"
}
`;

const ASSEMBLY_TSCONFIG = `{
  "extends": "assemblyscript/std/assembly.json",
  "include": ["./**/*.ts"]
}
`;

const GITIGNORE = `node_modules/
dist/
`;

function sampleTransform(name: string): string {
  return `/**
 * ${name}: a k8stream transform. Tags every event with a label (\`team\` by default) and drops
 * events from the namespaces listed in \`skipNamespaces\`.
 *
 * Config (\`.k8streamrc\` \`transforms[].config\`):
 *   team            value of the label (default "unowned")
 *   label           key of the label (default "team")
 *   skipNamespaces  namespaces or globs ("kube-*") whose events are dropped (default: none)
 */
import {
  configErrorMessage,
  configList,
  configOr,
  drop,
  fail,
  globMatchAny,
  hasConfigErrors,
  readRecord,
  replace,
} from "@k8stream/transform-kit/assembly";

// Config is read once, on the first call (host functions are not available before).
let ready = false;
let label = "";
let team = "";
let skip: string[] = [];

function setup(): void {
  ready = true;
  label = configOr("label", "team");
  team = configOr("team", "unowned");
  skip = configList("skipNamespaces");
}

/** Called once per event. Returns 0 after replace/drop, 1 after fail. */
export function transform(): i32 {
  if (!ready) setup();
  // A bad config is an error on every call (the host applies onError), never a silent drop.
  if (hasConfigErrors()) return fail(configErrorMessage());
  const rec = readRecord();
  if (globMatchAny(skip, rec.namespace)) return drop();
  rec.enrichment.labels.set(label, team);
  return replace(rec);
}
`;
}

function sampleTest(name: string): string {
  return `// Builds dist/${name}.wasm when its sources changed, then calls it through the Extism JS SDK
// the way k8stream does.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, openTransform, sampleRecord } from '@k8stream/transform-kit/testing';
import type { TransformHandle } from '@k8stream/transform-kit/testing';

const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let wasm: string;
const open: TransformHandle[] = [];

beforeAll(async () => {
  wasm = await ensureBuilt(PROJECT);
}, 240_000);

afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

async function load(config: Record<string, unknown> = {}): Promise<TransformHandle> {
  const h = await openTransform(wasm, config);
  open.push(h);
  return h;
}

describe('${name}', () => {
  it('tags events with the configured team', async () => {
    const h = await load({ team: 'payments' });
    const rec = sampleRecord();
    const want = structuredClone(rec);
    want.enrichment.labels.team = 'payments';
    expect(await h.call(rec)).toEqual({ kind: 'replace', value: want, text: JSON.stringify(want) });
  });

  it('drops events from skipped namespaces', async () => {
    const h = await load({ skipNamespaces: ['kube-*'] });
    expect(await h.call(sampleRecord({ namespace: 'kube-system' }))).toEqual({ kind: 'drop', text: '' });
    expect((await h.call(sampleRecord({ namespace: 'shop' }))).kind).toBe('replace');
  });

  it('reports bad config as an error, not a drop', async () => {
    const h = await load({ skipNamespaces: '[1]' });
    await expect(h.call(sampleRecord())).rejects.toThrow('config "skipNamespaces[0]": expected a string, got number');
  });
});
`;
}

function readme(name: string): string {
  return `# k8stream-transform-${name}

A k8stream transform written in AssemblyScript with
\`@k8stream/transform-kit\`. It runs inside k8stream as a sandboxed WebAssembly (Extism) plugin:
one event in, one event out (replace), several out (fan-out), or none (drop).

## Build and test

\`\`\`sh
npm install
npm run build      # → dist/${name}.wasm
npm test           # builds when sources changed, then calls the module through Extism
\`\`\`

## Change it

Edit \`assembly/index.ts\`. The kit gives you the typed record (\`readRecord()\`), config
readers (\`configOr\`, \`configList\`, \`configStringMap\`, \`configRegex\`, …), outputs
(\`replace\`, \`fanOut\`, \`keep\`, \`drop\`, \`fail\`) and a regex engine (\`Regex\`); see the kit's
README. Read config once (first call), report bad config with \`fail(configErrorMessage())\`.

## Use it

\`\`\`yaml
# .k8streamrc
transforms:
  - use: ./path/to/this/project        # or, once published: ${name} (k8stream-transform-${name})
    config:
      team: payments
      skipNamespaces: [kube-system, kube-public]
    onError: deadletter
\`\`\`
`;
}

/**
 * Writes a new transform project for `name` into `dir` (created if missing; must be empty).
 * Never overwrites a file. Resolves with the absolute paths written, in order.
 */
export async function scaffoldTransform(dir: string, name: string, opts: ScaffoldOptions = {}): Promise<string[]> {
  checkTransformName(name);
  const root = path.resolve(dir);
  await ensureEmptyDir(root);
  const files: [string, string][] = [
    ['package.json', packageJson(name, kitDependency(root, opts))],
    ['asconfig.json', ASCONFIG],
    ['assembly/index.ts', sampleTransform(name)],
    ['assembly/tsconfig.json', ASSEMBLY_TSCONFIG],
    [`test/${name}.test.ts`, sampleTest(name)],
    ['README.md', readme(name)],
    ['.gitignore', GITIGNORE],
  ];
  const written: string[] = [];
  for (const [rel, content] of files) {
    const file = path.join(root, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content, { flag: 'wx' });
    written.push(file);
  }
  return written;
}
