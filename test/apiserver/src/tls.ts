/**
 * A self-signed CA and a server certificate for 127.0.0.1/::1/localhost, made with the
 * `openssl` CLI (Node's crypto cannot issue certificates and npm dependencies are not wanted).
 * Made once per process (EC P-256, a few tens of milliseconds) and shared by every server.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM material for an HTTPS server and its clients. */
export interface TlsMaterial {
  /** CA certificate (PEM): what clients trust. */
  ca: string;
  /** Server certificate (PEM), signed by the CA. */
  cert: string;
  /** Server private key (PEM). */
  key: string;
}

let cached: Promise<TlsMaterial> | undefined;

/** The process-wide TLS material, generated on first use. Rejects if `openssl` is missing. */
export function tlsMaterial(): Promise<TlsMaterial> {
  cached ??= generate().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function generate(): Promise<TlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), 'apiserver-double-tls-'));
  try {
    const p = (f: string): string => join(dir, f);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await run('openssl', [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      p('ca.key'),
      '-out',
      p('ca.crt'),
      '-days',
      '3650',
      '-subj',
      '/CN=k8stream-apiserver-double-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await run('openssl', ['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=k8stream-apiserver-double']);
    await writeFile(
      p('ext.cnf'),
      [
        'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        '',
      ].join('\n'),
    );
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      p('server.csr'),
      '-CA',
      p('ca.crt'),
      '-CAkey',
      p('ca.key'),
      '-CAcreateserial',
      '-out',
      p('server.crt'),
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      p('ext.cnf'),
    ]);
    const [ca, cert, key] = await Promise.all([readFile(p('ca.crt'), 'utf8'), readFile(p('server.crt'), 'utf8'), readFile(p('server.key'), 'utf8')]);
    return { ca, cert, key };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
