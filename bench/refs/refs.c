// The C references of the bench: what the hardware and libc allow for each
// case. Compiled with `cc -O2` at bench time and driven over stdin/stdout by
// bench/main.ts: one request line in ("find <hex>", ...), one JSON line out
// ({"s": seconds, "r": result}). Each request times one repetition.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

struct file {
  int fd;
  size_t size;
  unsigned char *p;
};

static struct file map_file(const char *path, int writable) {
  struct file f = {-1, 0, NULL};
  f.fd = open(path, writable ? O_RDWR : O_RDONLY);
  if (f.fd < 0) return f;
  struct stat st;
  fstat(f.fd, &st);
  f.size = st.st_size;
  f.p = mmap(0, f.size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, f.fd, 0);
  if (f.p == MAP_FAILED) f.p = NULL;
  return f;
}

static size_t unhex(const char *hex, unsigned char *out) {
  size_t n = strlen(hex) / 2;
  for (size_t i = 0; i < n; i++) sscanf(hex + 2 * i, "%2hhx", &out[i]);
  return n;
}

// The offsets of the random-access cases: the same 32-bit LCG in every
// language, so that every implementation reads the same places.
static uint32_t lcg_state;
static uint64_t next_offset(uint64_t limit) {
  lcg_state = lcg_state * 1664525u + 1013904223u;
  return (uint64_t)((double)lcg_state / 4294967296.0 * (double)limit);
}

static volatile uint64_t sink;

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: refs text floats small write cold\n");
    return 2;
  }
  struct file text = map_file(argv[1], 0);
  struct file floats = map_file(argv[2], 0);
  const char *small = argv[3];
  const char *write_path = argv[4];
  const char *cold_path = argv[5];
  unsigned char *buf = malloc(1 << 20);
  char line[512];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    char cmd[64] = "", arg[256] = "";
    long long n = 0;
    sscanf(line, "%63s %255s %lld", cmd, arg, &n);
    double t = now();
    long long r = 0;
    if (!strcmp(cmd, "find")) {
      unsigned char needle[128];
      size_t k = unhex(arg, needle);
      unsigned char *at = memmem(text.p, text.size, needle, k);
      r = at ? at - text.p : -1;
    } else if (!strcmp(cmd, "rfind")) {
      // No memrmem in libc: memrchr for the last byte, then memcmp.
      unsigned char needle[128];
      size_t k = unhex(arg, needle);
      r = -1;
      size_t hi = text.size;
      while (hi >= k) {
        unsigned char *at = memrchr(text.p + k - 1, needle[k - 1], hi - (k - 1));
        if (!at) break;
        if (!memcmp(at - (k - 1), needle, k)) {
          r = at - (k - 1) - text.p;
          break;
        }
        hi = at - text.p;
      }
    } else if (!strcmp(cmd, "count")) {
      unsigned char *q = text.p, *end = text.p + text.size;
      while ((q = memchr(q, '\n', end - q))) r++, q++;
    } else if (!strcmp(cmd, "readline")) {
      // memchr for the end of each line, memcpy of the line into a buffer.
      unsigned char *q = text.p, *end = text.p + text.size;
      while (q < end) {
        unsigned char *nl = memchr(q, '\n', end - q);
        unsigned char *stop = nl ? nl + 1 : end;
        size_t len = stop - q;
        if (len > (1 << 20)) len = 1 << 20;
        memcpy(buf, q, len);
        sink += buf[0];
        r++;
        q = stop;
      }
    } else if (!strcmp(cmd, "random-memcpy") || !strcmp(cmd, "random-pread")) {
      int pr = !strcmp(cmd, "random-pread");
      lcg_state = 12345;
      for (long long i = 0; i < n; i++) {
        uint64_t o = next_offset(text.size - 4096);
        if (pr) {
          if (pread(text.fd, buf, 4096, o) != 4096) return 1;
        } else {
          memcpy(buf, text.p + o, 4096);
        }
        r += buf[0];
      }
    } else if (!strcmp(cmd, "seqread")) {
      for (size_t o = 0; o < text.size; o += 1 << 20) {
        size_t len = text.size - o < (1 << 20) ? text.size - o : 1 << 20;
        memcpy(buf, text.p + o, len);
        r += buf[len - 1];
      }
    } else if (!strcmp(cmd, "write")) {
      // 4 KiB records into a shared map of the file, then msync.
      struct file w = map_file(write_path, 1);
      if (!w.p) {
        printf("{\"error\":\"cannot map %s\"}\n", write_path);
        continue;
      }
      t = now();
      memset(buf, 'w', 4096);
      for (size_t o = 0; o + 4096 <= w.size; o += 4096) {
        buf[0] = (unsigned char)(o >> 12);
        memcpy(w.p + o, buf, 4096);
      }
      msync(w.p, w.size, MS_SYNC);
      r = w.size;
      double s = now() - t;
      munmap(w.p, w.size);
      close(w.fd);
      printf("{\"s\":%.9f,\"r\":%lld}\n", s, r);
      continue;
    } else if (!strcmp(cmd, "sum") || !strcmp(cmd, "sum4")) {
      const double *d = (const double *)floats.p;
      size_t count = floats.size / 8;
      double s = 0;
      if (!strcmp(cmd, "sum")) {
        for (size_t i = 0; i < count; i++) s += d[i];
      } else {
        double a = 0, b = 0, c = 0, e = 0;
        size_t i = 0;
        for (; i + 4 <= count; i += 4) a += d[i], b += d[i + 1], c += d[i + 2], e += d[i + 3];
        for (; i < count; i++) a += d[i];
        s = (a + b) + (c + e);
      }
      r = (long long)s;
    } else if (!strcmp(cmd, "at")) {
      lcg_state = 12345;
      for (long long i = 0; i < n; i++) r += text.p[next_offset(text.size)];
    } else if (!strcmp(cmd, "openclose")) {
      for (long long i = 0; i < n; i++) {
        int fd = open(small, O_RDONLY);
        struct stat st;
        fstat(fd, &st);
        int populate = !strcmp(arg, "populate") ? MAP_POPULATE : 0;
      unsigned char *p = mmap(0, st.st_size, PROT_READ, MAP_SHARED | populate, fd, 0);
        memcpy(buf, p, st.st_size);
        r += buf[0];
        munmap(p, st.st_size);
        close(fd);
      }
    } else if (!strcmp(cmd, "resize")) {
      // Grow a file and its map from 1 MiB to n bytes in 1 MiB steps.
      int fd = open(arg, O_RDWR | O_CREAT | O_TRUNC, 0644);
      size_t size = 1 << 20;
      if (ftruncate(fd, size)) return 1;
      unsigned char *p = mmap(0, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      while (size < (size_t)n) {
        size_t next = size + (1 << 20);
        if (ftruncate(fd, next)) return 1;
        p = mremap(p, size, next, MREMAP_MAYMOVE);
        if (p == MAP_FAILED) return 1;
        size = next;
        p[size - 1] = 1;
      }
      r = size;
      munmap(p, size);
      close(fd);
      unlink(arg);
    } else if (!strcmp(cmd, "evict")) {
      // Drop a file's pages from the page cache (clean pages only).
      int fd = open(cold_path, O_RDONLY);
      fdatasync(fd);
      r = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      close(fd);
    } else if (!strcmp(cmd, "cold")) {
      // A cold scan: evict, then touch every page through a fresh map.
      int fd = open(cold_path, O_RDONLY);
      struct stat st;
      fstat(fd, &st);
      posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      t = now();
      int populate = !strcmp(arg, "populate") ? MAP_POPULATE : 0;
      unsigned char *p = mmap(0, st.st_size, PROT_READ, MAP_SHARED | populate, fd, 0);
      if (!strcmp(arg, "sequential")) madvise(p, st.st_size, MADV_SEQUENTIAL);
      if (!strcmp(arg, "willneed")) madvise(p, st.st_size, MADV_WILLNEED);
      for (size_t o = 0; o < (size_t)st.st_size; o += 4096) r += p[o];
      double s = now() - t;
      munmap(p, st.st_size);
      close(fd);
      printf("{\"s\":%.9f,\"r\":%lld}\n", s, r);
      continue;
    } else {
      printf("{\"skip\":\"no C reference for %s\"}\n", cmd);
      continue;
    }
    double s = now() - t;
    sink += r;
    printf("{\"s\":%.9f,\"r\":%lld}\n", s, r);
  }
  return 0;
}
