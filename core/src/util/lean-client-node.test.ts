// The hook changes how Node's own loader resolves modules, which vitest's module runner bypasses:
// each case runs a fresh `node` on the TypeScript source (Node strips the types) and reports JSON.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LEAN_CLIENT_NODE_ERROR } from './lean-client-node.js';

const MODULE = new URL('./lean-client-node.ts', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'k8stream-lean-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` (an ES module body; `report(x)` prints x as JSON) after installing the hook. */
function runWithHook(body: string): Record<string, unknown> {
  const script = `
import { registerHooks } from 'node:module';
// Registered after the hook, so it runs first: records what the hook answers for each import.
const { installLeanClientNode } = await import(${JSON.stringify(MODULE)});
installLeanClientNode();
installLeanClientNode(); // a second call must not stack a second hook
const resolved = [];
registerHooks({ resolve(specifier, context, next) {
  const r = next(specifier, context);
  resolved.push({ specifier, parent: context.parentURL ?? '', url: r.url });
  return r;
} });
const report = (x) => console.log(JSON.stringify(x));
${body}`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('installLeanClientNode', () => {
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{ name: c, cluster: { server: "https://k8s.example:6443", certificate-authority-data: "Y2EtYnl0ZXM=" } }]',
      'users: [{ name: u, user: { token: sekret } }]',
      'contexts: [{ name: ctx, context: { cluster: c, user: u, namespace: ns } }]',
      'current-context: ctx',
      '',
    ].join('\n'),
  );

  it('the real KubeConfig still loads a kubeconfig and prepares https options; the generated API and undici are not loaded', () => {
    const out = runWithHook(`
const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
const kc = new KubeConfig();
kc.loadFromFile(${JSON.stringify(kubeconfig)});
const opts = {};
await kc.applyToHTTPSOptions(opts);
const gen = resolved.find((r) => r.specifier === './gen/index.js' && r.parent.endsWith('/client-node/dist/config.js'));
const undici = resolved.find((r) => r.specifier === 'undici');
const stub = await import(gen.url);
let stubError = null;
try { stub.createConfiguration({}); } catch (err) { stubError = err.message; }
let apiClientError = null;
try { kc.makeApiClient(class {}); } catch (err) { apiClientError = err.message; }
report({
  server: kc.getCurrentCluster()?.server,
  namespace: kc.getContextObject(kc.getCurrentContext())?.namespace,
  authorization: opts.headers?.Authorization,
  ca: Buffer.from(opts.ca).toString(),
  genUrl: gen.url.slice(0, 5),
  undiciUrl: undici.url.slice(0, 5),
  stubIsStub: stub.k8streamStub === true,
  stubError,
  apiClientError,
  // config.js's own helpers may use small files under gen/ (middleware.js: gen/rxjsStub.js); the
  // generated API is the index, the API classes and the models.
  realGenLoaded: resolved.map((r) => r.url).filter((u) => ['index.js', 'apis/', 'models/'].some((p) => u.includes('/client-node/dist/gen/' + p))),
  realUndiciLoaded: resolved.some((r) => r.url.includes('/node_modules/undici/')),
});
`);
    expect(out).toEqual({
      server: 'https://k8s.example:6443',
      namespace: 'ns',
      authorization: 'Bearer sekret',
      ca: 'ca-bytes',
      genUrl: 'data:',
      undiciUrl: 'data:',
      stubIsStub: true,
      stubError: LEAN_CLIENT_NODE_ERROR,
      apiClientError: LEAN_CLIENT_NODE_ERROR,
      realGenLoaded: [],
      realUndiciLoaded: false,
    });
  });

  it("answers config.js's and agent-base's node:http with the same module minus its undici getters; Node's undici stays unloaded", () => {
    const out = runWithHook(`
const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
const kc = new KubeConfig();
kc.loadFromFile(${JSON.stringify(kubeconfig)});
await kc.applyToHTTPSOptions({});
await import('agent-base');
const http = resolved.filter((r) => (r.specifier === 'node:http' || r.specifier === 'http') && r.parent.includes('/node_modules/'));
const served = await import(http[0].url);
const real = process.getBuiltinModule('node:http');
const before = process.moduleLoadList.some((m) => m.includes('undici'));
const mine = await import('node:http'); // this script is no dependency: the real namespace
report({
  answers: Object.fromEntries(http.map((r) => [r.parent.split('/node_modules/').at(-1), r.url.slice(0, 5)])),
  sameObject: served.default === real,
  agent: served.Agent === real.Agent,
  status: served.STATUS_CODES[404],
  webSocket: 'WebSocket' in served,
  undiciBefore: before,
  realWebSocket: typeof mine.WebSocket,
});
`);
    expect(out).toEqual({
      answers: {
        '@kubernetes/client-node/dist/config.js': 'data:',
        'agent-base/dist/helpers.js': 'data:',
        'agent-base/dist/index.js': 'data:',
        'hpagent/index.js': 'node:', // require('http'): the real module (require never reads the getters)
      },
      sameObject: true,
      agent: true,
      status: 'Not Found',
      webSocket: false,
      undiciBefore: false,
      realWebSocket: 'function',
    });
  });

  it('stubs only what dist/config.js imports: the package index still exports the real generated API', () => {
    const out = runWithHook(`
const index = await import('@kubernetes/client-node');
let threw = false;
try { index.createConfiguration({}); } catch { threw = true; }
report({ sameKubeConfig: index.KubeConfig === (await import('@kubernetes/client-node/dist/config.js')).KubeConfig, coreV1: typeof index.CoreV1Api, createConfigurationThrew: threw });
`);
    expect(out).toEqual({ sameKubeConfig: true, coreV1: 'function', createConfigurationThrew: false });
  });

  it("loads config.js's SOCKS packages only when a cluster's proxy-url asks for one, and then the real agent", () => {
    const socks = join(dir, 'kubeconfig-socks');
    writeFileSync(
      socks,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: c, cluster: { server: "https://k8s.example:6443", proxy-url: "socks5://127.0.0.1:1080" } }]',
        'users: [{ name: u, user: { token: sekret } }]',
        'contexts: [{ name: ctx, context: { cluster: c, user: u } }]',
        'current-context: ctx',
        '',
      ].join('\n'),
    );
    const out = runWithHook(`
const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
const realLoaded = () => resolved.filter((r) => /\\/node_modules\\/(socks|socks-proxy-agent|ip-address|smart-buffer)\\//.test(r.url)).length;
const plain = new KubeConfig();
plain.loadFromFile(${JSON.stringify(kubeconfig)});
await plain.applyToHTTPSOptions({});
const before = realLoaded();
const kc = new KubeConfig();
kc.loadFromFile(${JSON.stringify(socks)});
const opts = {};
await kc.applyToHTTPSOptions(opts);
const after = realLoaded();
const { SocksProxyAgent } = await import('socks-proxy-agent');
const { SocksClient } = await import('socks');
const served = resolved.filter((r) => r.parent.endsWith('/client-node/dist/config.js') && ['socks', 'socks-proxy-agent'].includes(r.specifier));
const standIn = await import(served.find((r) => r.specifier === 'socks').url);
report({
  served: served.map((r) => r.specifier + ' ' + r.url.slice(0, 5)).sort(),
  before,
  loadedAfter: after > 0,
  realAgent: opts.agent instanceof SocksProxyAgent,
  proxy: opts.agent?.proxy,
  createConnection: standIn.SocksClient.createConnection.name === SocksClient.createConnection.bind(SocksClient).name,
  client: new standIn.SocksClient({ proxy: { host: '127.0.0.1', port: 1080, type: 5 }, command: 'connect', destination: { host: 'x', port: 1 } }) instanceof SocksClient,
});
`);
    expect(out).toEqual({
      // config.js's imports get the stand-ins; the agent's stand-in then required the real package.
      served: ['socks data:', 'socks-proxy-agent data:', 'socks-proxy-agent file:'],
      before: 0,
      loadedAfter: true,
      realAgent: true,
      proxy: { host: '127.0.0.1', port: 1080, type: 5 },
      createConnection: true,
      client: true,
    });
  });
  it("loads config.js's OIDC and cloud auth providers only for a user that has one, and then authenticates with the real one", () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const idToken = `${b64({ alg: 'none' })}.${b64({ sub: 'u', exp })}.sig`;
    const users = [
      `{ name: oidc, user: { auth-provider: { name: oidc, config: { id-token: "${idToken}", client-id: k8s, idp-issuer-url: "https://idp.invalid" } } } }`,
      `{ name: azure, user: { auth-provider: { name: azure, config: { access-token: az-token, expires-on: "${exp}" } } } }`,
    ];
    const file = join(dir, 'kubeconfig-auth-providers');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: c, cluster: { server: "https://k8s.example:6443" } }]',
        `users: [${users.join(', ')}, { name: plain, user: { token: sekret } }]`,
        'contexts: [{ name: oidc, context: { cluster: c, user: oidc } }, { name: azure, context: { cluster: c, user: azure } }, { name: plain, context: { cluster: c, user: plain } }]',
        'current-context: plain',
        '',
      ].join('\n'),
    );
    const out = runWithHook(`
const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
const loaded = (re) => resolved.filter((r) => re.test(r.url)).length > 0;
const oidcLoaded = () => loaded(/\\/node_modules\\/(openid-client|oauth4webapi|jose)\\//);
const jsonpathLoaded = () => loaded(/\\/node_modules\\/jsonpath-plus\\//);
const headers = async (context) => {
  const kc = new KubeConfig();
  kc.loadFromFile(${JSON.stringify(file)});
  kc.setCurrentContext(context);
  const opts = { headers: {} };
  await kc.applyToHTTPSOptions(opts);
  return opts.headers.Authorization;
};
const plain = await headers('plain');
const before = { oidc: oidcLoaded(), jsonpath: jsonpathLoaded() };
const oidc = await headers('oidc');
const afterOidc = { oidc: oidcLoaded(), jsonpath: jsonpathLoaded() };
const azure = await headers('azure');
const served = resolved.filter((r) => r.parent.endsWith('/client-node/dist/config.js') && /_auth\\.js$/.test(r.specifier) && r.url.startsWith('data:')).map((r) => r.specifier).sort();
report({ plain, before, oidc, afterOidc, azure, jsonpath: jsonpathLoaded(), served });
`);
    expect(out).toEqual({
      plain: 'Bearer sekret',
      before: { oidc: false, jsonpath: false },
      oidc: `Bearer ${idToken}`,
      afterOidc: { oidc: true, jsonpath: false },
      azure: 'Bearer az-token',
      jsonpath: true,
      served: ['./azure_auth.js', './gcp_auth.js', './oidc_auth.js'],
    });
  });
});
