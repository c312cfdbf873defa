/**
 * Kubeconfig text for a running double: the server URL, the CA for HTTPS, and for plain HTTP
 * `insecure-skip-tls-verify: true` (without it @kubernetes/client-node 2.x refuses http://).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Options for {@link kubeconfigText}. */
export interface KubeconfigOptions {
  /** Bearer token for the user entry; omitted: no credentials. */
  token?: string;
  /** Default namespace of the context. @default "default" */
  namespace?: string;
  /** Name used for the cluster, user and context. @default "apiserver-double" */
  name?: string;
}

/** Renders a kubeconfig (YAML) for `server`, trusting `caPem` if given. */
export function kubeconfigText(server: string, caPem: string | undefined, opts: KubeconfigOptions = {}): string {
  const name = opts.name ?? 'apiserver-double';
  const q = (s: string): string => JSON.stringify(s); // a JSON string is a valid YAML scalar
  const cluster = caPem !== undefined ? `    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}` : '    insecure-skip-tls-verify: true';
  const user = opts.token !== undefined ? `  user:\n    token: ${q(opts.token)}` : '  user: {}';
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${q(name)}`,
    '  cluster:',
    `    server: ${q(server)}`,
    cluster,
    'users:',
    `- name: ${q(name)}`,
    user,
    'contexts:',
    `- name: ${q(name)}`,
    '  context:',
    `    cluster: ${q(name)}`,
    `    user: ${q(name)}`,
    `    namespace: ${q(opts.namespace ?? 'default')}`,
    `current-context: ${q(name)}`,
    'preferences: {}',
    '',
  ].join('\n');
}

/** Writes `text` to `<dir>/kubeconfig` (mode 0600) and returns the path. */
export async function writeKubeconfigFile(dir: string, text: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'kubeconfig');
  await writeFile(path, text, { mode: 0o600 });
  return path;
}
