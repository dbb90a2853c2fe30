/**
 * The engine-specific parts of moving bytes out of a map: new byte arrays for
 * what `read`, `readline` and `slice` return, and whether a copy or a byte
 * search goes through the map's view or through libc. Each choice is the
 * faster one measured in that engine (bench/README.md).
 *
 * Allocating an ArrayBuffer is slow in Deno 2.9 whatever its size:
 * `new Uint8Array(n)` costs 0.3-0.7 µs at 16 bytes, 0.85-1.7 µs at 4 KiB, more
 * than a 4 KiB copy. So there small results are carved out of shared 64 KiB
 * slabs, as Node's `Buffer.allocUnsafe` does: each result is its own range of
 * bytes, but `result.buffer` may be larger than the result (mind
 * `byteOffset`, and `slice()` a result before transferring its buffer). In
 * Bun, slabs measured slower than JavaScriptCore's own `slice` of the view
 * for small results and than a plain new array for large ones.
 *
 * @module
 */
import { runtimeName } from "../ffi/load.ts";
import { typedArraySubarray, Uint8ArrayCtor, uncurryThis } from "../ffi/primordials.ts";

/**
 * Copies `[from, to)` of `src` to `dst` at `at`, as much as fits, and returns
 * the count; overlap is allowed (memmove).
 */
export type CopyBetween = (
  src: Uint8Array,
  dst: Uint8Array,
  at: number,
  from: number,
  to: number,
) => number;

/**
 * Bun: its native `Buffer.prototype.copy` (memmove by offsets, any `this`
 * and target that are byte views), captured at load like the other
 * intrinsics; null elsewhere. Every other way of copying part of a view in
 * JavaScriptCore makes a view of the part first, and a view costs ~45 ns
 * there: a random 64-byte `read` into a new array took ~200-370 ns this way
 * against ~350-810 by `set()` of a view and ~290-810 by a loop over the
 * bytes, a random 4 KiB `readInto` ~830-1040 ns against ~980-1280 by FFI
 * `memmove` (all alternating in one process). Only the internal view is ever
 * its `this`, and the target's size is its own slot's, never a property.
 */
export const copyBetween: CopyBetween | null = (() => {
  if (runtimeName !== "bun") return null;
  const copy = (globalThis as { Buffer?: { prototype?: { copy?: unknown } } }).Buffer?.prototype
    ?.copy;
  return typeof copy === "function" ? uncurryThis(copy as CopyBetween) as never : null;
})();

/**
 * Results shorter than this are `TypedArray.prototype.slice` of the map's
 * view; longer ones are a new array filled by `TypedArray.prototype.set`
 * from it. Bun: 1024 (JavaScriptCore's `slice` beats `new Uint8Array(n)` +
 * `set()` by 10-30% up to 512 bytes, is even at 1-2 KiB and 1.3-1.7x slower
 * from 3 KiB on, measured with both alternating in one process). Deno: 0,
 * "set" into slab memory everywhere (a 97-byte line: ~45 ns for the copy,
 * against ~130 ns through FFI `memcpy`, whose `buffer` argument is slow
 * there; a slice allocates: ~1.2 µs).
 */
export const SLICE_BELOW: number = runtimeName === "bun" ? 1024 : 0;

/**
 * `readInto` copies of 1 KiB and more into the caller's buffer go through
 * libc's `memmove` (FFI) rather than `TypedArray.prototype.set` from the
 * map's view: in Bun a random 4 KiB copy into a reused buffer took ~2.3 µs by
 * `memmove` against ~3.0 µs by `set` (the two alternating in one process); in
 * Deno the FFI call costs more than it saves (a 4 KiB copy from the page
 * cache: ~205 ns against ~180 by `set`, the fastest of several runs each),
 * and `set` stays. Not for fresh results (`read`): Bun then has to give the
 * new array a buffer of its own for FFI, which costs more than the copy gains.
 */
export const COPY_BY_MEMCPY: boolean = runtimeName === "bun";

/** How the Ring (src/sync/ring.ts) copies a message out: "slice" in Bun, else "set". */
export type CopyWay = "set" | "slice";

/** The Ring's way (measured for its messages; map reads use {@linkcode SLICE_BELOW}). */
export const COPY_WAY: CopyWay = runtimeName === "bun" ? "slice" : "set";

const SLAB = 64 * 1024;
/** Results up to this size come from a slab (Deno). */
const POOLED_MAX = runtimeName === "bun" ? 0 : 4096;

let slab = new Uint8ArrayCtor(0);
/** Bytes of `slab` (kept here: its `length` getter is the user's to patch). */
let slabBytes = 0;
let used = 0;

/** A new `Uint8Array` of `n` bytes for the caller to fill; not zeroed when pooled. */
export function freshBytes(n: number): Uint8Array {
  if (n > POOLED_MAX || n === 0) return new Uint8ArrayCtor(n);
  if (used + n > slabBytes) {
    slab = new Uint8ArrayCtor(SLAB);
    slabBytes = SLAB;
    used = 0;
  }
  const out = typedArraySubarray(slab, used, used + n); // no Symbol.species
  // Results start 8-byte aligned, so any typed array fits over one.
  used += (n + 7) & ~7;
  return out;
}

/**
 * Find a line's end with the view's `indexOf` (Bun: ~30-50 ns a line, SIMD)
 * rather than FFI `memchr` (~40-80 ns); V8's `indexOf` is no faster than
 * `memchr` per call (~70 ns) and slower over long lines.
 */
export const SEARCH_BYTE_IN_VIEW: boolean = runtimeName === "bun";

/**
 * Search long ranges for a needle with the WebAssembly kernel where the map's
 * pages can be mapped into its memory, rather than libc or the engine.
 * Deno: always (V8 has no fast multi-byte search; the kernel reads at memory
 * speed, glibc `memmem` at ~10 GB/s). Bun: "common": from 1 MiB when the
 * needle's first byte is common in text (`Buffer.indexOf` is slower than
 * `memmem` then; the kernel filters on the needle's two rarest bytes
 * instead), and for any needle where the kernel's helper thread searches
 * too (from 8 MiB): 1 GiB of the bench text in 57-66 ms against 91-130 ms
 * by `Buffer.indexOf`, the two alternating in one process.
 */
export const FIND_IN_KERNEL: "always" | "common" = runtimeName === "bun" ? "common" : "always";

/**
 * Search long ranges backwards (`rfind`) with the WebAssembly kernel, as
 * {@linkcode FIND_IN_KERNEL}. Deno: always from 1 MiB ("always"; libc has no
 * `memrmem`, and blocks searched forward with `memmem` from the end ran at
 * ~7-8 GB/s). Bun: where the helper thread searches too ("helped": 61-63 ms
 * against 93-121 ms by `Buffer.lastIndexOf` over 95% of the bench text);
 * `Buffer.lastIndexOf` below.
 */
export const RFIND_IN_KERNEL: "always" | "helped" = runtimeName === "bun" ? "helped" : "always";
