/**
 * What every group of WASI calls needs from the `WASI` instance, and small
 * conversions they share.
 *
 * @module
 */
import type { FullStat, TimeSpec } from "../ffi/host_files.ts";
import { Errno } from "./errno.ts";
import type { FdTable } from "./fd_table.ts";
import type { GuestView } from "./guest_view.ts";
import { ERRNO, FILETYPE, FSTFLAGS, SIZE } from "./wasi_defs.ts";
import { bigIntAsUintN, BigIntCtor as BigInt, NumberCtor as Number } from "../ffi/primordials.ts";

/** The state the calls act on. */
export interface HostContext {
  readonly fds: FdTable;
  /** A fresh view of guest memory. */
  view(): GuestView;
  /** The guest's memory (bound by `start()` or `initialize()`). */
  memory(): WebAssembly.Memory;
  /** Arguments and `KEY=value` environment strings, UTF-8 encoded. */
  readonly args: readonly Uint8Array[];
  readonly env: readonly Uint8Array[];
  /** Ends the guest (`proc_exit`): unwinds to `start()`, which returns `code`. */
  exit(code: number): never;
}

/**
 * A function of an import module: numbers and BigInts in, an errno (or
 * address) out.
 *
 * @example
 * ```ts
 * import { type Syscall, WASI } from "@seed/mmap/wasm";
 * const yieldNow: Syscall = new WASI().wasiImport.sched_yield;
 * console.log(yieldNow()); // 0
 * ```
 */
// deno-lint-ignore no-explicit-any
export type Syscall = (...args: any[]) => number | void;

/** A u64 argument (a BigInt from the engine) as a Number; `EOVERFLOW` beyond 2^53. */
export function u64(value: bigint): number {
  const v = bigIntAsUintN(64, value);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Errno(ERRNO.OVERFLOW);
  return Number(v);
}

// File-type bits of st_mode: the same on every POSIX system.
const S_IFMT = 0o170000;
const TYPES: Readonly<Record<number, number>> = {
  0o100000: FILETYPE.REGULAR_FILE,
  0o040000: FILETYPE.DIRECTORY,
  0o120000: FILETYPE.SYMBOLIC_LINK,
  0o020000: FILETYPE.CHARACTER_DEVICE,
  0o060000: FILETYPE.BLOCK_DEVICE,
  0o140000: FILETYPE.SOCKET_STREAM,
};

/** The WASI file type of an `st_mode`. */
export function filetypeOf(mode: number): number {
  return TYPES[mode & S_IFMT] ?? FILETYPE.UNKNOWN;
}

/** Writes a `__wasi_filestat_t` (64 bytes) for `st` at `ptr`. */
export function writeFilestat(view: GuestView, ptr: number, st: FullStat): void {
  view.slice(ptr, SIZE.filestat).fill(0);
  view.setU64(ptr, st.dev);
  view.setU64(ptr + 8, st.ino);
  view.setU8(ptr + 16, filetypeOf(st.mode));
  view.setU64(ptr + 24, st.nlink);
  view.setU64(ptr + 32, st.size);
  view.setU64(ptr + 40, st.atimeNs);
  view.setU64(ptr + 48, st.mtimeNs);
  view.setU64(ptr + 56, st.ctimeNs);
}

/**
 * The access and modification times that `fst_flags` ask for. `EINVAL` for
 * unknown flags, or a time both given and "now".
 */
export function newTimes(fst: number, atim: bigint, mtim: bigint): [TimeSpec, TimeSpec] {
  if (
    fst & ~0xf ||
    (fst & FSTFLAGS.ATIM && fst & FSTFLAGS.ATIM_NOW) ||
    (fst & FSTFLAGS.MTIM && fst & FSTFLAGS.MTIM_NOW)
  ) {
    throw new Errno(ERRNO.INVAL);
  }
  const pick = (given: number, now: number, t: bigint): TimeSpec =>
    fst & given ? bigIntAsUintN(64, t) : fst & now ? "now" : "omit";
  return [
    pick(FSTFLAGS.ATIM, FSTFLAGS.ATIM_NOW, atim),
    pick(FSTFLAGS.MTIM, FSTFLAGS.MTIM_NOW, mtim),
  ];
}
