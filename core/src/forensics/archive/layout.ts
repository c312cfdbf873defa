/**
 * A key template, inverted: which partition prefixes can hold the batches of a time window, and
 * whether a listed key is a batch of that window. Pure functions over the sinks' own template
 * parser and sanitisers (plugins/key-template.ts), so a key is read back by the rules it was
 * written with:
 *
 * - values given here (`{prefix}`, `{cluster}`, the time fields of one hour) are rendered
 *   exactly as `renderKeyTemplate` renders them, empty and `.` levels dropped;
 * - a prefix stops at the first placeholder without a value (`{batchId}`, `{sink}`, `{mm}`...);
 * - a key matches when the whole template, compiled to a regular expression, matches it, its
 *   time fields form a real date, and its extension is one the engine decodes.
 *
 * A batch is filed under the time of its EARLIEST event, so an event at time t lies in a partition
 * that starts at or before t. A batch can straddle a partition boundary: the one filed at 09:59
 * holds events up to its `maxAgeMs` later. Partitions are therefore looked at from `lookBackMs`
 * (one hour by default) before the window. Each UTC hour is one prefix, except that a day whose 24
 * hours are all needed is listed once at its day level (a week is 7 listings, not 168).
 */
import { KEY_TEMPLATE_PLACEHOLDERS, parseKeyTemplate, sanitizeKeyPath, sanitizeKeySegment, validateKeyTemplate } from '../../plugins/key-template.js';
import type { KeyTemplatePart } from '../../plugins/key-template.js';
import type { TimeWindow } from '../types.js';

/** How far before the window partitions are listed, by default: one hour. */
export const DEFAULT_LOOK_BACK_MS = 3_600_000;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Extensions of the batch files the engine decodes, longest first (`.parquet`: compressed inside, if at all). */
export const BATCH_EXTENSIONS = ['.ndjson.gz', '.ndjson.zst', '.json.gz', '.json.zst', '.parquet', '.ndjson', '.json'] as const;

/** The batch extension a key ends with (`.ndjson.gz`), or null for a file that is no batch. */
export function extensionOf(key: string): string | null {
  for (const ext of BATCH_EXTENSIONS) if (key.endsWith(ext) && key.length > ext.length) return ext;
  return null;
}

type Token = KeyTemplatePart;
type TimeField = 'yyyy' | 'MM' | 'dd' | 'HH' | 'mm' | 'date';

const TIME_FIELDS: ReadonlySet<string> = new Set<TimeField>(['yyyy', 'MM', 'dd', 'HH', 'mm', 'date']);
const BUILT_IN: ReadonlySet<string> = new Set(KEY_TEMPLATE_PLACEHOLDERS);

/** Regular-expression source each placeholder matches in a key. */
const PATTERNS: Record<string, string> = {
  yyyy: '\\d{4}',
  MM: '\\d{2}',
  dd: '\\d{2}',
  HH: '\\d{2}',
  mm: '\\d{2}',
  date: '\\d{4}-\\d{2}-\\d{2}',
  cluster: '[^/]+',
  sink: '[^/]+',
  batchId: '[^/]+?',
  ext: '\\.(?:(?:nd)?json(?:\\.gz|\\.zst)?|parquet)',
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The time placeholders' values for the UTC hour starting at `hourMs`. */
export function hourValues(hourMs: number): Record<'yyyy' | 'MM' | 'dd' | 'HH' | 'date', string> {
  const t = new Date(hourMs);
  const yyyy = pad(t.getUTCFullYear(), 4);
  const MM = pad(t.getUTCMonth() + 1);
  const dd = pad(t.getUTCDate());
  return { yyyy, MM, dd, HH: pad(t.getUTCHours()), date: `${yyyy}-${MM}-${dd}` };
}

/** Where a matched key sits: its cluster (null when the template has none) and its partition's time span. */
export interface KeyMatch {
  cluster: string | null;
  extension: string;
  /** Start and end (exclusive) of the partition's time span; ±Infinity when the template has no year. */
  startMs: number;
  endMs: number;
}

/** A template compiled for reading back. */
/** How to find the clusters of an archive whose template starts with `{cluster}` levels. */
export interface ClusterDiscovery {
  /** The prefix to list with a `/` delimiter. */
  prefix: string;
  /** The cluster a common prefix of that listing names, or null for one that does not fit the template. */
  clusterOf(commonPrefix: string): string | null;
  /**
   * Whether a level below a cluster's prefix (`2026/` under `demo/`) fits the template's next
   * directory level; null when the cluster's level is the last one (files sit right under it).
   * It tells a cluster from a sibling folder of another layout (`warnings/`, `deadletter/`).
   */
  fitsBelow: ((childSegment: string) => boolean) | null;
}

export interface ArchiveLayout {
  template: string;
  /** Whether the template has `{cluster}`. */
  hasCluster: boolean;
  /** The key prefix for these values, up to the first placeholder without one. */
  prefixFor(values: Readonly<Record<string, string>>): string;
  /**
   * When `{cluster}` is the first placeholder without a value: the prefix to list (with a `/`
   * delimiter) to find the clusters, and how to read a cluster name from a common prefix
   * (null for one that does not fit the template). Null when the template has no `{cluster}`
   * or a time field comes first (then each partition's listing covers every cluster).
   */
  clusterDiscovery(): ClusterDiscovery | null;
  /** The partition prefixes that can hold batches of `window`, in time order, without repeats. */
  partitions(window: TimeWindow, options?: { cluster?: string | undefined; lookBackMs?: number }): string[];
  /**
   * The key's cluster, extension and partition span, or null when the key is not a batch under
   * this template. With `cluster`, only that cluster's keys match (it is part of the pattern, so
   * `{cluster}-{batchId}` is not ambiguous).
   */
  match(key: string, cluster?: string): KeyMatch | null;
}

/**
 * Whether a matched key's partition can hold events of `window`: it starts before the window ends
 * and ends after `lookBackMs` before the window starts.
 */
export function inWindow(match: Pick<KeyMatch, 'startMs' | 'endMs'>, window: TimeWindow, lookBackMs = DEFAULT_LOOK_BACK_MS): boolean {
  return match.startMs < window.toMs && match.endMs > window.fromMs - lookBackMs;
}

/** Template problems (the sinks' own check), with `{prefix}`-like extra keys allowed. */
export function layoutProblems(template: string, extraKeys: readonly string[]): string[] {
  return validateKeyTemplate(template, extraKeys);
}

/** Replaces the placeholders that have a value by their rendered text (as `renderKeyTemplate` does). */
function substitute(tokens: readonly Token[], values: Readonly<Record<string, string>>, extra: Readonly<Record<string, string>>): Token[] {
  return tokens.map((t) => {
    if (!('name' in t)) return t;
    if (BUILT_IN.has(t.name)) {
      const v = values[t.name];
      if (v === undefined) return t;
      return { literal: TIME_FIELDS.has(t.name) ? v : sanitizeKeySegment(v) };
    }
    // A sink's extra placeholder (`{prefix}`): its value, or empty, as the sink renders it.
    return { literal: sanitizeKeyPath(extra[t.name] ?? '') };
  });
}

/** Splits tokens into path levels; empty and `.` levels are dropped and `..` becomes `__`, as rendering does. */
function segmentsOf(tokens: readonly Token[]): Token[][] {
  const segments: Token[][] = [[]];
  for (const t of tokens) {
    if ('name' in t) {
      segments[segments.length - 1]!.push(t);
      continue;
    }
    const pieces = t.literal.split('/');
    pieces.forEach((piece, i) => {
      if (i > 0) segments.push([]);
      if (piece !== '') segments[segments.length - 1]!.push({ literal: piece });
    });
  }
  return segments
    .filter((seg) => {
      if (seg.length === 0) return false;
      const onlyLiteral = seg.every((t) => 'literal' in t);
      return !(onlyLiteral && seg.map((t) => ('literal' in t ? t.literal : '')).join('') === '.');
    })
    .map((seg) => (seg.length === 1 && 'literal' in seg[0]! && seg[0].literal === '..' ? [{ literal: '__' }] : seg));
}

/** The rendered text up to the first placeholder left (the whole key when none is left). */
function prefixOfSegments(segments: readonly Token[][]): string {
  const done: string[] = [];
  for (const seg of segments) {
    const open = seg.findIndex((t) => 'name' in t);
    if (open < 0) {
      done.push(seg.map((t) => ('literal' in t ? t.literal : '')).join(''));
      continue;
    }
    const partial = seg
      .slice(0, open)
      .map((t) => ('literal' in t ? t.literal : ''))
      .join('');
    return done.length === 0 ? partial : `${done.join('/')}/${partial}`;
  }
  return done.join('/');
}

/** The first placeholder still open after substitution, or null. */
function firstOpen(segments: readonly Token[][]): { name: string; segment: number } | null {
  for (let i = 0; i < segments.length; i++) {
    const t = segments[i]!.find((x) => 'name' in x);
    if (t !== undefined && 'name' in t) return { name: t.name, segment: i };
  }
  return null;
}

/** A regular expression for tokens (one or more levels), and which placeholder each group captures. */
function compile(segments: readonly Token[][]): { regex: RegExp; groups: string[] } {
  const groups: string[] = [];
  const source = segments
    .map((seg) =>
      seg
        .map((t) => {
          if ('literal' in t) return escapeRegExp(t.literal);
          groups.push(t.name);
          return `(${PATTERNS[t.name] ?? '[^/]+'})`;
        })
        .join(''),
    )
    .join('/');
  return { regex: new RegExp(`^${source}$`), groups };
}

/** The values a match captured, by placeholder; null when one placeholder captured two different values. */
function captured(groups: readonly string[], m: RegExpExecArray): Map<string, string> | null {
  const values = new Map<string, string>();
  for (let i = 0; i < groups.length; i++) {
    const name = groups[i]!;
    const v = m[i + 1]!;
    const seen = values.get(name);
    if (seen !== undefined && seen !== v) return null;
    values.set(name, v);
  }
  return values;
}

/** The partition's time span from its time fields; null for fields that form no real date or disagree. */
function spanOf(values: ReadonlyMap<string, string>): { startMs: number; endMs: number } | null {
  const date = values.get('date')?.split('-');
  const pick = (field: string, fromDate: string | undefined): number | null | undefined => {
    const a = values.get(field);
    if (a !== undefined && fromDate !== undefined && a !== fromDate) return null;
    const v = a ?? fromDate;
    return v === undefined ? undefined : Number(v);
  };
  const year = pick('yyyy', date?.[0]);
  const month = pick('MM', date?.[1]);
  const day = pick('dd', date?.[2]);
  const hour = pick('HH', undefined);
  const minute = pick('mm', undefined);
  if (year === null || month === null || day === null) return null;
  if (month !== undefined && (month < 1 || month > 12)) return null;
  if (hour !== undefined && hour !== null && hour > 23) return null;
  if (minute !== undefined && minute !== null && minute > 59) return null;
  if (year === undefined) return { startMs: -Infinity, endMs: Infinity };
  const m = (month ?? 1) - 1;
  const d = day ?? 1;
  const start = Date.UTC(year, m, d, hour ?? 0, minute ?? 0);
  if (new Date(start).getUTCDate() !== d || new Date(start).getUTCMonth() !== m) return null;
  let end: number;
  if (minute !== undefined && minute !== null) end = start + 60_000;
  else if (hour !== undefined && hour !== null) end = start + HOUR_MS;
  else if (day !== undefined) end = Date.UTC(year, m, d + 1);
  else if (month !== undefined) end = Date.UTC(year, m + 1, 1);
  else end = Date.UTC(year + 1, 0, 1);
  return { startMs: start, endMs: end };
}

/**
 * Compiles `template` (already validated) with the sink's extra values (`{ prefix: 'events' }`).
 * Throws nothing: an invalid template is the caller's to reject ({@link layoutProblems}).
 */
export function compileLayout(template: string, extra: Readonly<Record<string, string>> = {}): ArchiveLayout {
  const tokens = parseKeyTemplate(template).parts;
  const base = substitute(tokens, {}, extra);
  const matchers = new Map<string, ReturnType<typeof compile>>();
  const matcher = (cluster: string | undefined) => {
    const id = cluster === undefined ? '' : `=${cluster}`;
    let m = matchers.get(id);
    if (m === undefined) {
      m = compile(segmentsOf(substitute(base, cluster === undefined ? {} : { cluster }, extra)));
      matchers.set(id, m);
    }
    return m;
  };
  const hasCluster = base.some((t) => 'name' in t && t.name === 'cluster');
  const render = (values: Readonly<Record<string, string>>) => segmentsOf(substitute(base, values, extra));

  return {
    template,
    hasCluster,
    prefixFor: (values) => prefixOfSegments(render(values)),
    clusterDiscovery() {
      const segments = render({});
      const open = firstOpen(segments);
      if (open === null || open.name !== 'cluster') return null;
      const prefix = prefixOfSegments(segments);
      const level = compile([segments[open.segment]!]);
      // The next level is a directory only when a further level (the file name at least) follows it.
      const below = open.segment + 2 < segments.length ? compile([segments[open.segment + 1]!]).regex : null;
      return {
        prefix,
        fitsBelow: below === null ? null : (childSegment: string) => below.test(childSegment),
        clusterOf(commonPrefix: string): string | null {
          if (!commonPrefix.startsWith(prefix)) return null;
          const lastSlash = prefix.lastIndexOf('/');
          const segment = commonPrefix.slice(lastSlash + 1).replace(/\/$/, '');
          const m = level.regex.exec(segment);
          if (m === null) return null;
          return captured(level.groups, m)?.get('cluster') ?? null;
        },
      };
    },
    partitions(window, options = {}) {
      const lookBack = options.lookBackMs ?? DEFAULT_LOOK_BACK_MS;
      if (window.toMs <= window.fromMs) return [];
      const first = Math.floor((window.fromMs - lookBack) / HOUR_MS) * HOUR_MS;
      const last = Math.floor((window.toMs - 1) / HOUR_MS) * HOUR_MS;
      const cluster: Record<string, string> = options.cluster !== undefined ? { cluster: options.cluster } : {};
      const timeless = prefixOfSegments(render(cluster));
      const out = new Set<string>();
      for (let day = Math.floor(first / DAY_MS) * DAY_MS; day <= last; day += DAY_MS) {
        const from = Math.max(first, day);
        const to = Math.min(last, day + DAY_MS - HOUR_MS);
        const hours: string[] = [];
        for (let hour = from; hour <= to; hour += HOUR_MS) hours.push(prefixOfSegments(render({ ...cluster, ...hourValues(hour) })));
        // A whole day is one listing when the template has a level for the day: the same objects, 24 times fewer requests.
        const { HH: _hour, ...dayValues } = hourValues(day);
        const whole = prefixOfSegments(render({ ...cluster, ...dayValues }));
        const useDay = hours.length === 24 && whole !== timeless && hours.every((h) => h.startsWith(whole));
        for (const p of useDay ? [whole] : hours) out.add(p);
      }
      return [...out];
    },
    match(key, cluster) {
      const extension = extensionOf(key);
      if (extension === null) return null;
      const { regex, groups } = matcher(cluster);
      const m = regex.exec(key);
      if (m === null) return null;
      const values = captured(groups, m);
      if (values === null) return null;
      const span = spanOf(values);
      if (span === null) return null;
      const found = values.get('cluster') ?? (hasCluster && cluster !== undefined ? sanitizeKeySegment(cluster) : null);
      return { cluster: found, extension, ...span };
    },
  };
}
