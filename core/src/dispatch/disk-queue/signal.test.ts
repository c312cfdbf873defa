import { describe, expect, it } from 'vitest';
import { Signal } from './signal.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Signal', () => {
  it('wakes every waiter registered before notify, once; later waiters wait for the next one', async () => {
    const progress = new Signal();
    expect(progress.waiting).toBe(false);
    const woken: string[] = [];
    void progress.wait().then(() => woken.push('a'));
    void progress.wait().then(() => woken.push('b'));
    expect(progress.waiting).toBe(true);
    progress.notify();
    expect(progress.waiting).toBe(false);
    void progress.wait().then(() => woken.push('c'));
    await tick();
    expect(woken).toEqual(['a', 'b']);
    progress.notify();
    await tick();
    expect(woken).toEqual(['a', 'b', 'c']);
  });
});
