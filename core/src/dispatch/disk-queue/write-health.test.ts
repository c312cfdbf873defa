import { describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../util/logger.js';
import { WriteHealth } from './write-health.js';

function recorder(): { log: Logger; lines: { level: string; msg: string; fields?: LogFields }[] } {
  const lines: { level: string; msg: string; fields?: LogFields }[] = [];
  const at =
    (level: string) =>
    (msg: string, fields?: LogFields): void =>
      void lines.push({ level, msg, fields });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return { log, lines };
}

const enospc = Object.assign(new Error('no space'), { code: 'ENOSPC' });

describe('WriteHealth', () => {
  it('counts every failure and logs only the first of a streak and its end', () => {
    const { log, lines } = recorder();
    const h = new WriteHealth('/q', log);
    h.failed('append', 'append to a segment', enospc);
    h.failed('append', 'append to a segment', enospc);
    expect(h.errors).toBe(2);
    expect(h.failing).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', fields: { dir: '/q', action: 'append to a segment', errno: 'ENOSPC', error: 'no space' } });
    h.ok('append');
    expect(h.failing).toBe(false);
    expect(lines[1]).toMatchObject({ level: 'info', fields: { dir: '/q', failures: 2 } });
    h.ok('append');
    expect(lines).toHaveLength(2);
    expect(h.errors).toBe(2);
  });

  it('ends a streak on an append success, or on a success of the source that started it', () => {
    const h = new WriteHealth('/q', undefined);
    h.failed('ack', 'write the ack file', enospc);
    h.ok('sync');
    expect(h.failing).toBe(true);
    h.ok('ack');
    expect(h.failing).toBe(false);
    h.failed('sync', 'fsync a segment', enospc);
    h.ok('ack');
    expect(h.failing).toBe(true);
    h.ok('append');
    expect(h.failing).toBe(false);
  });
});
