/**
 * Counting one byte value over a mapping at memory speed: a WebAssembly SIMD
 * kernel (source: count_kernel.wat beside this file) counts 256 KiB chunks
 * that libc's `memcpy` copies into the kernel's own memory.
 *
 * A `memchr` call per occurrence costs ~15-30 ns through FFI, so lines of
 * ~100 bytes cap such a loop near 3 GB/s; the copy and the 16-bytes-a-step
 * count reach ~13 GB/s here, about what C's `memchr` loop does (see
 * bench/README.md). The kernel's memory is private to this module.
 *
 * @module
 */
import type { Mapping } from "../ffi/mapping.ts";

/** count_kernel.wat, assembled with wabt's wat2wasm (base64). */
const COUNT_KERNEL_WASM =
  "AGFzbQEAAAABCAFgA39/fwF/AwIBAAUEAQEEBAcSAgZtZW1vcnkCAAVjb3VudAAACvYBAfMBAwJ/A3sBfyAC/Q8hBSAAIAFqIQMCQANAIAMgAGtBwABJDQEgAyAAa0EGdiEEIARBP0sEQEE/IQQL/QwAAAAAAAAAAAAAAAAAAAAAIQYDQCAGIAD9AAQAIAX9I/1xIQYgBiAA/QAEECAF/SP9cSEGIAYgAP0ABCAgBf0j/XEhBiAGIAD9AAQwIAX9I/1xIQYgAEHAAGohACAEQQFrIQQgBA0ACyAHIAb9ff1//a4BIQcMAAsLIAf9GwAgB/0bAWogB/0bAiAH/RsDamohCAJAA0AgACADTw0BIAggAC0AACACRmohCCAAQQFqIQAMAAsLIAgL";

/** Bytes copied into the kernel's memory per call: fits the L2 cache. */
const CHUNK = 1 << 18;

interface Kernel {
  count(p: number, n: number, byte: number): number;
  chunk: Uint8Array;
}

let kernel: Kernel | null | undefined;

function load(): Kernel | null {
  try {
    const bytes = Uint8Array.from(atob(COUNT_KERNEL_WASM), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const exports = instance.exports as {
      count(p: number, n: number, byte: number): number;
      memory: WebAssembly.Memory;
    };
    return {
      count: exports.count,
      chunk: new Uint8Array(exports.memory.buffer, 0, CHUNK),
    };
  } catch {
    // No WebAssembly SIMD here: the caller falls back to memchr.
    return null;
  }
}

/**
 * How many bytes equal `byte` in `[start, end)` of the mapping, or -1 when
 * the engine cannot run the kernel.
 */
export function countByte(mapping: Mapping, byte: number, start: number, end: number): number {
  if (kernel === undefined) kernel = load();
  if (!kernel) return -1;
  const { count, chunk } = kernel;
  let total = 0;
  for (let at = start; at < end; at += CHUNK) {
    const n = Math.min(CHUNK, end - at);
    mapping.copyOut(at, n === CHUNK ? chunk : chunk.subarray(0, n));
    total += count(0, n, byte);
  }
  return total;
}
