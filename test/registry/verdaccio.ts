/**
 * A throwaway local npm registry for end-to-end tests: verdaccio in this process, listening on
 * 127.0.0.1 (a free port), storage and users in a temp directory, and NO uplinks — nothing is
 * fetched from the internet; only what a test publishes can be installed.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { runServer } from 'verdaccio';

const exec = promisify(execFile);

/** A running registry. */
export interface LocalRegistry {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** A `.npmrc` with this registry and a publish token; pass as `npm --userconfig`. */
  npmrc: string;
  /** Stops the server and deletes its storage. */
  close(): Promise<void>;
}

/** Environment for running `npm` on the same Node as the tests, isolated from the user's npm config. */
export function npmEnv(registry: LocalRegistry, cacheDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.toLowerCase().startsWith('npm_')) env[k] = v;
  }
  return {
    ...env,
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    npm_config_registry: registry.url,
    npm_config_userconfig: registry.npmrc,
    npm_config_cache: cacheDir,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'error',
  };
}

/** Runs npm with `args` in `cwd`; rejects with npm's output when it fails. */
export async function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec('npm', args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, { cause: err });
  }
}

/** Starts verdaccio; every package may be read and published by the one user it creates. */
export async function startRegistry(): Promise<LocalRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'k8stream-registry-'));
  const configPath = join(dir, 'config.yaml');
  await writeFile(
    configPath,
    [
      'storage: ./storage',
      'auth:',
      '  htpasswd:',
      '    file: ./htpasswd',
      '    max_users: 10',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      'log: { type: stdout, format: pretty, level: fatal }',
      'publish: { allow_offline: true }',
      '',
    ].join('\n'),
  );
  const server = (await runServer(configPath)) as Server;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;

  // Create the publishing user; the answer carries its token.
  const res = await fetch(`${url}-/user/org.couchdb.user:k8stream`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'k8stream', password: 'k8stream-test-only' }),
  });
  const body = (await res.json()) as { token?: string };
  if (!res.ok || typeof body.token !== 'string') {
    server.close();
    throw new Error(`verdaccio: creating the test user failed (HTTP ${res.status})`);
  }
  const npmrc = join(dir, '.npmrc');
  await writeFile(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${body.token}\n`);

  return {
    url,
    npmrc,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Publishes the package in `dir` (lifecycle scripts off) to `registry`. */
export async function publish(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  await npm(['publish', '--ignore-scripts', '--access', 'public'], dir, env);
}
