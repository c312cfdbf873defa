/**
 * Durability, observed: a SIGKILL keeps the page cache, so only the order of system calls shows
 * whether data would survive a power loss. The real binary streams from the API-server double
 * through a disk buffer into a file sink, saving its resume point, under `strace` — once with
 * `fsync: always`, once with a background fsync every 100 ms; the log must show, per file:
 * - file-sink objects, the ack file, the state file: written to a temp file, that file synced,
 *   renamed, the directory synced;
 * - disk-queue segments: every append, and the directory entry of a new segment, synced before
 *   the state file that covers its events is renamed into place (the resume point moves once
 *   events are in the buffer);
 * - the ack file: every record it acknowledges is in a sink object already durable;
 * - the buffer and state directories the run creates: synced in their parent before use.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { watch as watchDir } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '@k8stream/apiserver-double';
import type { ApiServerDouble } from '@k8stream/apiserver-double';
import { decodeFrame } from '../core/src/dispatch/disk-queue/frame.js';
import { startCli } from './helpers/cli.fixture.js';
import { parseStrace } from './helpers/strace.fixture.js';
import { appends, creations, madeDirs, replaces } from './helpers/sync-order.fixture.js';
import type { Append, Replace } from './helpers/sync-order.fixture.js';
import { requireTool } from './helpers/tool.fixture.js';

const TRACED = 'write,pwrite64,writev,fsync,fdatasync,rename,renameat,renameat2,openat,close,mkdir,mkdirat';

let server: ApiServerDouble;
let dir: string;
beforeAll(async () => {
  await requireTool('strace', ['-V'], 'strace');
  server = await startApiServer();
  dir = await realpath(await mkdtemp(join(tmpdir(), 'k8stream-durability-')));
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
function produce(n: number): void {
  for (let i = 0; i < n; i++) {
    const name = `ev-${seq++}`;
    server.store.create('events', {
      metadata: { name, namespace: 'shop' },
      involvedObject: { kind: 'Pod', name: `pod-${name}`, namespace: 'shop', apiVersion: 'v1' },
      reason: 'BackOff',
      type: 'Warning',
      message: name,
      count: 1,
      lastTimestamp: new Date().toISOString(),
    });
  }
}

/** Runs the command under strace, logging to `log` (every string in full, as hex). */
const traced =
  (log: string) =>
  (command: string, args: string[], options: SpawnOptions): ChildProcess =>
    spawn('strace', ['-f', '-tt', '-xx', '-y', '-s', '1048576', '-e', `trace=${TRACED}`, '-o', log, '--', command, ...args], options);

/** The traced process: strace's only child. */
async function tracee(strace: ChildProcess): Promise<number> {
  const children = await readFile(`/proc/${strace.pid}/task/${strace.pid}/children`, 'utf8');
  const pid = Number(children.trim().split(/\s+/)[0]);
  if (!pid) throw new Error('strace has no child');
  return pid;
}

/** Resolves once `check()` holds, looking again whenever something in `dir` changes. */
async function until(dir: string, check: () => Promise<boolean>): Promise<void> {
  // Watching starts before the first look, and each wake-up is armed before the next look.
  const watcher = watchDir(dir);
  let wake = (): void => undefined;
  let fail = (_: Error): void => undefined;
  watcher.on('change', () => wake());
  watcher.on('error', (err) => fail(err));
  try {
    for (;;) {
      const changed = new Promise<void>((resolve, reject) => {
        wake = resolve;
        fail = reject;
      });
      if (await check()) return;
      await changed;
    }
  } finally {
    watcher.close();
  }
}

/** Resolves once the saved resume point reaches `rv` (the state dir is the product's to create). */
async function stateReaches(stateDir: string, rv: number): Promise<void> {
  await until(dirname(stateDir), () =>
    stat(stateDir).then(
      () => true,
      () => false,
    ),
  );
  await until(stateDir, async () => {
    try {
      const doc = JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as { watches: Record<string, string> };
      return Object.values(doc.watches).some((v) => Number(v) >= rv);
    } catch {
      return false;
    }
  });
}

/** The resourceVersion in a record id (`<uid>:<resourceVersion>`). */
const rvOf = (id: string): number => Number(id.slice(id.lastIndexOf(':') + 1));

/** Runs the binary under strace (list, then watch, then SIGTERM) and returns the parsed log and its paths. */
async function tracedRun(fsync: string) {
  const kube = await server.writeKubeconfig(dir);
  const base = join(dir, fsync);
  const out = join(base, 'out');
  const buf = join(base, 'buf');
  const stateDir = join(base, 'state');
  const config = join(dir, `k8stream-${fsync}.yaml`);
  await mkdir(base); // what the run makes inside it is the product's to create
  await writeFile(
    config,
    JSON.stringify({
      cluster: 'durability',
      source: { type: 'kubernetes', kubeconfig: kube },
      enrich: { objects: false, owners: false, nodes: false, services: false },
      sinks: [
        {
          name: 'archive',
          use: 'file',
          config: { dir: out },
          batch: { maxEvents: 10, maxAgeMs: 20 },
          encoding: { format: 'ndjson', compression: 'none' },
          buffer: { type: 'disk', dir: buf, fsync },
        },
      ],
      deadLetter: { use: 'file', config: { dir: join(base, 'dl') } },
      state: { dir: stateDir, saveIntervalMs: 50 },
      shutdown: { graceMs: 5000 },
      log: { level: 'info', format: 'json' },
    }),
  );
  const log = join(dir, `strace-${fsync}.log`);
  produce(30); // listed
  const run = startCli(['run', '--config', config], { spawn: traced(log) });
  // A run that ends early (strace refused: no ptrace here; a bad config) fails the wait with its log.
  const early = run.exit.then(({ code, signal }) => Promise.reject(new Error(`exited (${code ?? signal}) while the test waited:\n${run.stderr()}`)));
  early.catch(() => undefined);
  const running = <T>(step: Promise<T>): Promise<T> => Promise.race([step, early]);
  try {
    await running(stateReaches(stateDir, server.store.resourceVersion));
    produce(30); // watched
    await running(stateReaches(stateDir, server.store.resourceVersion));
    process.kill(await tracee(run.child), 'SIGTERM');
    const { code } = await run.exit;
    if (code !== 0) throw new Error(`exited ${code} after SIGTERM:\n${run.stderr()}`);
  } finally {
    // Killing strace would only detach it: the traced process itself is killed.
    if (run.child.exitCode === null && run.child.signalCode === null) {
      const pid = await tracee(run.child).catch(() => 0);
      if (pid) process.kill(pid, 'SIGKILL');
      await run.exit;
    }
  }

  // Every event in the store is listed (a second run lists the first one's events too).
  return { calls: parseStrace(await readFile(log, 'utf8')), out, buf, stateDir, events: seq };
}

describe.each(['always', '100ms'])(
  'durability (strace), disk buffer fsync %s: every file is synced before it is renamed, its directory after, and data before what refers to it',
  (fsync) => {
    let run: Awaited<ReturnType<typeof tracedRun>>;
    let sinkObjects: Replace[];
    let acks: Replace[];
    let states: Replace[];
    let segments: Append[];
    let created: Map<string, number>;
    beforeAll(async () => {
      run = await tracedRun(fsync);
      const { calls, out, buf, stateDir } = run;
      sinkObjects = replaces(calls, (to) => to.startsWith(`${out}/`) && to.endsWith('.ndjson'));
      acks = replaces(calls, (to) => to === join(buf, 'ack'));
      states = replaces(calls, (to) => to === join(stateDir, 'state.json'));
      const isSegment = (path: string): boolean => path.startsWith(`${buf}/`) && /^seg-\d+\.log$/.test(basename(path));
      segments = appends(calls, isSegment);
      created = new Map(creations(calls, isSegment).map((c) => [c.path, c.dirSyncedAt ?? Infinity]));
    });

    /** The records the segment appends hold, with the line where each became durable (its append and its segment's entry synced). */
    function records(): { seq: number; id: string; durableAt: number }[] {
      const out: { seq: number; id: string; durableAt: number }[] = [];
      for (const a of segments) {
        for (let at = 0; at < a.content.length;) {
          const frame = decodeFrame(a.content, at);
          if (typeof frame === 'string') throw new Error(`${a.path}: ${frame} frame at ${at} of a ${a.content.length}-byte write`);
          out.push({ seq: frame.seq, id: frame.id, durableAt: Math.max(a.syncedAt ?? Infinity, created.get(a.path) ?? Infinity) });
          at = frame.end;
        }
      }
      return out;
    }

    it('file-sink objects: temp file written and synced, renamed, directory synced', () => {
      expect(sinkObjects.length).toBeGreaterThanOrEqual(6);
      expect(sinkObjects.flatMap((r) => r.problems)).toEqual([]);
    });

    it("disk-queue segments: every append synced, a new segment's directory entry synced (under fsync always: before its first append)", () => {
      expect(segments.length).toBeGreaterThanOrEqual(2);
      expect(segments.filter((a) => a.syncedAt === undefined).map((a) => a.path)).toEqual([]);
      const firstWrite = (path: string): number => (fsync === 'always' ? Math.min(...segments.filter((a) => a.path === path).map((a) => a.writtenAt)) : Infinity);
      expect([...created].filter(([path, at]) => !(at < firstWrite(path))).map(([path]) => path)).toEqual([]);
      expect(records()).toHaveLength(run.events);
    });

    /** When each record id became durable in a sink object (the first such object). */
    function delivered(): Map<string, number> {
      const at = new Map<string, number>();
      for (const o of sinkObjects) {
        for (const line of o.content.toString('utf8').split('\n')) {
          const id = line ? (JSON.parse(line) as { id: string }).id : undefined;
          if (id !== undefined) at.set(id, Math.min(at.get(id) ?? Infinity, o.durableAt ?? Infinity));
        }
      }
      return at;
    }

    it('the state file: atomically replaced, and every event it covers durable before — in a segment, or in a sink object', () => {
      expect(states.length).toBeGreaterThanOrEqual(2);
      expect(states.flatMap((r) => r.problems)).toEqual([]);
      const buffered = records();
      const sent = delivered();
      for (const s of states) {
        const saved = Math.max(...Object.values((JSON.parse(s.content.toString('utf8')) as { watches: Record<string, string> }).watches).map(Number));
        const durableAt = (r: { id: string; durableAt: number }): number => Math.min(r.durableAt, sent.get(r.id) ?? Infinity);
        const late = buffered.filter((r) => rvOf(r.id) <= saved && !(durableAt(r) < s.renamedAt)).map((r) => r.id);
        expect(late, `state at resourceVersion ${saved}`).toEqual([]);
      }
    });

    it('the ack file: atomically replaced, and every record it acknowledges in a sink object durable before', () => {
      expect(acks.length).toBeGreaterThanOrEqual(2);
      expect(acks.flatMap((r) => r.problems)).toEqual([]);
      const sent = delivered();
      const buffered = records();
      for (const a of acks) {
        const upto = Number(a.content.readBigUInt64LE(0));
        const notYet = buffered.filter((r) => r.seq <= upto && !((sent.get(r.id) ?? Infinity) < a.renamedAt)).map((r) => r.id);
        expect(notYet, `ack up to ${upto}`).toEqual([]);
      }
      expect(Number(acks.at(-1)!.content.readBigUInt64LE(0))).toBe(run.events);
    });

    it('the buffer and state directories the run made: synced in their parent before anything was renamed into them', () => {
      const made = madeDirs(run.calls, (path) => path === run.buf || path === run.stateDir);
      expect(made.map((d) => d.path).sort()).toEqual([run.buf, run.stateDir]);
      for (const d of made) {
        const firstRename = Math.min(...[...acks, ...states].filter((r) => dirname(r.to) === d.path).map((r) => r.renamedAt));
        expect(d.parentSyncedAt !== undefined && d.parentSyncedAt < firstRename, `${d.path}: parent synced after mkdir, before the first rename into it`).toBe(true);
      }
    });
  },
);
