/**
 * `k8stream timeline`'s text output: a header (subject, window, archive, counts), then per
 * section — the service, each workload group, the nodes — the folded entries of its lanes in
 * time order, Warnings marked (and coloured on a terminal), watch gaps as `── gap ──` lines.
 * Times are UTC: `HH:MM:SS`, with the date when the window spans days.
 */
import { styleText } from 'node:util';
import { groupDigits } from '../../util/format.js';
import type { FoldedEntry, Gap, Lane, TimelineData } from '../types.js';
import { NODES_GROUP, SERVICE_GROUP } from './lanes.js';

export interface TextOptions {
  /** Terminal columns: messages are cut to fit; null leaves lines whole (not a terminal). */
  width: number | null;
  /** ANSI colours (a terminal, NO_COLOR unset). */
  color: boolean;
}

/** The marker of a Warning entry, and its blank counterpart. */
export const WARNING_MARK = '⚠';
const LABEL_MAX = 48;
const REASON_MAX = 30;
/** Partitions named in the "nothing found" message at most. */
const PARTITIONS_LISTED = 6;

interface Section {
  title: string;
  entries: FoldedEntry[];
}

type Style = Parameters<typeof styleText>[0];

export function renderTimelineText(data: TimelineData, options: TextOptions): string {
  const paint = (style: Style, text: string) => (options.color ? styleText(style, text, { validateStream: false }) : text);
  const clock = clockFormat(data);
  const lanes = new Map(data.lanes.map((l) => [l.key, l]));
  const sections = sectionsOf(data, lanes);
  const lines = header(data, clock);
  const label = (lane: Lane | undefined, key: string) => (lane ? objectLabel(lane, data) : key);
  const all = sections.flatMap((s) => s.entries);
  const labelWidth = Math.min(LABEL_MAX, Math.max(0, ...all.map((e) => label(lanes.get(e.lane), e.lane).length)));
  const reasonWidth = Math.min(REASON_MAX, Math.max(0, ...all.map((e) => e.reason.length)));
  const shown = new Set<Gap>();

  for (const section of sections) {
    lines.push('', paint('bold', section.title));
    const first = section.entries[0]!.first;
    const last = section.entries.reduce((m, e) => (e.last > m ? e.last : m), first);
    const gaps = data.gaps.filter((g) => g.to >= first && g.from <= last);
    let g = 0;
    for (const entry of section.entries) {
      while (g < gaps.length && gaps[g]!.from <= entry.first) lines.push(gapLine(gaps[g++]!, clock, options, paint, shown));
      lines.push(entryLine(entry, label(lanes.get(entry.lane), entry.lane), { labelWidth, reasonWidth, clock, options, paint }));
    }
    while (g < gaps.length) lines.push(gapLine(gaps[g++]!, clock, options, paint, shown));
  }
  const elsewhere = data.gaps.filter((g) => !shown.has(g));
  if (elsewhere.length > 0) {
    lines.push('', paint('bold', 'Watch gaps'));
    for (const gap of elsewhere) lines.push(gapLine(gap, clock, options, paint, shown));
  }
  return lines.join('\n') + '\n';
}

/** The "nothing found" text: which subject, which window, which partitions; similar names if any. */
export function renderNotFound(data: TimelineData, similar: readonly string[]): string {
  const clock = clockFormat(data);
  const parts = data.stats.partitions;
  const where =
    parts.length === 0
      ? 'no partition of the archive falls in the window'
      : `partitions looked at: ${parts.slice(0, PARTITIONS_LISTED).join(', ')}${parts.length > PARTITIONS_LISTED ? ` and ${parts.length - PARTITIONS_LISTED} more` : ''}`;
  const lines = [
    `no events about ${data.title} in ${clock.window(data.window.from, data.window.to)}`,
    `  archive ${data.archive}${data.clusters.length > 0 ? ` (cluster ${data.clusters.join(', ')})` : ''}; ${groupDigits(data.stats.records)} records read from ${plural(data.stats.files, 'object')}; ${where}`,
  ];
  if (similar.length > 0) lines.push(`  similar names in the window: ${similar.join(', ')}`);
  lines.push(...problems(data).map((p) => `  ${p}`));
  return lines.join('\n') + '\n';
}

function header(data: TimelineData, clock: Clock): string[] {
  const s = data.stats;
  const lines = [
    `${data.title} · ${clock.window(data.window.from, data.window.to)}`,
    `archive ${data.archive}${data.clusters.length > 0 ? ` (cluster ${data.clusters.join(', ')})` : ''} · ${groupDigits(s.records)} records read from ${plural(s.files, 'object')}`,
    `${plural(data.events.length, 'event')} (${plural(data.warnings, 'warning')}) on ${plural(data.lanes.length, 'lane')}` +
      (data.gaps.length > 0 ? ` · ${plural(data.gaps.length, 'watch gap')}: events may be missing` : ''),
  ];
  return [...lines, ...problems(data)];
}

/** What was left out of the read, said rather than hidden. */
function problems(data: TimelineData): string[] {
  const s = data.stats;
  const out: string[] = [];
  if (s.skippedObjects.length > 0)
    out.push(
      `${plural(s.skippedObjects.length, 'object')} skipped: ${s.skippedObjects
        .slice(0, 3)
        .map((o) => `${o.key} (${o.code})`)
        .join(', ')}${s.skippedObjects.length > 3 ? ', …' : ''}`,
    );
  if (s.malformedLines > 0) out.push(`${plural(s.malformedLines, 'malformed line')} skipped`);
  return out;
}

/** The service section, then the workload groups in lane order, then the nodes; empty ones left out. */
function sectionsOf(data: TimelineData, lanes: Map<string, Lane>): Section[] {
  const byGroup = new Map<string, FoldedEntry[]>();
  for (const lane of data.lanes) if (!byGroup.has(lane.group)) byGroup.set(lane.group, []);
  for (const entry of data.folded) byGroup.get(lanes.get(entry.lane)?.group ?? entry.lane)?.push(entry);
  const sections: Section[] = [];
  for (const [group, entries] of byGroup) {
    if (entries.length === 0) continue;
    const head = lanes.get(group);
    const title = group === SERVICE_GROUP ? serviceTitle(data) : group === NODES_GROUP ? 'Nodes' : head ? `${head.kind} ${head.namespace}/${head.name}` : group;
    sections.push({ title, entries });
  }
  return sections;
}

function serviceTitle(data: TimelineData): string {
  return data.subject.kind === 'service' ? `Service ${data.subject.namespace}/${data.subject.name}` : 'Service';
}

/** `Pod/web-7f9-aaaaa` when the namespace is the subject's (or none), else `Pod/ns/name`. */
function objectLabel(lane: Lane, data: TimelineData): string {
  const ns = data.subject.kind === 'node' ? null : data.subject.namespace;
  return lane.namespace === '' || lane.namespace === ns ? `${lane.kind}/${lane.name}` : lane.key;
}

interface LineContext {
  labelWidth: number;
  reasonWidth: number;
  clock: Clock;
  options: TextOptions;
  paint: (style: Style, text: string) => string;
}

function entryLine(entry: FoldedEntry, label: string, c: LineContext): string {
  const warning = entry.type === 'Warning';
  const mark = warning ? WARNING_MARK : ' ';
  const repeats = entry.count > 1 || entry.records > 1 ? ` ×${groupDigits(entry.count)} (${c.clock.range(entry.first, entry.last)})` : '';
  const start = `  ${c.clock.time(entry.first)} ${mark} ${pad(label, c.labelWidth)}  ${pad(entry.reason, c.reasonWidth)}  `;
  const message = oneLine(entry.message);
  const room = c.options.width === null ? Infinity : c.options.width - width(start) - width(repeats);
  const text = start + cut(message, room) + repeats;
  return warning ? c.paint('yellow', text) : text;
}

function gapLine(gap: Gap, clock: Clock, options: TextOptions, paint: (style: Style, text: string) => string, shown: Set<Gap>): string {
  shown.add(gap);
  const head = `  ── gap: ${clock.range(gap.from, gap.to)}, events may be missing: `;
  const tail = ' ──';
  const room = options.width === null ? Infinity : options.width - width(head) - width(tail);
  return paint('dim', head + cut(oneLine(gap.message), room) + tail);
}

interface Clock {
  /** `10:04:05`, or `2026-12-08 10:04:05` when the window spans days or the time is on another day. */
  time(iso: string): string;
  /** `10:01:00–10:07:00`; both with their date when either needs it. */
  range(from: string, to: string): string;
  window(from: string, to: string): string;
}

function clockFormat(data: TimelineData): Clock {
  const day = (iso: string) => new Date(iso).toISOString().slice(0, 10);
  const startDay = day(data.window.from);
  const lastMs = Date.parse(data.window.to) - 1;
  const spansDays = Number.isFinite(lastMs) && new Date(lastMs).toISOString().slice(0, 10) !== startDay;
  const full = (iso: string) => new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
  const dated = (iso: string) => spansDays || day(iso) !== startDay;
  const time = (iso: string) => (dated(iso) ? full(iso) : full(iso).slice(11));
  return {
    time,
    range: (from, to) => (dated(from) || dated(to) ? `${full(from)}–${full(to)}` : `${time(from)}–${time(to)}`),
    window: (from, to) => {
      const a = full(from);
      const b = full(to);
      return `${a} → ${b.slice(0, 10) === a.slice(0, 10) ? b.slice(11) : b} UTC`;
    },
  };
}

function plural(n: number, word: string): string {
  return `${groupDigits(n)} ${word}${n === 1 ? '' : 's'}`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

function width(s: string): number {
  return [...s].length;
}

function pad(s: string, n: number): string {
  const w = width(s);
  return w > n ? cut(s, n) : s + ' '.repeat(n - w);
}

/** `s` in at most `n` characters, ending with `…` when cut (at least one character kept). */
function cut(s: string, n: number): string {
  const chars = [...s];
  if (chars.length <= n) return s;
  return chars.slice(0, Math.max(1, n - 1)).join('') + '…';
}
