/**
 * Helpers of the ports of CPython's Lib/test/test_mmap.py
 * (tests/conformance_*_test.ts): CPython's TESTFN as a temporary file, and
 * mapping a file through a descriptor the way the Python tests do.
 */
import { closeSync, openSync, rmSync, statSync, writeFileSync } from "node:fs";
import { MMap, type MMapOptions } from "../mod.ts";
import { tempDir } from "./_helpers.ts";

/** `sys.maxsize` on 64-bit platforms. */
export const MAXSIZE = 2n ** 63n - 1n;

/** A temporary file name, removed by `cleanup` (CPython's TESTFN). */
export function testFile(name = "testfn.bin"): { path: string; cleanup(): void } {
  const t = tempDir("mmap-conformance-");
  return { path: t.path(name), cleanup: t.cleanup };
}

/** Writes `data` to `path`, as `open(TESTFN, "wb").write(data)`. */
export function writeFile(path: string, data: string | Uint8Array): void {
  writeFileSync(path, data);
}

/** `mmap.mmap(f.fileno(), length, ...)` on `open(path, mode)`, closing the descriptor after. */
export function mapFile(
  path: string,
  mode: "r" | "r+" | "w+",
  length: number,
  options?: MMapOptions,
): MMap {
  const fd = openSync(path, mode);
  try {
    return new MMap(fd, length, options);
  } finally {
    closeSync(fd);
  }
}

/** `os.stat(path).st_size`. */
export function fileSize(path: string): number {
  return statSync(path).size;
}

/** Removes `path` if it exists (CPython's `unlink(TESTFN)`). */
export function unlink(path: string): void {
  rmSync(path, { force: true });
}

/** Bytes of a Latin-1 string: one byte per character, as Python's `b"..."`. */
export function latin1(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
