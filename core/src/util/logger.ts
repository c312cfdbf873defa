/**
 * Structured logger. Human-readable lines by default (`pretty`), one JSON object per line with
 * `format: 'json'` (written by pino: `time` ISO 8601, `level` label, `msg`, then bound and call
 * fields). Every field and every message is scrubbed of secrets first (see `redact.ts`), in both
 * formats; errors in fields keep message and code, and their stack only at debug level.
 */
import { pino, stdTimeFunctions, type Logger as PinoLogger } from 'pino';
import { escapeLineSeparators } from './ndjson.js';
import { redactFields, redactString } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'pretty' | 'json';
  /**
   * Where lines go, one call per line, without the trailing newline. Defaults to stderr (written
   * synchronously, so nothing is lost at `process.exit`), keeping stdout free for the stdout sink.
   */
  write?: (line: string) => void;
}

/** Writes one finished line; shared by a logger and all its children. */
type Emit = (level: Exclude<LogLevel, 'silent'>, msg: string, fields: LogFields) => void;

export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? 'pretty';
  const emit = format === 'json' ? jsonEmitter(level, options.write) : prettyEmitter(options.write);
  return makeLogger(ORDER[level], level === 'debug', emit, redactFields(bound, { stacks: level === 'debug' }));
}

function makeLogger(threshold: number, stacks: boolean, emit: Emit, bound: LogFields): Logger {
  const log = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields) => {
    if (ORDER[lvl] < threshold) return;
    const all = fields === undefined ? bound : { ...bound, ...redactFields(fields, { stacks }) };
    emit(lvl, redactString(msg), all);
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    // Bound fields are scrubbed once, here, and merged (a key bound twice appears once).
    child: (fields) => makeLogger(threshold, stacks, emit, { ...bound, ...redactFields(fields, { stacks }) }),
  };
}

/** Keys pino writes itself; a field with one of these names is renamed rather than duplicated. */
const RESERVED = ['time', 'level', 'msg'] as const;

function jsonEmitter(level: LogLevel, write: ((line: string) => void) | undefined): Emit {
  const destination = write === undefined ? syncStderr() : { write: (chunk: string) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) };
  const logger: PinoLogger = pino(
    {
      level,
      base: undefined,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Fields are already plain, scrubbed data: replace pino's default `err` serializer.
      serializers: { err: (value: unknown) => value },
      // One log line per record for line readers: U+2028/U+2029 in a message would split it.
      hooks: { streamWrite: escapeLineSeparators },
    },
    destination,
  );
  return (lvl, msg, fields) => {
    let obj = fields;
    for (const key of RESERVED) {
      if (key in obj) {
        obj = { ...obj, [`field_${key}`]: obj[key] };
        delete obj[key];
      }
    }
    logger[lvl](obj, msg);
  };
}

function prettyEmitter(write: ((line: string) => void) | undefined): Emit {
  const stderr = write === undefined ? syncStderr() : undefined;
  const out = write ?? ((line: string) => void stderr!.write(line + '\n'));
  return (lvl, msg, fields) => {
    let extra = '';
    for (const key of Object.keys(fields)) {
      const v = fields[key];
      if (v === undefined) continue;
      extra += ` ${key}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
    }
    out(`${lvl.toUpperCase().padEnd(5)} ${msg}${extra}`);
  };
}

/**
 * Stderr written with blocking writes (pino's sonic-boom in sync mode). `process.stderr.write` on
 * a pipe is asynchronous: lines still queued are lost at `process.exit` (measured: 2,200 of
 * 3,000 lines lost), and would come out of order with these.
 */
function syncStderr(): { write(chunk: string): unknown } {
  return pino.destination({ fd: 2, sync: true });
}

export const silentLogger: Logger = createLogger({ level: 'silent' });
