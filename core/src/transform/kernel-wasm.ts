/**
 * The fast path's Extism kernel as a WebAssembly module, encoded here from TypeScript at run
 * time (no committed binary, no build-time tool: `wabt` is a devDependency only).
 *
 * Why: with the SDK every `load_u64`/`store_u64`/`input_load_u64` a guest makes is a wasm→JS
 * call with BigInt conversions (~160 per 1.2 KB record each way). Linked as the guest's
 * `extism:host/env` imports, these functions are wasm→wasm calls that never leave the engine —
 * what Extism's own runtime does with its kernel module.
 *
 * Memory layout of the kernel's own linear memory (exported as `memory`):
 * - bytes 0..15 are never handed out, so address 0 means "none" (Extism's meaning);
 * - a bump allocator starts at {@link HEAP_START}; each block is an 8-byte little-endian length
 *   header followed by the data, padded to 8 bytes. A block's address (an Extism u64 offset)
 *   is the offset of its data; `length(addr)` reads the header.
 * - `begin(n)` resets the heap before every call (Extism resets per call too) and allocates the
 *   n-byte input block; the host then copies the input into it.
 * - the heap may not grow past `HEAP_START + capBytes`: an `alloc` beyond that calls the host's
 *   `fail` import, which throws (the call fails with a clear message).
 *
 * Every access is bounds-checked against the allocated heap (`load_*`/`store_*`) or the input
 * (`input_load_*`); a bad address calls `fail`. State the host reads after a call (`top`,
 * `out_addr`, `out_len`, `err_addr`, `in_addr`) is exported as i32 globals: no BigInt on the
 * per-call path.
 *
 * Must stay loadable by Node's type stripping (the worker imports it).
 */

/** First byte of the heap: the first block's header. */
export const HEAP_START = 16;
/** Lowest valid block address (the first block's data). */
export const FIRST_ADDRESS = HEAP_START + 8;
/** Largest heap the kernel serves (its memory must fit in 32-bit addresses). */
export const MAX_KERNEL_BYTES = 0xfff0_0000;

/** Codes the kernel passes to the host's `fail(code, a, b)` import. */
export const FAIL_ALLOC = 1;
export const FAIL_LOAD = 2;
export const FAIL_STORE = 3;
export const FAIL_INPUT = 4;
export const FAIL_OUTPUT_BLOCK = 5;
export const FAIL_OUTPUT_LENGTH = 6;
export const FAIL_ERROR_BLOCK = 7;
export const FAIL_GROW = 8;

// --- a tiny binary encoder: just what the kernel needs -------------------------------------

type Bytes = number[];

/** Unsigned LEB128 encoding of a non-negative integer below 2^53 (wasm-memory.ts uses it too). */
export function encodeUleb(value: number): Bytes {
  const out: Bytes = [];
  let v = value;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return out;
}
const uleb = encodeUleb;

/** Signed LEB128 of a safe integer (constants here stay far below 2^53). */
function sleb(value: number): Bytes {
  const out: Bytes = [];
  let v = BigInt(value);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

function utf8(name: string): Bytes {
  const bytes = [...new TextEncoder().encode(name)];
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: Bytes[]): Bytes {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, content: Bytes): Bytes {
  return [id, ...uleb(content.length), ...content];
}

const I32 = 0x7f;
const I64 = 0x7e;
const VOID = 0x40;

/** Instructions (opcodes from the WebAssembly core spec). */
const op = {
  unreachable: [0x00],
  if: [0x04, VOID],
  end: [0x0b],
  return: [0x0f],
  call: (f: number): Bytes => [0x10, ...uleb(f)],
  select: [0x1b],
  get: (l: number): Bytes => [0x20, ...uleb(l)],
  set: (l: number): Bytes => [0x21, ...uleb(l)],
  tee: (l: number): Bytes => [0x22, ...uleb(l)],
  gget: (g: number): Bytes => [0x23, ...uleb(g)],
  gset: (g: number): Bytes => [0x24, ...uleb(g)],
  // memarg: alignment hint 0 (addresses may be unaligned), offset 0
  i64load: [0x29, 0, 0],
  i32load8u: [0x2d, 0, 0],
  i64store: [0x37, 0, 0],
  i32store8: [0x3a, 0, 0],
  memorySize: [0x3f, 0],
  memoryGrow: [0x40, 0],
  i32: (v: number): Bytes => [0x41, ...sleb(v)],
  i64: (v: number): Bytes => [0x42, ...sleb(v)],
  i32eq: [0x46],
  i64eqz: [0x50],
  i64ne: [0x52],
  i64ltS: [0x53],
  i64ltU: [0x54],
  i64gtU: [0x56],
  i64geS: [0x59],
  i64geU: [0x5a],
  i32add: [0x6a],
  i32sub: [0x6b],
  i32or: [0x72],
  i64add: [0x7c],
  i64sub: [0x7d],
  i64and: [0x83],
  i64shl: [0x86],
  i64shrU: [0x88],
  wrap: [0xa7],
  extendU: [0xad],
  memoryFill: [0xfc, 0x0b, 0],
};

// --- the module ------------------------------------------------------------------------------

/** Function types, by index. */
const TYPES: [params: number[], results: number[]][] = [
  [[I32, I64, I64], []], // 0: host fail(code, a, b)
  [[I64], [I64]], // 1
  [[I64], []], // 2
  [[I64], [I32]], // 3
  [[I64, I32], []], // 4
  [[I64, I64], []], // 5
  [[], [I64]], // 6
  [[I32], [I32]], // 7
];

/** Globals (all mutable i32), by index. */
const G_TOP = 0;
const G_IN_ADDR = 1;
const G_IN_LEN = 2;
const G_OUT_ADDR = 3;
const G_OUT_LEN = 4;
const G_ERR_ADDR = 5;
const GLOBALS: [name: string, init: number][] = [
  ['top', HEAP_START],
  ['in_addr', 0],
  ['in_len', 0],
  ['out_addr', 0],
  ['out_len', 0],
  ['err_addr', 0],
];

/** Function index 0 is the imported `fail`; defined functions follow. */
const F_FAIL = 0;
const F_BLOCK_LEN = 1;
const F_ALLOC = 2;

/** Calls the host's `fail(code, a, b)` (which throws); `unreachable` should it return. */
function fail(code: number, a: Bytes, b: Bytes): Bytes {
  return [...op.i32(code), ...a, ...b, ...op.call(F_FAIL), ...op.unreachable];
}

/** `if (cond) fail(...)`. */
function failIf(cond: Bytes, code: number, a: Bytes, b: Bytes): Bytes {
  return [...cond, ...op.if, ...fail(code, a, b), ...op.end];
}

const topU64: Bytes = [...op.gget(G_TOP), ...op.extendU];

/** Fails unless `size` bytes at address local 0 lie inside the allocated heap. */
function heapCheck(code: number, size: number): Bytes {
  const outside = [...op.get(0), ...op.i64(FIRST_ADDRESS), ...op.i64ltU, ...op.get(0), ...topU64, ...op.i64(size), ...op.i64sub, ...op.i64gtU, ...op.i32or];
  return failIf(outside, code, op.get(0), op.i64(size));
}

/** Fails unless `size` bytes at input offset local 0 lie inside the input. */
function inputCheck(size: number): Bytes {
  const len = [...op.gget(G_IN_LEN), ...op.extendU];
  // offset > len, or len - offset < size (the first guards the subtraction)
  const outside = [...op.get(0), ...len, ...op.i64gtU, ...len, ...op.get(0), ...op.i64sub, ...op.i64(size), ...op.i64ltU, ...op.i32or];
  return failIf(outside, FAIL_INPUT, op.get(0), op.i64(size));
}

const inputAddress: Bytes = [...op.gget(G_IN_ADDR), ...op.get(0), ...op.wrap, ...op.i32add];

interface Func {
  name: string | string[] | null;
  type: number;
  /** Extra locals, as value types. */
  locals: number[];
  body: Bytes;
}

function functions(capBytes: number): Func[] {
  const limitTop = HEAP_START + capBytes;
  return [
    {
      // block_len(addr) -> i64: the block's length, -1 when addr is not a block in the heap.
      name: null,
      type: 1,
      locals: [I64],
      body: [
        ...op.get(0),
        ...op.i64(FIRST_ADDRESS),
        ...op.i64ltU,
        ...op.get(0),
        ...topU64,
        ...op.i64gtU,
        ...op.i32or,
        ...op.get(0),
        ...op.i64(7),
        ...op.i64and,
        ...op.i64(0),
        ...op.i64ne,
        ...op.i32or,
        ...op.if,
        ...op.i64(-1),
        ...op.return,
        ...op.end,
        ...op.get(0),
        ...op.wrap,
        ...op.i32(8),
        ...op.i32sub,
        ...op.i64load,
        ...op.set(1),
        // a header the guest overwrote must not point past the heap
        ...op.get(1),
        ...topU64,
        ...op.get(0),
        ...op.i64sub,
        ...op.i64gtU,
        ...op.if,
        ...op.i64(-1),
        ...op.return,
        ...op.end,
        ...op.get(1),
      ],
    },
    {
      // alloc(n) -> addr: bump allocation, zeroed (as the SDK's fresh blocks are).
      name: 'alloc',
      type: 1,
      locals: [I64, I64], // 1: addr, 2: end
      body: [
        ...failIf([...op.get(0), ...op.i64(capBytes), ...op.i64gtU], FAIL_ALLOC, op.get(0), op.i64(0)),
        ...topU64,
        ...op.i64(8),
        ...op.i64add,
        ...op.set(1),
        ...op.get(1),
        ...op.get(0),
        ...op.i64add,
        ...op.i64(7),
        ...op.i64add,
        ...op.i64(-8),
        ...op.i64and,
        ...op.set(2),
        ...failIf([...op.get(2), ...op.i64(limitTop), ...op.i64gtU], FAIL_ALLOC, op.get(0), op.i64(0)),
        // grow the memory when the block ends past it
        ...op.get(2),
        ...op.memorySize,
        ...op.extendU,
        ...op.i64(16),
        ...op.i64shl,
        ...op.i64gtU,
        ...op.if,
        ...failIf(
          [...op.get(2), ...op.i64(65535), ...op.i64add, ...op.i64(16), ...op.i64shrU, ...op.wrap, ...op.memorySize, ...op.i32sub, ...op.memoryGrow, ...op.i32(-1), ...op.i32eq],
          FAIL_GROW,
          op.get(2),
          op.i64(0),
        ),
        ...op.end,
        ...op.get(1),
        ...op.wrap,
        ...op.i32(8),
        ...op.i32sub,
        ...op.get(0),
        ...op.i64store,
        // zero the padding too: no byte of an earlier call's blocks is readable
        ...op.get(1),
        ...op.wrap,
        ...op.i32(0),
        ...op.get(2),
        ...op.get(1),
        ...op.i64sub,
        ...op.wrap,
        ...op.memoryFill,
        ...op.get(2),
        ...op.wrap,
        ...op.gset(G_TOP),
        ...op.get(1),
      ],
    },
    // free(addr): the heap is reset before every call, as in Extism; nothing to do.
    { name: 'free', type: 2, locals: [], body: [] },
    {
      // length(addr) -> i64: 0 for an address that is not a block (as the SDK answers).
      name: ['length', 'length_unsafe'],
      type: 1,
      locals: [I64],
      body: [...op.get(0), ...op.call(F_BLOCK_LEN), ...op.tee(1), ...op.i64(0), ...op.get(1), ...op.i64(0), ...op.i64geS, ...op.select],
    },
    { name: 'load_u8', type: 3, locals: [], body: [...heapCheck(FAIL_LOAD, 1), ...op.get(0), ...op.wrap, ...op.i32load8u] },
    { name: 'load_u64', type: 1, locals: [], body: [...heapCheck(FAIL_LOAD, 8), ...op.get(0), ...op.wrap, ...op.i64load] },
    { name: 'store_u8', type: 4, locals: [], body: [...heapCheck(FAIL_STORE, 1), ...op.get(0), ...op.wrap, ...op.get(1), ...op.i32store8] },
    { name: 'store_u64', type: 5, locals: [], body: [...heapCheck(FAIL_STORE, 8), ...op.get(0), ...op.wrap, ...op.get(1), ...op.i64store] },
    { name: 'input_offset', type: 6, locals: [], body: [...op.gget(G_IN_ADDR), ...op.extendU] },
    { name: 'input_length', type: 6, locals: [], body: [...op.gget(G_IN_LEN), ...op.extendU] },
    { name: 'input_load_u8', type: 3, locals: [], body: [...inputCheck(1), ...inputAddress, ...op.i32load8u] },
    { name: 'input_load_u64', type: 1, locals: [], body: [...inputCheck(8), ...inputAddress, ...op.i64load] },
    {
      // output_set(addr, len): len must fit the block. (0, 0) means "no output", as a Rust-kernel
      // guest's empty output (alloc(0) = 0 there) must not fail.
      name: 'output_set',
      type: 5,
      locals: [I64],
      body: [
        ...op.get(0),
        ...op.i64eqz,
        ...op.if,
        ...op.get(1),
        ...op.i64eqz,
        ...op.if,
        ...op.i32(0),
        ...op.gset(G_OUT_ADDR),
        ...op.i32(0),
        ...op.gset(G_OUT_LEN),
        ...op.return,
        ...op.end,
        ...op.end,
        ...failIf([...op.get(0), ...op.call(F_BLOCK_LEN), ...op.tee(2), ...op.i64(0), ...op.i64ltS], FAIL_OUTPUT_BLOCK, op.get(0), op.get(1)),
        ...failIf([...op.get(1), ...op.get(2), ...op.i64gtU], FAIL_OUTPUT_LENGTH, op.get(1), op.get(2)),
        ...op.get(0),
        ...op.wrap,
        ...op.gset(G_OUT_ADDR),
        ...op.get(1),
        ...op.wrap,
        ...op.gset(G_OUT_LEN),
      ],
    },
    {
      // error_set(addr): 0 clears the error (as in Extism's kernel).
      name: 'error_set',
      type: 2,
      locals: [],
      body: [
        ...op.get(0),
        ...op.i64eqz,
        ...op.if,
        ...op.i32(0),
        ...op.gset(G_ERR_ADDR),
        ...op.return,
        ...op.end,
        ...failIf([...op.get(0), ...op.call(F_BLOCK_LEN), ...op.i64(0), ...op.i64ltS], FAIL_ERROR_BLOCK, op.get(0), op.i64(0)),
        ...op.get(0),
        ...op.wrap,
        ...op.gset(G_ERR_ADDR),
      ],
    },
    {
      // begin(n) -> input addr: resets the heap and the call's results, allocates the input block.
      name: 'begin',
      type: 7,
      locals: [I32],
      body: [
        ...op.i32(HEAP_START),
        ...op.gset(G_TOP),
        ...op.i32(0),
        ...op.gset(G_OUT_ADDR),
        ...op.i32(0),
        ...op.gset(G_OUT_LEN),
        ...op.i32(0),
        ...op.gset(G_ERR_ADDR),
        ...op.get(0),
        ...op.extendU,
        ...op.call(F_ALLOC),
        ...op.wrap,
        ...op.tee(1),
        ...op.gset(G_IN_ADDR),
        ...op.get(0),
        ...op.gset(G_IN_LEN),
        ...op.get(1),
      ],
    },
  ];
}

function funcBody(f: Func): Bytes {
  const locals = vec(f.locals.map((t) => [1, t]));
  const code = [...locals, ...f.body, ...op.end];
  return [...uleb(code.length), ...code];
}

/**
 * The kernel module's bytes for a heap of at most `capBytes` (clamped to
 * {@link MAX_KERNEL_BYTES}). Imports `host.fail`; exports the kernel functions under their
 * Extism names, plus `begin`, `memory` and the state globals.
 */
export function kernelModuleBytes(capBytes: number): Uint8Array {
  const cap = Math.max(0, Math.min(Math.floor(capBytes), MAX_KERNEL_BYTES));
  const maxPages = Math.ceil((HEAP_START + cap) / 65_536);
  const funcs = functions(cap);
  const exports: Bytes[] = [[...utf8('memory'), 0x02, 0]];
  GLOBALS.forEach(([name], i) => exports.push([...utf8(name), 0x03, ...uleb(i)]));
  funcs.forEach((f, i) => {
    const names = f.name === null ? [] : typeof f.name === 'string' ? [f.name] : f.name;
    for (const name of names) exports.push([...utf8(name), 0x00, ...uleb(i + 1)]);
  });
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(TYPES.map(([p, r]) => [0x60, ...vec(p.map((t) => [t])), ...vec(r.map((t) => [t]))]))),
    ...section(2, vec([[...utf8('host'), ...utf8('fail'), 0x00, ...uleb(0)]])),
    ...section(3, vec(funcs.map((f) => uleb(f.type)))),
    ...section(5, vec([[0x01, ...uleb(1), ...uleb(Math.max(1, maxPages))]])),
    ...section(6, vec(GLOBALS.map(([, init]) => [I32, 0x01, ...op.i32(init), ...op.end]))),
    ...section(7, vec(exports)),
    ...section(10, vec(funcs.map(funcBody))),
  ];
  return Uint8Array.from(bytes);
}

const compiled = new Map<number, WebAssembly.Module>();

/** The compiled kernel module for `capBytes` (compiled once per cap, synchronously: ~2 KB). */
export function kernelModule(capBytes: number): WebAssembly.Module {
  let module = compiled.get(capBytes);
  if (module === undefined) {
    module = new WebAssembly.Module(kernelModuleBytes(capBytes));
    compiled.set(capBytes, module);
  }
  return module;
}
