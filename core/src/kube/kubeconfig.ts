/**
 * Finds and loads the Kubernetes connection settings, in this order:
 *
 * 1. an explicit kubeconfig path (`~` expanded; relative paths against `baseDir`);
 * 2. in-cluster: `KUBERNETES_SERVICE_HOST` set and the service account token present;
 * 3. the default kubeconfig: every file in `KUBECONFIG` (merged, first wins), else `~/.kube/config`.
 *
 * Authentication is whatever @kubernetes/client-node supports for the chosen user (token,
 * token file, client certificates, exec plugins, OIDC). Nothing here sends a request.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
// The module itself, not the package index: the index also loads the generated API, informers,
// exec, port-forward, … (~25 MB RSS more), none of which k8stream uses (util/lean-client-node.ts).
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { K8streamError, errorMessage } from '../errors.js';

/** Where the service account files live in a pod. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface LoadKubeConfigOptions {
  /** Explicit kubeconfig path; null = in-cluster, then the default kubeconfig. */
  kubeconfig: string | null;
  /** Context to use; null = the kubeconfig's current context. */
  context: string | null;
  /** Directory relative kubeconfig paths are resolved against. @default process.cwd() */
  baseDir?: string;
  /** Environment (KUBECONFIG, KUBERNETES_SERVICE_HOST/PORT). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Home directory for `~` and `~/.kube/config`. @default os.homedir() */
  homeDir?: string;
  /** Service account directory (token, ca.crt, namespace). @default {@link SERVICE_ACCOUNT_DIR} */
  serviceAccountDir?: string;
}

/** A loaded configuration and where it came from (for logs and messages). */
export interface LoadedKubeConfig {
  kc: KubeConfig;
  /** `kubeconfig /path (context x)`, `in-cluster service account`, … */
  origin: string;
}

/** `~` and `~/x` → the home directory; relative paths against `baseDir`. */
export function expandPath(p: string, homeDir: string, baseDir: string): string {
  let out = p;
  if (out === '~') out = homeDir;
  else if (out.startsWith('~/') || out.startsWith('~\\')) out = path.join(homeDir, out.slice(2));
  return path.resolve(baseDir, out);
}

/**
 * Loads the connection settings (see the module doc for the order).
 *
 * @throws K8streamError `SOURCE_FAILED` naming the file when a kubeconfig is missing or
 *   unreadable, or when no configuration is found at all; `CONFIG_INVALID` when `context`
 *   is not in the kubeconfig.
 */
export function loadKubeConfig(opts: LoadKubeConfigOptions): LoadedKubeConfig {
  const env = opts.env ?? process.env;
  const home = opts.homeDir ?? homedir();
  const baseDir = opts.baseDir ?? process.cwd();
  const kc = new KubeConfig();
  let origin: string;

  if (opts.kubeconfig !== null && opts.kubeconfig !== '') {
    const file = expandPath(opts.kubeconfig, home, baseDir);
    loadFile(kc, file, 'source.kubeconfig');
    origin = `kubeconfig ${file}`;
  } else if (inClusterAvailable(env, opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR)) {
    loadInCluster(kc, env, opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
    origin = 'in-cluster service account';
  } else {
    const files = (env['KUBECONFIG'] ?? '').split(path.delimiter).filter((f) => f !== '');
    if (files.length > 0) {
      const resolved = files.map((f) => expandPath(f, home, baseDir));
      loadFile(kc, resolved[0]!, 'KUBECONFIG');
      for (const more of resolved.slice(1)) {
        if (!existsSync(more)) continue; // kubectl skips missing entries of KUBECONFIG too
        const extra = new KubeConfig();
        loadFile(extra, more, 'KUBECONFIG');
        kc.mergeConfig(extra, true);
      }
      origin = `kubeconfig ${resolved.join(path.delimiter)} (KUBECONFIG)`;
    } else {
      const file = path.join(home, '.kube', 'config');
      if (!existsSync(file)) {
        throw new K8streamError(
          'SOURCE_FAILED',
          `no Kubernetes configuration found: source.kubeconfig is not set, KUBERNETES_SERVICE_HOST is not set (not in a cluster), KUBECONFIG is empty and ${file} does not exist`,
          { path: 'source.kubeconfig', hint: 'set source.kubeconfig (or KUBECONFIG) to a kubeconfig file, or run k8stream in a pod with a service account' },
        );
      }
      loadFile(kc, file, 'source.kubeconfig');
      origin = `kubeconfig ${file}`;
    }
  }

  if (opts.context !== null && opts.context !== '') {
    if (kc.getContextObject(opts.context) === null) {
      const available = kc.getContexts().map((c) => c.name);
      throw new K8streamError(
        'CONFIG_INVALID',
        `kubeconfig context "${opts.context}" not found in ${origin}; available: ${available.length > 0 ? available.join(', ') : '(none)'}`,
        { path: 'source.context' },
      );
    }
    kc.setCurrentContext(opts.context);
    origin += ` (context ${opts.context})`;
  } else if (kc.getCurrentContext()) {
    origin += ` (context ${kc.getCurrentContext()})`;
  }
  if (kc.getCurrentCluster() === null) {
    throw new K8streamError('SOURCE_FAILED', `${origin}: the current context names no cluster`, {
      path: 'source.context',
      hint: 'set current-context in the kubeconfig, or source.context to a context with a cluster',
    });
  }
  return { kc, origin };
}

function loadFile(kc: KubeConfig, file: string, where: string): void {
  if (!existsSync(file)) {
    throw new K8streamError('SOURCE_FAILED', `kubeconfig ${file} does not exist`, { path: where });
  }
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw new K8streamError('SOURCE_FAILED', `kubeconfig ${file} cannot be loaded: ${errorMessage(err).split('\n')[0]}`, { path: where, cause: err });
  }
}

function inClusterAvailable(env: NodeJS.ProcessEnv, dir: string): boolean {
  return (env['KUBERNETES_SERVICE_HOST'] ?? '') !== '' && existsSync(path.join(dir, 'token'));
}

/** Mirrors client-node's `loadFromCluster`, with the environment and directory injectable. */
function loadInCluster(kc: KubeConfig, env: NodeJS.ProcessEnv, dir: string): void {
  const host = env['KUBERNETES_SERVICE_HOST']!;
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  const hostPart = net.isIPv6(host) ? `[${host}]` : host;
  const nsFile = path.join(dir, 'namespace');
  const namespace = existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : undefined;
  kc.loadFromOptions({
    clusters: [{ name: 'inCluster', server: `${scheme}://${hostPart}:${port}`, caFile: path.join(dir, 'ca.crt'), skipTLSVerify: false }],
    users: [{ name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile: path.join(dir, 'token') } } }],
    contexts: [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser', ...(namespace ? { namespace } : {}) }],
    currentContext: 'inClusterContext',
  });
}
