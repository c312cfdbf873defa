/** Test fixture: a LogState over a temp directory, and segments written there directly. */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeFrame } from './frame.js';
import { segmentName } from './recover.js';
import type { LogState, Segment } from './segments.js';
import { Signal } from './signal.js';

export function logState(dir: string, over: Partial<LogState> = {}): LogState {
  return {
    dir,
    maxBytes: 1024 * 1024,
    segmentBytes: 64 * 1024,
    fsyncAlways: true,
    segments: [],
    bytes: 0,
    nextSeq: 1,
    acked: 0,
    dropped: 0,
    dirty: false,
    dirDirty: false,
    closed: false,
    appended: new Signal(),
    freed: new Signal(),
    ...over,
  };
}

/** Writes records `firstSeq..lastSeq` as a sealed segment (or active, kept open, when `active`) and adds it to `s`. */
export async function addSegment(s: LogState, firstSeq: number, lastSeq: number, active = false): Promise<Segment> {
  const file = join(s.dir, segmentName(firstSeq));
  const frames: Buffer[] = [];
  for (let seq = firstSeq; seq <= lastSeq; seq++) frames.push(encodeFrame(seq, `r${seq}`, `{"n":${seq}}`));
  const buf = Buffer.concat(frames);
  const fh = await open(file, 'w');
  await fh.write(buf, 0, buf.length, 0);
  if (!active) await fh.close();
  const seg: Segment = { file, firstSeq, lastSeq, size: buf.length, readable: buf.length, fh: active ? fh : null };
  s.segments.push(seg);
  s.bytes += buf.length;
  s.nextSeq = lastSeq + 1;
  return seg;
}
