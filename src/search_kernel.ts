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
import { instantiate, memoryBuffer, memoryGrow, newMemory } from "../ffi/memory_brand.ts";
import {
  bufferByteLength,
  mathCeil,
  mathMin,
  typedArrayByteLength as lengthOf,
  typedArraySet,
  typedArraySubarray,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";
import { MAP_PRIVATE, PROT_READ, PROT_WRITE } from "./constants.ts";
import { type NeedleKernel, SearchHelper } from "./search_helper.ts";

/** search_kernel.wat, assembled with wabt's wat2wasm (base64). */
const SEARCH_KERNEL_WASM =
  "AGFzbQEAAAABKARgA39/fwF/YAd/f39/f39/AX9gCH9/f397e3t7AX9gBX9/f39/AX8CEgEDZW52Bm1lbW9yeQIDBICABAMJCAABAQICAwMABxgDBWNvdW50AAAEZmluZAABBXJmaW5kAAIKyQ4I8wEDAn8DewF/IAL9DyEFIAAgAWohAwJAA0AgAyAAa0HAAEkNASADIABrQQZ2IQQgBEE/SwRAQT8hBAv9DAAAAAAAAAAAAAAAAAAAAAAhBgNAIAYgAP0ABAAgBf0j/XEhBiAGIAD9AAQQIAX9I/1xIQYgBiAA/QAEICAF/SP9cSEGIAYgAP0ABDAgBf0j/XEhBiAAQcAAaiEAIARBAWshBCAEDQALIAcgBv19/X/9rgEhBwwACwsgB/0bACAH/RsBaiAH/RsCIAf9GwNqaiEIAkADQCAAIANPDQEgCCAALQAAIAJGaiEIIABBAWohAAwACwsgCAv6BAMCewV/CHsgASADSQRAQX8PCyACIARqLQAA/Q8hByACIAVqLQAA/Q8hCCABIANrIQsgC0H/AE8EQANAIAAgCWogBGohDCAAIAlqIAVqIQ0CQCAGBEAgDP0ABAAgB/0jIAz9AAQQIAf9I/1QIAz9AAQgIAf9IyAM/QAEMCAH/SP9UP1QIAz9AARAIAf9IyAM/QAEUCAH/SP9UCAM/QAEYCAH/SMgDP0ABHAgB/0j/VD9UP1Q/VNFDQELIAz9AAQAIAf9IyAN/QAEACAI/SP9TiEOIAz9AAQQIAf9IyAN/QAEECAI/SP9TiEPIAz9AAQgIAf9IyAN/QAEICAI/SP9TiEQIAz9AAQwIAf9IyAN/QAEMCAI/SP9TiERIAz9AARAIAf9IyAN/QAEQCAI/SP9TiESIAz9AARQIAf9IyAN/QAEUCAI/SP9TiETIAz9AARgIAf9IyAN/QAEYCAI/SP9TiEUIAz9AARwIAf9IyAN/QAEcCAI/SP9TiEVIA4gD/1QIBAgEf1Q/VAgEiAT/VAgFCAV/VD9UP1Q/VNFDQAgACAJIAIgAyAOIA8gECAREAMhCiAKQX9HBEAgCg8LIAAgCUHAAGogAiADIBIgEyAUIBUQAyEKIApBf0cEQCAKDwsLIAlBgAFqIQkgCSALQf8Aa00NAAsLAkAgC0EPSQ0AA0AgCSALQQ9rSw0BIAAgCWohDCAAIAkgDCAEav0ABAAgB/0jIAwgBWr9AAQAIAj9I/1O/WQgAiADEAUhCiAKQX9HBEAgCg8LIAlBEGohCQwACwsCQANAIAkgC0sNASAAIAlqIAIgAxAHBEAgCQ8LIAlBAWohCQwACwtBfwuiBAQBfwJ7BX8IeyABIANJBEBBfw8LIAIgBGotAAD9DyEIIAIgBWotAAD9DyEJIAEgA2shDCAMQQFqIQcCQANAIAdBgAFJDQEgB0GAAWshCiAAIApqIARqIQ0gACAKaiAFaiEOAkAgBgRAIA39AAQAIAj9IyAN/QAEECAI/SP9UCAN/QAEICAI/SMgDf0ABDAgCP0j/VD9UCAN/QAEQCAI/SMgDf0ABFAgCP0j/VAgDf0ABGAgCP0jIA39AARwIAj9I/1Q/VD9UP1TRQ0BCyAN/QAEACAI/SMgDv0ABAAgCf0j/U4hDyAN/QAEECAI/SMgDv0ABBAgCf0j/U4hECAN/QAEICAI/SMgDv0ABCAgCf0j/U4hESAN/QAEMCAI/SMgDv0ABDAgCf0j/U4hEiAN/QAEQCAI/SMgDv0ABEAgCf0j/U4hEyAN/QAEUCAI/SMgDv0ABFAgCf0j/U4hFCAN/QAEYCAI/SMgDv0ABGAgCf0j/U4hFSAN/QAEcCAI/SMgDv0ABHAgCf0j/U4hFiAPIBD9UCARIBL9UP1QIBMgFP1QIBUgFv1Q/VD9UP1TRQ0AIAAgCkHAAGogAiADIBMgFCAVIBYQBCELIAtBf0cEQCALDwsgACAKIAIgAyAPIBAgESASEAQhCyALQX9HBEAgCw8LCyAKIQcMAAsLAkADQCAHRQ0BIAdBAWshByAAIAdqIAIgAxAHBEAgBw8LDAALC0F/C2wBAX8gACABIAT9ZCACIAMQBSEIIAhBf0cEQCAIDwsgACABQRBqIAX9ZCACIAMQBSEIIAhBf0cEQCAIDwsgACABQSBqIAb9ZCACIAMQBSEIIAhBf0cEQCAIDwsgACABQTBqIAf9ZCACIAMQBQtsAQF/IAAgAUEwaiAH/WQgAiADEAYhCCAIQX9HBEAgCA8LIAAgAUEgaiAG/WQgAiADEAYhCCAIQX9HBEAgCA8LIAAgAUEQaiAF/WQgAiADEAYhCCAIQX9HBEAgCA8LIAAgASAE/WQgAiADEAYLNgEBfwJAA0AgAkUNASABIAJoaiEFIAAgBWogAyAEEAcEQCAFDwsgAiACQQFrcSECDAALC0F/Cz0BAn8CQANAIAJFDQFBHyACZ2shBSABIAVqIQYgACAGaiADIAQQBwRAIAYPCyACQQEgBXRzIQIMAAsLQX8LYwEBfwJAA0AgA0EIaiACSw0BIAAgA2opAwAgASADaikDAFIEQEEADwsgA0EIaiEDDAALCwJAA0AgAyACTw0BIAAgA2otAAAgASADai0AAEcEQEEADwsgA0EBaiEDDAALC0EBCw==";

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
 * while, used from the next call on; calls of 16 MiB switch early. Needle
 * searches take 1 MiB a call: the chunks two threads share, and the most a
 * match found early waits for the other thread's chunk.
 */
const CALL_MAX = 1 << 24;
const NEEDLE_CALL = 1 << 20;
/** Candidates per kernel call of find and rfind (exported for the tests of its edges). */
export const KERNEL_WINDOW: number = NEEDLE_CALL;

/** How the kernel may see a map's pages without copying them. */
export type PagesSource =
  /** A shared map: its own pages, doubled with mremap. */
  | { share: true }
  /** A read-only file map no view was handed out for: the file's pages. */
  | { fd: number; offset: number };

/** The kernel's `find` and `rfind`: (p, n, q, k, o1, o2, pre), see search_kernel.wat. */
type NeedleSearch = NeedleKernel["find"];

interface Kernel {
  count(p: number, n: number, byte: number): number;
  find: NeedleSearch;
  rfind: NeedleSearch;
  memory: WebAssembly.Memory;
  chunk: Uint8Array;
  borrowed: Mapping;
  helper: SearchHelper;
}

let kernel: Kernel | null | undefined;
/** The map whose pages are in the kernel's memory now, and how many bytes. */
let placed: { mapping: Mapping; length: number } | null = null;

/** The kernel's module, decoded at load (`atob` and `Uint8Array.from` as they are then). */
const KERNEL_BYTES: Uint8Array<ArrayBuffer> | null = (() => {
  try {
    return Uint8Array.from(atob(SEARCH_KERNEL_WASM), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
})();

function load(): Kernel | null {
  try {
    const bytes = KERNEL_BYTES!;
    // Shared, so that the helper's instance sees the same pages.
    const memory = newMemory(
      { initial: 4, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor,
    );
    const exports = instantiate(bytes, { env: { memory } }) as unknown as {
      count(p: number, n: number, byte: number): number;
      find: NeedleSearch;
      rfind: NeedleSearch;
    };
    const k = {
      count: exports.count,
      find: exports.find,
      rfind: exports.rfind,
      memory,
      helper: new SearchHelper(bytes, memory),
    } as Kernel;
    refresh(k);
    return k;
  } catch {
    // No WebAssembly SIMD here: the caller falls back to memchr.
    return null;
  }
}

/** Views over the kernel's memory, made again after it grows. */
function refresh(k: Kernel): void {
  // By WebAssembly.Memory's own getter: a patched one must not choose where pages go.
  const buffer = memoryBuffer(k.memory);
  k.chunk = new Uint8ArrayCtor(buffer, 0, CHUNK);
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
  const length = mathCeil(mapping.length / pageSize) * pageSize;
  if (length > PAGES_MAX) return false;
  const pages = mathCeil((PAGES_AT + length) / WASM_PAGE);
  const have = bufferByteLength(memoryBuffer(k.memory)) / WASM_PAGE;
  if (pages > have) {
    try {
      memoryGrow(k.memory, pages - have);
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
        total += k.count(PAGES_AT + at, mathMin(CALL_MAX, end - at), byte) >>> 0;
      }
    } finally {
      passFaults(k, mapping);
    }
    return total;
  }
  if (placed?.mapping === mapping) unplace(k);
  for (let at = start; at < end; at += CHUNK) {
    const n = mathMin(CHUNK, end - at);
    mapping.copyOut(at, n === CHUNK ? k.chunk : typedArraySubarray(k.chunk, 0, n));
    total += k.count(0, n, byte) >>> 0;
  }
  return total;
}

/** The longest needle the kernel looks for (it sits in the chunk's place). */
const NEEDLE_MAX = 4096;

/**
 * First offset of `needle` (2 bytes or more) in `[start, end)` of the
 * mapping (the last with `last`), or -1; `undefined` when the kernel cannot
 * search this map in place (the caller uses libc then). Only maps whose
 * pages may be mapped into the kernel's memory are searched here: copying
 * them in would cost more than `memmem` itself.
 */
export function findInPlace(
  mapping: Mapping,
  needle: Uint8Array,
  start: number,
  end: number,
  source: PagesSource,
  pageSize: number,
  last = false,
): number | undefined {
  const k = ready(mapping, needle, source, pageSize);
  if (!k) return undefined;
  try {
    return searchIn(k, last ? RFIND : FIND, needle, start, end);
  } finally {
    passFaults(k, mapping);
  }
}

/**
 * For the tests: starts the kernel's helper thread and waits up to `ms` for
 * it to be ready; then the number of searches it took part in so far, or -1
 * when there is no helper.
 */
export function searchHelperReady(ms: number): number {
  if (kernel === undefined) kernel = load();
  if (!kernel || !kernel.helper.waitReady(ms)) return -1;
  return kernel.helper.searches;
}

/**
 * For the tests: whether long searches wake the helper (false: they are
 * offered to it, but it sleeps on, as when its core is busy); returns how
 * many searches it had not claimed when the caller was done, or -1 when
 * there is no helper.
 */
export function searchHelperWakes(wakes: boolean): number {
  if (kernel === undefined) kernel = load();
  if (!kernel) return -1;
  kernel.helper.wakes = wakes;
  return kernel.helper.takenBack;
}

const FIND = 0;
const RFIND = 1;
/** From this many bytes, the helper thread searches too (src/search_helper.ts). */
export const HELPED_MIN: number = 1 << 23;

/**
 * The first (FIND) or last (RFIND) needle (at offset 0 of the kernel's
 * memory) in `[start, end)` of the placed map, or -1: CALL_MAX candidates
 * a kernel call, long ranges with the helper thread.
 */
function searchIn(k: Kernel, dir: number, needle: Uint8Array, start: number, end: number): number {
  const n = lengthOf(needle);
  // By index: destructuring runs Array.prototype[Symbol.iterator], which a program can replace.
  const filter = filterOf(needle);
  const o1 = filter[0], o2 = filter[1], pre = filter[2];
  const helped = end - start >= HELPED_MIN;
  const r = k.helper.search(
    k,
    dir,
    PAGES_AT + start,
    end - start,
    0,
    n,
    o1,
    o2,
    pre,
    NEEDLE_CALL,
    helped,
  );
  return r === -1 ? -1 : start + r;
}

/**
 * The kernel with the map's pages in place and `needle` at offset 0 of its
 * memory (the chunk's place), or null when it cannot search this map.
 */
function ready(
  mapping: Mapping,
  needle: Uint8Array,
  source: PagesSource,
  pageSize: number,
): Kernel | null {
  if (kernel === undefined) kernel = load();
  const k = kernel;
  const n = lengthOf(needle);
  if (!k || n < 2 || n > NEEDLE_MAX || !place(k, mapping, source, pageSize)) return null;
  typedArraySet(k.chunk, needle, 0);
  return k;
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

/**
 * The kernel's filter for a needle: the positions of its two rarest bytes,
 * the rarest first, and whether that one is rare enough (not a space, a
 * lowercase letter or a digit) to look for alone before checking pairs:
 * measured on cached bytes, that costs ~30% less where the byte is rare and
 * ~25% more where it is common.
 */
function filterOf(needle: Uint8Array): [number, number, number] {
  const n = lengthOf(needle);
  let a = 0;
  for (let i = 0; i < n; i++) {
    if (commonness(needle[i]!) < commonness(needle[a]!)) a = i;
  }
  let b = a === n - 1 ? 0 : n - 1;
  for (let i = 0; i < n; i++) {
    if (i !== a && commonness(needle[i]!) < commonness(needle[b]!)) b = i;
  }
  return [a, b, isCommonByte(needle[a]!) ? 0 : 1];
}
