/**
 * Component lifecycle: one list, started in order and stopped in reverse (as the OpenTelemetry
 * Collector's service graph does).
 *
 * Invariants:
 * - Components start one at a time, in registration order; a component starts only after every
 *   earlier one has started, so it may use what they built.
 * - Only started components are stopped, each exactly once, in reverse start order.
 *   Consecutive components of one `group` (the sink dispatchers) stop concurrently: they share
 *   the deadline, and none waits for another to flush.
 * - A start that rejects has released what it acquired itself; the lifecycle then stops the
 *   components started before it (deadline: now) and rethrows. This is the only cleanup path.
 * - A start that resolves `false` ends the run there (a standby replica stopped before it
 *   led): later components are not started; `start()` resolves `false`.
 * - `skipFlush()` (the lease was lost) makes every stop from then on flush, save and release
 *   nothing, and a stop begun after it gets a deadline of now.
 * - A stop that throws is logged; the components after it still stop.
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../util/logger.js';

/** What a component's `stop` may use. */
export interface StopContext {
  /** Epoch ms by which stopping should be done (what flushing may use). */
  readonly deadline: number;
  /**
   * The lease was lost: flush, save and release nothing (the new leader re-sends what was not
   * acked). Read it when it matters: it can turn true while earlier components stop.
   */
  readonly skipFlush: boolean;
}

export interface Component {
  /** For the order list and logs (`ops`, `sink:<name>`…). */
  readonly name: string;
  /** Components with one group stop concurrently (set on each of them). */
  readonly group?: string;
  /** Resolves once running; `false`: the run ends here. On rejection it has released what it took. */
  start(): Promise<boolean | void>;
  stop(context: StopContext): Promise<void>;
}

/** Milliseconds left until the deadline (never negative). */
export function remainingMs(context: StopContext, now: number = Date.now()): number {
  return Math.max(0, context.deadline - now);
}

export class Lifecycle {
  readonly #logger: Logger;
  readonly #components: Component[] = [];
  #started: Component[] = [];
  #skipFlush = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Appends a component (before `start`). */
  register(component: Component): this {
    this.#components.push(component);
    return this;
  }

  /** Registered names, in start order (stop order is the reverse). */
  names(): string[] {
    return this.#components.map((c) => c.name);
  }

  /**
   * Starts every component in order. Resolves false when one ended the run (see
   * `Component.start`), or when one failed because `signal` aborted meanwhile (a SIGTERM while
   * starting is a stop, not a failure); rejects with any other start failure.
   */
  async start(signal?: AbortSignal): Promise<boolean> {
    for (const component of this.#components) {
      let result: boolean | void;
      try {
        result = await component.start();
      } catch (err) {
        await this.stop(0);
        if (signal?.aborted === true) {
          this.#logger.info('stopped while starting', { component: component.name });
          return false;
        }
        throw err;
      }
      this.#started.push(component);
      if (result === false) return false;
    }
    return true;
  }

  /** From now on, stops flush, save and release nothing. */
  skipFlush(): void {
    this.#skipFlush = true;
  }

  get flushSkipped(): boolean {
    return this.#skipFlush;
  }

  /** Stops the started components in reverse, sharing a deadline `graceMs` from now (now when flushing is skipped). */
  async stop(graceMs: number): Promise<void> {
    const started = this.#started;
    this.#started = [];
    const skipping = (): boolean => this.#skipFlush;
    const context: StopContext = {
      deadline: skipping() ? Date.now() : Date.now() + graceMs,
      get skipFlush() {
        return skipping();
      },
    };
    for (let end = started.length; end > 0;) {
      const group = started[end - 1]!.group;
      let begin = end - 1;
      while (group !== undefined && begin > 0 && started[begin - 1]!.group === group) begin--;
      await Promise.all(started.slice(begin, end).map((c) => this.#stopOne(c, context)));
      end = begin;
    }
  }

  async #stopOne(component: Component, context: StopContext): Promise<void> {
    try {
      await component.stop(context);
    } catch (err) {
      this.#logger.error('could not stop a component cleanly', { component: component.name, error: errorMessage(err) });
    }
  }
}
