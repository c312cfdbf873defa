/**
 * Reading back what the GCS sink wrote, with a Storage client built exactly as the sink builds its
 * own (`storageOptions`: Application Default Credentials or keyFilename, its token_uri, apiEndpoint).
 * Objects are downloaded as stored (`decompress: false`): a gzip batch stays gzip.
 */
import type { File, Storage } from '@google-cloud/storage';
import { K8streamError } from '@k8stream/core';
import type { ArchiveListing, ArchiveObject, ArchiveReader } from '@k8stream/core';
import type { GcsSinkConfig } from './config.js';
import { TOKEN_HINT, describeGcsError, httpStatusOf, isTokenEndpointError } from './errors.js';

export interface GcsArchiveOptions {
  /** Name of the sink, for messages. */
  sink: string;
}

/** `gs://bucket/prefix` (no trailing `/`), for messages. */
export function gcsLocation(config: Pick<GcsSinkConfig, 'bucket' | 'prefix'>): string {
  const prefix = config.prefix.replace(/^\/+|\/+$/g, '');
  return `gs://${config.bucket}${prefix === '' ? '' : `/${prefix}`}`;
}

/** What `getFiles` answers besides the files: the folded prefixes and the next page's token. */
interface ListResponse {
  prefixes?: string[];
  nextPageToken?: string;
}

function sizeOf(metadata: { size?: string | number | undefined }): number {
  const n = Number(metadata.size ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** An archive reader over `config.bucket` through `storage`. */
export function gcsArchiveReader(config: GcsSinkConfig, storage: Storage, options: GcsArchiveOptions): ArchiveReader {
  const bucket = storage.bucket(config.bucket);
  const location = gcsLocation(config);
  const { sink } = options;

  const listError = (err: unknown, prefix: string): K8streamError => {
    const where = `gs://${config.bucket}/${prefix}`;
    const target = { plugin: sink, path: where };
    const status = httpStatusOf(err);
    const what = describeGcsError(err);
    if (isTokenEndpointError(err)) return new K8streamError('ARCHIVE_UNAVAILABLE', `gcs archive ${location}: credentials rejected: ${what}`, { ...target, hint: TOKEN_HINT });
    if (status === 404) {
      return new K8streamError('ARCHIVE_UNAVAILABLE', `gcs archive ${location}: bucket "${config.bucket}" does not exist`, { ...target, hint: 'check the bucket name' });
    }
    if (status === 401 || status === 403) {
      return new K8streamError('ARCHIVE_UNAVAILABLE', `gcs archive ${location}: not allowed to list ${where}: ${what}`, {
        ...target,
        hint: `grant the credentials roles/storage.objectViewer (storage.objects.list and storage.objects.get) on bucket "${config.bucket}"`,
      });
    }
    if (status === undefined) {
      return new K8streamError('ARCHIVE_UNAVAILABLE', `gcs archive ${location}: cannot reach the storage API listing ${where}: ${what}`, {
        ...target,
        hint: 'check apiEndpoint (or STORAGE_EMULATOR_HOST) and that it is reachable from here',
      });
    }
    return new K8streamError('ARCHIVE_READ_FAILED', `gcs archive ${location}: listing ${where} failed: ${what}`, target);
  };

  return {
    template: config.key,
    templateValues: { prefix: config.prefix },
    describe: () => location,

    async list(prefix, opts = {}): Promise<ArchiveListing> {
      const objects: ArchiveObject[] = [];
      const prefixes: string[] = [];
      let pageToken: string | undefined;
      do {
        opts.signal?.throwIfAborted();
        let files: File[];
        let response: ListResponse | undefined;
        try {
          [files, , response] = (await bucket.getFiles({
            prefix,
            autoPaginate: false,
            ...(opts.delimiter ? { delimiter: opts.delimiter } : {}),
            ...(pageToken !== undefined ? { pageToken } : {}),
          })) as [File[], unknown, ListResponse | undefined];
        } catch (err) {
          throw listError(err, prefix);
        }
        for (const f of files) objects.push({ key: f.name, size: sizeOf(f.metadata) });
        prefixes.push(...(response?.prefixes ?? []));
        pageToken = response?.nextPageToken || undefined;
      } while (pageToken !== undefined);
      const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      return { objects: objects.sort((a, b) => order(a.key, b.key)), prefixes: prefixes.sort(order) };
    },

    async read(key, opts = {}): Promise<Uint8Array> {
      opts.signal?.throwIfAborted();
      const where = `gs://${config.bucket}/${key}`;
      try {
        const [data] = await bucket.file(key).download({ decompress: false });
        return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      } catch (err) {
        opts.signal?.throwIfAborted();
        throw new K8streamError('ARCHIVE_READ_FAILED', `gcs archive ${location}: cannot read ${where}: ${describeGcsError(err)}`, { plugin: sink, path: where });
      }
    },
  };
}
