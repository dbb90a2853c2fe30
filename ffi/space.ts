/**
 * Reserving a file's blocks before a writable shared map promises them.
 *
 * A file made longer with `ftruncate(2)` has a hole where it grew. A store
 * through a `MAP_SHARED` map into that hole needs a block, and on a full file
 * system the kernel has none to give: the store dies of `SIGBUS`, long after
 * the call that promised the bytes returned. `posix_fallocate(3)` allocates the
 * blocks up front, so that a full disk is `ENOSPC` from the call that asked
 * for the space, while it can still be reported.
 *
 * Only writable shared maps need this: a read map of a hole reads zeros
 * without allocating, and a private (copy-on-write) map stores into anonymous
 * memory, never into the file.
 *
 * @module
 */
import { MMapOSError } from "../src/errors.ts";
import { lastError, statFd, truncateFd } from "./files.ts";
import { backend } from "./load.ts";

/**
 * The stride of the fallback's one-byte writes. glibc's own fallback writes
 * one byte per file system block, capped at 4096 for network file systems
 * that report larger blocks; 4096 is also the page, the unit a store faults in.
 */
const FALLBACK_STRIDE = 4096;

/**
 * Allocates the blocks of `[offset, offset + length)` of the file behind `fd`,
 * growing the file to `offset + length` if it is shorter, with
 * `posix_fallocate(3)`. Where libc has no `posix_fallocate` or the file system
 * cannot allocate (`EOPNOTSUPP`: glibc already falls back by itself), writes a
 * zero byte into every block that reads as a hole, as glibc does. A failure
 * (`ENOSPC` when the file system is full) is an `MMapOSError` naming the call;
 * the blocks it did allocate may stay: see {@linkcode growFile}, which
 * cuts the file back.
 */
export function reserveSpace(fd: number, offset: number, length: number, path?: string): void {
  if (length <= 0) return;
  const b = backend();
  const { EINTR, EOPNOTSUPP, ENOSYS } = b.platform.errno;
  const fallocate = b.libc.posix_fallocate;
  if (fallocate) {
    let r: number;
    // posix_fallocate returns the error number; it does not set errno.
    do r = fallocate(fd, offset, length); while (r === EINTR);
    if (r === 0) return;
    if (r !== EOPNOTSUPP && r !== ENOSYS) throw new MMapOSError(r, "posix_fallocate", path);
  }
  writeZeroBlocks(fd, offset, length, path);
}

/**
 * The fallback of {@linkcode reserveSpace}, glibc's `posix_fallocate`
 * emulation: a zero byte written into each block, from the end of the range's
 * first partial stride to its last byte, skipping blocks that hold a nonzero
 * byte (so data is never overwritten). Racy against other writers, as glibc's.
 */
export function writeZeroBlocks(fd: number, offset: number, length: number, path?: string): void {
  const b = backend();
  const size = statFd(fd, path).size;
  const one = new Uint8Array(1);
  for (
    let at = offset + (length - 1) % FALLBACK_STRIDE;
    at < offset + length;
    at += FALLBACK_STRIDE
  ) {
    if (at < size) {
      const n = b.libc.pread(fd, one, 1, at);
      if (n < 0) throw lastError("pread", path);
      if (n === 1 && one[0] !== 0) continue;
    }
    one[0] = 0;
    if (b.libc.pwrite(fd, one, 1, at) !== 1) throw lastError("pwrite", path);
  }
}

/**
 * Makes the file behind `fd` `newSize` bytes long (from `oldSize`, which it
 * is now). With `sparse`, or when it shrinks, that is `ftruncate(2)` alone,
 * which leaves a hole where the file grew. Otherwise the hole's blocks are
 * then reserved (see {@linkcode reserveSpace}); when that fails, the file is
 * cut back to `oldSize` and the reservation's error is thrown. `ftruncate`
 * goes first so that its errors (`EFBIG`, `EINVAL` on a read-only
 * descriptor) stay exactly CPython's.
 */
export function growFile(
  fd: number,
  oldSize: number,
  newSize: number,
  sparse: boolean,
  path?: string,
): void {
  truncateFd(fd, newSize, path);
  if (sparse || newSize <= oldSize) return;
  try {
    reserveSpace(fd, oldSize, newSize - oldSize, path);
  } catch (e) {
    try {
      truncateFd(fd, oldSize, path);
    } catch { /* report the reservation's error */ }
    throw e;
  }
}
