/**
 * The progress line on stderr (only given on a TTY): one line rewritten in place with `\r`,
 * at most about ten times a second, finished with a newline.
 */

/** The counts shown. */
export interface ProgressState {
  listed: number;
  partitions: number;
  fetched: number;
  toFetch: number;
  bytes: number;
}

export interface Progress {
  /** Shows the new counts, unless the line was written less than the interval ago. */
  update(state: ProgressState): void;
  /** Writes the last counts and ends the line. */
  done(): void;
}

/** The line's text: `listed 120 objects in 3 partitions · fetched 40/118 · 1.2 MB`. */
export function progressText(s: ProgressState): string {
  return `listed ${s.listed} objects in ${s.partitions} partitions · fetched ${s.fetched}/${s.toFetch} · ${(s.bytes / 1_000_000).toFixed(1)} MB`;
}

/** A progress line on `out`, or one that writes nothing when `out` is undefined. */
export function progressLine(out: NodeJS.WritableStream | undefined, options: { intervalMs?: number; now?: () => number } = {}): Progress {
  const interval = options.intervalMs ?? 100;
  const now = options.now ?? Date.now;
  let last: ProgressState | null = null;
  let writtenAt = -Infinity;
  let finished = false;
  const write = (s: ProgressState): void => {
    // `\x1b[K` clears what a longer previous line left to the right.
    out?.write(`\r${progressText(s)}\x1b[K`);
    writtenAt = now();
  };
  return {
    update(state) {
      last = { ...state };
      if (out === undefined || finished || now() - writtenAt < interval) return;
      write(last);
    },
    done() {
      if (out === undefined || finished) return;
      finished = true;
      if (last !== null) write(last);
      out.write('\n');
    },
  };
}
