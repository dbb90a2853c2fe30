/**
 * Memory-mapped files for Deno and Bun: CPython's `mmap` module, complete, in
 * JavaScript form, plus zero-copy typed-array views over the mapping.
 *
 * The library calls libc (`mmap`, `munmap`, `msync`, `madvise`, `mremap`,
 * `memmem`, ...) through the runtime's FFI, so Deno needs `--allow-ffi`.
 *
 * Start with the class {@linkcode MMap}: `MMap.open(file, options)` maps a
 * file, `MMap.anonymous(n)` memory, `MMap.shared(name, n)` named shared
 * memory, `MMap.concat(paths)` several files as one ({@linkcode MMapConcat}).
 * {@linkcode Mutex} and {@linkcode Semaphore} live inside a shared map.
 * Failed system calls throw {@linkcode MMapOSError}. The constants
 * (`ACCESS_*`, `PROT_*`, `MAP_*`, `MADV_*`, `MS_*`) are this platform's
 * values; those marked "Linux only" or "macOS only" are 0 (`MADV_*`: -1)
 * on the other.
 *
 * @example Count the lines of a file without reading it into memory
 * ```ts
 * import { MMap } from "@seed/mmap";
 * Deno.writeTextFileSync("lines.txt", "a\nb\nc\n");
 * {
 *   using m = MMap.open("lines.txt");
 *   console.log(m.count("\n")); // 3
 * }
 * Deno.removeSync("lines.txt");
 * ```
 *
 * @module
 */
export {
  type AccessMode,
  type AnonymousOptions,
  type BytesLike,
  type FaultGuardStatus,
  MMap,
  type MMapOptions,
  type Needle,
  type OpenOptions,
  type ResizeOptions,
} from "./src/mmap.ts";
export { MMapOSError } from "./ffi/errors.ts";
export { type FlushOptions, type TypedArrayConstructor } from "./src/types.ts";
export { type FileSource } from "./src/open_source.ts";
export { type StreamOptions } from "./src/stream.ts";
export { type ConcatOptions, type ConcatSegment, MMapConcat } from "./src/concat.ts";
export * from "./src/constants.ts";
export { type SharedOptions } from "./src/shared.ts";
export { Mutex, type MutexGuard } from "./src/sync/mutex.ts";
export { Semaphore } from "./src/sync/semaphore.ts";
export { notify, wait, waitAsync, type WaitResult } from "./src/sync/wait.ts";
export { Ring, type RingOptions, type RingSlots } from "./src/sync/ring.ts";
export { RingCorruptError } from "./src/sync/ring_layout.ts";
export { type WaitStrategy } from "./src/sync/ring_wait.ts";
