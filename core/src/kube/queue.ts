/**
 * A bounded hand-off between one producer and one consumer. `push` waits while the queue is
 * full (that is the backpressure: the producer stops reading its socket); `take` waits for at
 * least one item, then takes what is there. `end(err?)` finishes it: the consumer drains what
 * is left, then gets `null` (or the error).
 *
 * The bound is a weight: each item weighs `weigh(item)` (default 1), and an item is let in while
 * the queue is empty or the total stays within `capacity` — so a list page of 500 events counts
 * as 500, not 1, and one page larger than the capacity still passes alone.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  private weight = 0;
  private readonly weigh: (item: T) => number;
  private ended = false;
  private error: unknown = undefined;
  private spaceWaiters: (() => void)[] = [];
  private itemWaiter: (() => void) | null = null;

  constructor(
    readonly capacity: number,
    weigh?: (item: T) => number,
  ) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be >= 1, got ${capacity}`);
    this.weigh = weigh ?? (() => 1);
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Total weight of the queued items. */
  get queuedWeight(): number {
    return this.weight;
  }

  private fits(item: T): boolean {
    return this.size === 0 || this.weight + this.weigh(item) <= this.capacity;
  }

  /**
   * Adds an item at once when there is room (true); false when the queue is full or ended, and
   * then `push` waits or reports the end. Saves a promise per item on a busy stream.
   */
  offer(item: T): boolean {
    if (this.ended || !this.fits(item)) return false;
    this.items.push(item);
    this.weight += this.weigh(item);
    this.wakeConsumer();
    return true;
  }

  /** Adds an item, waiting for room first. Resolves false when the queue has ended (item dropped). */
  async push(item: T): Promise<boolean> {
    while (!this.ended && !this.fits(item)) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    return this.offer(item);
  }

  /** Up to `max` items; waits for the first. `null` once ended and drained; throws the end error after draining. */
  async take(max: number): Promise<T[] | null> {
    while (this.size === 0) {
      if (this.ended) {
        if (this.error !== undefined) {
          const err = this.error;
          this.error = undefined;
          throw err;
        }
        return null;
      }
      await new Promise<void>((resolve) => (this.itemWaiter = resolve));
    }
    return this.takeReady(max);
  }

  /**
   * Waits up to `lingerMs` for `max` items (or a full or ended queue), then takes up to `max` of
   * what is there — possibly none. For batching a trickle of items after a first one.
   */
  async takeWithin(max: number, lingerMs: number): Promise<T[]> {
    const want = Math.min(max, this.capacity);
    if (this.size < want && this.weight < this.capacity && !this.ended) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.itemWaiter = null;
          resolve();
        };
        const check = (): void => {
          if (this.size >= want || this.weight >= this.capacity || this.ended) done();
          else this.itemWaiter = check;
        };
        const timer = setTimeout(done, lingerMs);
        this.itemWaiter = check;
      });
    }
    return this.size === 0 ? [] : this.takeReady(max);
  }

  private takeReady(max: number): T[] {
    const n = Math.min(max, this.size);
    const out = this.items.slice(this.head, this.head + n);
    this.head += n;
    for (const item of out) this.weight -= this.weigh(item);
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
    return out;
  }

  /** Finishes the queue; a pending `push` resolves false, the consumer drains then sees the end. */
  end(err?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (err !== undefined) this.error = err;
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
    this.wakeConsumer();
  }

  private wakeConsumer(): void {
    const w = this.itemWaiter;
    this.itemWaiter = null;
    w?.();
  }
}
