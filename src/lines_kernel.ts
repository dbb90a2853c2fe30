/**
 * Where the newlines are, many at a time: a WebAssembly SIMD kernel (source:
 * lines_kernel.wat beside this file) that writes the offsets of every `"\n"`
 * in a chunk into an array, so that `lines()` pays one call per 64 KiB
 * instead of one search per line.
 *
 * A search per line costs more than the line: V8's `indexOf` ~130 ns a call
 * here, FFI `memchr` ~70 ns with its BigInt conversions, Bun's `indexOf`
 * ~30 ns; the chunk is copied into the kernel's memory (the kernel sees only
 * its own) and scanned at ~15 ns a 96-byte line, the copy included
 * (bench/README.md). Where the engine has no WebAssembly SIMD, the view's own
 * `indexOf` finds one newline at a time.
 *
 * @module
 */
import {
  Int32ArrayCtor,
  typedArrayIndexOf,
  typedArraySet,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";

/** lines_kernel.wat, assembled with wabt's wat2wasm (base64). */
const LINES_KERNEL_WASM =
  "AGFzbQEAAAABCQFgBH9/f38BfwMCAQAFBAEBAgIHFQIGbWVtb3J5AgAIbmV3bGluZXMAAAr5AQH2AQUBfwF+AX8BewF/QQr9DyEHAkADQCAEQcAAaiABSw0BIAAgBGohCCAI/QAEACAH/SP9ZK0gCP0ABBAgB/0j/WStQhCGhCAI/QAEICAH/SP9ZK1CIIYgCP0ABDAgB/0j/WStQjCGhIQhBQJAA0AgBVANASAGIANGBEAgBg8LIAIgBkECdGogBCAFeqdqNgIAIAZBAWohBiAFIAVCAX2DIQUMAAsLIARBwABqIQQMAAsLAkADQCAEIAFPDQEgACAEai0AAEEKRgRAIAYgA0YEQCAGDwsgAiAGQQJ0aiAENgIAIAZBAWohBgsgBEEBaiEEDAALCyAGCw==";

/** Bytes scanned per call: the kernel's input area. */
export const SCAN_CHUNK = 1 << 16;
/** Newlines reported per call at most: the kernel's output area. */
const MAX = 1 << 14;

interface Kernel {
  newlines(p: number, n: number, out: number, max: number): number;
  input: Uint8Array;
  buffer: ArrayBuffer;
}

const I32 = Int32Array;

function load(): Kernel | null {
  try {
    const bytes = Uint8Array.from(atob(LINES_KERNEL_WASM), (c) => c.charCodeAt(0));
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as {
      newlines(p: number, n: number, out: number, max: number): number;
      memory: WebAssembly.Memory;
    };
    // The memory cannot grow (its maximum is its size), so these views stay valid.
    const buffer = exports.memory.buffer as ArrayBuffer;
    return {
      newlines: exports.newlines,
      input: new Uint8ArrayCtor(buffer, 0, SCAN_CHUNK),
      buffer,
    };
  } catch {
    return null; // no WebAssembly SIMD: one indexOf a line
  }
}

const kernel = load();

/**
 * The newlines of the last scan, as offsets from where it started (shared by
 * every scan: read them before the next).
 */
export const found: Int32Array = new Int32ArrayCtor(kernel ? MAX : 1);
/**
 * How many newlines {@linkcode found} holds (kept here: a `length` getter
 * patched onto the typed arrays' prototype must not end a scan early).
 */
export const FOUND_MAX: number = kernel ? MAX : 1;

/**
 * Scans `[from, to)` of `buffer` (at most {@linkcode SCAN_CHUNK} bytes; the
 * caller cuts) for newlines, writes their offsets from `from` into
 * {@linkcode found} and returns how many. A return of {@linkcode FOUND_MAX} means
 * the scan stopped early: scan again after the last one.
 */
export function scanNewlines(buffer: ArrayBufferLike, from: number, to: number): number {
  const n = to - from;
  const k = kernel;
  if (k) {
    typedArraySet(k.input, new Uint8ArrayCtor(buffer, from, n));
    const c = k.newlines(0, n, SCAN_CHUNK, MAX);
    // Into an array of this module's own: JavaScriptCore reads a typed array
    // over WebAssembly memory much more slowly (measured: ~80 ns a line).
    typedArraySet(found, new I32(k.buffer, SCAN_CHUNK, c));
    return c;
  }
  const at = typedArrayIndexOf(new Uint8ArrayCtor(buffer, from, n), 10, 0);
  if (at < 0) return 0;
  found[0] = at;
  return 1;
}
