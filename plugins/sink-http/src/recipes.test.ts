import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const recipes = path.join(root, 'examples/recipes');

/** `k8stream validate --config <file>` with the recipe's environment; never throws. */
async function validate(file: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(root, 'core/dist/cli/main.js'), 'validate', '--config', path.join(recipes, file)], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('examples/recipes', () => {
  beforeAll(async () => {
    // The CLI loads the sink from dist: make sure it (and the core, if stale) is built, also when
    // vitest runs without `npm run build` first. The root build (tsc -b) includes this package.
    await run(process.execPath, [path.join(root, 'node_modules/.bin/tsc'), '-b', path.join(root, 'plugins/sink-http')], { cwd: root });
  }, 120_000);

  it('loki.k8streamrc.yaml passes k8stream validate', async () => {
    const result = await validate('loki.k8streamrc.yaml', { CLUSTER_NAME: 'prod-eu-1', LOKI_URL: 'http://loki.example:3100' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('cluster:     prod-eu-1');
    expect(result.stdout).toContain('  - loki: @k8stream/sink-http@0.1.0');
    expect(result.stdout).toContain('config is valid');
  });

  it('elasticsearch.k8streamrc.yaml passes k8stream validate', async () => {
    const result = await validate('elasticsearch.k8streamrc.yaml', {
      CLUSTER_NAME: 'prod-eu-1',
      ES_URL: 'https://es.example:9200',
      ES_USERNAME: 'k8stream',
      ES_PASSWORD: 'not-shown',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  - elasticsearch: @k8stream/sink-http@0.1.0');
    expect(result.stdout).toContain('config is valid');
    expect(result.stdout).not.toContain('not-shown');
  });

  it('otlp.k8streamrc.yaml passes k8stream validate', async () => {
    const result = await validate('otlp.k8streamrc.yaml', { CLUSTER_NAME: 'prod-eu-1', OTLP_ENDPOINT: 'http://collector.example:4318' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  - otel: @k8stream/sink-http@0.1.0');
    expect(result.stdout).toContain('config is valid');
  });
});
