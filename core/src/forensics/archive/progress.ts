/**
 * The progress line on stderr (only given on a TTY): one line rewritten in place with `\r`,
 * at most about ten times a second, finished with a newline (util/rewritten-line.ts).
 */
import { rewrittenLine } from '../../util/rewritten-line.js';

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
  const line = rewrittenLine(out, options);
  let last: ProgressState | null = null;
  return {
    update(state) {
      const shown = { ...state };
      last = shown;
      line.update(() => progressText(shown));
    },
    done() {
      line.done(last === null ? undefined : progressText(last));
    },
  };
}
