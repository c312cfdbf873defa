/** The persisted ack position: `u64 seq | u32 crc32(seq bytes)`, written atomically. */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDir } from '../../util/durable-dir.js';

const ACK = 'ack';
const ACK_TMP = 'ack.tmp';

/** Reads the ack position; 0 when missing or corrupt (records are then replayed, not lost). */
export async function readAckFile(dir: string): Promise<number> {
  let buf: Buffer;
  try {
    buf = await readFile(join(dir, ACK));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  if (buf.length !== 12) return 0;
  if (buf.readUInt32LE(8) !== crc32(buf.subarray(0, 8))) return 0;
  return Number(buf.readBigUInt64LE(0));
}

/** Writes the ack position: temp file, fsync, rename, fsync of the directory. */
export async function writeAckFile(dir: string, seq: number): Promise<void> {
  const buf = Buffer.alloc(12);
  buf.writeBigUInt64LE(BigInt(seq), 0);
  buf.writeUInt32LE(crc32(buf.subarray(0, 8)), 8);
  const tmp = join(dir, ACK_TMP);
  const fh = await open(tmp, 'w');
  try {
    await fh.write(buf, 0, buf.length, 0);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, ACK));
  await fsyncDir(dir);
}
