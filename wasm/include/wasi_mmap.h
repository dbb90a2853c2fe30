/*
 * wasi_mmap.h: real mmap for WebAssembly guests, served by @seed/mmap's WASI
 * host (`WASI` in @seed/mmap/wasm), which maps a file's pages straight into
 * the guest's linear memory. Loads and stores on the returned pointer are
 * loads and stores on the file: no copy, no heap.
 *
 * The host provides an import module named "mmap" with four functions. The
 * raw imports return a negated WASI errno on failure; the inline wrappers
 * below turn that into POSIX style (MAP_FAILED or -1, and errno).
 *
 *   int32_t map(int32_t fd, int64_t offset, uint32_t length,
 *               int32_t prot, int32_t flags)
 *       Maps `length` bytes of the file behind the WASI descriptor `fd`
 *       (opened with open()/path_open) from `offset` into fresh pages of
 *       this guest's memory, and returns their address (a multiple of
 *       WASI_MMAP_PAGESIZE).
 *       - offset: a multiple of WASI_MMAP_PAGESIZE (65536), else EINVAL.
 *       - prot: WASI_PROT_READ, optionally | WASI_PROT_WRITE.
 *       - flags: exactly one of WASI_MAP_SHARED / WASI_MAP_PRIVATE,
 *         optionally | WASI_MAP_ANONYMOUS (zero pages; fd is ignored).
 *       - WASI_MAP_SHARED with WASI_PROT_WRITE: stores reach the file
 *         (msync them to be sure they are on disk). The descriptor must have
 *         been opened for writing (the right fd_write), else ENOTCAPABLE.
 *         The file's blocks in the range are reserved first (holes left by
 *         ftruncate are filled, as posix_fallocate does): ENOSPC when the
 *         file system has no room, instead of a dead process at the first
 *         store.
 *       - Any other combination is a private mapping: stores stay in this
 *         guest's copy. The pages are always writable underneath, so a store
 *         never traps, even without WASI_PROT_WRITE.
 *       - The descriptor needs the right fd_read (ENOTCAPABLE), and must be a
 *         regular file (ENODEV). EBADF for a descriptor that is not open.
 *       - Bytes past the end of the file read as zero and never reach it.
 *       - ENOMEM when the memory cannot grow enough.
 *       While any page of a file is mapped, the host refuses (EBUSY) to
 *       truncate it below the mapped range (ftruncate, O_TRUNC).
 *
 *   int32_t unmap(uint32_t address, uint32_t length)
 *       Replaces [address, address + length) (rounded up to whole pages) with
 *       zero pages and makes it available to later maps. `address` must be a
 *       page this guest got from map(), else EINVAL.
 *
 *   int32_t sync(uint32_t address, uint32_t length, int32_t flags)
 *       msync(2): WASI_MS_SYNC (wait) or WASI_MS_ASYNC (schedule), optionally
 *       | WASI_MS_INVALIDATE. ENOMEM if the range is not mapped by map().
 *
 *   int32_t advise(uint32_t address, uint32_t length, int32_t advice)
 *       madvise(2) with a __wasi_advice_t value (WASI_MADV_*). ENOMEM if the
 *       range is not mapped by map(); EINVAL for an unknown advice.
 *
 * Build: clang --target=wasm32-wasi -I<@seed/mmap>/wasm/include guest.c
 * Run:   new WASI({ preopens: { "/data": "./data" } }), then
 *        WebAssembly.instantiate(bytes, wasi.getImportObject()) and
 *        wasi.start(instance).
 */
#ifndef WASI_MMAP_H
#define WASI_MMAP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WASI_MMAP_PAGESIZE 65536

#define WASI_PROT_READ 1
#define WASI_PROT_WRITE 2

#define WASI_MAP_SHARED 1
#define WASI_MAP_PRIVATE 2
#define WASI_MAP_ANONYMOUS 4

#define WASI_MS_ASYNC 1
#define WASI_MS_INVALIDATE 2
#define WASI_MS_SYNC 4

/* The values of __wasi_advice_t. */
#define WASI_MADV_NORMAL 0
#define WASI_MADV_SEQUENTIAL 1
#define WASI_MADV_RANDOM 2
#define WASI_MADV_WILLNEED 3
#define WASI_MADV_DONTNEED 4
#define WASI_MADV_NOREUSE 5

#define WASI_MAP_FAILED ((void *)-1)

/* The raw imports: an address or 0 on success, a negated WASI errno on failure. */
int32_t __wasi_mmap_map(int32_t fd, int64_t offset, uint32_t length, int32_t prot,
                        int32_t flags)
    __attribute__((__import_module__("mmap"), __import_name__("map")));
int32_t __wasi_mmap_unmap(uint32_t address, uint32_t length)
    __attribute__((__import_module__("mmap"), __import_name__("unmap")));
int32_t __wasi_mmap_sync(uint32_t address, uint32_t length, int32_t flags)
    __attribute__((__import_module__("mmap"), __import_name__("sync")));
int32_t __wasi_mmap_advise(uint32_t address, uint32_t length, int32_t advice)
    __attribute__((__import_module__("mmap"), __import_name__("advise")));

/* Errors are -1 .. -4095; addresses are multiples of 65536, never in that range. */
static inline int wasi_mmap_failed_(int32_t r) { return r < 0 && r > -4096; }

/* mmap(2) in POSIX style: the address, or WASI_MAP_FAILED with errno set. */
static inline void *wasi_mmap(size_t length, int prot, int flags, int fd, int64_t offset) {
  int32_t r = __wasi_mmap_map(fd, offset, (uint32_t)length, prot, flags);
  if (wasi_mmap_failed_(r)) {
    errno = -r;
    return WASI_MAP_FAILED;
  }
  return (void *)(uintptr_t)(uint32_t)r;
}

/* munmap(2): 0, or -1 with errno set. */
static inline int wasi_munmap(void *address, size_t length) {
  int32_t r = __wasi_mmap_unmap((uint32_t)(uintptr_t)address, (uint32_t)length);
  if (r) {
    errno = -r;
    return -1;
  }
  return 0;
}

/* msync(2): 0, or -1 with errno set. */
static inline int wasi_msync(void *address, size_t length, int flags) {
  int32_t r = __wasi_mmap_sync((uint32_t)(uintptr_t)address, (uint32_t)length, flags);
  if (r) {
    errno = -r;
    return -1;
  }
  return 0;
}

/* madvise(2): 0, or -1 with errno set. */
static inline int wasi_madvise(void *address, size_t length, int advice) {
  int32_t r = __wasi_mmap_advise((uint32_t)(uintptr_t)address, (uint32_t)length, advice);
  if (r) {
    errno = -r;
    return -1;
  }
  return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* WASI_MMAP_H */
