/**
 * Downloads transform modules from https URLs pinned by sha256, through an on-disk cache keyed
 * by that hash: a module is downloaded once, verified, and read from the cache afterwards (and
 * verified again, so a corrupted cache file is downloaded anew). A download whose hash differs
 * from the pin is refused with `TRANSFORM_HASH_MISMATCH`, naming the URL and both hashes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as https from 'node:https';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { rootCertificates } from 'node:tls';
import { K8streamError } from '../errors.js';

export interface FetchOptions {
  /** Cache directory. @default {@link defaultCacheDir} */
  cacheDir?: string;
  /** CA certificates (PEM) trusted in addition to Node's bundled roots (private mirrors, tests). */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** Deadline for the whole download. @default 60000 */
  timeoutMs?: number;
  /** Largest module accepted. @default 256 MiB */
  maxBytes?: number;
}

export interface FetchedModule {
  bytes: Uint8Array;
  /** The cache file holding the module. */
  file: string;
  /** True when the module came from the cache without a download. */
  cached: boolean;
}

/** `$XDG_CACHE_HOME/k8stream/transforms`, else `~/.cache/k8stream/transforms`. */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(homedir(), '.cache'), 'k8stream', 'transforms');
}

/** Hex sha256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The URL without its query or fragment (they may carry tokens), for messages. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

function download(url: string, options: FetchOptions, redirects = 0): Promise<Uint8Array> {
  const shown = displayUrl(url);
  const extra = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  return new Promise<Uint8Array>((resolve, reject) => {
    const failed = (message: string, cause?: unknown) =>
      new K8streamError('PLUGIN_LOAD_FAILED', `download of transform module ${shown} failed: ${message}`, cause === undefined ? {} : { cause });
    const request = https.get(
      url,
      {
        ...(extra.length > 0 ? { ca: [...rootCertificates, ...(extra as (string | Buffer)[])] } : {}),
        headers: { accept: 'application/wasm, application/octet-stream;q=0.9, */*;q=0.1', 'user-agent': 'k8stream' },
        timeout: options.timeoutMs ?? 60_000,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (REDIRECTS.has(status) && response.headers.location) {
          response.resume();
          if (redirects >= MAX_REDIRECTS) return reject(failed(`more than ${MAX_REDIRECTS} redirects`));
          const next = new URL(response.headers.location, url);
          if (next.protocol !== 'https:') return reject(failed(`redirected to a non-https URL (${displayUrl(next.href)})`));
          download(next.href, options, redirects + 1).then(resolve, reject);
          return;
        }
        if (status !== 200) {
          response.resume();
          return reject(failed(`HTTP ${status}`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            request.destroy(failed(`larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
        response.on('error', (err) => reject(failed(err.message, err)));
      },
    );
    request.on('timeout', () => request.destroy(failed(`no answer within ${options.timeoutMs ?? 60_000} ms`)));
    request.on('error', (err) => reject(err instanceof K8streamError ? err : failed(err.message, err)));
  });
}

/**
 * The module at `url`, verified against `sha256` (hex), from the cache when it is there.
 * Throws `TRANSFORM_HASH_MISMATCH` when the download does not match, `PLUGIN_LOAD_FAILED` when
 * it fails.
 */
export async function fetchPinned(url: string, sha256: string, options: FetchOptions = {}): Promise<FetchedModule> {
  const expected = sha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected)) {
    throw new K8streamError('CONFIG_INVALID', `sha256 of ${displayUrl(url)} must be 64 hex characters`);
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const file = path.join(cacheDir, `${expected}.wasm`);
  try {
    const cached = new Uint8Array(await readFile(file));
    if (sha256Hex(cached) === expected) return { bytes: cached, file, cached: true };
    await rm(file, { force: true }); // corrupted: download again
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const bytes = await download(url, options);
  const actual = sha256Hex(bytes);
  if (actual !== expected) {
    throw new K8streamError('TRANSFORM_HASH_MISMATCH', `transform module ${displayUrl(url)} does not match its pinned sha256: expected ${expected}, got ${actual}`, {
      hint: 'if the new module is trusted, update sha256 in the config; otherwise the URL now serves something else',
    });
  }
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
  return { bytes, file, cached: false };
}
