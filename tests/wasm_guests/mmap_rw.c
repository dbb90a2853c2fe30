/*
 * A guest that maps a file through the "mmap" import, reads it, writes it,
 * syncs, and checks what the host enforces. argv[1]: a file under a
 * preopened directory. Prints one line per step; the test compares them.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wasi_mmap.h"

static const char *err(int e) {
  switch (e) {
    case 0: return "ok";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case ENODEV: return "ENODEV";
    case ENOMEM: return "ENOMEM";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    default: return "other";
  }
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int fd = open(argv[1], O_RDWR);
  if (fd < 0) {
    printf("open: %s\n", strerror(errno));
    return 3;
  }
  off_t size = lseek(fd, 0, SEEK_END);
  char *p = wasi_mmap(size, WASI_PROT_READ | WASI_PROT_WRITE, WASI_MAP_SHARED, fd, 0);
  if (p == WASI_MAP_FAILED) {
    printf("map: %s\n", err(errno));
    return 4;
  }
  printf("aligned: %d\n", (int)((uintptr_t)p % WASI_MMAP_PAGESIZE == 0));
  printf("read: %.*s\n", (int)size, p);
  for (off_t i = 0; i < size; i++) p[i] = (char)toupper((unsigned char)p[i]);
  printf("sync: %s\n", err(wasi_msync(p, size, WASI_MS_SYNC) ? errno : 0));
  char buf[64] = {0};
  ssize_t n = pread(fd, buf, size < 63 ? size : 63, 0);
  printf("pread after sync: %.*s\n", (int)n, buf);
  printf("tail byte past end: %d\n", p[size]);
  printf("advise: %s\n", err(wasi_madvise(p, size, WASI_MADV_RANDOM) ? errno : 0));
  printf("truncate while mapped: %s\n", err(ftruncate(fd, 0) ? errno : 0));
  printf("open O_TRUNC while mapped: %s\n", err(open(argv[1], O_RDWR | O_TRUNC) < 0 ? errno : 0));
  printf("unmap: %s\n", err(wasi_munmap(p, size) ? errno : 0));
  printf("after unmap: %d\n", p[0]);
  printf("unmap again: %s\n", err(wasi_munmap(p, size) ? errno : 0));
  printf("truncate after unmap: %s\n", err(ftruncate(fd, size) ? errno : 0));

  /* A read-only descriptor: shared writable maps are refused, private ones work. */
  int ro = open(argv[1], O_RDONLY);
  void *q = wasi_mmap(size, WASI_PROT_READ | WASI_PROT_WRITE, WASI_MAP_SHARED, ro, 0);
  printf("shared write on read-only fd: %s\n", err(q == WASI_MAP_FAILED ? errno : 0));
  char *c = wasi_mmap(size, WASI_PROT_READ, WASI_MAP_PRIVATE, ro, 0);
  printf("private map on read-only fd: %s\n", err(c == WASI_MAP_FAILED ? errno : 0));
  if (c != WASI_MAP_FAILED) {
    c[0] = 'x'; /* a store into a read-only mapping: stays in this copy */
    printf("private store: %c\n", c[0]);
    wasi_munmap(c, size);
  }
  int wo = open(argv[1], O_WRONLY);
  q = wasi_mmap(size, WASI_PROT_READ, WASI_MAP_PRIVATE, wo, 0);
  printf("map on write-only fd: %s\n", err(q == WASI_MAP_FAILED ? errno : 0));
  q = wasi_mmap(size, WASI_PROT_READ, WASI_MAP_PRIVATE, 99, 0);
  printf("map on bad fd: %s\n", err(q == WASI_MAP_FAILED ? errno : 0));
  q = wasi_mmap(size, WASI_PROT_READ, WASI_MAP_PRIVATE, ro, 100);
  printf("unaligned offset: %s\n", err(q == WASI_MAP_FAILED ? errno : 0));
  q = wasi_mmap(size, WASI_PROT_READ, WASI_MAP_PRIVATE | WASI_MAP_SHARED, ro, 0);
  printf("shared and private: %s\n", err(q == WASI_MAP_FAILED ? errno : 0));
  q = wasi_mmap(size, WASI_PROT_READ, WASI_MAP_PRIVATE, 1, 0);
  printf("map stdout: %s\n", err(q == WASI_MAP_FAILED ? errno : 0));
  char local[16];
  printf("unmap the stack: %s\n", err(wasi_munmap(local, 16) ? errno : 0));
  printf("sync unmapped: %s\n", err(wasi_msync((void *)(uintptr_t)0x10000, 16, WASI_MS_SYNC) ? errno : 0));

  /* Anonymous pages, and reuse of unmapped ones. */
  char *a = wasi_mmap(100000, WASI_PROT_READ | WASI_PROT_WRITE, WASI_MAP_PRIVATE | WASI_MAP_ANONYMOUS, -1, 0);
  printf("anonymous: %s zero=%d\n", err(a == WASI_MAP_FAILED ? errno : 0), a[99999]);
  memset(a, 7, 100000);
  wasi_munmap(a, 100000);
  size_t pages = __builtin_wasm_memory_size(0);
  char *b = wasi_mmap(100000, WASI_PROT_READ, WASI_MAP_PRIVATE | WASI_MAP_ANONYMOUS, -1, 0);
  printf("unmapped pages reused: %d zero=%d\n", __builtin_wasm_memory_size(0) == pages, b[5]);
  printf("too large: %s\n", err(wasi_mmap(0xffffffffu, WASI_PROT_READ, WASI_MAP_PRIVATE | WASI_MAP_ANONYMOUS, -1, 0) == WASI_MAP_FAILED ? errno : 0));

  /* Unmapping part of a mapping keeps the rest, and the rest keeps the file from shrinking. */
  ftruncate(fd, 2 * WASI_MMAP_PAGESIZE);
  char *two = wasi_mmap(2 * WASI_MMAP_PAGESIZE, WASI_PROT_READ, WASI_MAP_SHARED, fd, 0);
  two[WASI_MMAP_PAGESIZE] = 'k';
  printf("unmap first half: %s", err(wasi_munmap(two, WASI_MMAP_PAGESIZE) ? errno : 0));
  printf(" second half=%c", two[WASI_MMAP_PAGESIZE]);
  printf(" truncate=%s", err(ftruncate(fd, 0) ? errno : 0));
  printf(" unmap second half=%s", err(wasi_munmap(two + WASI_MMAP_PAGESIZE, WASI_MMAP_PAGESIZE) ? errno : 0));
  printf(" truncate=%s\n", err(ftruncate(fd, size) ? errno : 0));

  /* A mapping past the end of the file: zero pages, no fault. */
  char *big = wasi_mmap(4 * WASI_MMAP_PAGESIZE, WASI_PROT_READ, WASI_MAP_PRIVATE, ro, 0);
  printf("past end: %s last=%d\n", err(big == WASI_MAP_FAILED ? errno : 0),
         big[4 * WASI_MMAP_PAGESIZE - 1]);
  big[4 * WASI_MMAP_PAGESIZE - 1] = 1;
  return 0;
}
