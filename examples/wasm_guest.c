/*
 * A WASI guest that counts the lines, words and bytes of a file without
 * reading it: the file is mapped straight into the guest's memory through
 * the "mmap" import module of @seed/mmap's WASI host (wasm/include/wasi_mmap.h).
 *
 * Built by tests/wasm_guests/build.sh:
 *   clang --target=wasm32-wasi -O2 -I wasm/include -o examples/wasm_guest.wasm examples/wasm_guest.c
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_mmap.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: wasm_guest <file>\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  const unsigned char *p = wasi_mmap(st.st_size, WASI_PROT_READ, WASI_MAP_PRIVATE, fd, 0);
  if (p == WASI_MAP_FAILED) {
    fprintf(stderr, "mmap: %s\n", strerror(errno));
    return 1;
  }
  wasi_madvise((void *)p, st.st_size, WASI_MADV_SEQUENTIAL);
  long long lines = 0, words = 0;
  int in_word = 0;
  for (off_t i = 0; i < st.st_size; i++) {
    if (p[i] == '\n') lines++;
    if (isspace(p[i])) in_word = 0;
    else if (!in_word) in_word = 1, words++;
  }
  printf("%lld lines, %lld words, %lld bytes in %s (mapped at guest address 0x%lx)\n", lines,
         words, (long long)st.st_size, argv[1], (unsigned long)(uintptr_t)p);
  wasi_munmap((void *)p, st.st_size);
  close(fd);
  return 0;
}
