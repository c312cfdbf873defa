/**
 * A status line on a terminal (give it only a TTY), rewritten in place with `\r` at most every
 * `intervalMs`, and ended once with a newline: the forensics commands' and the archive source's
 * progress lines.
 */

export interface RewrittenLine {
  /** Rewrites the line with `text()`, unless it was written less than the interval ago (then `text` is not called). */
  update(text: () => string): void;
  /** Writes `text` (when given) and ends the line; later calls do nothing. */
  done(text?: string): void;
}

/** The line on `out`, or one that writes nothing when `out` is undefined. */
export function rewrittenLine(out: NodeJS.WritableStream | undefined, options: { intervalMs?: number; now?: () => number } = {}): RewrittenLine {
  const interval = options.intervalMs ?? 100;
  const now = options.now ?? Date.now;
  let writtenAt = -Infinity;
  let finished = false;
  const write = (text: string): void => {
    // `\x1b[K` clears what a longer previous line left to the right.
    out?.write(`\r${text}\x1b[K`);
  };
  return {
    update(text) {
      if (out === undefined || finished || now() - writtenAt < interval) return;
      writtenAt = now();
      write(text());
    },
    done(text) {
      if (out === undefined || finished) return;
      finished = true;
      if (text !== undefined) write(text);
      out.write('\n');
    },
  };
}
