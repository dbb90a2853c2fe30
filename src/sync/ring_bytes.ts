/**
 * The Ring's fast path for small messages: the length of a real Uint8Array
 * in two cheap brand checks and one read. Everything else goes through
 * `toBytes` and the engine's intrinsics (ffi/primordials.ts), so that an own
 * `length`, a getter or a patched prototype cannot make the ring copy more
 * (or fewer) bytes than the record it reserved.
 *
 * @module
 */
import {
  isView,
  typedArrayBuffer,
  typedArrayByteLength,
  typedArrayByteOffset,
  typedArraySet,
  typedArraySubarray,
  Uint8ArrayCtor,
} from "../../ffi/primordials.ts";

/** Messages up to this long are copied by a loop (cheaper than `set` for a few bytes). */
export const SMALL = 32;

/**
 * The length of a real Uint8Array as its `length` says it, when that is a
 * small integer (0 to `SMALL`); otherwise -1. A lying `length` is harmless
 * here, because the ring then copies exactly that many elements by index,
 * and the elements of a real typed array run no user code.
 */
export function smallLength(b: unknown): number {
  if (isView(b) && b instanceof Uint8ArrayCtor) {
    const n = b.length;
    if (typeof n === "number" && n >= 0 && n <= SMALL && (n | 0) === n) return n;
  }
  return -1;
}

/**
 * An Int32Array over the whole words of `bytes` (a real Uint8Array), when
 * they start 4-byte aligned; otherwise null. The batch forms make one per
 * call and copy messages a word at a time through it.
 */
export function wordsOf(bytes: Uint8Array): Int32Array | null {
  const offset = typedArrayByteOffset(bytes);
  if ((offset & 3) !== 0) return null;
  return new Int32Array(typedArrayBuffer(bytes), offset, typedArrayByteLength(bytes) >> 2);
}

/**
 * Copies `n` bytes from `src[from]` to `dst[to]`: whole words through the
 * Int32 views when both offsets are aligned, then the rest byte by byte;
 * `set` for long runs. Reads and writes stay inside both arrays (the engine
 * checks every index), whatever `n` says.
 */
export function copyBytes(
  dst: Uint8Array,
  dst32: Int32Array | null,
  to: number,
  src: Uint8Array,
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
