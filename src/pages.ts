/**
 * Page arithmetic, with the page size as a parameter. The library passes
 * `PAGESIZE` (what `sysconf(_SC_PAGESIZE)` says: 4 KiB on x86_64; 4, 16 or
 * 64 KiB on Linux aarch64, a kernel build option; 16 KiB on Apple arm64);
 * tests pass each of those, so that no rule holds for 4 KiB pages only.
 *
 * @module
 */
import { appendOwn, BigIntCtor, mathCeil, NumberCtor } from "../ffi/primordials.ts";

/** `n` rounded up to a multiple of `page`. */
export function roundUpToPage(n: number, page: number): number {
  return mathCeil(n / page) * page;
}

/** The start of the page holding offset `n`. */
export function pageFloor(n: number, page: number): number {
  return n - (n % page);
}

/** True when `n` is a multiple of `page`. */
export function isPageMultiple(n: number, page: number): boolean {
  return n % page === 0;
}

/**
 * `offset` as a Number once it is a multiple of `granularity` (exact then,
 * since the caller keeps it below 2^63); else the `RangeError` that
 * `MMap` and `mapIntoMemory` give.
 */
export function alignedOffset(offset: bigint | number, granularity: number): number {
  const aligned = typeof offset === "bigint"
    ? offset % BigIntCtor(granularity) === 0n
    : isPageMultiple(offset, granularity);
  if (!aligned) {
    throw new RangeError(
      `offset must be a multiple of ALLOCATIONGRANULARITY (${granularity}), not ${offset}`,
    );
  }
  return NumberCtor(offset);
}

/**
 * Splits files, in order, into runs that can sit back to back in one range
 * of memory: a file can follow another only on a page boundary, so a run
 * ends with each file whose size is not a multiple of `page`. Empty files
 * are left out (they take no pages).
 */
export function contiguousRuns<F extends { readonly size: number }>(
  files: readonly F[],
  page: number,
): F[][] {
  const runs: F[][] = [];
  let run: F[] = [];
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    if (f.size === 0) continue;
    appendOwn(run, f);
    if (!isPageMultiple(f.size, page)) {
      appendOwn(runs, run);
      run = [];
    }
  }
  if (run.length) appendOwn(runs, run);
  return runs;
}
