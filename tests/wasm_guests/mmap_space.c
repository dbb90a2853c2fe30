/*
 * A guest that grows files the C way (ftruncate, posix_fallocate) and maps
 * them shared and writable, on a file system with no room left (space_test.ts
 * runs it over a 1 MiB tmpfs). argv[1]: a directory under a preopen. Prints
 * one line per step; the test compares them. Without reservation, the memset
 * into the hole would kill the host process with SIGBUS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wasi_mmap.h"

#define MiB (1 << 20)

static const char *err(int e) {
  switch (e) {
    case 0: return "ok";
    case ENOSPC: return "ENOSPC";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    default: return "other";
  }
}

static int open_in(const char *dir, const char *name) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return open(path, O_RDWR | O_CREAT, 0644);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  /* ftruncate makes a hole: a shared writable map of it is refused up front. */
  int hole = open_in(argv[1], "hole.bin");
  printf("ftruncate 8 MiB: %s\n", err(ftruncate(hole, 8 * MiB) ? errno : 0));
  char *p = wasi_mmap(8 * MiB, WASI_PROT_READ | WASI_PROT_WRITE, WASI_MAP_SHARED, hole, 0);
  printf("shared map of the hole: %s\n", err(p == WASI_MAP_FAILED ? errno : 0));
  if (p != WASI_MAP_FAILED) {
    memset(p, 1, 8 * MiB); /* the store that used to die */
    printf("stored\n");
  }
  /* posix_fallocate (fd_allocate) reserves, or fails and leaves the size. */
  int small = open_in(argv[1], "small.bin");
  printf("posix_fallocate 8 MiB: %s\n", err(posix_fallocate(small, 0, 8 * MiB)));
  printf("size after: %ld\n", (long)lseek(small, 0, SEEK_END));
  printf("posix_fallocate 256 KiB: %s\n", err(posix_fallocate(small, 0, 256 * 1024)));
  printf("size after: %ld\n", (long)lseek(small, 0, SEEK_END));
  /* A hole that fits: reserved by the map, then stored into. */
  printf("ftruncate hole to 256 KiB: %s\n", err(ftruncate(hole, 256 * 1024) ? errno : 0));
  char *r = wasi_mmap(256 * 1024, WASI_PROT_READ | WASI_PROT_WRITE, WASI_MAP_SHARED, hole, 0);
  printf("shared map that fits: %s\n", err(r == WASI_MAP_FAILED ? errno : 0));
  if (r != WASI_MAP_FAILED) {
    memset(r, 2, 256 * 1024);
    printf("sync: %s\n", err(wasi_msync(r, 256 * 1024, WASI_MS_SYNC) ? errno : 0));
  }
  return 0;
}
