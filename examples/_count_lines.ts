/**
 * The search of grep.ts, shared by the main thread and its workers.
 */
import type { MMap } from "../mod.ts";

/** The newline byte. */
export const NEWLINE = 10;

/**
 * How many lines in `[start, end)` contain `needle`, as `grep -c` counts.
 * The needle is found by `MMap.find` (libc's `memmem` over the mapped
 * pages); the end of a matching line, a few bytes on, through the map's
 * zero-copy `bytes` view where the runtime can make one that large.
 */
export function countLines(m: MMap, needle: Uint8Array, start: number, end: number): number {
  let bytes: Uint8Array | null = null;
  try {
    bytes = m.bytes;
  } catch { /* larger than one ArrayBuffer (Bun, 4 GiB): find() the newline too */ }
  let count = 0;
  for (let pos = start;;) {
    const at = m.find(needle, pos, end);
    if (at < 0) return count;
    count++;
    const nl = bytes
      ? bytes.indexOf(NEWLINE, at + needle.length)
      : m.find(NEWLINE, at + needle.length, end);
    if (nl < 0 || nl >= end) return count;
    pos = nl + 1; // one count per line, however many matches it holds
  }
}
