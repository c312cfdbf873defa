/** The stdout sink: every record as one JSON line, written with backpressure. */
import { PermanentError, createClosedGuard, defineSink, errorMessage, parseConfig, schema as s, toNdjsonLine } from '@k8stream/core';
import type { Batch, SendContext, SinkContext, SinkDefinition, SinkInstance } from '@k8stream/core';

/** The stdout sink's `config` block. */
export const stdoutSinkConfigSchema = s.object({
  pretty: s.boolean().default(false).describe('Indent each record over several lines (for reading in a terminal) instead of one JSON line per record.'),
});

/** The validated stdout sink config, derived from its schema. */
export type StdoutSinkConfig = s.Output<typeof stdoutSinkConfigSchema>;

/** A stream event listener (typed loosely so any `Writable` fits). */

type Listener = (...args: any[]) => void;

/** The stream operations the sink uses; `process.stdout` and any `Writable` have them. */
export interface OutputStream {
  write(chunk: string, callback?: (err?: Error | null) => void): boolean;
  on(event: 'drain' | 'error' | 'close', listener: Listener): unknown;
  off(event: 'drain' | 'error' | 'close', listener: Listener): unknown;
}

export interface StdoutSinkOptions {
  /** Where the lines go. @default process.stdout */
  stream?: OutputStream;
  /** Text handed to one `write` call. @default 64 KiB */
  chunkSize?: number;
}

/** Errors that mean the reader is gone for good: the batch is dead-lettered instead of retried. */
const CLOSED_OUTPUT = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END', 'ERR_STREAM_ALREADY_FINISHED']);

/** How many recent batch ids are remembered to skip redeliveries. */
const REMEMBERED_BATCHES = 1024;

/** Validates `{ pretty?: boolean }`; an absent config means the defaults. */
export function validateStdoutSinkConfig(raw: unknown): StdoutSinkConfig {
  return parseConfig(stdoutSinkConfigSchema, raw ?? {}, { plugin: 'stdout' });
}

/** Resolves on 'drain'; rejects on 'error', 'close' or abort. */
function waitForDrain(stream: OutputStream, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(Object.assign(new Error('output stream closed'), { code: 'ERR_STREAM_DESTROYED' }));
    };
    const onAbort = () => {
      cleanup();
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function createInstance(config: StdoutSinkConfig, ctx: SinkContext, stream: OutputStream, chunkSize: number): SinkInstance {
  const indent = config.pretty ? 2 : undefined;
  const written = new Set<string>();
  let broken: Error | null = null;
  const guard = createClosedGuard('stdout', ctx.name);
  // An 'error' on the stream must not crash the process; it fails the next sends instead.
  const onError = (err: Error) => {
    broken ??= err;
  };
  stream.on('error', onError);

  const classify = (err: unknown): Error => {
    const code = codeOf(err);
    if (code !== undefined && CLOSED_OUTPUT.has(code)) {
      return new PermanentError(`stdout sink "${ctx.name}": output closed (${errorMessage(err)})`, { cause: err, plugin: ctx.name });
    }
    return err instanceof Error ? err : new Error(String(err));
  };

  return {
    describe: () => 'stdout',
    async send(batch: Batch<unknown>, sendCtx: SendContext): Promise<void> {
      guard.assertOpen();
      if (broken) {
        throw new PermanentError(`stdout sink "${ctx.name}": output failed earlier (${errorMessage(broken)})`, { cause: broken, plugin: ctx.name });
      }
      if (written.has(batch.id)) {
        sendCtx.logger.debug('batch already written, skipped', { sink: ctx.name, batch: batch.id });
        return;
      }
      // The first error of this send is the cause; later writes only see the stream destroyed.
      let firstError: Error | null = null;
      const record = (err: Error | null | undefined): void => {
        if (err) firstError ??= err;
      };
      /** Writes one chunk, waiting for 'drain' when the stream's buffer is full. */
      const writeChunk = async (chunk: string): Promise<void> => {
        if (!stream.write(chunk, record)) await waitForDrain(stream, sendCtx.signal);
        if (firstError) throw firstError;
      };
      try {
        let chunk = '';
        for (const item of batch.records) {
          chunk += toNdjsonLine(item, indent);
          if (chunk.length >= chunkSize) {
            await writeChunk(chunk);
            chunk = '';
          }
        }
        // The last chunk is awaited until the stream has handed it on: then the batch is out.
        await new Promise<void>((resolve, reject) => {
          stream.write(chunk, (err) => {
            record(err);
            if (firstError) reject(firstError);
            else resolve();
          });
        });
      } catch (err) {
        throw classify(firstError ?? err);
      }
      written.add(batch.id);
      if (written.size > REMEMBERED_BATCHES) written.delete(written.values().next().value as string);
    },
    async close(): Promise<void> {
      if (guard.close()) stream.off('error', onError);
    },
  };
}

/** The stdout sink definition; tests pass their own stream. */
export function createStdoutSink(options: StdoutSinkOptions = {}): SinkDefinition<StdoutSinkConfig> {
  const chunkSize = options.chunkSize ?? 64 * 1024;
  return defineSink<StdoutSinkConfig>({
    name: 'stdout',
    apiVersion: '^1.0.0',
    defaults: { encoding: { format: 'ndjson', compression: 'none' } },
    validate: validateStdoutSinkConfig,
    create(config, ctx) {
      return createInstance(config, ctx, options.stream ?? process.stdout, chunkSize);
    },
  });
}
