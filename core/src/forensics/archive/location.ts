/**
 * `--archive LOCATION`: which sink plugin reads it back, and with which config. `s3://bucket/prefix`
 * is the S3 sink's, `gs://bucket/prefix` the GCS sink's, anything else a directory the file sink
 * wrote (or a local copy of an S3/GCS prefix). The configs are the sinks' own, so their own
 * validation reports a bad bucket name at `--archive`.
 */
import * as path from 'node:path';
import { K8streamError } from '../../errors.js';

/** The sink plugin and the raw `config` an `--archive` location stands for. */
export interface ArchiveLocation {
  /** Plugin reference, resolved like `sinks[].use` (`file` → `@k8stream/sink-file`). */
  use: 'file' | 's3' | 'gcs';
  config: Record<string, unknown>;
}

/** Options that only apply to `--archive s3://…` / `gs://…`. */
export interface LocationOptions {
  /** `--endpoint`: an S3-compatible store (MinIO, Ceph, R2), or a GCS API endpoint (emulator). */
  endpoint?: string | undefined;
  /** `--region` (S3). */
  region?: string | undefined;
  /** `--force-path-style` (S3). */
  forcePathStyle?: boolean | undefined;
  /** The environment: `STORAGE_EMULATOR_HOST` points `gs://` at an emulator, as the Google client does. */
  env?: NodeJS.ProcessEnv;
}

/** Splits `scheme://bucket/prefix` into its bucket and prefix (no leading or trailing `/`). */
function bucketAndPrefix(location: string, scheme: string): { bucket: string; prefix: string } {
  const rest = location.slice(scheme.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (bucket === '') {
    throw new K8streamError('ARGUMENT_INVALID', `--archive ${location}: no bucket name after ${scheme}`, { path: '--archive', hint: `write ${scheme}BUCKET/PREFIX` });
  }
  return { bucket, prefix };
}

/** An http(s) URL, or a `host:port` as `STORAGE_EMULATOR_HOST` often holds, as an http URL. */
function asUrl(endpoint: string): string {
  return /^https?:\/\//.test(endpoint) ? endpoint : `http://${endpoint}`;
}

/**
 * The plugin and config for an `--archive` location. A relative directory resolves against `cwd`.
 * Throws ARGUMENT_INVALID for `s3://` without a bucket, or S3-only options with another scheme.
 */
export function parseArchiveLocation(location: string, cwd: string, options: LocationOptions = {}): ArchiveLocation {
  const s3Only = (['region', 'forcePathStyle'] as const).filter((k) => options[k] !== undefined);
  if (location.startsWith('s3://')) {
    const { bucket, prefix } = bucketAndPrefix(location, 's3://');
    const config: Record<string, unknown> = { bucket, prefix };
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    if (options.region !== undefined) config.region = options.region;
    if (options.forcePathStyle !== undefined) config.forcePathStyle = options.forcePathStyle;
    return { use: 's3', config };
  }
  if (s3Only.length > 0) {
    const flags = s3Only.map((k) => (k === 'region' ? '--region' : '--force-path-style')).join(', ');
    throw new K8streamError('ARGUMENT_INVALID', `${flags} ${s3Only.length === 1 ? 'only applies' : 'only apply'} to --archive s3://…, not to ${location}`, { path: '--archive' });
  }
  if (location.startsWith('gs://')) {
    const { bucket, prefix } = bucketAndPrefix(location, 'gs://');
    const config: Record<string, unknown> = { bucket, prefix };
    const endpoint = options.endpoint ?? options.env?.STORAGE_EMULATOR_HOST;
    if (endpoint !== undefined && endpoint !== '') config.apiEndpoint = asUrl(endpoint);
    return { use: 'gcs', config };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new K8streamError('ARGUMENT_INVALID', `--archive ${location}: unsupported scheme (use a directory, s3://BUCKET/PREFIX or gs://BUCKET/PREFIX)`, {
      path: '--archive',
    });
  }
  if (options.endpoint !== undefined) {
    throw new K8streamError('ARGUMENT_INVALID', `--endpoint only applies to --archive s3://… or gs://…, not to the directory ${location}`, { path: '--archive' });
  }
  return { use: 'file', config: { dir: path.resolve(cwd, location) } };
}
