/** The GCS sink: each batch becomes one object, written once (`ifGenerationMatch: 0`). */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Storage } from '@google-cloud/storage';
import type { StorageOptions } from '@google-cloud/storage';
import { K8streamError, PermanentError, createClosedGuard, defineSink, renderKeyTemplate } from '@k8stream/core';
import type { Batch, SendContext, SinkContext, SinkDefinition, SinkInstance } from '@k8stream/core';
import { gcsArchiveReader } from './archive.js';
import { validateGcsSinkConfig } from './config.js';
import type { GcsSinkConfig } from './config.js';
import { TOKEN_HINT, classifyGcsError, describeGcsError, httpStatusOf, isTokenEndpointError } from './errors.js';
import { customTokenUri, tokenUriTransport } from './token-uri.js';

/** Custom metadata key holding the batch id, so a 412 can tell "already written by us" from "someone else's object". */
export const BATCH_ID_METADATA = 'k8stream-batch-id';

/** Seams for tests. */
export interface GcsSinkOptions {
  /** Builds the client from its options. @default `new Storage(options)` */
  createStorage?: (options: StorageOptions) => Storage;
}

/**
 * The `@google-cloud/storage` options for a config. Retries are the core's job, so the client's
 * own are off. A custom endpoint gets credentials when a key file is given (unless
 * `useAuthWithCustomEndpoint: false`); a key file's own `token_uri` is honoured.
 */
export function storageOptions(config: GcsSinkConfig, configDir: string): StorageOptions {
  const options: StorageOptions = { retryOptions: { autoRetry: false } };
  if (config.projectId !== undefined) options.projectId = config.projectId;
  if (config.keyFilename !== undefined) {
    options.keyFilename = path.resolve(configDir, config.keyFilename);
    const tokenUri = customTokenUri(options.keyFilename);
    if (tokenUri !== undefined) options.clientOptions = { transporterOptions: tokenUriTransport(tokenUri) };
  }
  if (config.apiEndpoint !== undefined) {
    options.apiEndpoint = config.apiEndpoint;
    options.useAuthWithCustomEndpoint = config.useAuthWithCustomEndpoint ?? config.keyFilename !== undefined;
  }
  return options;
}

/** The object key of a batch. */
export function batchObjectKey(config: Pick<GcsSinkConfig, 'key' | 'prefix'>, batch: Batch<unknown>): string {
  return renderKeyTemplate(config.key, batch, { prefix: config.prefix });
}

function toBuffer(body: Uint8Array): Buffer {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * Bodies from this size on use a resumable upload. Not with credentials for a custom endpoint:
 * `@google-cloud/storage` 8.x starts resumable uploads from `save()` without credentials there
 * (it drops `useAuthWithCustomEndpoint`), so every batch is one multipart request instead.
 */
export function effectiveResumableThreshold(config: GcsSinkConfig, options: StorageOptions): number {
  return options.apiEndpoint !== undefined && options.useAuthWithCustomEndpoint === true ? Infinity : config.resumableThreshold;
}

function createInstance(config: GcsSinkConfig, ctx: SinkContext, storage: Storage, resumableThreshold: number): SinkInstance {
  const bucket = storage.bucket(config.bucket);
  const where = (key: string) => ({ sink: ctx.name, bucket: config.bucket, key });
  const guard = createClosedGuard('gcs', ctx.name);

  /** After a 412: resolves when the existing object is this batch (idempotent retry), else throws. */
  const confirmExisting = async (key: string, batch: Batch<unknown>): Promise<void> => {
    let existingId: unknown;
    try {
      const [metadata] = await bucket.file(key).getMetadata();
      existingId = metadata.metadata?.[BATCH_ID_METADATA];
    } catch (err) {
      throw classifyGcsError(err, where(key));
    }
    if (existingId !== batch.id) {
      throw new PermanentError(
        `gcs sink "${ctx.name}": gs://${config.bucket}/${key} already exists and holds another batch (${JSON.stringify(existingId ?? null)}), not ${batch.id}`,
        { plugin: ctx.name, path: `gs://${config.bucket}/${key}`, hint: 'make the key template unique per batch ({batchId}) or use a different prefix' },
      );
    }
  };

  return {
    describe: () => `gs://${config.bucket}/${config.prefix}`,

    async healthcheck(): Promise<void> {
      const key = [config.prefix, `.k8stream-healthcheck-${randomBytes(6).toString('hex')}`]
        .filter((p) => p !== '')
        .join('/')
        .replace(/\/+/g, '/');
      const file = bucket.file(key);
      try {
        await file.save(Buffer.from('ok\n'), { resumable: false, gzip: false, metadata: { contentType: 'text/plain' } });
      } catch (err) {
        const status = httpStatusOf(err);
        const rejected = isTokenEndpointError(err);
        const reason = rejected
          ? `credentials rejected: ${describeGcsError(err)}`
          : status === 404
            ? `bucket "${config.bucket}" does not exist`
            : status === 403 || status === 401
              ? `not allowed to write to bucket "${config.bucket}" (HTTP ${status})`
              : `bucket "${config.bucket}" is not reachable: ${describeGcsError(err)}`;
        throw new K8streamError('SINK_UNHEALTHY', `gcs sink "${ctx.name}": ${reason}`, {
          plugin: ctx.name,
          path: `gs://${config.bucket}`,
          hint: rejected ? TOKEN_HINT : 'check the bucket name and that the credentials (Application Default Credentials or keyFilename) may create objects in it',
        });
      }
      await file.delete({ ignoreNotFound: true }).catch((err: unknown) => {
        ctx.logger.debug('healthcheck probe not deleted', { sink: ctx.name, key, error: describeGcsError(err) });
      });
    },

    async send(batch: Batch<unknown>, sendCtx: SendContext): Promise<void> {
      guard.assertOpen();
      sendCtx.signal.throwIfAborted();
      const key = batchObjectKey(config, batch);
      const resumable = batch.body.byteLength >= resumableThreshold;
      try {
        await bucket.file(key).save(toBuffer(batch.body), {
          resumable,
          gzip: false,
          validation: 'crc32c',
          preconditionOpts: { ifGenerationMatch: 0 },
          metadata: {
            contentType: batch.contentType,
            ...(batch.contentEncoding === undefined ? {} : { contentEncoding: batch.contentEncoding }),
            ...(config.storageClass === undefined ? {} : { storageClass: config.storageClass }),
            metadata: { [BATCH_ID_METADATA]: batch.id, 'k8stream-cluster': batch.cluster, 'k8stream-records': String(batch.count) },
          },
        });
      } catch (err) {
        if (httpStatusOf(err) !== 412) throw classifyGcsError(err, where(key));
        await confirmExisting(key, batch);
        sendCtx.logger.debug('batch already written', { sink: ctx.name, batch: batch.id, key });
        return;
      }
      sendCtx.logger.debug('batch written', { sink: ctx.name, batch: batch.id, key, bytes: batch.body.byteLength, resumable });
    },

    async close(): Promise<void> {
      guard.close();
    },
  };
}

/** The GCS sink definition, with optional test seams. */
export function createGcsSink(options: GcsSinkOptions = {}): SinkDefinition<GcsSinkConfig> {
  const make = options.createStorage ?? ((o: StorageOptions) => new Storage(o));
  return defineSink<GcsSinkConfig>({
    name: 'gcs',
    apiVersion: '^1.2.0',
    defaults: { encoding: { format: 'ndjson', compression: 'gzip' } },
    validate: validateGcsSinkConfig,
    create(config, ctx) {
      const options = storageOptions(config, ctx.configDir);
      return createInstance(config, ctx, make(options), effectiveResumableThreshold(config, options));
    },
    archive: (config, ctx) => gcsArchiveReader(config, make(storageOptions(config, ctx.configDir)), { sink: ctx.name }),
  });
}
