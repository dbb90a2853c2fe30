/**
 * Counting one byte value over a mapping at memory speed, with a WebAssembly
 * SIMD kernel (source: count_kernel.wat beside this file; 16 bytes a step).
 *
 * A `memchr` call per occurrence costs ~15-30 ns through FFI, so lines of
 * ~100 bytes hold such a loop near 3 GB/s. The kernel needs the bytes in its
 * own WebAssembly memory, which is private to this module. Two ways in:
 *
 * - the map's pages are mapped a second time into the kernel's memory
 *   (`MAP_FIXED`), once, and kept there until the map is unmapped or moved:
 *   counting then runs at ~25-30 GB/s here, twice C's `memchr` loop. Only
 *   where that second mapping is the same memory: shared maps (doubled with
 *   `mremap`), and read-only file maps (private underneath) whose pages no
 *   view was ever handed out for, so no store can have made them differ
 *   from the file;
 * - otherwise 256 KiB chunks are copied in with libc's `memcpy` and counted
 *   (~9-13 GB/s here).
 *
 * bench/README.md has the measurements.
 *
 * @module
 */
import { Mapping } from "../ffi/mapping.ts";
import { MAP_PRIVATE, PROT_READ, PROT_WRITE } from "./constants.ts";

/** count_kernel.wat, assembled with wabt's wat2wasm (base64). */
const COUNT_KERNEL_WASM =
  "AGFzbQEAAAABCAFgA39/fwF/AwIBAAUGAQEEgIAEBxICBm1lbW9yeQIABWNvdW50AAAK9gEB8wEDAn8DewF/IAL9DyEFIAAgAWohAwJAA0AgAyAAa0HAAEkNASADIABrQQZ2IQQgBEE/SwRAQT8hBAv9DAAAAAAAAAAAAAAAAAAAAAAhBgNAIAYgAP0ABAAgBf0j/XEhBiAGIAD9AAQQIAX9I/1xIQYgBiAA/QAEICAF/SP9cSEGIAYgAP0ABDAgBf0j/XEhBiAAQcAAaiEAIARBAWshBCAEDQALIAcgBv19/X/9rgEhBwwACwsgB/0bACAH/RsBaiAH/RsCIAf9GwNqaiEIAkADQCAAIANPDQEgCCAALQAAIAJGaiEIIABBAWohAAwACwsgCAs=";

const WASM_PAGE = 1 << 16;
/** Bytes copied into the kernel's memory per call: fits the L2 cache. */
const CHUNK = 1 << 18;
/** Where a map's pages go in the kernel's memory: after the chunk. */
const PAGES_AT = CHUNK;
/** The largest map given a second mapping; larger ones are copied. */
const PAGES_MAX = 2 ** 31;
/**
 * Bytes per kernel call over mapped pages. Engines compile WebAssembly
 * twice: a quick baseline first (~6 GB/s here), the optimized code after a
 * while, used from the next call on; calls of 16 MiB switch early.
 */
const CALL_MAX = 1 << 24;

/** How the kernel may see a map's pages without copying them. */
export type PagesSource =
  /** A shared map: its own pages, doubled with mremap. */
  | { share: true }
  /** A read-only file map no view was handed out for: the file's pages. */
  | { fd: number; offset: number };

interface Kernel {
  count(p: number, n: number, byte: number): number;
  memory: WebAssembly.Memory;
  chunk: Uint8Array;
  borrowed: Mapping;
}

let kernel: Kernel | null | undefined;
/** The map whose pages are in the kernel's memory now, and how many bytes. */
let placed: { mapping: Mapping; length: number } | null = null;

function load(): Kernel | null {
  try {
    const bytes = Uint8Array.from(atob(COUNT_KERNEL_WASM), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const exports = instance.exports as {
      count(p: number, n: number, byte: number): number;
      memory: WebAssembly.Memory;
    };
    const k = { count: exports.count, memory: exports.memory } as Kernel;
    refresh(k);
    return k;
  } catch {
    // No WebAssembly SIMD here: the caller falls back to memchr.
    return null;
  }
}

/** Views over the kernel's memory, made again after it grows. */
function refresh(k: Kernel): void {
  const buffer = k.memory.buffer as ArrayBuffer;
  k.chunk = new Uint8Array(buffer, 0, CHUNK);
  k.borrowed = Mapping.borrow(buffer);
}

/** Gives the kernel's memory its zero pages back. */
function unplace(k: Kernel): void {
  if (!placed) return;
  const { mapping, length } = placed;
  placed = null;
  mapping.onRelease(null);
  k.borrowed.mapFixed(PAGES_AT, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, -1, 0);
}

/** Puts the map's pages at PAGES_AT in the kernel's memory; false if it cannot. */
function place(k: Kernel, mapping: Mapping, source: PagesSource, pageSize: number): boolean {
  if (placed?.mapping === mapping) return true;
  unplace(k);
  const length = Math.ceil(mapping.length / pageSize) * pageSize;
  if (length > PAGES_MAX) return false;
  const pages = Math.ceil((PAGES_AT + length) / WASM_PAGE);
  const have = k.memory.buffer.byteLength / WASM_PAGE;
  if (pages > have) {
    try {
      k.memory.grow(pages - have);
    } catch {
      return false; // no room: copy instead
    }
    refresh(k);
  }
  let ok = false;
  try {
    if ("share" in source) ok = mapping.shareInto(k.borrowed, PAGES_AT, length);
    else {
      k.borrowed.mapFixed(
        PAGES_AT,
        length,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE,
        source.fd,
        source.offset,
      );
      ok = true;
    }
  } catch {
    ok = false;
  }
  placed = { mapping, length };
  if (!ok) {
    // A failed MAP_FIXED or mremap may have unmapped the place already.
    unplace(k);
    return false;
  }
  mapping.onRelease(() => unplace(k));
  return true;
}

/**
 * How many bytes equal `byte` in `[start, end)` of the mapping, or -1 when
 * the engine cannot run the kernel. `source` says whether the map's pages may
 * be mapped into the kernel's memory (else they are copied); `pageSize` is
 * the system's.
 */
export function countByte(
  mapping: Mapping,
  byte: number,
  start: number,
  end: number,
  source: PagesSource | null,
  pageSize: number,
): number {
  if (kernel === undefined) kernel = load();
  const k = kernel;
  if (!k) return -1;
  let total = 0;
  if (source && place(k, mapping, source, pageSize)) {
    for (let at = start; at < end; at += CALL_MAX) {
      total += k.count(PAGES_AT + at, Math.min(CALL_MAX, end - at), byte) >>> 0;
    }
    return total;
  }
  if (placed?.mapping === mapping) unplace(k);
  for (let at = start; at < end; at += CHUNK) {
    const n = Math.min(CHUNK, end - at);
    mapping.copyOut(at, n === CHUNK ? k.chunk : k.chunk.subarray(0, n));
    total += k.count(0, n, byte) >>> 0;
  }
  return total;
}
