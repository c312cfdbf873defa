/** A level-less wake-up: `wait()` resolves on the next `notify()`. */
export class Signal {
  #waiters: (() => void)[] = [];

  /** True while someone waits (a `wait()` or `waitFor()` not yet woken). */
  get waiting(): boolean {
    return this.#waiters.length > 0;
  }

  /** Resolves on the next `notify()`. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves on the next `notify()` or after `ms`, whichever comes first (no waiter is left behind). */
  waitFor(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(wake);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve();
      }, ms);
      this.#waiters.push(wake);
    });
  }

  /** Wakes every current waiter. */
  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** Runs async jobs one at a time, in call order. */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `job` after every earlier job settled. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(job, job);
    this.#tail = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every job queued so far settled. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}
