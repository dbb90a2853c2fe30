/**
 * The inner loops of the Ring's batch forms for their common case: runs of
 * small records whose lengths are whole 4-byte words, written or read a word
 * at a time through Int32 views, in small functions of their own with every
 * value in a local (V8 and JavaScriptCore keep those in registers; inside
 * the big batch methods, with their `try`/`finally` and slow paths, the same
 * loop took three to four times as long a message). Each stops at the first
 * record it does not handle (a longer or odd length, a padding record, the
 * end of the room or of what is published) and leaves it to the caller's
 * general code, which checks it as before.
 *
 * A record's header is 8 bytes (ring_layout.ts's RECORD_HEADER), written
 * here as a literal: an imported constant is a load and a check on every
 * pass in V8's optimized code. A record's words (0 to 8) are copied by
 * straight-line code written out in each loop: a loop per record cost more
 * than its copy, and the same code as a small function, though V8 inlined
 * it, took 5.0 ns a message to write and 6.4 to read in Deno against 2.8
 * and 4.1 written out (1024 8-byte messages a call, one process; Bun 2.6
 * and 4.4 against 2.3 and 3.5).
 *
 * Every index goes through a typed array, which the engine bounds-checks,
 * so nothing here can touch memory outside the ring or the caller's arrays.
 *
 * @module
 */

/** Where the last run ended: the ring index, and the byte offset in the caller's array. */
export let endIndex = 0;
export let endOffset = 0;

/**
 * Writes records for the messages `sizes[i]`, `sizes[i + 1]`, ... (packed
 * in `src32` from byte `from`) at ring index `cur`, while each is at most
 * `limit` (at most 32) bytes, a whole number of words, and fits in `room` bytes (no
 * more than the free space and the data area's end allow). Returns the
 * index of the first message not written; `endIndex` and `endOffset`
 * hold the new `cur` and `from`.
 */
export function writeRecords(
  d32: Int32Array,
  mask: number,
  cur: number,
  room: number,
  src32: Int32Array,
  from: number,
  sizes: Uint32Array,
  i: number,
  count: number,
  limit: number,
): number {
  if ((from & 3) === 0) {
    for (; i < count; i++) {
      const n = sizes[i]!;
      const rec = (n + 15) & ~7;
      if (rec > room || n > limit || (n & 3) !== 0) break;
      const w = (cur & mask) >> 2;
      d32[w] = n;
      d32[w + 1] = 0;
      const a = w + 2, b = from >> 2, words = n >> 2;
      if (words > 0) {
        d32[a] = src32[b]!;
        if (words > 1) {
          d32[a + 1] = src32[b + 1]!;
          if (words > 2) {
            d32[a + 2] = src32[b + 2]!;
            if (words > 3) {
              d32[a + 3] = src32[b + 3]!;
              if (words > 4) {
                d32[a + 4] = src32[b + 4]!;
                if (words > 5) {
                  d32[a + 5] = src32[b + 5]!;
                  if (words > 6) {
                    d32[a + 6] = src32[b + 6]!;
                    if (words > 7) {
                      d32[a + 7] = src32[b + 7]!;
                    }
                  }
                }
              }
            }
          }
        }
      }
      cur = (cur + rec) | 0;
      from += n;
      room -= rec;
    }
  }
  endIndex = cur;
  endOffset = from;
  return i;
}

/**
 * Reads the records at ring index `cur` (up to `head`, what is published)
 * into `dst32` from byte `filled` and their lengths into `lengths[count]`,
 * ..., while each is a plain record of at most `limit` (at most 32) bytes, a whole
 * number of words, inside what is published and the data area (`cap`
 * bytes), and fits in the `room` bytes of the target; at most `most`
 * records in all. Returns the new count; `endIndex` and `endOffset` hold the new
 * `cur` and `filled`.
 */
export function readRecords(
  d32: Int32Array,
  mask: number,
  cap: number,
  cur: number,
  head: number,
  limit: number,
  dst32: Int32Array,
  filled: number,
  room: number,
  lengths: Uint32Array,
  count: number,
  most: number,
): number {
  if ((filled & 3) === 0) {
    for (; count < most; count++) {
      const avail = (head - cur) >>> 0;
      const pos = cur & mask;
      const n = avail === 0 ? -1 : d32[pos >> 2]!;
      // A padding record (-1), a negative or long length, a record past head
      // or past the end, or one the target has no room for: the caller's.
      if (
        n < 0 || n > limit || (n & 3) !== 0 || 8 + n > avail ||
        pos + 8 + n > cap || filled + n > room
      ) break;
      const a = filled >> 2, b = (pos >> 2) + 2, words = n >> 2;
      if (words > 0) {
        dst32[a] = d32[b]!;
        if (words > 1) {
          dst32[a + 1] = d32[b + 1]!;
          if (words > 2) {
            dst32[a + 2] = d32[b + 2]!;
            if (words > 3) {
              dst32[a + 3] = d32[b + 3]!;
              if (words > 4) {
                dst32[a + 4] = d32[b + 4]!;
                if (words > 5) {
                  dst32[a + 5] = d32[b + 5]!;
                  if (words > 6) {
                    dst32[a + 6] = d32[b + 6]!;
                    if (words > 7) {
                      dst32[a + 7] = d32[b + 7]!;
                    }
                  }
                }
              }
            }
          }
        }
      }
      lengths[count] = n;
      filled += n;
      cur = (cur + ((n + 15) & ~7)) | 0;
    }
  }
  endIndex = cur;
  endOffset = filled;
  return count;
}
