/*
 * The bench guest of bench/wasi_programs.ts: what WASI calls cost on the
 * host it runs on, timed by the guest itself (CLOCK_MONOTONIC), so that
 * every host is measured the same way. Run with a scratch directory
 * preopened as "/sandbox".
 *
 *   wasi_calls calls N   per-call cost of path_open, fd_read, fd_write and
 *                        fd_readdir (raw WASI calls, N of each, timed after
 *                        as many untimed ones: the steady cost, once a
 *                        host's JIT has compiled its code)
 *   wasi_calls files N   create, write, read, list and delete N small files
 *                        (through wasi-libc, as a program would)
 *
 * Prints one "name: value" line per measurement, and "check: ..." lines
 * that the bench compares between hosts.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int must(int ok, const char *what) {
  if (!ok) {
    printf("failed: %s (%s)\n", what, ename(errno));
    exit(1);
  }
  return ok;
}

#define RIGHTS_RW (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK)

static void calls(int n) {
  int dir = preopen_fd();
  const char *name = "calls.bin";
  __wasi_fd_t fd;
  must(__wasi_path_open(dir, 0, name, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RIGHTS_RW, 0, 0,
                        &fd) == 0, "create calls.bin");
  char block[64];
  memset(block, 'x', sizeof block);
  __wasi_ciovec_t out = {(const uint8_t *)block, sizeof block};
  __wasi_iovec_t in = {(uint8_t *)block, sizeof block};
  __wasi_size_t done;

  double t = 0;
  __wasi_filesize_t pos;
  for (int pass = 0; pass < 2; pass++) {
    __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos);
    t = now_us();
    for (int i = 0; i < n; i++) must(__wasi_fd_write(fd, &out, 1, &done) == 0, "fd_write");
  }
  printf("fd_write: %.2f us/call (64 B)\n", (now_us() - t) / n);

  long total = 0;
  for (int pass = 0; pass < 2; pass++) {
    __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos);
    t = now_us();
    total = 0;
    for (int i = 0; i < n; i++) {
      must(__wasi_fd_read(fd, &in, 1, &done) == 0, "fd_read");
      total += done;
    }
  }
  printf("fd_read: %.2f us/call (64 B)\n", (now_us() - t) / n);
  printf("check: read %ld bytes\n", total);
  __wasi_fd_close(fd);

  /* Opens of an existing file, each closed again (closes timed apart). */
  double open_us = 0;
  for (int pass = 0; pass < 2; pass++) {
    open_us = 0;
    for (int i = 0; i < n; i++) {
      t = now_us();
      must(__wasi_path_open(dir, 0, name, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd) == 0, "path_open");
      open_us += now_us() - t;
      __wasi_fd_close(fd);
    }
  }
  printf("path_open: %.2f us/call\n", open_us / n);

  /* fd_readdir from cookie 0 of a directory of 32 files, into 4 KiB. */
  __wasi_path_create_directory(dir, "listing");
  char path[64];
  for (int i = 0; i < 32; i++) {
    snprintf(path, sizeof path, "listing/entry-%02d", i);
    must(__wasi_path_open(dir, 0, path, __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, 0, &fd) == 0, "entry");
    __wasi_fd_close(fd);
  }
  __wasi_fd_t ld;
  must(__wasi_path_open(dir, 0, "listing", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, 0,
                        &ld) == 0, "open listing");
  static uint8_t buf[4096];
  int reps = n / 10 > 0 ? n / 10 : 1;
  for (int pass = 0; pass < 2; pass++) {
    t = now_us();
    for (int i = 0; i < reps; i++) {
      must(__wasi_fd_readdir(ld, buf, sizeof buf, 0, &done) == 0, "readdir");
    }
  }
  printf("fd_readdir: %.2f us/call (34 entries)\n", (now_us() - t) / reps);
  printf("check: readdir filled %lu bytes\n", (unsigned long)done);
  __wasi_fd_close(ld);
}

static void files(int n) {
  char path[64];
  char data[100];
  memset(data, 'd', sizeof data);
  must(mkdir("/sandbox/many", 0755) == 0, "mkdir");
  double t0 = now_us();
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "/sandbox/many/file-%05d.txt", i);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    must(fd >= 0, path);
    snprintf(data, sizeof data, "file %d\n", i);
    must(write(fd, data, sizeof data) == sizeof data, "write");
    close(fd);
  }
  double t1 = now_us();
  long sum = 0;
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "/sandbox/many/file-%05d.txt", i);
    int fd = open(path, O_RDONLY);
    must(fd >= 0, path);
    must(read(fd, data, sizeof data) == sizeof data, "read");
    sum += atoi(data + 5);
    close(fd);
  }
  double t2 = now_us();
  DIR *d = opendir("/sandbox/many");
  must(d != NULL, "opendir");
  int listed = 0;
  struct dirent *e;
  while ((e = readdir(d))) listed += e->d_name[0] != '.';
  closedir(d);
  double t3 = now_us();
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "/sandbox/many/file-%05d.txt", i);
    must(unlink(path) == 0, "unlink");
  }
  must(rmdir("/sandbox/many") == 0, "rmdir");
  double t4 = now_us();
  printf("create+write: %.1f ms\nread: %.1f ms\nlist: %.1f ms\ndelete: %.1f ms\ntotal: %.1f ms\n",
         (t1 - t0) / 1e3, (t2 - t1) / 1e3, (t3 - t2) / 1e3, (t4 - t3) / 1e3, (t4 - t0) / 1e3);
  printf("check: %d files, sum %ld, listed %d\n", n, sum, listed);
}

int main(int argc, char **argv) {
  int n = argc > 2 ? atoi(argv[2]) : 0;
  if (argc > 2 && !strcmp(argv[1], "calls")) calls(n);
  else if (argc > 2 && !strcmp(argv[1], "files")) files(n);
  else return 2;
  return 0;
}
