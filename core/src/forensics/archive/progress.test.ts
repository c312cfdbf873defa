import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressLine, progressText } from './progress.js';

function sink(): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { out, text: () => text };
}

const state = (fetched: number, bytes = 0) => ({ listed: 12, partitions: 3, fetched, toFetch: 10, bytes });

describe('progress line', () => {
  it('reads: listed N objects in P partitions · fetched M/N · X MB', () => {
    expect(progressText({ listed: 120, partitions: 3, fetched: 40, toFetch: 118, bytes: 1_234_567 })).toBe('listed 120 objects in 3 partitions · fetched 40/118 · 1.2 MB');
  });

  it('rewrites one line at most every 100 ms, and ends it with the last counts and a newline', () => {
    const { out, text } = sink();
    let now = 1_000;
    const progress = progressLine(out, { now: () => now });
    progress.update(state(1));
    progress.update(state(2));
    now += 99;
    progress.update(state(3));
    now += 1;
    progress.update(state(4, 2_500_000));
    progress.update(state(5, 2_600_000));
    progress.done();
    progress.done();
    expect(text().split('\r').slice(1)).toEqual([
      'listed 12 objects in 3 partitions · fetched 1/10 · 0.0 MB\x1b[K',
      'listed 12 objects in 3 partitions · fetched 4/10 · 2.5 MB\x1b[K',
      'listed 12 objects in 3 partitions · fetched 5/10 · 2.6 MB\x1b[K\n',
    ]);
  });

  it('writes nothing without a stream, and nothing after done', () => {
    const silent = progressLine(undefined);
    silent.update(state(1));
    silent.done();
    const { out, text } = sink();
    const progress = progressLine(out, { now: () => 0 });
    progress.done();
    progress.update(state(1));
    expect(text()).toBe('\n');
  });
});
