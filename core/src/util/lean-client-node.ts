/**
 * Loads `@kubernetes/client-node`'s `KubeConfig` without the parts of the library k8stream never
 * runs, to keep the process small (the image's memory target is ~120 MB RSS at steady load).
 *
 * k8stream uses client-node only for connection settings and credentials: `KubeConfig` loads
 * kubeconfigs and `applyToHTTPSOptions` fills in Node `https` options (tokens, exec plugins,
 * client certificates, the hpagent/socks proxy agents); the requests themselves are k8stream's
 * own (kube/client.ts). Yet `dist/config.js` statically imports
 *
 * - `./gen/index.js`, the whole generated API (every `*Api` class and model): measured +46 MB
 *   RSS, used only by `KubeConfig.makeApiClient`;
 * - `undici` (a second copy next to Node's built-in one): measured +14 MB RSS, used only by
 *   `createDispatcher`, which only `applySecurityAuthentication` calls (the generated clients'
 *   fetch path).
 *
 * (Node 24: importing `dist/config.js` costs 125 MB RSS as is, 65 MB with both stubbed; a bare
 * `node` is 41 MB.)
 *
 * {@link installLeanClientNode} registers a synchronous resolve hook (`module.registerHooks`,
 * in-thread) that answers exactly those two imports *of `dist/config.js`* with small stub
 * modules; every other importer, including client-node's own index and k8stream's plugins, gets
 * the real modules. It also answers the ES-module imports of `node:http` by dist/config.js and
 * agent-base with `node:http` minus its undici-loading getters (see {@link HTTP_UNDICI_EXPORTS}),
 * and config.js's imports of the SOCKS proxy packages with stand-ins that load them on first use
 * (see {@link LAZY_SOCKS}), and its auth-provider modules with stand-ins that load them when a
 * user's auth provider is one of theirs (see {@link LAZY_AUTH}). It has to run before anything imports client-node, so the CLI entry (and
 * the bench child, so that the benchmark measures what the binary runs) installs it first and
 * loads the rest of k8stream with a dynamic `import()`.
 *
 * Fail-safe: every stubbed export throws {@link LEAN_CLIENT_NODE_ERROR} when used, so a code path
 * that needs the generated API fails loudly instead of misbehaving. Should a future client-node
 * import another name from either module, linking fails at start-up ("does not provide an
 * export named …"), which the tests catch (core/src/util/lean-client-node.test.ts).
 */
import { registerHooks } from 'node:module';

/** The message of the error a stubbed export throws. */
export const LEAN_CLIENT_NODE_ERROR =
  'k8stream loads @kubernetes/client-node without its generated API client and without undici (see core/src/util/lean-client-node.ts): KubeConfig.makeApiClient and applySecurityAuthentication are not available in this process';

/** The one importer whose imports are stubbed (a file URL ends with it). */
const CONFIG_MODULE = '/node_modules/@kubernetes/client-node/dist/config.js';

/** A module source as a `data:` URL (no file to ship, nothing to resolve relative to it). */
const dataUrl = (source: string): string => `data:text/javascript,${encodeURIComponent(source)}`;

const THROW = `const fail = () => { throw new Error(${JSON.stringify(LEAN_CLIENT_NODE_ERROR)}); };`;

/** Specifier (as written in dist/config.js) → the stub served for it. Exports: what config.js imports. */
const STUBS: ReadonlyMap<string, string> = new Map([
  [
    './gen/index.js',
    dataUrl(`${THROW}
export function createConfiguration() { fail(); }
export class ServerConfiguration { constructor() { fail(); } }
export const k8streamStub = true;
`),
  ],
  [
    'undici',
    dataUrl(`${THROW}
export class Agent { constructor() { fail(); } }
export class ProxyAgent { constructor() { fail(); } }
export const k8streamStub = true;
`),
  ],
]);

/**
 * `node:http`'s exports that are lazy getters loading Node's bundled undici (and compiling its
 * llhttp WebAssembly) when first read. An ES-module import of `node:http` reads every export to
 * build the namespace, so any `import http from 'node:http'` costs ~14 MB RSS (Node 24.21: a
 * `node` that imports it idles at 61 MB, one that `require`s it at 47 MB), though nothing
 * k8stream loads uses these classes (issue 14; k8stream's own modules use util/node-http.ts).
 */
const HTTP_UNDICI_EXPORTS: ReadonlySet<string> = new Set(['WebSocket', 'CloseEvent', 'MessageEvent']);

/**
 * The module served for `node:http` to client-node's config.js and agent-base:
 * the same `http` object as default export, and every named export except
 * {@link HTTP_UNDICI_EXPORTS} (a dependency that imported one of those by name would fail to
 * load, loudly; none that k8stream runs does).
 */
function httpWithoutUndici(): string {
  const names = Object.keys(process.getBuiltinModule('node:http')).filter((n) => !HTTP_UNDICI_EXPORTS.has(n) && /^[A-Za-z_$][\w$]*$/.test(n));
  return dataUrl(`const http = process.getBuiltinModule('node:http');
export default http;
export const { ${names.join(', ')} } = http;
`);
}

/**
 * Whether `parentURL` is one of the modules `KubeConfig` loads that import `node:http` as an ES
 * module: client-node's dist/config.js and agent-base (the socks proxy agent's base). Only these
 * get {@link httpWithoutUndici}; plugins and everything else get the real `node:http`.
 */
function importsHttpForKubeConfig(parentURL: string | undefined): boolean {
  return parentURL !== undefined && (parentURL.endsWith(CONFIG_MODULE) || parentURL.includes('/node_modules/agent-base/'));
}

/**
 * What dist/config.js imports only for a SOCKS proxy (a cluster's `proxy-url: socks5://…`):
 * `SocksProxyAgent` (its agent) and `SocksClient` (its undici connector, stubbed anyway). It gets
 * stand-ins that load the real package on first use, with a synchronous `require` of the ES
 * module (Node ≥ 22.12), resolved from config.js as its own import would be: a run without a SOCKS
 * proxy loads neither package nor what they bring (agent-base, ip-address, smart-buffer, debug,
 * Node's `dns` and `tty`), ~1 MB of idle RSS (issue 14, docs/performance.md).
 */
const LAZY_SOCKS: ReadonlyMap<string, (load: string) => string> = new Map([
  [
    'socks-proxy-agent',
    (load) => `${load}
export class SocksProxyAgent { constructor(...args) { return new (load().SocksProxyAgent)(...args); } }
export const k8streamLazy = true;
`,
  ],
  [
    'socks',
    (load) => `${load}
const real = () => load().SocksClient;
export const SocksClient = new Proxy(function SocksClient() {}, {
  get: (_, key) => { const v = real()[key]; return typeof v === 'function' ? v.bind(real()) : v; },
  construct: (_, args) => new (real())(...args),
});
export const k8streamLazy = true;
`,
  ],
]);

/**
 * The head of a stand-in module: `load()` requires the real `specifier` (once) the way
 * `parentURL`'s own import would resolve it.
 */
function loaderHead(specifier: string, parentURL: string): string {
  return `import { createRequire } from 'node:module';
let mod;
const load = () => (mod ??= createRequire(${JSON.stringify(parentURL)})(${JSON.stringify(specifier)}));`;
}

/** The stand-in module for `specifier` (a key of {@link LAZY_SOCKS}) as imported by `parentURL`. */
function lazySocks(specifier: string, parentURL: string): string | undefined {
  const make = LAZY_SOCKS.get(specifier);
  if (make === undefined) return undefined;
  return dataUrl(make(loaderHead(specifier, parentURL)));
}

/**
 * config.js's cloud and OIDC auth providers, `[class, auth-provider name]` by the specifier
 * config.js imports them with. They import `openid-client` (with `oauth4webapi` and `jose`) and
 * `jsonpath-plus`, ~1.2 MB of idle RSS (issue 14) for a kubeconfig `users[].user.auth-provider`
 * that in-cluster runs and most kubeconfigs never have. config.js gets a stand-in class: its
 * `isAuthProvider` is the real one's test (`user.authProvider.name`, done without loading
 * anything, as config.js asks it of every user), and its `applyAuthentication`, the only other
 * method config.js calls, loads the real module (`require` of the ES module, resolved from
 * config.js) and hands over to a real instance made then.
 */
const LAZY_AUTH: ReadonlyMap<string, readonly [className: string, provider: string]> = new Map([
  ['./oidc_auth.js', ['OpenIDConnectAuth', 'oidc']],
  ['./azure_auth.js', ['AzureAuth', 'azure']],
  ['./gcp_auth.js', ['GoogleCloudPlatformAuth', 'gcp']],
]);

/** The stand-in module for `specifier` (a key of {@link LAZY_AUTH}) as imported by `parentURL`. */
function lazyAuth(specifier: string, parentURL: string): string | undefined {
  const entry = LAZY_AUTH.get(specifier);
  if (entry === undefined) return undefined;
  const [className, provider] = entry;
  return dataUrl(`${loaderHead(specifier, parentURL)}
export class ${className} {
  #real;
  isAuthProvider(user) { return Boolean(user && user.authProvider) && user.authProvider.name === ${JSON.stringify(provider)}; }
  applyAuthentication(...args) { return (this.#real ??= new (load().${className})()).applyAuthentication(...args); }
}
export const k8streamLazy = true;
`);
}

let installed = false;

/**
 * Registers the resolve hook (once per thread; later calls do nothing). Call it before the first
 * import of `@kubernetes/client-node`: modules already loaded are not affected.
 */
export function installLeanClientNode(): void {
  if (installed) return;
  installed = true;
  let http: string | undefined;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const stub = STUBS.get(specifier);
      if (stub !== undefined && context.parentURL?.endsWith(CONFIG_MODULE) === true) {
        return { url: stub, format: 'module', shortCircuit: true };
      }
      // ES-module imports only: the stand-ins' own `require` gets the real package.
      if (context.parentURL?.endsWith(CONFIG_MODULE) === true && context.conditions.includes('import')) {
        const lazy = lazySocks(specifier, context.parentURL) ?? lazyAuth(specifier, context.parentURL);
        if (lazy !== undefined) return { url: lazy, format: 'module', shortCircuit: true };
      }
      // ES-module imports only: `require('http')` never reads the getters (and wants a CommonJS answer).
      if ((specifier === 'node:http' || specifier === 'http') && context.conditions.includes('import') && importsHttpForKubeConfig(context.parentURL)) {
        http ??= httpWithoutUndici();
        return { url: http, format: 'module', shortCircuit: true };
      }
      return nextResolve(specifier, context);
    },
  });
}
