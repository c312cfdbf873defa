/** The S3 sink: each batch becomes one object, written with PutObject or a multipart upload. */
import { HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { PutObjectCommandInput, S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createClosedGuard, defineSink, renderKeyTemplate } from '@k8stream/core';
import type { Batch, SendContext, SinkContext, SinkDefinition, SinkInstance } from '@k8stream/core';
import { s3ArchiveReader } from './archive.js';
import { validateS3SinkConfig } from './config.js';
import type { S3SinkConfig } from './config.js';
import { toHealthError, toSendError } from './errors.js';

/** Seams for tests and embedders. */
export interface S3SinkOptions {
  /**
   * Extra S3 client settings merged over the ones built from the config (static `credentials`,
   * a custom `requestHandler`...). Production leaves it empty: the SDK's default credential chain
   * (env, shared profile, web identity / IRSA, container and instance metadata) applies.
   */
  clientConfig?: Partial<S3ClientConfig>;
}

/** Name of the object the healthcheck writes (under the prefix) to prove the bucket is writable. */
export const HEALTHCHECK_OBJECT = '_k8stream-healthcheck';

/** The S3 client settings for a config (no credentials: the SDK's chain finds them). */
export function clientConfigFor(config: S3SinkConfig): S3ClientConfig {
  return {
    ...(config.region !== undefined ? { region: config.region } : {}),
    ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
    ...(config.profile !== undefined ? { profile: config.profile } : {}),
    forcePathStyle: config.forcePathStyle,
    maxAttempts: config.maxAttempts,
  };
}

/** The client for a config, the same for writing and for reading back: the config's settings, then the seams'. */
export function s3ClientFor(config: S3SinkConfig, options: S3SinkOptions = {}): S3Client {
  return new S3Client({ ...clientConfigFor(config), ...options.clientConfig });
}

/** Where a config writes, for messages: `s3://bucket/prefix`. */
export function s3Location(config: S3SinkConfig): string {
  return `s3://${config.bucket}${config.prefix ? `/${config.prefix.replace(/^\/+|\/+$/g, '')}` : ''}`;
}

/** The object key of a batch: the `key` template rendered with `{prefix}`. */
export function objectKeyFor(config: S3SinkConfig, batch: Batch<unknown>): string {
  return renderKeyTemplate(config.key, batch, { prefix: config.prefix });
}

/** Key of the healthcheck probe object: `<prefix>/_k8stream-healthcheck`. */
export function healthcheckKey(config: S3SinkConfig): string {
  const prefix = config.prefix
    .split('/')
    .filter((s) => s !== '' && s !== '.' && s !== '..')
    .join('/');
  return prefix === '' ? HEALTHCHECK_OBJECT : `${prefix}/${HEALTHCHECK_OBJECT}`;
}

/** Credentials that must never appear in a message: whatever the env and the seam hold. */
function knownSecrets(clientConfig: Partial<S3ClientConfig>): string[] {
  const out = [process.env.AWS_ACCESS_KEY_ID, process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN];
  const creds = clientConfig.credentials;
  if (creds !== undefined && typeof creds === 'object') {
    const c = creds as { accessKeyId?: unknown; secretAccessKey?: unknown; sessionToken?: unknown };
    out.push(...[c.accessKeyId, c.secretAccessKey, c.sessionToken].map((v) => (typeof v === 'string' ? v : undefined)));
  }
  return out.filter((v): v is string => v !== undefined && v !== '');
}

function putParams(config: S3SinkConfig, batch: Batch<unknown>, key: string): PutObjectCommandInput {
  return {
    Bucket: config.bucket,
    Key: key,
    Body: batch.body,
    ContentType: batch.contentType,
    ...(batch.contentEncoding !== undefined ? { ContentEncoding: batch.contentEncoding } : {}),
    ...(config.storageClass !== undefined ? { StorageClass: config.storageClass } : {}),
    ...(config.serverSideEncryption !== undefined ? { ServerSideEncryption: config.serverSideEncryption } : {}),
    ...(config.kmsKeyId !== undefined ? { SSEKMSKeyId: config.kmsKeyId } : {}),
    Metadata: { 'k8stream-batch-id': batch.id, 'k8stream-records': String(batch.count) },
  };
}

async function uploadMultipart(client: S3Client, config: S3SinkConfig, params: PutObjectCommandInput, signal: AbortSignal): Promise<void> {
  const upload = new Upload({ client, params, partSize: config.partSize, queueSize: config.queueSize, leavePartsOnError: false });
  const onAbort = (): void => {
    void upload.abort();
  };
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await upload.done();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function createInstance(config: S3SinkConfig, ctx: SinkContext, options: S3SinkOptions): SinkInstance {
  const client = s3ClientFor(config, options);
  const secrets = knownSecrets(options.clientConfig ?? {});
  const root = s3Location(config);
  const guard = createClosedGuard('s3', ctx.name);

  return {
    describe: () => root,
    async healthcheck(): Promise<void> {
      const where = `s3://${config.bucket}`;
      try {
        await client.send(new HeadBucketCommand({ Bucket: config.bucket }));
      } catch (err) {
        throw toHealthError(err, { sink: ctx.name, where, step: 'reaching bucket', secrets });
      }
      const key = healthcheckKey(config);
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: config.bucket,
            Key: key,
            Body: 'ok\n',
            ContentType: 'text/plain',
            ...(config.serverSideEncryption !== undefined ? { ServerSideEncryption: config.serverSideEncryption } : {}),
            ...(config.kmsKeyId !== undefined ? { SSEKMSKeyId: config.kmsKeyId } : {}),
          }),
        );
      } catch (err) {
        throw toHealthError(err, { sink: ctx.name, where: `${where}/${key}`, step: 'writing', secrets });
      }
    },
    async send(batch: Batch<unknown>, sendCtx: SendContext): Promise<void> {
      guard.assertOpen();
      const key = objectKeyFor(config, batch);
      const where = `s3://${config.bucket}/${key}`;
      const params = putParams(config, batch, key);
      const multipart = batch.body.byteLength >= config.multipartThreshold;
      try {
        if (multipart) await uploadMultipart(client, config, params, sendCtx.signal);
        else await client.send(new PutObjectCommand(params), { abortSignal: sendCtx.signal });
      } catch (err) {
        throw toSendError(err, { sink: ctx.name, where, secrets });
      }
      sendCtx.logger.debug('batch written', { sink: ctx.name, batch: batch.id, object: where, bytes: batch.body.byteLength, multipart });
    },
    async close(): Promise<void> {
      if (guard.close()) client.destroy();
    },
  };
}

/** The S3 sink definition, with optional seams (client settings). */
export function createS3Sink(options: S3SinkOptions = {}): SinkDefinition<S3SinkConfig> {
  return defineSink<S3SinkConfig>({
    name: 's3',
    apiVersion: '^1.2.0',
    defaults: { encoding: { format: 'ndjson', compression: 'gzip' } },
    validate: validateS3SinkConfig,
    create: (config, ctx) => createInstance(config, ctx, options),
    archive: (config, ctx) =>
      s3ArchiveReader(config, s3ClientFor(config, options), { sink: ctx.name, secrets: knownSecrets(options.clientConfig ?? {}), location: s3Location(config) }),
  });
}
