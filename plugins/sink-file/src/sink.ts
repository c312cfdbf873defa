/** The file sink: each batch becomes one file under `dir`, written atomically. */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { K8streamError, PermanentError, createClosedGuard, defineSink, errorMessage, renderKeyTemplate } from '@k8stream/core';
import type { Batch, SendContext, SinkContext, SinkDefinition, SinkInstance } from '@k8stream/core';
import { ensureDirectory, nodeFs, writeFileAtomic } from './atomic-write.js';
import type { AtomicFs } from './atomic-write.js';
import { fileArchiveReader } from './archive.js';
import { validateFileSinkConfig } from './config.js';
import type { FileSinkConfig } from './config.js';

/**
 * Error codes that will not go away by retrying: the batch is dead-lettered (PermanentError).
 * Everything else is retried with backoff by the core, including ENOSPC, EDQUOT and EROFS:
 * a full disk can be freed and a read-only remount undone without losing the queued events.
 */
export const PERMANENT_FS_ERRORS: ReadonlySet<string> = new Set(['EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP']);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Seams for tests. */
export interface FileSinkOptions {
  /** File system operations. @default Node's fs.promises */
  fs?: AtomicFs;
}

/**
 * Checks that `dir` can be created and written: creates it, then writes and removes a probe file.
 * Throws `K8streamError('SINK_UNHEALTHY')` naming the directory and the reason.
 */
export async function checkWritable(dir: string, sinkName: string, fs: AtomicFs = nodeFs): Promise<void> {
  const hint = `make sure ${dir} exists or can be created, and that the user running k8stream may write to it (a relative dir resolves against the config file's directory)`;
  try {
    await ensureDirectory(dir, { fs });
  } catch (err) {
    throw new K8streamError('SINK_UNHEALTHY', `file sink "${sinkName}": cannot create directory ${dir}: ${errorMessage(err)}`, {
      cause: err,
      plugin: sinkName,
      path: dir,
      hint,
    });
  }
  const probe = path.join(dir, `.k8stream-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await fs.open(probe, 'wx', 0o600);
    try {
      await handle.write(new TextEncoder().encode('ok\n'), 0, 3, 0);
    } finally {
      await handle.close();
    }
    await fs.rm(probe, { force: true });
  } catch (err) {
    await fs.rm(probe, { force: true }).catch(() => undefined);
    throw new K8streamError('SINK_UNHEALTHY', `file sink "${sinkName}": directory ${dir} is not writable: ${errorMessage(err)}`, {
      cause: err,
      plugin: sinkName,
      path: dir,
      hint,
    });
  }
}

/** The absolute path a batch is written to. */
export function batchFilePath(root: string, template: string, batch: Batch<unknown>): string {
  const key = renderKeyTemplate(template, batch);
  const file = path.join(root, ...key.split('/'));
  const rel = path.relative(root, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new PermanentError(`file sink: path ${JSON.stringify(key)} leaves ${root}`, { plugin: batch.sink });
  }
  return file;
}

function createInstance(config: FileSinkConfig, ctx: SinkContext, fs: AtomicFs): SinkInstance {
  const root = path.resolve(ctx.configDir, config.dir);
  const guard = createClosedGuard('file', ctx.name);
  return {
    describe: () => root,
    healthcheck: () => checkWritable(root, ctx.name, fs),
    async send(batch: Batch<unknown>, sendCtx: SendContext): Promise<void> {
      guard.assertOpen();
      const file = batchFilePath(root, config.path, batch);
      try {
        await ensureDirectory(path.dirname(file), { fsync: config.fsync, fs });
        await writeFileAtomic(file, batch.body, { fsync: config.fsync, mode: config.mode, signal: sendCtx.signal, fs });
      } catch (err) {
        const code = codeOf(err);
        if (code !== undefined && PERMANENT_FS_ERRORS.has(code)) {
          throw new PermanentError(`file sink "${ctx.name}": cannot write ${file}: ${errorMessage(err)}`, {
            cause: err,
            plugin: ctx.name,
            path: file,
          });
        }
        throw err;
      }
      sendCtx.logger.debug('batch written', { sink: ctx.name, batch: batch.id, file, bytes: batch.body.byteLength });
    },
    async close(): Promise<void> {
      guard.close();
    },
  };
}

/** The file sink definition, with optional test seams. */
export function createFileSink(options: FileSinkOptions = {}): SinkDefinition<FileSinkConfig> {
  const fs = options.fs ?? nodeFs;
  return defineSink<FileSinkConfig>({
    name: 'file',
    apiVersion: '^1.2.0',
    defaults: { encoding: { format: 'ndjson', compression: 'gzip' } },
    validate: validateFileSinkConfig,
    async create(config, ctx) {
      const root = path.resolve(ctx.configDir, config.dir);
      await checkWritable(root, ctx.name, fs);
      return createInstance(config, ctx, fs);
    },
    archive: (config, ctx) => fileArchiveReader(path.resolve(ctx.configDir, config.dir), config.path, { sink: ctx.name }),
  });
}
