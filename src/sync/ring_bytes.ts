/**
 * The Ring's fast path for small messages: the length of a real Uint8Array
 * in two cheap brand checks and one read, and of the same array again in
 * two element reads (`measure`). Everything else goes through
 * `toBytes` and the engine's intrinsics (ffi/primordials.ts), so that an own
 * `length`, a getter or a patched prototype cannot make the ring copy more
 * (or fewer) bytes than the record it reserved.
 *
 * @module
 */
import {
  Int32ArrayCtor,
  typedArrayBuffer,
  typedArrayByteLength,
  typedArrayByteOffset,
  typedArrayKind,
  typedArrayLength,
  typedArraySet,
  typedArraySubarray,
} from "../../ffi/primordials.ts";
import { brandName } from "../args.ts";
import { toBytes } from "../bytes.ts";
import { goneWhy } from "../byte_views.ts";

/** A typed array of one-byte elements: what the batch forms and `popInto` copy to and from. */
export type ByteArray = Uint8Array | Int8Array | Uint8ClampedArray;

/** Messages up to this long are copied by a loop (cheaper than `set` for a few bytes). */
export const SMALL = 32;

/**
 * V8 inlines the `Symbol.toStringTag` getter (a brand check of ~3 ns) but
 * calls the `length` and `byteLength` getters (~9 ns each); JavaScriptCore
 * is the other way round (~29 ns for the tag, ~8 for a length).
 */
const TAG_IS_CHEAP = typeof (globalThis as { Bun?: unknown }).Bun === "undefined";

/**
 * The bytes of a typed array of one-byte elements (Uint8Array, and the
 * Int8Array and Uint8ClampedArray kinds, which store any byte written by
 * index as that byte), or -1 for anything else: a Float64Array given
 * Uint8Array's prototype, a DataView, a Proxy. The engine's own getters
 * measure it (an own `length` or a patched getter never decides how many
 * bytes are copied), by its kind where that is cheap, else by comparing
 * its length with its byteLength.
 */
export function byteArrayLength(b: unknown): number {
  if (TAG_IS_CHEAP) {
    const kind = typedArrayKind(b);
    return kind === "Uint8Array" || kind === "Int8Array" || kind === "Uint8ClampedArray"
      ? typedArrayLength(b)
      : -1;
  }
  try {
    const n = typedArrayByteLength(b);
    return typedArrayLength(b) === n ? n : -1;
  } catch {
    return -1; // not a typed array
  }
}

/**
 * The byte array a Ring's call site measured last, its length, and (made
 * on demand) an Int32Array over its whole words: a program that pushes the
 * same buffer again and again, or pops into the same target, pays for the
 * engine's getters once (9-41 ns a call, most of what a small `push` costs
 * beyond its copy). Holds the array until another one comes or the ring is
 * closed.
 */
export class Measured {
  /** The array that the next call may take from the cache (never an empty one). */
  bytes: unknown = null;
  /** The array measured last (an empty one too), for `measuredWords`. */
  current: unknown = null;
  length = -1;
  /** `wordsOf(bytes)`; undefined until asked for. */
  words: Int32Array | null | undefined = undefined;

  /** Lets the array go (the ring is closed). */
  forget(): void {
    this.bytes = this.current = null;
    this.length = -1;
    this.words = undefined;
  }
}

/**
 * `byteArrayLength(b)`, through `m`: when `b` is the array measured last,
 * its elements `length - 1` and `length` say whether its length is still
 * the same (a transfer, a detach or a resize of its buffer changes it). An
 * element read of a real typed array never reaches a getter, a prototype
 * or an own property, so no user code runs and none can make it lie; and
 * `b` is the very object the engine's getters measured, so it is a real
 * byte array of that kind.
 */
export function measure(m: Measured, b: unknown): number {
  if (b === m.bytes) {
    const n = m.length;
    const a = b as ByteArray;
    if ((n === 0 || a[n - 1] !== undefined) && a[n] === undefined) return n;
  }
  const n = byteArrayLength(b);
  // An empty one is measured again each time: a detached array is empty
  // too, and its callers tell the two apart.
  m.bytes = n <= 0 ? null : b;
  m.current = n < 0 ? null : b;
  m.length = n;
  m.words = undefined;
  return n;
}

/**
 * `wordsOf` the array `measure` just answered for (a byte array), made
 * once per array and length.
 */
export function measuredWords(m: Measured): Int32Array | null {
  const w = m.words;
  if (w !== undefined) return w;
  return m.words = wordsOf(m.current as ByteArray);
}

/**
 * A message as a real Uint8Array over its bytes (see `toBytes`), or the
 * library's TypeError naming what a message may be.
 */
export function messageBytes(b: unknown, what: string): Uint8Array {
  // A view of a transferred buffer says 0 bytes: it is no empty message.
  const why = goneWhy(b);
  if (why) throw new TypeError(`${what}: the message is a ${brandName(b)} with no bytes${why}`);
  try {
    return toBytes(b);
  } catch {
    throw new TypeError(
      `${what}: a message must be a Uint8Array (or another typed array, a DataView, ` +
        `an ArrayBuffer or a string), not ${brandName(b)}`,
    );
  }
}

/**
 * An Int32Array over the whole words of `bytes` (a real Uint8Array), when
 * they start 4-byte aligned; otherwise null. The batch forms make one per
 * call and copy messages a word at a time through it.
 */
export function wordsOf(bytes: ByteArray): Int32Array | null {
  const offset = typedArrayByteOffset(bytes);
  if ((offset & 3) !== 0) return null;
  return new Int32ArrayCtor(typedArrayBuffer(bytes), offset, typedArrayByteLength(bytes) >> 2);
}

/**
 * Copies `n` bytes from `src[from]` to `dst[to]`: whole words through the
 * Int32 views when both offsets are aligned, then the rest byte by byte;
 * `set` for long runs. Reads and writes stay inside both arrays (the engine
 * checks every index), whatever `n` says.
 */
export function copyBytes(
  dst: ByteArray,
  dst32: Int32Array | null,
  to: number,
  src: ByteArray,
  src32: Int32Array | null,
  from: number,
  n: number,
): void {
  if (n > 256) {
    typedArraySet(dst, typedArraySubarray(src, from, from + n), to);
    return;
  }
  let i = 0;
  if (dst32 !== null && src32 !== null && ((to | from) & 3) === 0) {
    const a = to >> 2, b = from >> 2, w = n >> 2;
    for (let k = 0; k < w; k++) dst32[a + k] = src32[b + k]!;
    i = w << 2;
  }
  for (; i < n; i++) dst[to + i] = src[from + i]!;
}
