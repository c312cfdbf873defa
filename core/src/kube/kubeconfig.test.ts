import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble } from '../../../test/apiserver/src/index.js';
import { K8streamError } from '../errors.js';
import { createKubeClient } from './client.js';
import { expandPath, loadKubeConfig } from './kubeconfig.js';

let dir: string;
let server: ApiServerDouble | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'k8stream-kubeconfig-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

function config(name: string, server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{ name: ${name}, cluster: { server: "${server}" } }]`,
    `users: [{ name: ${name}, user: { token: secret-${name} } }]`,
    `contexts: [{ name: ${name}, context: { cluster: ${name}, user: ${name} } }]`,
    `current-context: ${name}`,
    '',
  ].join('\n');
}

async function file(rel: string, text: string): Promise<string> {
  const p = path.join(dir, rel);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, text);
  return p;
}

function thrown(fn: () => unknown): K8streamError {
  try {
    fn();
  } catch (err) {
    if (err instanceof K8streamError) return err;
    throw err;
  }
  throw new Error('expected a K8streamError');
}

describe('expandPath', () => {
  it('expands ~ and resolves relative paths against the base directory', () => {
    expect(expandPath('~', '/home/u', '/cfg')).toBe('/home/u');
    expect(expandPath('~/.kube/config', '/home/u', '/cfg')).toBe('/home/u/.kube/config');
    expect(expandPath('kc.yaml', '/home/u', '/cfg')).toBe('/cfg/kc.yaml');
    expect(expandPath('/abs/kc', '/home/u', '/cfg')).toBe('/abs/kc');
  });
});

describe('loadKubeConfig', () => {
  const sa = (): string => path.join(dir, 'sa');
  const inClusterEnv = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
  const writeServiceAccount = async (): Promise<void> => {
    await file('sa/token', 'sa-token');
    await file('sa/ca.crt', 'not used here');
    await file('sa/namespace', 'k8stream\n');
  };

  it('prefers an explicit path (with ~) over in-cluster and KUBECONFIG', async () => {
    await writeServiceAccount();
    await file('home/custom/kc', config('explicit', 'https://explicit:6443'));
    await file('env-kc', config('env', 'https://env:6443'));
    const { kc, origin } = loadKubeConfig({
      kubeconfig: '~/custom/kc',
      context: null,
      homeDir: path.join(dir, 'home'),
      env: { ...inClusterEnv, KUBECONFIG: path.join(dir, 'env-kc') },
      serviceAccountDir: sa(),
    });
    expect(kc.getCurrentCluster()?.server).toBe('https://explicit:6443');
    expect(origin).toBe(`kubeconfig ${path.join(dir, 'home/custom/kc')} (context explicit)`);
  });

  it('uses the in-cluster service account next, before KUBECONFIG', async () => {
    await writeServiceAccount();
    await file('env-kc', config('env', 'https://env:6443'));
    const { kc, origin } = loadKubeConfig({ kubeconfig: null, context: null, env: { ...inClusterEnv, KUBECONFIG: path.join(dir, 'env-kc') }, serviceAccountDir: sa() });
    expect(origin).toBe('in-cluster service account (context inClusterContext)');
    expect(kc.getCurrentCluster()).toMatchObject({ server: 'https://10.96.0.1:443', caFile: path.join(sa(), 'ca.crt'), skipTLSVerify: false });
    expect(kc.getCurrentUser()?.authProvider).toEqual({ name: 'tokenFile', config: { tokenFile: path.join(sa(), 'token') } });
    expect(kc.getContextObject('inClusterContext')?.namespace).toBe('k8stream');
  });

  it('brackets an IPv6 service host', async () => {
    await writeServiceAccount();
    const { kc } = loadKubeConfig({ kubeconfig: null, context: null, env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa() });
    expect(kc.getCurrentCluster()?.server).toBe('https://[fd00::1]:443');
  });

  it('merges every KUBECONFIG file, then falls back to ~/.kube/config', async () => {
    const a = await file('a', config('a', 'https://a:6443'));
    const b = await file('b', config('b', 'https://b:6443'));
    const merged = loadKubeConfig({ kubeconfig: null, context: 'b', env: { KUBECONFIG: [a, path.join(dir, 'missing'), b].join(path.delimiter) }, serviceAccountDir: sa() });
    expect(merged.kc.getCurrentCluster()?.server).toBe('https://b:6443');
    expect(merged.origin).toContain('(KUBECONFIG) (context b)');

    await file('home/.kube/config', config('home', 'https://home:6443'));
    const home = loadKubeConfig({ kubeconfig: null, context: null, env: {}, homeDir: path.join(dir, 'home'), serviceAccountDir: sa() });
    expect(home.kc.getCurrentCluster()?.server).toBe('https://home:6443');
  });

  it('says clearly when there is no configuration at all', () => {
    const err = thrown(() => loadKubeConfig({ kubeconfig: null, context: null, env: {}, homeDir: path.join(dir, 'nobody'), serviceAccountDir: sa() }));
    expect(err.code).toBe('SOURCE_FAILED');
    expect(err.message).toContain('no Kubernetes configuration found');
    expect(err.message).toContain(path.join(dir, 'nobody', '.kube', 'config'));
  });

  it('names a missing or broken kubeconfig file', async () => {
    const missing = thrown(() => loadKubeConfig({ kubeconfig: path.join(dir, 'nope'), context: null }));
    expect(missing).toMatchObject({ code: 'SOURCE_FAILED', path: 'source.kubeconfig', message: `kubeconfig ${path.join(dir, 'nope')} does not exist` });
    const broken = await file('broken', 'clusters: [ {');
    const bad = thrown(() => loadKubeConfig({ kubeconfig: broken, context: null }));
    expect(bad.code).toBe('SOURCE_FAILED');
    expect(bad.message).toMatch(new RegExp(`^kubeconfig ${broken} cannot be loaded: `));
  });

  it('lists the available contexts when the requested one is missing', async () => {
    const a = await file('a', config('a', 'https://a:6443'));
    const err = thrown(() => loadKubeConfig({ kubeconfig: a, context: 'prod' }));
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', path: 'source.context' });
    expect(err.message).toBe(`kubeconfig context "prod" not found in kubeconfig ${a}; available: a`);
  });

  it('connects in-cluster with the service account token file and CA', async () => {
    const s = (server = await startApiServer({ https: true, token: 'sa-token-123' }));
    s.store.create('events', { metadata: { name: 'e', namespace: 'default' }, reason: 'Started' });
    await file('sa/token', 'sa-token-123');
    await file('sa/ca.crt', s.ca!);
    const port = new URL(s.url).port;
    const client = createKubeClient({ kubeconfig: null, context: null, env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port }, serviceAccountDir: sa() });
    expect(client.server).toBe(`https://127.0.0.1:${port}`);
    expect(client.origin).toBe('in-cluster service account (context inClusterContext)');
    const list = (await client.getJSON('/api/v1/events')) as { items: { metadata: { name: string } }[] };
    expect(list.items.map((e) => e.metadata.name)).toEqual(['e']);
    client.close();
  });
});
