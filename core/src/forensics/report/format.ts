/** Formatting of the header's times, spans, sizes and counts: UTC, the same on every machine. */

/** `2026-12-08 10:04:05` (UTC), or the text as given when it is not a time. */
export function formatTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 19).replace('T', ' ') : iso;
}

/** `2 h 30 min`, `45 min`, `30 s`, `3 d 4 h`. */
export function formatSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** `2026-12-08 10:00:00 → 12:00:00 UTC (2 h)`: the end's date only when it differs from the start's. */
export function formatWindow(from: string, to: string): string {
  const a = formatTime(from);
  const b = formatTime(to);
  const span = Date.parse(to) - Date.parse(from);
  const end = a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b;
  return `${a} → ${end} UTC${Number.isFinite(span) ? ` (${formatSpan(span)})` : ''}`;
}

/** `1,234,567` */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `512 B`, `3.4 KiB`, `12.0 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}
