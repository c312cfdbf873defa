/**
 * The time window of `k8stream query`, `timeline` and `report`, from `--from`, `--to`, `--since`
 * and `--tz`.
 *
 * A time (`--from`, `--to`) is one of:
 * - RFC 3339: `2026-12-08T10:00:00Z`, `2026-12-08T11:00:00+01:00`, fractions allowed; without an
 *   offset (`2026-12-08T10:00`) it is wall-clock time in `--tz` (UTC by default);
 * - `HH:MM` or `HH:MM:SS`: that time today, in `--tz` (UTC by default);
 * - `YYYY-MM-DD`: midnight starting that day, in `--tz`;
 * - relative to now: `-2h`, `-30m`, `-1d`, `-90s`, `-1h30m`; or `now`.
 *
 * `--since D` (`2h`, `30m`, `1d`, `1h30m`) is `[now − D, now)` and excludes `--from`/`--to`.
 * `--from` alone ends now; `--to` alone starts 24 hours before it. No window at all is the last
 * 24 hours (`--since 24h`). The window is half-open, must not be empty, and at most 366 days long.
 */
import { K8streamError } from '../errors.js';
import type { TimeWindow } from './types.js';

/** The window used when none is given: the last 24 hours. */
export const DEFAULT_SINCE = '24h';
/** The longest window accepted: 366 days. */
export const MAX_WINDOW_MS = 366 * 86_400_000;

export interface TimeArgs {
  from?: string | undefined;
  to?: string | undefined;
  since?: string | undefined;
  tz?: string | undefined;
}

export interface TimeArgsOptions {
  /** The current time (ms since the epoch); tests pin it. @default Date.now() */
  now?: number;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+[smhd])+$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

const ACCEPTED_TIME = 'expected RFC 3339 (2026-12-08T10:00:00Z), HH:MM[:SS] (today), YYYY-MM-DD, a relative time (-2h, -30m, -1d) or now';
const ACCEPTED_DURATION = 'expected a duration such as 2h, 30m, 1d, 90s or 1h30m';

/** The window the arguments describe. Throws `ARGUMENT_INVALID` naming the argument at fault. */
export function parseTimeWindow(args: TimeArgs, options: TimeArgsOptions = {}): TimeWindow {
  const now = options.now ?? Date.now();
  const zone = args.tz === undefined ? 'UTC' : checkZone(args.tz);
  if (args.since !== undefined && (args.from !== undefined || args.to !== undefined)) {
    throw new K8streamError('ARGUMENT_INVALID', `--since cannot be combined with ${args.from !== undefined ? '--from' : '--to'}`, {
      hint: 'give either --since D (the last D up to now) or --from T [--to T]',
    });
  }
  let window: TimeWindow;
  if (args.from === undefined && args.to === undefined) {
    const since = args.since ?? DEFAULT_SINCE;
    window = { fromMs: now - parseDuration('--since', since), toMs: now };
  } else {
    const toMs = args.to === undefined ? now : parseTime('--to', args.to, { now, zone });
    const fromMs = args.from === undefined ? toMs - UNIT_MS.d! : parseTime('--from', args.from, { now, zone });
    window = { fromMs, toMs };
  }
  if (window.toMs <= window.fromMs) {
    throw new K8streamError('ARGUMENT_INVALID', `the window is empty: --to (${iso(window.toMs)}) is not after --from (${iso(window.fromMs)})`, {
      hint: 'give --to a later time than --from',
    });
  }
  if (window.toMs - window.fromMs > MAX_WINDOW_MS) {
    const days = Math.round(((window.toMs - window.fromMs) / 86_400_000) * 10) / 10;
    throw new K8streamError('ARGUMENT_INVALID', `the window ${iso(window.fromMs)} → ${iso(window.toMs)} spans ${days} days; at most 366 are read at once`, {
      hint: 'narrow --from/--to or --since',
    });
  }
  return window;
}

/** A duration (`2h`, `30m`, `1d`, `1h30m`) in milliseconds; `name` is the argument, for errors. */
export function parseDuration(name: string, text: string): number {
  const t = text.trim();
  if (!DURATION.test(t)) throw invalid(name, text, ACCEPTED_DURATION);
  let ms = 0;
  for (const m of t.matchAll(/(\d+)([smhd])/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  if (ms <= 0 || !Number.isSafeInteger(ms)) throw invalid(name, text, `${ACCEPTED_DURATION}, greater than zero`);
  return ms;
}

/** One time argument in ms since the epoch. `zone` is an IANA zone already checked (`UTC` by default). */
export function parseTime(name: string, text: string, context: { now: number; zone?: string }): number {
  const t = text.trim();
  const zone = context.zone ?? 'UTC';
  if (t === 'now') return context.now;
  if (t.startsWith('-') && DURATION.test(t.slice(1))) return context.now - parseDuration(name, t.slice(1));
  let m = RFC3339.exec(t);
  if (m) {
    const [, y, mo, d, h, mi, s = '0', frac = '', offset] = m;
    const ms = frac === '' ? 0 : Math.floor(Number(`0${frac}`) * 1000);
    const fields = checkFields(name, text, +y!, +mo!, +d!, +h!, +mi!, +s);
    const wall = Date.UTC(fields.y, fields.mo - 1, fields.d, fields.h, fields.mi, fields.s, ms);
    if (offset === undefined) return wallClockToUtc(wall, zone);
    if (offset === 'Z' || offset === 'z') return wall;
    const sign = offset.startsWith('-') ? -1 : 1;
    const oh = Number(offset.slice(1, 3));
    const om = Number(offset.slice(4, 6));
    if (oh > 23 || om > 59) throw invalid(name, text, `${ACCEPTED_TIME}; the offset ${offset} is out of range`);
    return wall - sign * (oh * 3_600_000 + om * 60_000);
  }
  m = DATE.exec(t);
  if (m) {
    const fields = checkFields(name, text, +m[1]!, +m[2]!, +m[3]!, 0, 0, 0);
    return wallClockToUtc(Date.UTC(fields.y, fields.mo - 1, fields.d), zone);
  }
  m = CLOCK.exec(t);
  if (m) {
    const today = wallClockParts(context.now, zone);
    const fields = checkFields(name, text, today.y, today.mo, today.d, +m[1]!, +m[2]!, +(m[3] ?? 0));
    return wallClockToUtc(Date.UTC(fields.y, fields.mo - 1, fields.d, fields.h, fields.mi, fields.s), zone);
  }
  throw invalid(name, text, ACCEPTED_TIME);
}

/** `zone` when it is an IANA time zone Intl knows; otherwise `ARGUMENT_INVALID` naming `--tz`. */
export function checkZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new K8streamError('ARGUMENT_INVALID', `--tz ${JSON.stringify(zone)}: not a time zone; expected an IANA zone such as UTC, Europe/Paris or America/New_York`);
  }
}

function invalid(name: string, text: string, accepted: string): K8streamError {
  return new K8streamError('ARGUMENT_INVALID', `${name} ${JSON.stringify(text)}: ${accepted}`);
}

interface Fields {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

/** Rejects a calendar date or clock time that does not exist (2026-02-30, 25:00, 10:61). */
function checkFields(name: string, text: string, y: number, mo: number, d: number, h: number, mi: number, s: number): Fields {
  const date = new Date(Date.UTC(y, mo - 1, d));
  const dateOk = mo >= 1 && mo <= 12 && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
  if (!dateOk) throw invalid(name, text, `${ACCEPTED_TIME}; ${y}-${pad(mo)}-${pad(d)} is not a calendar date`);
  if (h > 23 || mi > 59 || s > 59) throw invalid(name, text, `${ACCEPTED_TIME}; the hour is 00–23, minutes and seconds 00–59`);
  return { y, mo, d, h, mi, s };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date and time at `ms` in `zone`. */
function wallClockParts(ms: number, zone: string): Fields {
  if (zone === 'UTC') {
    const d = new Date(ms);
    return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() };
  }
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts.year!, mo: parts.month!, d: parts.day!, h: parts.hour!, mi: parts.minute!, s: parts.second! };
}

/** The zone's offset from UTC at `ms`, in ms (east positive). */
function zoneOffset(ms: number, zone: string): number {
  const p = wallClockParts(ms, zone);
  const wall = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s);
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The UTC instant whose wall-clock time in `zone` is `wall` (a wall-clock time encoded as if it
 * were UTC). In a gap (spring forward) the later offset applies; in an overlap, the earlier instant.
 */
function wallClockToUtc(wall: number, zone: string): number {
  if (zone === 'UTC') return wall;
  const first = wall - zoneOffset(wall, zone);
  const second = wall - zoneOffset(first, zone);
  if (first === second) {
    // In an overlap both offsets fit; take the earlier instant.
    const earlier = wall - zoneOffset(first - 3_600_000, zone);
    return earlier < first && wall - zoneOffset(earlier, zone) === earlier ? earlier : first;
  }
  return Math.max(first, second);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** ISO-8601 UTC, for messages. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
