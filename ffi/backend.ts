/**
 * The contract between the runtime-specific FFI code and everything else.
 * `deno.ts` and `bun.ts` each build one `Backend`; nothing outside `ffi/`
 * sees it.
 *
 * @module
 */
import type { Libc } from "./symbols.ts";
import type { Platform } from "./platform.ts";

/** The runtimes with a backend. */
export type RuntimeName = "deno" | "bun";

/** Searches over one range of memory, by the engine. */
export interface SearchView {
  /** First offset of `needle` in `[start, end)`, or -1. */
  indexOf(needle: Uint8Array, start: number, end: number): number;
  /** Last offset of `needle` in `[start, end)`, or -1. */
  lastIndexOf(needle: Uint8Array, start: number, end: number): number;
}

/** What one runtime's FFI provides. Addresses are plain numbers. */
export interface Backend {
  readonly runtime: RuntimeName;
  readonly platform: Platform;
  readonly libc: Libc;
  /** This thread's `errno`; read it right after the call that failed. */
  errno(): number;
  /** A zero-copy ArrayBuffer over `length` bytes at `address` (`length` > 0). */
  arrayBuffer(address: number, length: number): ArrayBuffer;
  /** The largest ArrayBuffer the engine can make. */
  readonly maxBufferLength: number;
  /**
   * The engine's own search over memory, where it beats libc (Bun's
   * `Buffer.indexOf`/`lastIndexOf`: SIMD, faster than glibc's `memmem`).
   * `view` wraps `length` bytes at `address` once; the view's searches take
   * offsets inside it and return -1 when absent. Missing where libc is faster.
   */
  nativeSearch?: { view(address: number, length: number): SearchView };
  /** Address of the first byte of a buffer or view. */
  addressOf(data: ArrayBuffer | ArrayBufferView): number;
  /**
   * Refuses, with the runtime's own permission error, when the user denied
   * access to `path` (Deno's `--deny-read`/`--deny-write`), so that libc is
   * never a way around the runtime's sandbox.
   */
  checkPathAccess(path: string, write: boolean): void;
}
