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
 * pass in V8's optimized code.
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
 * Copies `words` (0 to 8) Int32 words from `src[b]` to `dst[a]` as
 * straight-line code (a loop's every pass costs more than its copy here).
 */
function copyWords(dst: Int32Array, a: number, src: Int32Array, b: number, words: number): void {
  if (words > 0) {
    dst[a] = src[b]!;
    if (words > 1) {
      dst[a + 1] = src[b + 1]!;
      if (words > 2) {
        dst[a + 2] = src[b + 2]!;
        if (words > 3) {
          dst[a + 3] = src[b + 3]!;
          if (words > 4) {
            dst[a + 4] = src[b + 4]!;
            if (words > 5) {
              dst[a + 5] = src[b + 5]!;
              if (words > 6) {
                dst[a + 6] = src[b + 6]!;
                if (words > 7) dst[a + 7] = src[b + 7]!;
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Writes records for the messages `sizes[i]`, `sizes[i + 1]`, ... (packed
 * in `src32` from byte `from`) at ring index `cur`, while each is at most
 * `limit` bytes, a whole number of words, and fits in `room` bytes (no
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
      copyWords(d32, w + 2, src32, from >> 2, n >> 2);
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
 * ..., while each is a plain record of at most `limit` bytes, a whole
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
      copyWords(dst32, filled >> 2, d32, (pos >> 2) + 2, n >> 2);
      lengths[count] = n;
      filled += n;
      cur = (cur + ((n + 15) & ~7)) | 0;
    }
  }
  endIndex = cur;
  endOffset = filled;
  return count;
}
