/**
 * Caps a WebAssembly module's linear memory by rewriting its binary before it is compiled.
 *
 * The Extism JS SDK's memory option does not bound guest memory (a memory bomb reached 4 GB),
 * but the engine enforces a memory's declared maximum: `memory.grow` past it returns -1. So
 * every memory the module defines or imports gets `max = min(its max, cap)`. Only the import
 * and memory sections are parsed and re-encoded; every other section is copied byte for byte.
 */
import { K8streamError } from '../errors.js';
import { encodeUleb } from './kernel-wasm.js';

/** Bytes in one default WebAssembly page. */
export const WASM_PAGE_BYTES = 65_536;

/** A memory as declared by the module, and the maximum it gets after capping. */
export interface MemoryDeclaration {
  /** True for a memory imported from the host rather than defined by the module. */
  imported: boolean;
  /** Initial size, in pages. */
  min: number;
  /** Declared maximum, in pages; null when the module declares none. */
  max: number | null;
  /** Page size in bytes (65536 unless the custom-page-sizes proposal is used). */
  pageSize: number;
  shared: boolean;
  memory64: boolean;
}

export interface CappedMemory extends MemoryDeclaration {
  /** The maximum written into the rewritten module, in pages. */
  cappedMax: number;
}

export interface CapResult {
  /** The rewritten module. */
  bytes: Uint8Array;
  /** Every memory found, in index order (imports first). */
  memories: CappedMemory[];
}

/** Pages of 64 KiB in `memoryMb` MiB (16 per MiB). */
export function memoryCapPages(memoryMb: number): number {
  return Math.floor(memoryMb * 16);
}

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;

const FLAG_HAS_MAX = 0x01;
const FLAG_SHARED = 0x02;
const FLAG_MEMORY64 = 0x04;
const FLAG_PAGE_SIZE = 0x08;

function invalid(label: string, message: string): K8streamError {
  return new K8streamError('TRANSFORM_INVALID', `${label}: ${message}`, { plugin: label });
}

/** Sequential reader over a module binary; every read checks bounds. */
class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly label: string,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  byte(): number {
    if (this.pos >= this.end) throw invalid(this.label, `truncated module (unexpected end at byte ${this.pos})`);
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128 (up to 64 bits, returned as a number: exact below 2^53). */
  uleb(maxBits = 32): number {
    let result = 0;
    let scale = 1;
    for (let shift = 0; ; shift += 7) {
      if (shift >= maxBits + 7) throw invalid(this.label, `malformed LEB128 integer at byte ${this.pos}`);
      const b = this.byte();
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return result;
    }
  }

  /** Skips a signed LEB128 of up to `maxBits` bits. */
  skipSleb(maxBits: number): void {
    for (let shift = 0; ; shift += 7) {
      if (shift >= maxBits + 7) throw invalid(this.label, `malformed LEB128 integer at byte ${this.pos}`);
      if ((this.byte() & 0x80) === 0) return;
    }
  }

  skip(n: number): void {
    if (n > this.end - this.pos) throw invalid(this.label, `truncated module (needs ${n} bytes at byte ${this.pos})`);
    this.pos += n;
  }

  /** Skips a length-prefixed name. */
  skipName(): void {
    this.skip(this.uleb());
  }
}

interface ParsedLimits {
  flags: number;
  min: number;
  max: number | null;
  pageSizeLog2: number | null;
}

function readMemoryLimits(r: Reader): ParsedLimits {
  const flags = r.byte();
  if (flags & ~(FLAG_HAS_MAX | FLAG_SHARED | FLAG_MEMORY64 | FLAG_PAGE_SIZE)) {
    throw invalid(r.label, `unknown memory limits flags 0x${flags.toString(16)}`);
  }
  const bits = flags & FLAG_MEMORY64 ? 64 : 32;
  const min = r.uleb(bits);
  const max = flags & FLAG_HAS_MAX ? r.uleb(bits) : null;
  const pageSizeLog2 = flags & FLAG_PAGE_SIZE ? r.uleb(32) : null;
  return { flags, min, max, pageSizeLog2 };
}

function encodeMemoryLimits(limits: ParsedLimits, max: number): number[] {
  const out = [limits.flags | FLAG_HAS_MAX, ...encodeUleb(limits.min), ...encodeUleb(max)];
  if (limits.pageSizeLog2 !== null) out.push(...encodeUleb(limits.pageSizeLog2));
  return out;
}

/** Skips a value type, including typed references (`ref null? <heaptype>`). */
function skipValType(r: Reader): void {
  const t = r.byte();
  if (t === 0x63 || t === 0x64) r.skipSleb(33);
}

/** Skips table limits (flags, min, optional max; 64-bit when flag 0x04). */
function skipTableLimits(r: Reader): void {
  const flags = r.byte();
  const bits = flags & FLAG_MEMORY64 ? 64 : 32;
  r.uleb(bits);
  if (flags & FLAG_HAS_MAX) r.uleb(bits);
}

function declarationOf(limits: ParsedLimits, imported: boolean): MemoryDeclaration {
  return {
    imported,
    min: limits.min,
    max: limits.max,
    pageSize: limits.pageSizeLog2 === null ? WASM_PAGE_BYTES : 2 ** limits.pageSizeLog2,
    shared: (limits.flags & FLAG_SHARED) !== 0,
    memory64: (limits.flags & FLAG_MEMORY64) !== 0,
  };
}

/** Pages of `pageSize` bytes that fit in `capBytes`. */
function capPagesFor(capBytes: number, pageSize: number): number {
  return Math.floor(capBytes / pageSize);
}

interface Rewrite {
  memories: CappedMemory[];
}

/** Caps one memory's limits, or throws when its initial size is already above the cap. */
function capLimits(limits: ParsedLimits, imported: boolean, capBytes: number, label: string, rewrite: Rewrite): number[] {
  const decl = declarationOf(limits, imported);
  const capPages = capPagesFor(capBytes, decl.pageSize);
  if (decl.min > capPages) {
    const needMb = ((decl.min * decl.pageSize) / (1024 * 1024)).toFixed(1);
    throw new K8streamError('TRANSFORM_INVALID', `${label}: the module's memory starts at ${decl.min} pages (${needMb} MiB), above its memory cap of ${capPages} pages`, {
      plugin: label,
      hint: 'raise memoryMb for this transform',
    });
  }
  const cappedMax = decl.max === null ? capPages : Math.min(decl.max, capPages);
  rewrite.memories.push({ ...decl, cappedMax });
  return encodeMemoryLimits(limits, cappedMax);
}

/** Re-encodes the import section with every imported memory capped. */
function rewriteImports(r: Reader, capBytes: number, rewrite: Rewrite): number[] {
  const out: number[] = [];
  const count = r.uleb();
  out.push(...encodeUleb(count));
  for (let i = 0; i < count; i++) {
    const start = r.pos;
    r.skipName();
    r.skipName();
    const kind = r.byte();
    if (kind === 0x02) {
      out.push(...r.bytes.subarray(start, r.pos));
      out.push(...capLimits(readMemoryLimits(r), true, capBytes, r.label, rewrite));
      continue;
    }
    switch (kind) {
      case 0x00: // function: type index
        r.uleb();
        break;
      case 0x01: // table: reference type + limits
        skipValType(r);
        skipTableLimits(r);
        break;
      case 0x03: // global: value type + mutability
        skipValType(r);
        r.byte();
        break;
      case 0x04: // tag: attribute + type index
        r.byte();
        r.uleb();
        break;
      default:
        throw invalid(r.label, `unknown import kind 0x${kind.toString(16)}`);
    }
    out.push(...r.bytes.subarray(start, r.pos));
  }
  if (!r.done) throw invalid(r.label, 'malformed import section (trailing bytes)');
  return out;
}

/** Re-encodes the memory section with every memory capped. */
function rewriteMemories(r: Reader, capBytes: number, rewrite: Rewrite): number[] {
  const count = r.uleb();
  const out = encodeUleb(count);
  for (let i = 0; i < count; i++) out.push(...capLimits(readMemoryLimits(r), false, capBytes, r.label, rewrite));
  if (!r.done) throw invalid(r.label, 'malformed memory section (trailing bytes)');
  return out;
}

/**
 * Returns a copy of `wasm` whose memories (defined and imported) all have a maximum of at most
 * `capBytes` (rounded down to whole pages). Throws `TRANSFORM_INVALID` naming `label` when the
 * bytes are not a WebAssembly module or a memory's initial size exceeds the cap.
 */
export function capMemory(wasm: Uint8Array, capBytes: number, label = 'module'): CapResult {
  if (wasm.length < 8 || wasm[0] !== 0x00 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d) {
    throw invalid(label, 'not a WebAssembly module (missing the \\0asm header)');
  }
  if (wasm[4] !== 0x01 || wasm[5] !== 0x00 || wasm[6] !== 0x00 || wasm[7] !== 0x00) {
    throw invalid(label, 'not a WebAssembly core module version 1 (components are not supported)');
  }
  const rewrite: Rewrite = { memories: [] };
  const chunks: Uint8Array[] = [wasm.subarray(0, 8)];
  const r = new Reader(wasm, label, 8);
  while (!r.done) {
    const sectionStart = r.pos;
    const id = r.byte();
    const size = r.uleb();
    const contentStart = r.pos;
    r.skip(size);
    if (id !== SECTION_IMPORT && id !== SECTION_MEMORY) {
      chunks.push(wasm.subarray(sectionStart, r.pos));
      continue;
    }
    const body = new Reader(wasm, label, contentStart, contentStart + size);
    const content = id === SECTION_IMPORT ? rewriteImports(body, capBytes, rewrite) : rewriteMemories(body, capBytes, rewrite);
    chunks.push(Uint8Array.from([id, ...encodeUleb(content.length), ...content]));
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { bytes, memories: rewrite.memories };
}

/** The memories a module declares (imports first), without changing anything. */
export function readMemories(wasm: Uint8Array, label = 'module'): MemoryDeclaration[] {
  return capMemory(wasm, Number.MAX_SAFE_INTEGER, label).memories.map(({ cappedMax: _, ...decl }) => decl);
}
