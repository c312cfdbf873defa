/** Opening scan: validates every segment, truncates corrupt tails, drops fully acked segments. */
import { open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeFrame } from './frame.js';

const SEGMENT_RE = /^seg-(\d{16})\.log$/;

/** File name of the segment whose first record has sequence `firstSeq`. */
export function segmentName(firstSeq: number): string {
  return `seg-${String(firstSeq).padStart(16, '0')}.log`;
}

/** A segment found valid (possibly after truncation) with unacked records. */
export interface RecoveredSegment {
  file: string;
  firstSeq: number;
  lastSeq: number;
  size: number;
}

export interface RecoveryResult {
  segments: RecoveredSegment[];
  /** Highest sequence seen in any segment (0 if none). */
  maxSeq: number;
  truncatedRecords: number;
  corruptSegments: number;
}

interface ScanResult {
  firstSeq: number;
  lastSeq: number;
  validEnd: number;
  corrupt: boolean;
}

/** Finds the valid prefix of one segment: consecutive sequences above `afterSeq`, intact CRCs. */
function scanSegment(buf: Buffer, afterSeq: number): ScanResult {
  let at = 0;
  let firstSeq = 0;
  let lastSeq = 0;
  while (at < buf.length) {
    const frame = decodeFrame(buf, at);
    if (typeof frame === 'string') return { firstSeq, lastSeq, validEnd: at, corrupt: true };
    const expected = lastSeq === 0 ? frame.seq > afterSeq : frame.seq === lastSeq + 1;
    if (!expected) return { firstSeq, lastSeq, validEnd: at, corrupt: true };
    if (firstSeq === 0) firstSeq = frame.seq;
    lastSeq = frame.seq;
    at = frame.end;
  }
  return { firstSeq, lastSeq, validEnd: at, corrupt: false };
}

/** Scans the queue directory in sequence order; never throws on corrupt data, only on I/O. */
export async function recoverSegments(dir: string, acked: number): Promise<RecoveryResult> {
  const names = (await readdir(dir)).filter((n) => SEGMENT_RE.test(n)).sort();
  const result: RecoveryResult = { segments: [], maxSeq: 0, truncatedRecords: 0, corruptSegments: 0 };
  for (const [i, name] of names.entries()) {
    const file = join(dir, name);
    const buf = await readFile(file);
    const scan = scanSegment(buf, result.maxSeq);
    if (scan.corrupt) {
      result.truncatedRecords++;
      if (i < names.length - 1) result.corruptSegments++;
    }
    if (scan.lastSeq === 0 || scan.lastSeq <= acked) {
      await unlink(file);
      if (scan.lastSeq > result.maxSeq) result.maxSeq = scan.lastSeq;
      continue;
    }
    if (scan.corrupt) {
      const fh = await open(file, 'r+');
      try {
        await fh.truncate(scan.validEnd);
        await fh.datasync();
      } finally {
        await fh.close();
      }
    }
    result.maxSeq = scan.lastSeq;
    result.segments.push({ file, firstSeq: scan.firstSeq, lastSeq: scan.lastSeq, size: scan.validEnd });
  }
  return result;
}
