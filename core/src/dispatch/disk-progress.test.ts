import { describe, expect, it } from 'vitest';
import { createProgress } from './disk-progress.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('disk buffer progress', () => {
  it('wakes every waiter registered before notify, once; later waiters wait for the next one', async () => {
    const progress = createProgress();
    expect(progress.waiting).toBe(false);
    const woken: string[] = [];
    void progress.next().then(() => woken.push('a'));
    void progress.next().then(() => woken.push('b'));
    expect(progress.waiting).toBe(true);
    progress.notify();
    expect(progress.waiting).toBe(false);
    void progress.next().then(() => woken.push('c'));
    await tick();
    expect(woken).toEqual(['a', 'b']);
    progress.notify();
    await tick();
    expect(woken).toEqual(['a', 'b', 'c']);
  });
});
