/**
 * Searching a mapping: `find`, `rfind` and `count` over a clamped range.
 * Work is done on the mapped memory by libc (`memmem`, `memchr`, `memrchr`),
 * by the engine where its search is faster (Bun), and by a WebAssembly SIMD
 * kernel for counting bytes; no ArrayBuffer of the whole map is needed, so
 * maps of any size work. bench/README.md has the measurements behind each
 * choice.
 *
 * @module
 */
import type { Mapping } from "../ffi/mapping.ts";
import { typedArrayByteLength as lengthOf } from "../ffi/primordials.ts";
import {
  countByte,
  findInPlace,
  HELPED_MIN,
  isCommonByte,
  type PagesSource,
} from "./search_kernel.ts";
import { FIND_IN_KERNEL, RFIND_IN_KERNEL } from "./fastpaths.ts";
import { PAGESIZE } from "./constants.ts";

export type { PagesSource } from "./search_kernel.ts";

/** Below this many bytes `memmem` beats setting up the kernel's search. */
const KERNEL_FIND_MIN = 1 << 20;

/**
 * First offset of `needle` in `[start, end)`, or -1. `pages` as for
 * `countIn`: where the map's pages may be mapped into the search kernel's
 * memory, long ranges are searched there (see src/search_kernel.ts).
 */
export function findIn(
  mapping: Mapping | null,
  needle: Uint8Array,
  start: number,
  end: number,
  pages: PagesSource | null = null,
): number {
  const n = lengthOf(needle);
  if (n === 0) return start <= end ? start : -1;
  if (!mapping || end - start < n) return -1;
  if (n === 1) return mapping.indexOfByte(needle[0]!, start, end);
  if (
    pages && end - start >= KERNEL_FIND_MIN &&
    (FIND_IN_KERNEL === "always" || isCommonByte(needle[0]!) || end - start >= HELPED_MIN)
  ) {
    const found = findInPlace(mapping, needle, start, end, pages, PAGESIZE);
    if (found !== undefined) return found;
  }
  return mapping.indexOf(needle, start, end);
}

/** Last offset of `needle` in `[start, end)`, or -1; `pages` as for `findIn`. */
export function rfindIn(
  mapping: Mapping | null,
  needle: Uint8Array,
  start: number,
  end: number,
  pages: PagesSource | null = null,
): number {
  const n = lengthOf(needle);
  if (n === 0) return start <= end ? end : -1;
  if (!mapping || end - start < n) return -1;
  if (n === 1) return mapping.lastIndexOfByte(needle[0]!, start, end);
  if (
    pages && end - start >= (RFIND_IN_KERNEL === "always" ? KERNEL_FIND_MIN : HELPED_MIN)
  ) {
    const found = findInPlace(mapping, needle, start, end, pages, PAGESIZE, true);
    if (found !== undefined) return found;
  }
  return mapping.lastIndexOf(needle, start, end);
}

/** Below this many bytes, `memchr` per occurrence beats copying into the kernel. */
const KERNEL_MIN = 1 << 12;

/**
 * Number of non-overlapping `needle`s in `[start, end)`, like `bytes.count`.
 * `pages` says how the byte-counting kernel may see the map's pages
 * (src/search_kernel.ts); null makes it copy them.
 */
export function countIn(
  mapping: Mapping | null,
  needle: Uint8Array,
  start: number,
  end: number,
  pages: PagesSource | null = null,
): number {
  const n = lengthOf(needle);
  if (n === 0) return start <= end ? end - start + 1 : 0;
  if (mapping && n === 1 && end - start >= KERNEL_MIN) {
    const counted = countByte(mapping, needle[0]!, start, end, pages, PAGESIZE);
    if (counted >= 0) return counted;
  }
  let count = 0;
  for (
    let i = findIn(mapping, needle, start, end);
    i >= 0;
    i = findIn(mapping, needle, i + n, end)
  ) {
    count++;
  }
  return count;
}
