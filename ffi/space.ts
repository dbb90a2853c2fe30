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
 * On disk file systems only a shared writable map needs the blocks (a read
 * fault on a hole maps zeros; a private map stores into anonymous memory). On
 * tmpfs (`/dev/shm`, often `/tmp`) the page cache is the storage, so any
 * fault on a hole, read or private, takes a page and can be `SIGBUS` when it
 * is full (measured on a 1 MiB tmpfs): a file the library grows is therefore
 * reserved for every kind of map. Over ranges the library did not grow (a
 * WebAssembly guest's map), only shared writable maps reserve: they have a
 * writable descriptor and the intent to store.
 *
 * @module
 */
import { MMapOSError } from "./errors.ts";
import { lastError, statFd, truncateFd } from "./files.ts";
import { backend } from "./load.ts";
import { Uint8ArrayCtor } from "./primordials.ts";

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
  const one = new Uint8ArrayCtor(1);
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
 * Reserves `[offset, offset + length)` as {@linkcode reserveSpace} does; when
 * that fails, the file is cut back to `size` (its size before: a file system
 * may keep the part it managed to allocate) and the reservation's error is
 * thrown. WASI's `fd_allocate`.
 */
export function allocateRange(
  fd: number,
  offset: number,
  length: number,
  size: number,
  path?: string,
): void {
  try {
    reserveSpace(fd, offset, length, path);
  } catch (e) {
    try {
      truncateFd(fd, size, path);
    } catch { /* report the reservation's error */ }
    throw e;
  }
}

/**
 * Makes the file behind `fd` `newSize` bytes long (from `oldSize`, which it
 * is now). With `sparse`, or when it shrinks, that is `ftruncate(2)` alone,
 * which leaves a hole where the file grew. Otherwise the hole's blocks are
 * then reserved, and a failure cuts the file back to `oldSize` (see
 * {@linkcode allocateRange}). `ftruncate` goes first so that its errors
 * (`EFBIG`, `EINVAL` on a read-only descriptor) stay exactly CPython's.
 */
export function growFile(
  fd: number,
  oldSize: number,
  newSize: number,
  sparse: boolean,
  path?: string,
): void {
  truncateFd(fd, newSize, path);
  if (!sparse && newSize > oldSize) allocateRange(fd, oldSize, newSize - oldSize, oldSize, path);
}
