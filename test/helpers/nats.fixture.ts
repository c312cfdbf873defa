/**
 * A real `nats-server` with JetStream for tests (Debian package `nats-server`, installed by
 * `requireTool` when missing), a TCP proxy that can cut the network between a client and the
 * server, and a reader that returns every message a stream holds.
 *
 * The server is ready when it logs "Server is ready" (awaited, never slept for); `restart()`
 * starts it again on the same port and store directory, so JetStream recovers the stream.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { ConnectionOptions, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { requireTool } from './tool.fixture.js';

/** How the server authenticates clients. */
export type ServerAuth = { user: string; password: string } | { token: string } | { nkey: string };

export interface NatsServer {
  port: number;
  /** `nats://127.0.0.1:<port>` */
  url: string;
  storeDir: string;
  /** Everything the server logged (stderr), for assertions and failure messages. */
  log(): string;
  /** Stops the process (SIGTERM, or SIGKILL with `hard`) and waits for it to exit. */
  stop(options?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port and store directory; resolves when it is ready. */
  restart(): Promise<void>;
  /** Stops it and removes the store directory. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Command-line arguments for `auth`; an NKey user needs a config file (written to `dir`). */
async function authArgs(auth: ServerAuth | undefined, dir: string): Promise<string[]> {
  if (auth === undefined) return [];
  if ('token' in auth) return ['--auth', auth.token];
  if ('nkey' in auth) {
    const file = join(dir, 'auth.conf');
    await writeFile(file, `authorization { users = [ { nkey: "${auth.nkey}" } ] }\n`);
    return ['-c', file];
  }
  return ['--user', auth.user, '--pass', auth.password];
}

/** Spawns nats-server and resolves once it logs that it is ready (rejects when it exits first). */
function spawnServer(args: string[], logs: string[]): Promise<ChildProcess> {
  const child = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      const s = chunk.toString('utf8');
      logs.push(s);
      text += s;
      if (text.includes('Server is ready')) {
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`nats-server exited (${code}) before it was ready:\n${text}`));
    child.stderr.on('data', onData);
    child.once('exit', onExit);
    child.once('error', reject);
  });
}

/** `-c <file>` for a server configuration given as text (permissions, accounts...). */
async function configArgs(text: string | undefined, dir: string): Promise<string[]> {
  if (text === undefined) return [];
  const file = join(dir, 'server.conf');
  await writeFile(file, text);
  return ['-c', file];
}

/** Server TLS: its certificate and key, and with `verifyClientsWith` the CA client certificates must chain to. */
export interface ServerTls {
  certFile: string;
  keyFile: string;
  verifyClientsWith?: string;
}

function tlsArgs(tls: ServerTls | undefined): string[] {
  if (tls === undefined) return [];
  const args = ['--tls', '--tlscert', tls.certFile, '--tlskey', tls.keyFile];
  return tls.verifyClientsWith !== undefined ? [...args, '--tlsverify', '--tlscacert', tls.verifyClientsWith] : args;
}

/** PEM files of a throw-away CA, a server certificate for 127.0.0.1 and a client certificate, all signed by it. */
export interface TestPki {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
}

/** Makes a test PKI in `dir` with openssl (Debian package `openssl`, installed when missing). */
export async function makeTestPki(dir: string): Promise<TestPki> {
  await requireTool('openssl', ['version'], 'openssl');
  const openssl = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`openssl ${args[0]} failed: ${err}`))));
    });
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=k8stream test CA']);
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    await writeFile(join(dir, `${name}.ext`), `${ext}\n`);
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  }
  return {
    caFile: join(dir, 'ca.pem'),
    serverCertFile: join(dir, 'server.pem'),
    serverKeyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.pem'),
    clientKeyFile: join(dir, 'client.key'),
  };
}

/**
 * Starts a JetStream-enabled nats-server (unless `jetstream: false`) on a free port with a fresh
 * store directory; `configFile` is the text of a server configuration file (authorization with
 * permissions, say), command-line options taking precedence.
 */
export async function startNatsServer(options: { auth?: ServerAuth; tls?: ServerTls; jetstream?: boolean; configFile?: string } = {}): Promise<NatsServer> {
  await requireTool('nats-server', ['--version'], 'nats-server');
  const storeDir = await mkdtemp(join(tmpdir(), 'k8stream-nats-'));
  const port = await freePort();
  const logs: string[] = [];
  const args = [
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    ...(options.jetstream === false ? [] : ['-js', '-sd', join(storeDir, 'js')]),
    ...(await authArgs(options.auth, storeDir)),
    ...tlsArgs(options.tls),
    ...(await configArgs(options.configFile, storeDir)),
  ];
  let child: ChildProcess | null = await spawnServer(args, logs);

  const stop = async ({ hard = false } = {}): Promise<void> => {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };

  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    storeDir,
    log: () => logs.join(''),
    stop,
    async restart() {
      await stop();
      child = await spawnServer(args, logs);
    },
    async close() {
      await stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/** A TCP proxy in front of a server, whose network can be cut and restored. */
export interface TcpProxy {
  port: number;
  url: string;
  /** Bytes forwarded from clients to the server so far. */
  readonly bytesUp: number;
  /** Connections refused because the network was cut. */
  readonly refused: number;
  /** Connections dropped because the server did not accept the proxy's connection (it was down). */
  readonly upstreamFailures: number;
  /** Resolves once `n` bytes in total went from clients to the server. */
  whenBytesUp(n: number): Promise<void>;
  /** Resolves once `n` connections in total were refused while cut. */
  whenRefused(n: number): Promise<void>;
  /** Resolves once `n` connections in total found no server behind the proxy. */
  whenUpstreamFailed(n: number): Promise<void>;
  /** Destroys every open connection and refuses new ones until `restore()`. */
  cut(): void;
  /** Holds what clients send (connections stay open, nothing reaches the server) until `resume()`. */
  pause(): void;
  /** Resolves once `n` bytes in total were held back while paused. */
  whenHeld(n: number): Promise<void>;
  resume(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Sees every chunk the proxy forwards: `up` from clients to the server, `down` back. */
export type ProxyTap = (direction: 'up' | 'down', chunk: Buffer) => void;

/** Starts a proxy on a free port forwarding to `127.0.0.1:targetPort`. */
export async function startTcpProxy(targetPort: number, options: { tap?: ProxyTap } = {}): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let cut = false;
  let paused = false;
  const held: { upstream: net.Socket; chunk: Buffer }[] = [];
  let bytesUp = 0;
  let refused = 0;
  let upstreamFailures = 0;
  let heldBytes = 0;
  const waiters: { done: () => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.done()) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const when = (done: () => boolean) => new Promise<void>((resolve) => (done() ? resolve() : waiters.push({ done, resolve })));

  const server = net.createServer((client) => {
    if (cut) {
      refused++;
      client.destroy();
      check();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    let connected = false;
    upstream.once('connect', () => (connected = true));
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      if (!connected && !cut && sockets.has(upstream)) {
        upstreamFailures++;
        check();
      }
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      if (paused) {
        held.push({ upstream, chunk });
        heldBytes += chunk.length;
        check();
        return;
      }
      bytesUp += chunk.length;
      options.tap?.('up', chunk);
      upstream.write(chunk);
      check();
    });
    upstream.on('data', (chunk: Buffer) => {
      options.tap?.('down', chunk);
      client.write(chunk);
    });
    for (const s of [client, upstream]) {
      s.on('error', drop);
      s.on('close', drop);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    get bytesUp() {
      return bytesUp;
    },
    get refused() {
      return refused;
    },
    get upstreamFailures() {
      return upstreamFailures;
    },
    whenBytesUp: (n) => when(() => bytesUp >= n),
    whenRefused: (n) => when(() => refused >= n),
    whenUpstreamFailed: (n) => when(() => upstreamFailures >= n),
    whenHeld: (n) => when(() => heldBytes >= n),
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      cut = false;
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      for (const { upstream, chunk } of held.splice(0)) {
        if (upstream.destroyed) continue;
        bytesUp += chunk.length;
        options.tap?.('up', chunk);
        upstream.write(chunk);
      }
      check();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One message read back from a stream. */
export interface StoredMessage {
  subject: string;
  seq: number;
  data: Uint8Array;
  headers: MsgHdrs | undefined;
  /** The `Nats-Msg-Id` header. */
  msgId: string | undefined;
  json<T = unknown>(): T;
}

/** Opens a test connection (closed by the caller). */
export function testConnection(url: string, options: Omit<ConnectionOptions, 'servers'> = {}): Promise<NatsConnection> {
  return connect({ servers: url, ...options });
}

/**
 * Every message `stream` holds, in sequence order, read with an ordered consumer (the official
 * client's way to read a whole stream).
 */
export async function readStream(nc: NatsConnection, stream: string): Promise<StoredMessage[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const total = info.state.messages;
  const out: StoredMessage[] = [];
  if (total === 0) return out;
  const consumer = await jetstream(nc).consumers.get(stream);
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push({
      subject: m.subject,
      seq: m.seq,
      data: m.data,
      headers: m.headers,
      msgId: m.headers?.get('Nats-Msg-Id'),
      json: <T>() => m.json<T>(),
    });
    if (m.info.streamSequence >= info.state.last_seq) break;
  }
  await messages.close();
  return out;
}

/** Creates (or replaces) a stream for a test; returns its name. */
export async function createStream(nc: NatsConnection, name: string, subjects: string[], options: { duplicateWindowMs?: number } = {}): Promise<string> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(name).catch(() => false);
  await jsm.streams.add({ name, subjects, ...(options.duplicateWindowMs !== undefined ? { duplicate_window: options.duplicateWindowMs * 1_000_000 } : {}) });
  return name;
}
