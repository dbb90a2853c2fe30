/**
 * CPython's argument rules for a file-like cursor over a byte sequence of
 * known length: reads, seeks, indices, byte values and the ranges of search,
 * flush, madvise, move and views. Pure functions of the arguments and the
 * current length/position, so every map type (`MMapConcat` now, `MMap`
 * when its own copies are folded in) applies the same rules with the same
 * messages.
 *
 * @module
 */
import { toInt, toOptionalInt, typeName } from "./args.ts";
import { clampRange, type Slice } from "./slice.ts";

/** CPython's message for any use of a closed map. */
export const CLOSED = "mmap closed or invalid";
/** CPython's message for a write to an ACCESS_READ map. */
export const READONLY = "mmap can't modify a readonly memory map.";

/** How many bytes `read(n)` takes at `pos`: all the rest for omitted, null or negative `n`. */
export function readCount(n: unknown, pos: number, length: number): number {
  const want = toOptionalInt(n, "n");
  const left = pos < length ? length - pos : 0;
  return want !== undefined && want >= 0 && want < left ? want : left;
}

/** The position `seek(pos, whence)` moves to, or the error CPython raises. */
export function seekTarget(pos: unknown, whence: unknown, current: number, length: number): number {
  const dist = toInt(pos, "pos");
  const how = toInt(whence, "whence");
  let where: number;
  if (how === 0) where = dist;
  else if (how === 1) where = current + dist;
  else if (how === 2) where = length + dist;
  else throw new RangeError("unknown seek type");
  if (where < 0 || where > length) throw new RangeError("seek out of range");
  return where;
}

/** The index `m[i]` means: negatives count from the end. */
export function itemIndex(i: unknown, length: number): number {
  if (typeof i !== "number" && typeof i !== "bigint") {
    throw new TypeError("mmap indices must be integers");
  }
  let at = toInt(i, "index");
  if (at < 0) at += length;
  if (at < 0 || at >= length) throw new RangeError("mmap index out of range");
  return at;
}

/** The value of `m[i] = value`: an integer 0-255. */
export function itemValue(value: unknown): number {
  if (typeof value !== "number" && typeof value !== "bigint") {
    throw new TypeError("mmap item value must be an int");
  }
  const v = toInt(value, "value");
  if (v < 0 || v > 255) throw new RangeError("mmap item value must be in range(0, 256)");
  return v;
}

/** The argument of `writeByte`: an integer 0-255, with CPython's overflow messages. */
export function byteValue(byte: unknown): number {
  const value = toInt(byte, "byte");
  if (value < 0) throw new RangeError("unsigned byte integer is less than minimum");
  if (value > 255) throw new RangeError("unsigned byte integer is greater than maximum");
  return value;
}

/** `[start, end)` of a search: `start` defaults to the position, both clamp like slices. */
export function searchRange(
  start: unknown,
  end: unknown,
  pos: number,
  length: number,
): [number, number] {
  const a = toOptionalInt(start, "start") ?? pos;
  const b = toOptionalInt(end, "end") ?? length;
  return clampRange(length, a, b);
}

/**
 * Checks `move(dest, src, count)` and returns the three integers. A
 * read-only map is refused after the types and before the ranges, as CPython
 * does.
 */
export function moveArgs(
  dest: unknown,
  src: unknown,
  count: unknown,
  length: number,
  readonly: boolean,
): [number, number, number] {
  const d = toInt(dest, "dest");
  const s = toInt(src, "src");
  const n = toInt(count, "count");
  if (readonly) throw new TypeError(READONLY);
  if (d < 0 || s < 0 || n < 0 || length - d < n || length - s < n) {
    throw new RangeError("source, destination, or count out of range");
  }
  return [d, s, n];
}

/** `[offset, offset + size)` of `flush`: `size` defaults to the rest (CPython 3.15). */
export function flushRange(offset: unknown, size: unknown, length: number): [number, number] {
  const start = toOptionalInt(offset, "offset") ?? 0;
  const count = toOptionalInt(size, "size") ?? length - start;
  if (count < 0 || start < 0 || length - start < count) {
    throw new RangeError("flush values out of range");
  }
  return [start, count];
}

/** `[start, start + count)` of `madvise`, with the length clamped to the end. */
export function madviseRange(start: unknown, length: unknown, total: number): [number, number] {
  const from = toInt(start, "start");
  let count = toOptionalInt(length, "length") ?? total - from;
  if (from < 0 || from >= total) throw new RangeError("madvise start out of bounds");
  if (count < 0) throw new RangeError("madvise length invalid");
  if (Number.MAX_SAFE_INTEGER - from < count) throw new RangeError("madvise length too large");
  if (from + count > total) count = total - from;
  return [from, count];
}

/** A typed-array constructor, as `view()` takes it. */
export interface ElementType {
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

/** What `view(type, byteOffset, length)` covers: `count` elements of `size` bytes from `start`. */
export interface ViewRange {
  start: number;
  count: number;
  size: number;
}

/** Checks the arguments of `view()` against a map of `total` bytes. */
export function viewRange(
  type: unknown,
  byteOffset: unknown,
  length: unknown,
  total: number,
): ViewRange {
  const t = type as ElementType | undefined;
  const size = t?.BYTES_PER_ELEMENT;
  if (typeof type !== "function" || t === undefined || !Number.isInteger(size) || !size) {
    throw new TypeError(`type must be a typed-array constructor, not ${typeName(type)}`);
  }
  const start = toInt(byteOffset, "byteOffset");
  if (start < 0 || start > total) {
    throw new RangeError(`byteOffset ${start} is outside the map (0 to ${total})`);
  }
  if (start % size !== 0) {
    throw new RangeError(
      `start offset of ${t.name} should be a multiple of ${size}, not ${start}`,
    );
  }
  const count = toOptionalInt(length, "length") ?? Math.floor((total - start) / size);
  if (count < 0 || start + count * size > total) {
    throw new RangeError(
      `${count} elements of ${size} bytes from byteOffset ${start} go past the end of the map (${total} bytes)`,
    );
  }
  return { start, count, size };
}

/** Byte access by offset, as `slice`/`setSlice` need it. */
export interface ByteAccess {
  /** A copy of `[offset, offset + count)`. */
  copy(offset: number, count: number): Uint8Array;
  /** Copies `src` to `offset`. */
  copyIn(offset: number, src: Uint8Array): void;
  /** The byte at `offset`. */
  get(offset: number): number;
  /** Stores `value` at `offset`. */
  set(offset: number, value: number): void;
}

/** A copy of the bytes of a resolved slice, any step. */
export function readSlice(s: Slice, at: ByteAccess): Uint8Array {
  if (s.step === 1) return at.copy(s.start, s.count);
  const out = new Uint8Array(s.count);
  for (let k = 0, i = s.start; k < s.count; k++, i += s.step) out[k] = at.get(i);
  return out;
}

/** Stores `bytes` into a resolved slice, any step; the lengths must match. */
export function writeSlice(s: Slice, bytes: Uint8Array, at: ByteAccess): void {
  if (bytes.length !== s.count) throw new RangeError("mmap slice assignment is wrong size");
  if (s.step === 1) return at.copyIn(s.start, bytes);
  for (let k = 0, i = s.start; k < s.count; k++, i += s.step) at.set(i, bytes[k]);
}
