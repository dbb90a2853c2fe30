/**
 * WebAssembly guests with real `mmap`: files mapped straight into a
 * guest's linear memory, and a WASI preview1 host that serves them.
 *
 * - {@linkcode mapIntoMemory} places a file's pages inside a
 *   `WebAssembly.Memory` (`mmap(MAP_FIXED)` at the memory's base plus a
 *   guest offset): guest loads and stores are loads and stores on the file.
 * - {@linkcode WASI} runs WASI preview1 guests (C, Rust, Zig, ...) over real
 *   files in preopened directories, and gives them the `"mmap"` import
 *   module (`map`, `unmap`, `sync`, `advise`; see `include/wasi_mmap.h`).
 *
 * Deno needs `--allow-ffi` (and read/write access to the files).
 *
 * @example A guest's view of a mapped file
 * ```ts
 * import { mapIntoMemory } from "@seed/mmap/wasm";
 * Deno.writeTextFileSync("words.txt", "mapped, not copied");
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * using m = mapIntoMemory(memory, "words.txt");
 * const text = new TextDecoder().decode(new Uint8Array(memory.buffer, m.address, m.length));
 * console.log(text); // "mapped, not copied"
 * Deno.removeSync("words.txt");
 * ```
 *
 * @module
 */
export {
  mapIntoMemory,
  type MapIntoMemoryOptions,
  MemoryMapping,
  type MemorySource,
} from "./memory.ts";
export { WASI, type WASIOptions, WASIProcExit } from "./wasi.ts";
export type { Syscall } from "./host_context.ts";
export { GUEST_MAP, GUEST_MS, GUEST_PROT } from "./guest_mmap.ts";
