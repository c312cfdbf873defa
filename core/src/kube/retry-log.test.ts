import { describe, expect, it } from 'vitest';
import { createLogger } from '../util/logger.js';
import { RetryLog } from './retry-log.js';
import type { RetryLine } from './retry-log.js';

function setup() {
  const lines: { level: string; msg: string; [k: string]: unknown }[] = [];
  const logger = createLogger({ level: 'debug', format: 'json', write: (l) => lines.push(JSON.parse(l) as { level: string; msg: string }) });
  let t = Date.parse('2026-12-07T20:00:00.000Z');
  const log = new RetryLog({ logger, now: () => t });
  const line = (over: Partial<RetryLine> = {}): RetryLine => ({
    cls: 'failure',
    reason: 'server_error',
    what: 'watch',
    target: 'events',
    error: 'boom',
    waitMs: 4000,
    failures: 1,
    ...over,
  });
  return { lines, log, line, advance: (ms: number) => (t += ms), loud: () => lines.filter((l) => l.level !== 'debug') };
}

describe('RetryLog', () => {
  it('logs the first failure, then at most one WARN line per class per 30 s with the next attempt time and the wait', () => {
    const { log, line, advance, loud, lines } = setup();
    for (let i = 1; i <= 20; i++) {
      log.retry(line({ failures: i }));
      advance(4000);
    }
    // At 0, 32 and 64 s: one line per 30 s at most, never more than 30 s + one wait apart.
    expect(loud().map((l) => [l.level, l.failures, l['retriesLoggedAtDebug']])).toEqual([
      ['warn', 1, undefined],
      ['warn', 9, 7],
      ['warn', 17, 7],
    ]);
    expect(loud()[1]).toMatchObject({
      msg: 'watch failed; retrying',
      reason: 'server_error',
      waitMs: 4000,
      nextAttemptAt: '2026-12-07T20:00:36.000Z',
      target: 'events',
      error: 'boom',
    });
    expect(lines.filter((l) => l.level === 'debug')).toHaveLength(17);
  });

  it('keeps short waits at DEBUG after the first; each class has its own limit; reset logs again', () => {
    const { log, line, advance, loud } = setup();
    log.retry(line({ waitMs: 500 }));
    advance(40_000);
    log.retry(line({ waitMs: 500 })); // short: DEBUG even after 30 s
    log.retry(line({ cls: 'throttled', reason: 'throttled', waitMs: 7000 }));
    log.retry(line({ cls: 'expired', reason: 'expired', waitMs: 0 }));
    expect(loud().map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'watch failed; retrying'],
      ['info', 'watch throttled (429); retrying'],
      ['info', 'watch resourceVersion expired (410 Gone); re-listing'],
    ]);
    log.reset();
    log.retry(line({ waitMs: 500 }));
    expect(loud()).toHaveLength(4);
  });
});
