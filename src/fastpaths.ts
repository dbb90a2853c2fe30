/**
 * The engine-specific parts of moving bytes out of a map: new byte arrays for
 * what `read`, `readline` and `slice` return, and whether a copy or a byte
 * search goes through the map's view or through libc. Each choice is the
 * faster one measured in that engine (bench/README.md).
 *
 * Allocating an ArrayBuffer is slow in both engines, whatever its size: in
 * Deno 2.9 `new Uint8Array(n)` costs 0.3-1.5 µs (more than a 4 KiB copy), in
 * Bun ~250 ns at 4 KiB. So small results are carved out of shared 64 KiB
 * slabs, as Node's `Buffer.allocUnsafe` does: each result is its own range of
 * bytes, but `result.buffer` may be larger than the result (mind
 * `byteOffset`, and `slice()` a result before transferring its buffer).
 *
 * @module
 */
import { runtimeName } from "../ffi/load.ts";

const SLAB = 64 * 1024;
/** Results up to this size come from a slab. */
const POOLED_MAX = 4096;
/** Below this size a fresh array is cheaper than a slab's subarray (Bun: ~17 ns at 100 B). */
const POOLED_MIN = runtimeName === "bun" ? 512 : 1;

let slab = new Uint8Array(0);
let used = 0;

/** A new `Uint8Array` of `n` bytes for the caller to fill; not zeroed when pooled. */
export function freshBytes(n: number): Uint8Array {
  if (n > POOLED_MAX || n < POOLED_MIN) return new Uint8Array(n);
  if (used + n > slab.length) {
    slab = new Uint8Array(SLAB);
    used = 0;
  }
  const out = slab.subarray(used, used + n);
  // Results start 8-byte aligned, so any typed array fits over one.
  used += (n + 7) & ~7;
  return out;
}

/**
 * Copy small results with `TypedArray.prototype.set` from the map's view
 * (Deno: ~45 ns for a 100-byte line, against ~130 ns through FFI `memcpy`,
 * whose `buffer` argument is slow there), or with libc `memcpy` (Bun: the
 * reverse).
 */
export const COPY_THROUGH_VIEW: boolean = runtimeName !== "bun";

/**
 * Find a line's end with the view's `indexOf` (Bun: ~50 ns a line, SIMD)
 * rather than FFI `memchr` (~80 ns in both engines); V8's `indexOf` is no
 * faster than `memchr` per call and slower over long lines.
 */
export const SEARCH_BYTE_IN_VIEW: boolean = runtimeName === "bun";
