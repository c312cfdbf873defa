import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLogger, type LogFields } from './logger.js';

function capture(options: { level?: 'debug' | 'info' | 'warn' | 'error' | 'silent'; format?: 'pretty' | 'json' } = {}) {
  const lines: string[] = [];
  const logger = createLogger({ ...options, write: (l) => void lines.push(l) });
  return { logger, lines, json: () => lines.map((l) => JSON.parse(l) as LogFields) };
}

describe('json format (pino)', () => {
  it('writes one object per line: ISO time, level label, msg, bound and call fields', () => {
    const { logger, lines, json } = capture({ format: 'json', level: 'debug' });
    logger.child({ sink: 'archive' }).child({ batchId: 'b1' }).info('batch sent', { count: 3 });
    logger.debug('dbg');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    const [first, second] = json();
    expect(first).toEqual({ time: expect.any(String), level: 'info', msg: 'batch sent', sink: 'archive', batchId: 'b1', count: 3 });
    expect(new Date(first!.time as string).toISOString()).toBe(first!.time);
    expect(second).toMatchObject({ level: 'debug', msg: 'dbg' });
    expect(Object.keys(second!).sort()).toEqual(['level', 'msg', 'time']);
  });

  it('escapes U+2028/U+2029, so a message carrying one stays one line for line readers', () => {
    const { logger, lines, json } = capture({ format: 'json' });
    logger.info('event a\u2028b', { message: 'c\u2029d' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\u2028\u2029]/);
    expect(json()[0]).toMatchObject({ msg: 'event a\u2028b', message: 'c\u2029d' });
  });

  it('filters by level, and silent writes nothing', () => {
    const { logger, json } = capture({ format: 'json', level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(json().map((o) => o.level)).toEqual(['warn', 'error']);
    const silent = capture({ format: 'json', level: 'silent' });
    silent.logger.error('e');
    expect(silent.lines).toEqual([]);
  });

  it('a key bound twice appears once, and reserved names do not clash with pino', () => {
    const { logger, lines, json } = capture({ format: 'json' });
    logger.child({ sink: 'a' }).child({ sink: 'a' }).warn('x', { sink: 'a', level: 'custom', msg: 'm', time: 1 });
    expect(lines[0]!.match(/"sink"/g)).toHaveLength(1);
    expect(json()[0]).toEqual({ time: expect.any(String), level: 'warn', msg: 'x', sink: 'a', field_level: 'custom', field_msg: 'm', field_time: 1 });
  });

  it('redacts fields, bound fields and the message', () => {
    const { logger, lines, json } = capture({ format: 'json' });
    logger.child({ token: 'bound-secret' }).error('GET https://u:msg-secret@h failed', {
      headers: { authorization: 'Bearer hdr-secret' },
      error: 'server said Bearer val-secret',
    });
    expect(lines[0]).not.toMatch(/secret/);
    expect(json()[0]).toMatchObject({ token: '[REDACTED]', headers: { authorization: '[REDACTED]' }, error: 'server said Bearer [REDACTED]' });
  });

  it('errors keep message and code; the stack only at debug level', () => {
    const err = Object.assign(new Error('denied'), { code: 'AccessDenied', $response: { headers: { 'x-amz-security-token': 'T' } } });
    const info = capture({ format: 'json', level: 'info' });
    info.logger.error('failed', { err, error: err });
    expect(info.json()[0]).toMatchObject({ err: { message: 'denied', code: 'AccessDenied' }, error: { message: 'denied', code: 'AccessDenied' } });
    expect(info.lines[0]).not.toContain('stack');
    const debug = capture({ format: 'json', level: 'debug' });
    debug.logger.error('failed', { err });
    expect((debug.json()[0]!.err as { stack: string }).stack).toMatch(/^Error: denied\n\s+at /);
  });
});

describe('pretty format', () => {
  it('prints level, message and key=value fields, redacted', () => {
    const { logger, lines } = capture({ level: 'debug' });
    logger.child({ sink: 's3' }).warn('send failed, retrying', { code: 'ECONNREFUSED', attempt: 2, password: 'p', info: { a: 1 }, gone: undefined });
    logger.debug('url https://x:y@h');
    expect(lines).toEqual(['WARN  send failed, retrying sink=s3 code=ECONNREFUSED attempt=2 password=[REDACTED] info={"a":1}', 'DEBUG url https://x:[REDACTED]@h']);
  });
});

describe('default destination (stderr)', () => {
  it('loses no line when the process exits right after logging', () => {
    // The built module (run `npx tsc -b` first), as the k8stream binary uses it.
    const loggerUrl = new URL('../../dist/util/logger.js', import.meta.url).href;
    // Many lines (more than a pipe buffer holds), then an immediate process.exit in the same tick.
    const script = `
      const { createLogger } = await import(${JSON.stringify(loggerUrl)});
      const json = createLogger({ format: 'json' });
      const pretty = createLogger({ format: 'pretty' });
      for (let i = 0; i < 3000; i++) {
        json.info('line', { i, pad: 'x'.repeat(100) });
        pretty.info('line', { i });
      }
      process.exit(0);`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(result.status).toBe(0);
    const lines = result.stderr.split('\n').filter((l) => l !== '');
    const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogFields);
    expect(json).toHaveLength(3000);
    expect(json.map((o) => o.i)).toEqual([...Array(3000).keys()]);
    expect(lines.filter((l) => l.startsWith('INFO '))).toHaveLength(3000);
    expect(lines.at(-1)).toBe('INFO  line i=2999');
  });
});
