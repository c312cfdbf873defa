// The archive source's progress line: its text, rewritten in place at most every interval, and
// finished once with the last counts and a newline.
import { describe, expect, it } from 'vitest';
import { archiveProgress, archiveProgressText, emptyArchiveCounters } from './archive-source.js';
import type { ArchiveCounters } from './archive-source.js';

function sink(): NodeJS.WritableStream & { writes: string[] } {
  const writes: string[] = [];
  return { writes, write: (chunk: string) => writes.push(chunk) > 0 } as unknown as NodeJS.WritableStream & { writes: string[] };
}

describe('archive progress line', () => {
  it('shows partitions done/total, objects, records and the rate', () => {
    const c: ArchiveCounters = { ...emptyArchiveCounters(), partitions: 720, partitionsDone: 3, objectsRead: 40, objectsFailed: 1, records: 20_500 };
    expect(archiveProgressText(c, 10_000)).toBe('archive 3/720 partitions · 41 objects (1 failed) · 20,500 records · 2,050 rec/s');
    expect(archiveProgressText(emptyArchiveCounters(), 0)).toBe('archive 0/0 partitions · 0 objects · 0 records · 0 rec/s');
  });

  it('rewrites the line at most every interval, then ends it once', () => {
    let now = 1000;
    const c = { ...emptyArchiveCounters(), partitions: 2 };
    const out = sink();
    const progress = archiveProgress(out, () => c, { intervalMs: 100, now: () => now });
    c.records = 10;
    now += 50;
    progress.update(); // the first write
    c.records = 20;
    now += 50;
    progress.update(); // 50 ms later: skipped
    now += 50;
    c.partitionsDone = 1;
    progress.update(); // 100 ms after the first: written
    c.partitionsDone = 2;
    progress.done();
    progress.done();
    progress.update();
    expect(out.writes).toEqual([
      '\rarchive 0/2 partitions · 0 objects · 10 records · 200 rec/s\x1b[K',
      '\rarchive 1/2 partitions · 0 objects · 20 records · 133 rec/s\x1b[K',
      '\rarchive 2/2 partitions · 0 objects · 20 records · 133 rec/s\x1b[K',
      '\n',
    ]);
  });
});
