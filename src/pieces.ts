/**
 * One logical byte range made of several mappings laid end to end: reads,
 * writes and searches by logical offset, including matches that start in
 * one mapping and end in another (or in several later ones).
 *
 * Each piece is an address range of its own; inside a piece the work is
 * done by the shared primitives (`findIn`, `rfindIn`, `countIn`, the
 * mapping's copies), so a single piece costs what one `MMap` costs.
 *
 * @module
 */
import type { Mapping } from "../ffi/mapping.ts";
import {
  appendOwn,
  byteArray,
  detachBuffer,
  Int32ArrayCtor,
  mathMax,
  mathMin,
  typedArrayBuffer,
  typedArrayByteLength as lengthOf,
  typedArraySet,
  typedArraySubarray as subarray,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";
import { MADV_REMOVE, PAGESIZE } from "./constants.ts";
import { removeRangeError } from "../ffi/errors.ts";
import { pageFloor } from "./pages.ts";
import { countIn, findIn, rfindIn } from "./search.ts";
import { someFileMappedTwice, unaliased } from "./aliasing.ts";

/** One mapping holding the logical bytes `[start, end)`, from its own offset 0. */
export interface Piece {
  readonly start: number;
  readonly end: number;
  readonly mapping: Mapping;
  /**
   * Where `end` is inside a page: null while it is still the end of the
   * file that ends the piece, else why not (the file grew, or its path names
   * another file now). Without it, such an end is never taken for a file's.
   */
  readonly endCheck?: () => string | null;
}

// Moves between pieces go through a buffer of at most this many bytes.
const MOVE_CHUNK = 1 << 20;

/** Adjacent pieces covering `[0, length)`. */
export class Pieces {
  #pieces: readonly Piece[];
  // Untracked buffers over each piece, for cheap small copies; they never
  // leave this object and are detached before the memory goes away.
  #buffers: (Uint8Array | null)[];
  #length: number;
  #page: number;

  /**
   * @param pieces adjacent pieces, in order, the first starting at 0
   * @param maxBufferLength pieces longer than this get no internal buffer
   * @param page the page size that msync and madvise ranges start on
   */
  constructor(pieces: readonly Piece[], maxBufferLength: number, page: number = PAGESIZE) {
    this.#pieces = pieces;
    this.#page = page;
    this.#length = pieces.length ? pieces[pieces.length - 1]!.end : 0;
    // By index into own properties: a replaced Array.prototype.map (or an
    // index setter) kept the real buffers from release(), which then
    // unmapped memory they still covered.
    const buffers: (Uint8Array | null)[] = [];
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!, n = p.end - p.start;
      appendOwn(buffers, n <= maxBufferLength ? new Uint8ArrayCtor(p.mapping.buffer(0, n)) : null);
    }
    this.#buffers = buffers;
  }

  /** Total bytes. */
  get length(): number {
    return this.#length;
  }

  /** The piece holding logical offset `offset` (0 <= offset < length). */
  pieceAt(offset: number): Piece {
    return this.#pieces[this.#locate(offset)]!;
  }

  /**
   * Detaches the internal buffers and unmaps every piece, or, when a buffer
   * over them may still be reachable (`reachable`, or an internal buffer
   * that is no longer ours to detach), retires them (`Mapping.retire`).
   */
  release(reachable = false): void {
    const buffers = this.#buffers;
    this.#buffers = [];
    for (let i = 0; i < buffers.length; i++) {
      const b = buffers[i], p = this.#pieces[i]!;
      // An empty piece's buffer is over no memory.
      if (b && p.end > p.start && detachBuffer(typedArrayBuffer(b) as ArrayBuffer) !== "detached") {
        reachable = true;
      }
    }
    let first: unknown;
    for (let i = 0; i < this.#pieces.length; i++) {
      const p = this.#pieces[i]!;
      try {
        if (reachable) p.mapping.retire();
        else p.mapping.unmap();
      } catch (e) {
        first ??= e;
      }
    }
    this.#pieces = [];
    if (first) throw first;
  }

  // --- copies ----------------------------------------------------------------

  /** The byte at `offset`. */
  get(offset: number): number {
    const k = this.#locate(offset);
    const local = offset - this.#pieces[k]!.start;
    const buffer = this.#buffers[k];
    if (buffer) return buffer[local]!;
    const one = new Uint8ArrayCtor(1);
    this.#pieces[k]!.mapping.copyOut(local, one);
    return one[0]!;
  }

  /** Stores `value` at `offset`. */
  set(offset: number, value: number): void {
    const k = this.#locate(offset);
    const local = offset - this.#pieces[k]!.start;
    const buffer = this.#buffers[k];
    if (buffer) buffer[local] = value;
    else this.#pieces[k]!.mapping.copyIn(local, byteArray(value));
  }

  /** Copies `dst.length` bytes from `offset` into `dst`. */
  copyOut(offset: number, dst: Uint8Array): void {
    this.#each(offset, lengthOf(dst), (k, local, done, n) => {
      const part = subarray(dst, done, done + n);
      const buffer = this.#buffers[k];
      if (buffer) typedArraySet(part, subarray(buffer, local, local + n));
      else this.#pieces[k]!.mapping.copyOut(local, part);
    });
  }

  /**
   * Copies `src` to `offset`, as if `src` were read whole first. Inside one
   * piece that is one memmove, right for a source over the same piece; a
   * copy that runs into the next piece is a memmove per piece, and the first
   * may overwrite bytes of the source the next has yet to read. So then, and
   * whenever some file is mapped twice in this process (the source may be
   * these pages at another address, src/aliasing.ts), a source over a map's
   * memory is copied first.
   */
  copyIn(offset: number, src: Uint8Array): void {
    const count = lengthOf(src);
    if (count === 0) return;
    if (someFileMappedTwice() || offset + count > this.pieceAt(offset).end) src = unaliased(src);
    this.#each(offset, count, (k, local, done, n) => {
      const part = subarray(src, done, done + n);
      const buffer = this.#buffers[k];
      if (buffer) typedArraySet(buffer, part, local);
      else this.#pieces[k]!.mapping.copyIn(local, part);
    });
  }

  /** A copy of `[offset, offset + count)`. */
  copy(offset: number, count: number): Uint8Array {
    const out = new Uint8ArrayCtor(count);
    this.copyOut(offset, out);
    return out;
  }

  /** `memmove` semantics over logical offsets: overlapping ranges are fine. */
  move(dest: number, src: number, count: number): void {
    if (count === 0) return;
    const k = this.#locate(src);
    const p = this.#pieces[k]!;
    if (src + count <= p.end && dest >= p.start && dest + count <= p.end) {
      p.mapping.move(dest - p.start, src - p.start, count);
      return;
    }
    const chunk = new Uint8ArrayCtor(mathMin(count, MOVE_CHUNK));
    // Copy in the direction that never overwrites bytes not yet read.
    const forward = dest <= src;
    for (let done = 0; done < count;) {
      const n = mathMin(lengthOf(chunk), count - done);
      const at = forward ? done : count - done - n;
      const part = subarray(chunk, 0, n);
      this.copyOut(src + at, part);
      this.copyIn(dest + at, part);
      done += n;
    }
  }

  // --- searching -------------------------------------------------------------

  /** First offset of `needle` in `[start, end)`, or -1. */
  find(needle: Uint8Array, start: number, end: number): number {
    const n = lengthOf(needle);
    if (n === 0 || end - start < n) return findIn(null, needle, start, end);
    for (let k = this.#locate(start); k < this.#pieces.length; k++) {
      const p = this.#pieces[k]!;
      if (p.start >= end) break;
      const lo = mathMax(start, p.start);
      const hi = mathMin(end, p.end);
      const at = findIn(p.mapping, needle, lo - p.start, hi - p.start);
      if (at >= 0) return p.start + at;
      const across = this.#across(p, needle, lo, end);
      if (across) {
        const j = indexOfBytes(across.window, needle, false);
        if (j >= 0) return across.from + j;
      }
    }
    return -1;
  }

  /** Last offset of `needle` in `[start, end)`, or -1. */
  rfind(needle: Uint8Array, start: number, end: number): number {
    const n = lengthOf(needle);
    if (n === 0 || end - start < n) return rfindIn(null, needle, start, end);
    for (let k = this.#locate(end - 1); k >= 0; k--) {
      const p = this.#pieces[k]!;
      if (p.end <= start) break;
      const lo = mathMax(start, p.start);
      const hi = mathMin(end, p.end);
      // Matches that run into later pieces start after any match inside this one.
      const across = this.#across(p, needle, lo, end);
      if (across) {
        const j = indexOfBytes(across.window, needle, true);
        if (j >= 0) return across.from + j;
      }
      const at = rfindIn(p.mapping, needle, lo - p.start, hi - p.start);
      if (at >= 0) return p.start + at;
    }
    return -1;
  }

  /** Number of non-overlapping `needle`s in `[start, end)`, like `bytes.count`. */
  count(needle: Uint8Array, start: number, end: number): number {
    if (this.#pieces.length === 1 || lengthOf(needle) === 0 || end - start < lengthOf(needle)) {
      return countIn(this.#pieces[0]?.mapping ?? null, needle, start, end);
    }
    let count = 0;
    for (
      let i = this.find(needle, start, end);
      i >= 0;
      i = this.find(needle, i + lengthOf(needle), end)
    ) {
      count++;
    }
    return count;
  }

  // --- system calls ----------------------------------------------------------

  /** `msync(2)` over every piece `[start, start + count)` touches, from page boundaries. */
  sync(start: number, count: number, flags: number): void {
    this.#pages(start, count, (m, from, n) => m.sync(from, n, flags));
  }

  /**
   * `madvise(2)` over every piece `[start, start + count)` touches, from page
   * boundaries. An empty range still reaches the kernel (with length 0, in
   * the piece holding `start`), so that it judges the advice as it does for
   * one map.
   *
   * `MADV_REMOVE` frees whole pages of the files, so it is never widened:
   * in each piece, the range must start on a page boundary and end on one
   * or at the end of the piece's last file (see `Piece.endCheck`). Every
   * piece's part is checked before any is advised; a range that breaks the
   * rule anywhere is `EINVAL`, and no piece is touched.
   */
  advise(start: number, count: number, advice: number): void {
    const remove = advice === MADV_REMOVE && MADV_REMOVE !== -1;
    if (remove) this.#checkRemove(start, count);
    if (count === 0) return this.#pages(start, 1, (m, from) => m.advise(from, 0, advice));
    this.#pages(start, count, (m, from, n, ends) => m.advise(from, n, advice, remove && ends));
  }

  /** Throws MADV_REMOVE's `EINVAL` (see `advise`) unless every piece's part of the range may go. */
  #checkRemove(start: number, count: number): void {
    const page = this.#page, end = start + count;
    if (count === 0) {
      const p = this.#pieces[this.#locate(start)]!;
      if ((start - p.start) % page !== 0) throw removeRangeError(start, end, page, true);
      return;
    }
    this.#each(start, count, (k, local, _done, n) => {
      const p = this.#pieces[k]!;
      // Only the first part can start past a boundary: the others start their piece.
      if (local % page !== 0) throw removeRangeError(start, end, page, true);
      const to = local + n;
      if (to % page === 0) return;
      // Inside a page: only the end of the piece is a file's end (every file
      // before the last of a piece is whole pages long).
      if (to !== p.end - p.start) throw removeRangeError(start, end, page, false);
      const why = p.endCheck ? p.endCheck() : "where its file ends cannot be checked";
      if (why !== null) throw removeRangeError(start, end, page, false, why);
    });
  }

  // --- internals ---------------------------------------------------------------

  /** Index of the piece holding `offset`; the last piece for `offset >= length`. */
  #locate(offset: number): number {
    return lastStartingBy(this.#pieces, offset);
  }

  /** Calls `fn` for each piece part of `[offset, offset + count)`. */
  #each(
    offset: number,
    count: number,
    fn: (k: number, local: number, done: number, n: number) => void,
  ): void {
    for (let k = this.#locate(offset), done = 0; done < count; k++) {
      const p = this.#pieces[k]!;
      const local = offset + done - p.start;
      const n = mathMin(count - done, p.end - p.start - local);
      fn(k, local, done, n);
      done += n;
    }
  }

  /**
   * The bytes where a match starting in `p` (at or after `lo`) but ending
   * beyond it would lie: the last `n - 1` bytes of `p` and the first `n - 1`
   * after it, cut at `end`. Null when no such match fits.
   */
  #across(
    p: Piece,
    needle: Uint8Array,
    lo: number,
    end: number,
  ): { from: number; window: Uint8Array } | null {
    const n = lengthOf(needle);
    if (n < 2 || p.end >= end) return null;
    const from = mathMax(lo, p.end - n + 1);
    const to = mathMin(end, p.end + n - 1);
    if (to - from < n) return null;
    return { from, window: this.copy(from, to - from) };
  }

  /**
   * Calls `fn` with page-aligned ranges of each piece that `[start, start + count)`
   * touches, and whether the range runs to the piece's end.
   */
  #pages(
    start: number,
    count: number,
    fn: (m: Mapping, from: number, n: number, ends: boolean) => void,
  ): void {
    if (count === 0) return;
    this.#each(start, count, (k, local, _done, n) => {
      const p = this.#pieces[k]!;
      const from = pageFloor(local, this.#page);
      fn(p.mapping, from, local + n - from, local + n === p.end - p.start);
    });
  }
}

/**
 * The index of the last of `ranges` (sorted by `start`) that starts at or
 * before `offset`; 0 when none does.
 */
export function lastStartingBy(ranges: readonly { start: number }[], offset: number): number {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (ranges[mid]!.start <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The first (or last) index of `needle` in `hay`, or -1, in time linear in
 * both lengths (Knuth-Morris-Pratt): windows are under twice the needle's
 * length, and the needle may be long.
 */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, last: boolean): number {
  const n = lengthOf(needle);
  const fail = new Int32ArrayCtor(n);
  for (let i = 1, k = 0; i < n; i++) {
    while (k > 0 && needle[i] !== needle[k]) k = fail[k - 1]!;
    if (needle[i] === needle[k]) k++;
    fail[i] = k;
  }
  let found = -1;
  const h = lengthOf(hay);
  for (let i = 0, k = 0; i < h; i++) {
    while (k > 0 && hay[i] !== needle[k]) k = fail[k - 1]!;
    if (hay[i] === needle[k]) k++;
    if (k === n) {
      found = i - n + 1;
      if (!last) return found;
      k = fail[k - 1]!;
    }
  }
  return found;
}
