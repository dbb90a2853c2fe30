/**
 * CPython's argument rules for a file-like cursor over a byte sequence of
 * known length: reads, writes, seeks, indices, byte values and the ranges of
 * search, slice assignment, flush, madvise, move and views. `MMap` and
 * `MMapConcat` both apply them, so both give the same results and raise the
 * same errors (class and message) for the same arguments.
 *
 * Each function is pure: it sees the arguments and the current
 * length/position/access, never the map. The caller keeps CPython's order:
 * the closed check, the conversions, the closed check again after any
 * conversion that can run user code (a getter of a bytes-like object or of
 * an options bag), the writable check, then the ranges. The functions used
 * once per byte or line (reads, `at`, `set`, `seek`) return numbers and
 * allocate nothing.
 *
 * @module
 */
import {
  BigIntCtor,
  isInteger,
  mathFloor,
  mathMin,
  NumberCtor,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";
import {
  checkOptions,
  SSIZE_MAX,
  toBool,
  toCInt,
  toInt,
  toOptionalInt,
  toSsize,
  typeName,
} from "./args.ts";
import { byteLength } from "./bytes.ts";
import { ACCESS_READ, MADV_HWPOISON, MS_ASYNC, MS_INVALIDATE, MS_SYNC } from "./constants.ts";
import { errnoValue, MMapOSError } from "../ffi/errors.ts";
import { platform } from "../ffi/load.ts";
import { clampRange, type Slice } from "./slice.ts";
import { unaliased } from "./aliasing.ts";

/** What the kernel answers an unprivileged MADV_HWPOISON. */
const EPERM = errnoValue("EPERM") ?? 1;
/** What a kernel answers an advice it does not know (MADV_GUARD_INSTALL before Linux 6.13). */
const EINVAL = errnoValue("EINVAL") ?? 22;
/**
 * Linux's `MADV_GUARD_INSTALL` (6.13): the pages become guard regions, and
 * any load or store there is a `SIGSEGV` (no fault guard catches that one).
 */
const MADV_GUARD_INSTALL = 102;
/** Whether this platform's kernel knows MADV_GUARD_INSTALL (on macOS 102 means nothing). */
const HAS_GUARD_INSTALL = platform.os === "linux";

/** CPython's message for any use of a closed map. */
export const CLOSED = "mmap closed or invalid";
/** CPython's message for a write to an ACCESS_READ map. */
export const READONLY = "mmap can't modify a readonly memory map.";

/** Throws CPython's `TypeError` when a map of `access` may not be written to. */
export function checkWritable(access: number): void {
  if (access === ACCESS_READ) throw new TypeError(READONLY);
}

// --- the position ------------------------------------------------------------

/** How many bytes `read(n)` takes at `pos`: all the rest for omitted, null or negative `n`. */
export function readCount(n: unknown, pos: number, length: number): number {
  const want = toOptionalInt(n, "n");
  const left = pos < length ? length - pos : 0;
  return want !== undefined && want >= 0 && want < left ? want : left;
}

/**
 * CPython's error for `readByte()` at or past the end (`pos >= length`).
 * The caller compares and throws it: in V8 a method called once per byte
 * runs measurably slower (about 0.5 ns a call) when the throw sits in a
 * helper it inlines.
 */
export function readByteOutOfRange(): RangeError {
  return new RangeError("read byte out of range");
}

/** Throws when `count` bytes written at `pos` would go past the end. */
export function checkWriteRange(pos: number, count: number, length: number): void {
  if (pos > length || length - pos < count) throw new RangeError("data out of range");
}

/** The argument of `writeByte`: an integer 0-255, with CPython's overflow messages. */
export function byteValue(byte: unknown): number {
  const value = toInt(byte, "byte");
  if (value < 0) throw new RangeError("unsigned byte integer is less than minimum");
  if (value > 255) throw new RangeError("unsigned byte integer is greater than maximum");
  return value;
}

/** CPython's error for `writeByte()` at or past the end (`pos >= length`); as `readByteOutOfRange`. */
export function writeByteOutOfRange(): RangeError {
  return new RangeError("write byte out of range");
}

/**
 * The position `seek(pos, whence)` moves to, or the error CPython raises;
 * `whence` is a C int, so values beyond 32 bits are an overflow, not an
 * unknown seek type.
 */
export function seekTarget(pos: unknown, whence: unknown, current: number, length: number): number {
  const dist = toInt(pos, "pos");
  const how = toCInt(whence, "whence");
  let where: number;
  if (how === 0) where = dist;
  else if (how === 1) where = current + dist;
  else if (how === 2) where = length + dist;
  else throw new RangeError("unknown seek type");
  if (where < 0 || where > length) throw new RangeError("seek out of range");
  return where;
}

// --- bytes by index ----------------------------------------------------------

/**
 * The index `m[i]` means: negatives count from the end. Anything but an
 * integral Number or a BigInt is CPython's "mmap indices must be integers".
 */
export function itemIndex(i: unknown, length: number): number {
  if ((typeof i !== "number" || !isInteger(i)) && typeof i !== "bigint") {
    throw new TypeError("mmap indices must be integers");
  }
  let at = toInt(i, "index");
  if (at < 0) at += length;
  if (at < 0 || at >= length) throw new RangeError("mmap index out of range");
  return at;
}

/**
 * The value of `m[i] = value`: an integer 0-255. Anything but an integral
 * Number or a BigInt is CPython's "mmap item value must be an int", and so
 * (a `TypeError`) is an integer beyond the 64-bit range.
 */
export function itemValue(value: unknown): number {
  if ((typeof value !== "number" || !isInteger(value)) && typeof value !== "bigint") {
    throw new TypeError("mmap item value must be an int");
  }
  const v = toInt(value, "value", TypeError);
  if (v < 0 || v > 255) throw new RangeError("mmap item value must be in range(0, 256)");
  return v;
}

/** Byte access by offset, as `slice`/`setSlice` need it. */
export interface ByteAccess {
  /** A copy of `[offset, offset + count)`. */
  copy(offset: number, count: number): Uint8Array;
  /** Copies `src` to `offset`, as if it were read whole first (it may be over the map). */
  copyIn(offset: number, src: Uint8Array): void;
  /** The byte at `offset`. */
  get(offset: number): number;
  /** Stores `value` at `offset`. */
  set(offset: number, value: number): void;
}

/** A copy of the bytes of a resolved slice, any step. */
export function readSlice(s: Slice, at: ByteAccess): Uint8Array {
  if (s.step === 1) return at.copy(s.start, s.count);
  const out = new Uint8ArrayCtor(s.count);
  for (let k = 0, i = s.start; k < s.count; k++, i += s.step) out[k] = at.get(i);
  return out;
}

/**
 * Stores `bytes` into a resolved slice, any step; the lengths must match. As
 * if `bytes` were read whole before any byte is stored: a step of 1 is one
 * `copyIn` (which sees to that, src/aliasing.ts); any other step stores byte
 * by byte, so a source over a map's memory (`m.setSlice(null, null, m.bytes,
 * -1)`) is copied first, or it would read bytes already stored.
 */
export function writeSlice(s: Slice, bytes: Uint8Array, at: ByteAccess): void {
  if (byteLength(bytes) !== s.count) throw new RangeError("mmap slice assignment is wrong size");
  if (s.step === 1) return at.copyIn(s.start, bytes);
  const from = unaliased(bytes);
  for (let k = 0, i = s.start; k < s.count; k++, i += s.step) at.set(i, from[k]!);
}

// --- searching ---------------------------------------------------------------

/** The range a search covers, as {@linkcode searchRange} resolves it. */
export interface SearchRange {
  /** The first offset searched, clamped to `[0, length]`. */
  start: number;
  /** The end of the range, clamped to `[0, length]`. */
  end: number;
  /**
   * Whether `start` (after counting a negative one from the end) lay past the
   * end: `bytes.count` does not clamp it, so even an empty needle counts 0.
   */
  past: boolean;
}

/** `[start, end)` of a search: `start` defaults to the position, both clamp like slices. */
export function searchRange(
  start: unknown,
  end: unknown,
  pos: number,
  length: number,
): SearchRange {
  const a = toOptionalInt(start, "start") ?? pos;
  const b = toOptionalInt(end, "end") ?? length;
  // By index: destructuring would run a replaceable Array.prototype[Symbol.iterator].
  const clamped = clampRange(length, a, b);
  return { start: clamped[0], end: clamped[1], past: (a < 0 ? a + length : a) > length };
}

// --- changing the memory -----------------------------------------------------

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
  access: number,
): [number, number, number] {
  const d = toInt(dest, "dest");
  const s = toInt(src, "src");
  const n = toInt(count, "count");
  checkWritable(access);
  if (d < 0 || s < 0 || n < 0 || length - d < n || length - s < n) {
    throw new RangeError("source, destination, or count out of range");
  }
  return [d, s, n];
}

/**
 * The `msync` flags of `flush`'s options bag. Its getters may run user code:
 * check the map again afterwards.
 */
export function flushFlags(options: unknown): number {
  const o = checkOptions(options, ["async", "invalidate"], "flush");
  const async = toBool(o.async, "async", false);
  const invalidate = toBool(o.invalidate, "invalidate", false);
  return (async ? MS_ASYNC : MS_SYNC) | (invalidate ? MS_INVALIDATE : 0);
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

/**
 * Checks `madvise(option, start, length)` against a map of `total` bytes
 * and returns the advice, the start and the byte count, clamped to the end.
 * `option` is a C int; `length` is checked exactly as a `ssize_t` (it may be
 * any size up to 2^63 - 1 - start).
 */
export function madviseArgs(
  option: unknown,
  start: unknown,
  length: unknown,
  total: number,
): [number, number, number] {
  const advice = toCInt(option, "option");
  const from = toInt(start, "start");
  const exact = length === undefined || length === null
    ? BigIntCtor(total)
    : toSsize(length, "length");
  if (from < 0 || from >= total) throw new RangeError("madvise start out of bounds");
  if (exact < 0n) throw new RangeError("madvise length invalid");
  if (SSIZE_MAX - BigIntCtor(from) < exact) throw new RangeError("madvise length too large");
  // The kernel takes MADV_HWPOISON from root: it poisons the pages, and the
  // next access is a SIGBUS no guard may recover from (the process dies, and
  // the physical page stays offline). Refused as an unprivileged caller is.
  if (advice === MADV_HWPOISON && advice !== -1) {
    throw new MMapOSError(
      EPERM,
      "madvise",
      undefined,
      "MADV_HWPOISON poisons the pages, and their next access would kill the process",
    );
  }
  // MADV_GUARD_INSTALL turns the pages into guard regions: every view of
  // the map (bytes, view(), lines(), a Ring's records) and every method
  // touches them, and the first touch killed the process with SIGSEGV, in
  // Deno and Bun. Refused as a kernel that lacks it refuses it.
  if (HAS_GUARD_INSTALL && advice === MADV_GUARD_INSTALL) {
    throw new MMapOSError(
      EINVAL,
      "madvise",
      undefined,
      "MADV_GUARD_INSTALL (102) makes the pages guard regions, and their next access would kill the process",
    );
  }
  return [advice, from, mathMin(NumberCtor(exact), total - from)];
}

// --- views -------------------------------------------------------------------

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

/**
 * The element size of `view()`'s `type`: its `BYTES_PER_ELEMENT`, which must
 * be an integer. Reading it may run a getter: check the map again afterwards,
 * and only then take its length for {@linkcode viewRange}.
 */
export function elementSize(type: unknown): number {
  const size = (type as ElementType | undefined)?.BYTES_PER_ELEMENT;
  if (typeof type !== "function" || !isInteger(size)) {
    throw new TypeError(`type must be a typed-array constructor, not ${typeName(type)}`);
  }
  return size as number;
}

/** Checks the rest of `view()`'s arguments against a map of `total` bytes. */
export function viewRange(
  type: ElementType,
  size: number,
  byteOffset: unknown,
  length: unknown,
  total: number,
): ViewRange {
  const start = toInt(byteOffset, "byteOffset");
  if (start < 0 || start > total) {
    throw new RangeError(`byteOffset ${start} is outside the map (0 to ${total})`);
  }
  if (start % size !== 0) {
    throw new RangeError(
      `start offset of ${type.name} should be a multiple of ${size}, not ${start}`,
    );
  }
  const count = toOptionalInt(length, "length") ?? mathFloor((total - start) / size);
  if (count < 0 || start + count * size > total) {
    throw new RangeError(
      `${count} elements of ${size} bytes from byteOffset ${start} go past the end of the map (${total} bytes)`,
    );
  }
  return { start, count, size };
}
