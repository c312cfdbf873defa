/** Test helper: a writable stream that records what it was given, slowly if asked to. */
import { Writable } from 'node:stream';

export interface CaptureOptions {
  /** Buffer size after which `write` returns false. @default 16 KiB */
  highWaterMark?: number;
  /** Complete each write on a later turn of the event loop (a slow reader). @default true */
  slow?: boolean;
}

export class CaptureStream extends Writable {
  readonly chunks: string[] = [];
  /** Largest `writableLength` seen when a write was accepted. */
  maxBuffered = 0;
  drains = 0;
  private failure: Error | null = null;

  constructor(private readonly options: CaptureOptions = {}) {
    super({ highWaterMark: options.highWaterMark ?? 16 * 1024, decodeStrings: false });
    this.on('drain', () => this.drains++);
  }

  /** The next writes fail with an error carrying `code`. */
  failWith(code: string, message: string): void {
    this.failure = Object.assign(new Error(`${code}: ${message}`), { code });
  }

  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    const ok = super.write(chunk, encoding as BufferEncoding, cb as (error: Error | null | undefined) => void);
    this.maxBuffered = Math.max(this.maxBuffered, this.writableLength);
    return ok;
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.failure) {
      callback(this.failure);
      return;
    }
    this.chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    if (this.options.slow === false) callback();
    else setImmediate(callback);
  }

  text(): string {
    return this.chunks.join('');
  }

  /** Each non-empty line parsed as JSON. */
  lines(): unknown[] {
    return this.text()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as unknown);
  }
}
