/**
 * Counting one byte value, and finding a needle, over a mapping at memory
 * speed, with a WebAssembly SIMD kernel (source: search_kernel.wat beside
 * this file; 16 bytes a step).
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
import {
  typedArrayByteLength as lengthOf,
  typedArraySet,
  typedArraySubarray,
} from "../ffi/primordials.ts";
import { MAP_PRIVATE, PROT_READ, PROT_WRITE } from "./constants.ts";

/** search_kernel.wat, assembled with wabt's wat2wasm (base64). */
const SEARCH_KERNEL_WASM =
  "AGFzbQEAAAABJARgA39/fwF/YAZ/f39/f38Bf2AFf39/e3sBe2AFf39/f38BfwMGBQABAgMABQYBAQSAgAQHGQMGbWVtb3J5AgAFY291bnQAAARmaW5kAAEKzgYF8wEDAn8DewF/IAL9DyEFIAAgAWohAwJAA0AgAyAAa0HAAEkNASADIABrQQZ2IQQgBEE/SwRAQT8hBAv9DAAAAAAAAAAAAAAAAAAAAAAhBgNAIAYgAP0ABAAgBf0j/XEhBiAGIAD9AAQQIAX9I/1xIQYgBiAA/QAEICAF/SP9cSEGIAYgAP0ABDAgBf0j/XEhBiAAQcAAaiEAIARBAWshBCAEDQALIAcgBv19/X/9rgEhBwwACwsgB/0bACAH/RsBaiAH/RsCIAf9GwNqaiEIAkADQCAAIANPDQEgCCAALQAAIAJGaiEIIABBAWohAAwACwsgCAucAwMCewN/BHsgASADSQRAQX8PCyACIARqLQAA/Q8hBiACIAVqLQAA/Q8hBwJAA0AgASADa0E/SQ0BIAggASADa0E/a0sNASAAIAhqIQkgCSAEIAUgBiAHEAIhCyAJQRBqIAQgBSAGIAcQAiEMIAlBIGogBCAFIAYgBxACIQ0gCUEwaiAEIAUgBiAHEAIhDiALIAz9UCANIA79UP1Q/VMEQCAAIAggC/1kIAIgAxADIQogCkF/RwRAIAoPCyAAIAhBEGogDP1kIAIgAxADIQogCkF/RwRAIAoPCyAAIAhBIGogDf1kIAIgAxADIQogCkF/RwRAIAoPCyAAIAhBMGogDv1kIAIgAxADIQogCkF/RwRAIAoPCwsgCEHAAGohCAwACwsCQANAIAEgA2tBD0kNASAIIAEgA2tBD2tLDQEgACAIIAAgCGogBCAFIAYgBxAC/WQgAiADEAMhCiAKQX9HBEAgCg8LIAhBEGohCAwACwsCQANAIAggASADa0sNASAAIAhqIAIgAxAEBEAgCA8LIAhBAWohCAwACwtBfwseACAAIAFq/QAEACAD/SMgACACav0ABAAgBP0j/U4LNgEBfwJAA0AgAkUNASABIAJoaiEFIAAgBWogAyAEEAQEQCAFDwsgAiACQQFrcSECDAALC0F/C2MBAX8CQANAIANBCGogAksNASAAIANqKQMAIAEgA2opAwBSBEBBAA8LIANBCGohAwwACwsCQANAIAMgAk8NASAAIANqLQAAIAEgA2otAABHBEBBAA8LIANBAWohAwwACwtBAQs=";

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
  find(p: number, n: number, q: number, k: number, o1: number, o2: number): number;
  memory: WebAssembly.Memory;
  chunk: Uint8Array;
  borrowed: Mapping;
}

let kernel: Kernel | null | undefined;
/** The map whose pages are in the kernel's memory now, and how many bytes. */
let placed: { mapping: Mapping; length: number } | null = null;

function load(): Kernel | null {
  try {
    const bytes = Uint8Array.from(atob(SEARCH_KERNEL_WASM), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const exports = instance.exports as {
      count(p: number, n: number, byte: number): number;
      find(p: number, n: number, q: number, k: number, o1: number, o2: number): number;
      memory: WebAssembly.Memory;
    };
    const k = { count: exports.count, find: exports.find, memory: exports.memory } as Kernel;
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
    try {
      for (let at = start; at < end; at += CALL_MAX) {
        total += k.count(PAGES_AT + at, Math.min(CALL_MAX, end - at), byte) >>> 0;
      }
    } finally {
      passFaults(k, mapping);
    }
    return total;
  }
  if (placed?.mapping === mapping) unplace(k);
  for (let at = start; at < end; at += CHUNK) {
    const n = Math.min(CHUNK, end - at);
    mapping.copyOut(at, n === CHUNK ? k.chunk : typedArraySubarray(k.chunk, 0, n));
    total += k.count(0, n, byte) >>> 0;
  }
  return total;
}

/** The longest needle the kernel looks for (it sits in the chunk's place). */
const NEEDLE_MAX = 4096;

/**
 * First offset of `needle` (2 bytes or more) in `[start, end)` of the
 * mapping, or -1; `undefined` when the kernel cannot search this map in place
 * (the caller uses libc then). Only maps whose pages may be mapped into the
 * kernel's memory are searched here: copying them in would cost more than
 * `memmem` itself.
 */
export function findInPlace(
  mapping: Mapping,
  needle: Uint8Array,
  start: number,
  end: number,
  source: PagesSource,
  pageSize: number,
): number | undefined {
  if (kernel === undefined) kernel = load();
  const k = kernel;
  const n = lengthOf(needle);
  if (!k || n < 2 || n > NEEDLE_MAX || !place(k, mapping, source, pageSize)) return undefined;
  typedArraySet(k.chunk, needle, 0);
  const [o1, o2] = rarePair(needle);
  try {
    // Windows of CALL_MAX candidate positions, each with the n - 1 bytes after it.
    for (let at = start; end - at >= n; at += CALL_MAX) {
      const stop = Math.min(end, at + CALL_MAX + n - 1);
      const found = k.find(PAGES_AT + at, stop - at, 0, n, o1, o2);
      if (found !== -1) return at + (found >>> 0);
    }
  } finally {
    passFaults(k, mapping);
  }
  return -1;
}

/**
 * A fault in the kernel's copy of a map's pages (the file shrank under it)
 * is the map's fault: the fault guard put a zero page in the kernel's
 * memory, and the map must learn of it.
 */
function passFaults(k: Kernel, mapping: Mapping): void {
  if (placed?.mapping === mapping && k.borrowed.faulted(PAGES_AT, placed.length)) {
    mapping.noteFault();
  }
}

/**
 * How common a byte is in text, roughly (space, lowercase letters and digits
 * most; then uppercase and punctuation; anything else least). Candidates are
 * filtered on the needle's two rarest bytes, as the memchr crate does, so a
 * needle that starts and ends with a space does not stop at every space.
 */
function commonness(b: number): number {
  if (b === 32) return 6;
  if (b === 101 || b === 116 || b === 97 || b === 111 || b === 105 || b === 110) return 5;
  if ((b >= 97 && b <= 122) || (b >= 48 && b <= 57)) return 4;
  if (b === 10 || b === 46 || b === 44 || b === 47 || b === 45 || b === 58 || b === 61) return 3;
  if ((b >= 65 && b <= 90) || (b >= 33 && b <= 126)) return 2;
  return 1;
}

/** Whether a byte is common in text: space, lowercase letters, digits. */
export function isCommonByte(b: number): boolean {
  return commonness(b) >= 4;
}

/** Two positions of the needle's rarest bytes, in order. */
function rarePair(needle: Uint8Array): [number, number] {
  let a = 0, b = lengthOf(needle) - 1;
  for (let i = 0; i < lengthOf(needle); i++) {
    if (commonness(needle[i]!) < commonness(needle[a]!)) a = i;
  }
  b = a === lengthOf(needle) - 1 ? 0 : lengthOf(needle) - 1;
  for (let i = 0; i < lengthOf(needle); i++) {
    if (i !== a && commonness(needle[i]!) < commonness(needle[b]!)) b = i;
  }
  return a < b ? [a, b] : [b, a];
}
