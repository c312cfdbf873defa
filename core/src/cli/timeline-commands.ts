/**
 * `k8stream timeline` and `k8stream report`: what happened to a service, a workload or a node
 * in a time window, from an archive — as folded text (or the TimelineData as JSON), or as one
 * self-contained HTML page. Exit 0 (also when nothing is found), 1 (error), 2 (bad arguments).
 */
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { K8streamError, errorMessage } from '../errors.js';
import { formatOptions, parseCommandArgs, sharedOptionsHelp } from '../forensics/options.js';
import type { OptionSpecs, ParsedCommand } from '../forensics/options.js';
import { renderReport } from '../forensics/report/index.js';
import { openSession } from '../forensics/session.js';
import type { Session, SessionOptions } from '../forensics/session.js';
import { buildTimeline } from '../forensics/timeline/build.js';
import type { TimelineMeta } from '../forensics/timeline/build.js';
import { similarNames, stagePrefetch } from '../forensics/timeline/select.js';
import { parseSubject } from '../forensics/timeline/subject.js';
import { renderNotFound, renderTimelineText } from '../forensics/timeline/text.js';
import type { Subject, TimelineData } from '../forensics/types.js';
import type { CliIo } from './commands.js';
import { userMessage } from './commands.js';

const SUBJECT_OPTIONS = {
  service: { type: 'string', value: 'NS/NAME', help: "the service's pods, their owners and nodes, its Endpoints and EndpointSlices" },
  workload: { type: 'string', value: 'KIND/NS/NAME', help: 'a deployment, statefulset, daemonset, job, cronjob or replicaset: its owners below it, pods and their nodes' },
  node: { type: 'string', value: 'NAME', help: 'the node and the pods that ran on it' },
} as const satisfies OptionSpecs;

const TIMELINE_OPTIONS = {
  ...SUBJECT_OPTIONS,
  format: { type: 'string', short: 'f', value: 'FORMAT', help: 'text (default: folded, grouped by workload) or json (the timeline data)' },
} as const satisfies OptionSpecs;

const REPORT_OPTIONS = {
  ...SUBJECT_OPTIONS,
  output: { type: 'string', short: 'o', value: 'FILE', help: 'the HTML file to write (required)' },
} as const satisfies OptionSpecs;

const TIMELINE_FORMATS = ['text', 'json'] as const;
type TimelineFormat = (typeof TIMELINE_FORMATS)[number];

export const TIMELINE_HELP = `Usage: k8stream timeline (--service NS/NAME | --workload KIND/NS/NAME | --node NAME) [options]

Every archived event about the subject in the window, in time order, grouped by workload (the
workload, its ReplicaSets/Jobs, its pods), then the nodes; Warnings marked, repeats folded with
their count and first–last time, watch gaps (where events may be missing) shown as gap lines.

Options:
${formatOptions(TIMELINE_OPTIONS)}
${sharedOptionsHelp()}

Examples:
  k8stream timeline --archive ./out --service shop/web --since 2h
  k8stream timeline --sink archive --workload deployment/shop/web --from 10:00 --to 11:00
  k8stream timeline --archive s3://bucket/events --node node-2 --since 1d --format json

Exit codes: 0 done (also when nothing is found), 1 error, 2 bad arguments.
`;

export const REPORT_HELP = `Usage: k8stream report (--service NS/NAME | --workload KIND/NS/NAME | --node NAME) -o FILE [options]

Writes the subject's timeline as one self-contained HTML page (no network, no external scripts or
fonts): a time axis with one lane per workload, pod and node, each event a mark coloured by type,
watch gaps shaded, the top reasons and the full event list, filterable.

Options:
${formatOptions(REPORT_OPTIONS)}
${sharedOptionsHelp()}

Example:
  k8stream report --archive ./out --service shop/web --from 09:30 --to 10:30 -o incident.html

Exit codes: 0 written, 1 error, 2 bad arguments.
`;

/** `k8stream timeline`; `session` lets tests pin the clock. */
export async function timelineCommand(argv: readonly string[], io: CliIo, session: SessionOptions = {}): Promise<number> {
  let parsed: ParsedCommand;
  let subject: Subject;
  let format: TimelineFormat;
  try {
    parsed = parseCommandArgs('timeline', argv, TIMELINE_OPTIONS);
    if (parsed.shared.help) {
      io.stdout.write(TIMELINE_HELP);
      return 0;
    }
    subject = subjectOf(parsed);
    format = formatOf(parsed);
  } catch (err) {
    return usageError(err, io);
  }
  return withTimeline(parsed, subject, io, session, async (data, opened) => {
    if (format === 'json') await write(io.stdout, JSON.stringify(data) + '\n');
    else if (data.events.length === 0) await write(io.stdout, renderNotFound(data, await similarNames(opened.db.connection, subject)));
    else await write(io.stdout, renderTimelineText(data, terminal(io)));
    return 0;
  });
}

/** `k8stream report`; `session` lets tests pin the clock. */
export async function reportCommand(argv: readonly string[], io: CliIo, session: SessionOptions = {}): Promise<number> {
  let parsed: ParsedCommand;
  let subject: Subject;
  let output: { given: string; path: string };
  try {
    parsed = parseCommandArgs('report', argv, REPORT_OPTIONS);
    if (parsed.shared.help) {
      io.stdout.write(REPORT_HELP);
      return 0;
    }
    subject = subjectOf(parsed);
    output = await outputOf(parsed, io.cwd);
  } catch (err) {
    return usageError(err, io);
  }
  return withTimeline(parsed, subject, io, session, async (data, opened) => {
    await writeAtomically(output, renderReport(data));
    if (data.events.length === 0) io.stderr.write(renderNotFound(data, await similarNames(opened.db.connection, subject)));
    io.stdout.write(`wrote ${output.given} (${plural(data.events.length, 'event')}, ${plural(data.lanes.length, 'lane')})\n`);
    return 0;
  });
}

/** Opens the session, builds the subject's timeline and hands it to `use`; the session is always closed. */
async function withTimeline(
  parsed: ParsedCommand,
  subject: Subject,
  io: CliIo,
  options: SessionOptions,
  use: (data: TimelineData, opened: Session) => Promise<number>,
): Promise<number> {
  const prefetch = stagePrefetch(subject);
  let opened: Session;
  try {
    opened = await openSession(parsed, io, prefetch === null ? options : { ...options, prefetch });
  } catch (err) {
    if (err instanceof K8streamError && err.code === 'ARGUMENT_INVALID') return usageError(err, io);
    throw err;
  }
  try {
    const meta: TimelineMeta = {
      window: opened.window,
      archive: opened.staged.describe,
      clusters: opened.staged.clusters,
      partitions: opened.staged.partitions,
      fetched: opened.staged.stats,
    };
    return await use(await buildTimeline(opened.db, subject, meta, prefetch?.table), opened);
  } finally {
    await opened.dispose();
  }
}

function usageError(err: unknown, io: CliIo): number {
  io.stderr.write(userMessage(err, false) + '\n');
  return 2;
}

function subjectOf(parsed: ParsedCommand): Subject {
  if (parsed.positionals.length > 0) {
    throw new K8streamError(
      'ARGUMENT_INVALID',
      `k8stream ${parsed.command} takes no arguments besides options; got ${parsed.positionals.map((p) => JSON.stringify(p)).join(' ')}`,
      {
        hint: `k8stream ${parsed.command} --service shop/web --since 2h`,
      },
    );
  }
  const own = parsed.own as { service?: string; workload?: string; node?: string };
  return parseSubject({ service: own.service, workload: own.workload, node: own.node });
}

function formatOf(parsed: ParsedCommand): TimelineFormat {
  const format = (parsed.own['format'] as string | undefined) ?? 'text';
  if (!(TIMELINE_FORMATS as readonly string[]).includes(format)) {
    throw new K8streamError('ARGUMENT_INVALID', `--format ${JSON.stringify(format)}: expected one of ${TIMELINE_FORMATS.join(', ')}`);
  }
  return format as TimelineFormat;
}

/** `-o FILE`: required, and not a directory. */
async function outputOf(parsed: ParsedCommand, cwd: string): Promise<{ given: string; path: string }> {
  const given = parsed.own['output'] as string | undefined;
  if (given === undefined || given.trim() === '') {
    throw new K8streamError('ARGUMENT_INVALID', 'k8stream report needs -o FILE: the HTML file to write', {
      hint: 'k8stream report --service shop/web --since 2h -o incident.html',
    });
  }
  const path = resolve(cwd, given);
  const existing = await stat(path).catch(() => null);
  if (existing?.isDirectory()) {
    throw new K8streamError('ARGUMENT_INVALID', `-o ${given}: is a directory; give the file to write`, { hint: `e.g. -o ${join(given, 'incident.html')}` });
  }
  return { given, path };
}

/** Writes `text` to a temporary file beside the target, then renames it over: never half a page. */
async function writeAtomically(output: { given: string; path: string }, text: string): Promise<void> {
  const temp = join(dirname(output.path), `.${basename(output.path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text);
    await rename(temp, output.path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new K8streamError('ARGUMENT_INVALID', `-o ${output.given}: cannot write the report: ${errorMessage(err)}`, { cause: err });
  }
}

/** Width and colour of the text output: a terminal's columns; colour on a terminal unless NO_COLOR is set. */
function terminal(io: CliIo): { width: number | null; color: boolean } {
  const out = io.stdout as { isTTY?: boolean; columns?: number };
  const tty = out.isTTY === true;
  const noColor = io.env['NO_COLOR'] !== undefined && io.env['NO_COLOR'] !== '';
  return { width: tty && typeof out.columns === 'number' && out.columns > 0 ? out.columns : null, color: tty && !noColor };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Writes `text`, waiting for the stream to drain when it asks to. */
async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}
