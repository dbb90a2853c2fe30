/**
 * Searching a mapping: `find`, `rfind` and `count` over a clamped range.
 * Work is done by libc (`memmem`, `memchr`, `memrchr`) on the mapped memory,
 * so it needs no ArrayBuffer and works for maps of any size.
 *
 * @module
 */
import type { Mapping } from "../ffi/mapping.ts";

/** First offset of `needle` in `[start, end)`, or -1. */
export function findIn(
  mapping: Mapping | null,
  needle: Uint8Array,
  start: number,
  end: number,
): number {
  if (needle.length === 0) return start <= end ? start : -1;
  if (!mapping || end - start < needle.length) return -1;
  if (needle.length === 1) return mapping.indexOfByte(needle[0], start, end);
  return mapping.indexOf(needle, start, end);
}

/** Last offset of `needle` in `[start, end)`, or -1. */
export function rfindIn(
  mapping: Mapping | null,
  needle: Uint8Array,
  start: number,
  end: number,
): number {
  const n = needle.length;
  if (n === 0) return start <= end ? end : -1;
  if (!mapping || end - start < n) return -1;
  const last = needle[n - 1];
  // Scan back for the needle's last byte, then compare the rest.
  let hi = end;
  const probe = new Uint8Array(n);
  while (hi - start >= n) {
    const at = mapping.lastIndexOfByte(last, start + n - 1, hi);
    if (at < 0) return -1;
    const from = at - n + 1;
    if (n === 1) return from;
    mapping.copyOut(from, probe);
    if (equal(probe, needle)) return from;
    hi = at;
  }
  return -1;
}

/** Number of non-overlapping `needle`s in `[start, end)`, like `bytes.count`. */
export function countIn(
  mapping: Mapping | null,
  needle: Uint8Array,
  start: number,
  end: number,
): number {
  if (needle.length === 0) return start <= end ? end - start + 1 : 0;
  let count = 0;
  for (
    let i = findIn(mapping, needle, start, end);
    i >= 0;
    i = findIn(mapping, needle, i + needle.length, end)
  ) {
    count++;
  }
  return count;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
