/**
 * What to do next, appended to an error where a user's mistake is the likely
 * cause. CPython's message always comes first, unchanged; the hint follows
 * after "; " (RangeError) or ": " (MMapOSError).
 *
 * @module
 */
import { PAGESIZE } from "./constants.ts";
import { MMapOSError } from "../ffi/errors.ts";

/** After "cannot mmap an empty file". */
export const EMPTY_FILE_HINT =
  "; to make a new file or grow an empty one, pass MMap.open(path, { create: true, length, " +
  'access: "write" })';

/** After "offset must be a multiple of ALLOCATIONGRANULARITY". */
export const ALIGN_HINT = "; pass align: true to map from the page below it";

/**
 * `mmap` failed with `EACCES`: the descriptor was opened without the access
 * the map asks for (the constructor's default is a shared writable map).
 */
export function mmapFailureHint(e: unknown, readOnly: boolean): unknown {
  if (!(e instanceof MMapOSError) || e.syscall !== "mmap" || e.code !== "EACCES") return e;
  const hint = readOnly
    ? "the file cannot be read through this descriptor (opened write-only?)"
    : 'the descriptor does not allow a writable shared map (opened read-only?): pass { access: "read" } ' +
      '(ACCESS_READ) or { access: "copy" }, or open the file for reading and writing';
  return new MMapOSError(e.errno, e.syscall, e.path, hint);
}

/** `msync` failed with `EINVAL` for an offset that is not page-aligned. */
export function flushFailureHint(e: unknown, offset: number): unknown {
  if (!(e instanceof MMapOSError) || e.code !== "EINVAL" || offset % PAGESIZE === 0) return e;
  return new MMapOSError(
    e.errno,
    e.syscall,
    e.path,
    `flush's offset must be a multiple of PAGESIZE (${PAGESIZE}), not ${offset}; ` +
      `flush() with no arguments syncs the whole map`,
  );
}
