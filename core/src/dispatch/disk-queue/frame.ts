/**
 * Record framing inside segment files:
 * `u32 payloadLength | u32 crc32(lengthBytes + payload) | payload`,
 * payload = `u48 seq | u16 reserved | u32 idLength | id (utf8) | json (utf8)`.
 */
import { crc32 } from 'node:zlib';

/** Bytes before the payload. */
export const FRAME_HEADER = 8;
const PAYLOAD_FIXED = 12;
/** Largest payload accepted when scanning (guards against a corrupt length). */
export const MAX_PAYLOAD = 256 * 1024 * 1024;

/** Encodes one record as a frame. */
export function encodeFrame(seq: number, id: string, json: string): Buffer {
  const idLen = Buffer.byteLength(id);
  const jsonLen = Buffer.byteLength(json);
  const payloadLen = PAYLOAD_FIXED + idLen + jsonLen;
  const buf = Buffer.allocUnsafe(FRAME_HEADER + payloadLen);
  buf.writeUInt32LE(payloadLen, 0);
  buf.writeUIntLE(seq, 8, 6);
  buf.writeUInt16LE(0, 14);
  buf.writeUInt32LE(idLen, 16);
  buf.write(id, 20, 'utf8');
  buf.write(json, 20 + idLen, 'utf8');
  buf.writeUInt32LE(frameCrc(buf, 0, payloadLen), 4);
  return buf;
}

function frameCrc(buf: Buffer, at: number, payloadLen: number): number {
  const head = crc32(buf.subarray(at, at + 4));
  return crc32(buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + payloadLen), head);
}

/** A decoded frame and where the next one starts. */
export interface DecodedFrame {
  seq: number;
  id: string;
  json: string;
  end: number;
}

/** Why a frame could not be decoded. `short`: more bytes needed (torn if at the end of data). */
export type DecodeFailure = 'short' | 'bad-length' | 'bad-crc';

/** Decodes the frame at `at`; never throws. */
export function decodeFrame(buf: Buffer, at: number): DecodedFrame | DecodeFailure {
  if (buf.length - at < FRAME_HEADER) return 'short';
  const payloadLen = buf.readUInt32LE(at);
  if (payloadLen < PAYLOAD_FIXED || payloadLen > MAX_PAYLOAD) return 'bad-length';
  const end = at + FRAME_HEADER + payloadLen;
  if (end > buf.length) return 'short';
  if (buf.readUInt32LE(at + 4) !== frameCrc(buf, at, payloadLen)) return 'bad-crc';
  const p = at + FRAME_HEADER;
  const idLen = buf.readUInt32LE(p + 8);
  if (PAYLOAD_FIXED + idLen > payloadLen) return 'bad-length';
  return {
    seq: buf.readUIntLE(p, 6),
    id: buf.toString('utf8', p + PAYLOAD_FIXED, p + PAYLOAD_FIXED + idLen),
    json: buf.toString('utf8', p + PAYLOAD_FIXED + idLen, end),
    end,
  };
}

/** Payload length announced by the frame header at `at`, or undefined when not enough bytes. */
export function announcedLength(buf: Buffer, at: number): number | undefined {
  return buf.length - at < FRAME_HEADER ? undefined : FRAME_HEADER + buf.readUInt32LE(at);
}
