/**
 * Runs a `k8stream` command in this process and collects what it printed. It runs the build
 * (core/dist), as the binary does: the sink plugins' archive readers throw the `K8streamError` of
 * `@k8stream/core` (the build), which the CLI must recognise as its own to print its code.
 */
import { Writable } from 'node:stream';
import { runCli } from '../../../core/dist/cli/commands.js';
import type { TimelineData } from '../../../core/src/forensics/types.js';
import { REPO } from '../../helpers/cli.fixture.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** `k8stream ...argv`, with this process's environment (plus `env`), from `cwd` (the repository by default). */
export async function k8stream(argv: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const out = collector();
  const err = collector();
  const code = await runCli(argv, { stdout: out.stream, stderr: err.stream, env: { ...process.env, ...options.env }, cwd: options.cwd ?? REPO });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** The JSON a command printed on stdout; throws with its stderr when it failed. */
export async function k8streamJson<T>(argv: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ value: T; stderr: string }> {
  const r = await k8stream(argv, options);
  if (r.code !== 0) throw new Error(`k8stream ${argv.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return { value: JSON.parse(r.stdout) as T, stderr: r.stderr };
}

/**
 * What must not differ between two reads of the same story (other archives, `--archive` or
 * `--sink`): the timeline but where and when it was read and the listing/fetch counts; with
 * `repeats: false`, the repeats too (an archive holding a record twice, in two formats, has more).
 */
export function timelineAnswer(t: TimelineData, options: { repeats?: boolean } = {}) {
  const { records, duplicates, malformedLines, foreignRecords, skippedObjects } = t.stats;
  return {
    subject: t.subject,
    title: t.title,
    window: t.window,
    clusters: t.clusters,
    lanes: t.lanes,
    events: t.events,
    folded: t.folded,
    gaps: t.gaps,
    topReasons: t.topReasons,
    warnings: t.warnings,
    stats: { records, ...(options.repeats === false ? {} : { duplicates }), malformedLines, foreignRecords, skippedObjects },
  };
}
