// Runs the fault guard's shipped machine code (the bytes of ffi/guard/code.ts,
// written to a file by tests/guard_native_test.ts) outside any JavaScript
// runtime, so that the aarch64 bytes can be tried under qemu-aarch64 on an
// x86_64 machine. It lays out the page and the table exactly as
// ffi/guard/install.ts and table.ts do.
//
//   harness CODE_FILE DIR MODE
//   MODE zeros:    a guarded map of a truncated file reads zeros from the first
//                  lost page on; stores land; the pages before it stay the file's;
//                  the range's and the table's counters count the one fault
//   MODE chain:    a fault outside every range reaches the previous handler
//                  with the same signal, si_addr and context (exits 42)
//   MODE default:  the previous disposition was SIG_DFL: the process dies of SIGBUS
//   MODE kill:     a SIGBUS sent with kill() inside a range is not a fault:
//                  it goes to the previous handler (exits 43)
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *expected_addr;

static void previous(int sig, siginfo_t *info, void *uc) {
  (void)uc;
  if (sig != SIGBUS) _exit(50);
  if (info->si_code == SI_USER) _exit(43);
  _exit(info->si_addr == expected_addr ? 42 : 51);
}

static void fail(const char *what) {
  fprintf(stderr, "harness: %s\n", what);
  exit(2);
}

static uint8_t *mapped_file(const char *dir, const char *name, long page, int pages) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) fail("open");
  uint8_t *fill = malloc(page * pages);
  memset(fill, 7, page * pages);
  if (write(fd, fill, page * pages) != page * pages) fail("write");
  uint8_t *p = mmap(NULL, page * pages, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) fail("mmap file");
  if (ftruncate(fd, page) != 0) fail("ftruncate");
  close(fd);
  return p;
}

int main(int argc, char **argv) {
  if (argc != 4) fail("usage: harness CODE_FILE DIR MODE");
  const char *mode = argv[3];
  long page = sysconf(_SC_PAGESIZE);

  uint8_t code[2048];
  FILE *f = fopen(argv[1], "rb");
  if (!f) fail("code file");
  size_t n = fread(code, 1, sizeof code, f);
  fclose(f);

  // The table: header, then slots of 32 bytes.
  uint8_t *table = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint8_t *guarded = mapped_file(argv[2], "guarded", page, 3);
  uint8_t *unguarded = mapped_file(argv[2], "unguarded", page, 3);
  uint32_t *slot = (uint32_t *)(table + 64);
  *(uint64_t *)(table + 64 + 8) = (uint64_t)guarded;
  *(uint64_t *)(table + 64 + 16) = (uint64_t)guarded + 3 * page;
  __atomic_store_n(&slot[0], (1u << 2) | 2, __ATOMIC_RELEASE);  // generation 1, live
  __atomic_store_n((uint32_t *)table, 1, __ATOMIC_RELEASE);      // one slot in use

  struct sigaction old;
  if (strcmp(mode, "default") == 0) {
    signal(SIGBUS, SIG_DFL);
  } else {
    struct sigaction prev = {0};
    prev.sa_sigaction = previous;
    prev.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &prev, NULL);
  }
  sigaction(SIGBUS, NULL, &old);

  // The code page: code at 0, data area at 2048; then read+exec only.
  uint8_t *cp = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memcpy(cp, code, n);
  uint64_t *data = (uint64_t *)(cp + 2048);
  memcpy(data, "seedmmap", 8);
  data[1] = 1;
  data[2] = (uint64_t)table;
  data[3] = (uint64_t)old.sa_handler;
  data[4] = ~(uint64_t)(page - 1);
  data[5] = (uint64_t)page;
  if (mprotect(cp, page, PROT_READ | PROT_EXEC) != 0) fail("mprotect");
  __builtin___clear_cache((char *)cp, (char *)cp + n);

  struct sigaction act = {0};
  act.sa_sigaction = (void (*)(int, siginfo_t *, void *))cp;
  act.sa_flags = SA_SIGINFO | SA_ONSTACK;
  act.sa_mask = old.sa_mask;
  if (sigaction(SIGBUS, &act, NULL) != 0) fail("sigaction");

  if (strcmp(mode, "zeros") == 0) {
    volatile uint8_t *g = guarded;
    if (g[0] != 7) fail("first page lost");
    uint8_t a = g[page + 5];          // page 2: past the end now; pages 2 and 3 go
    uint8_t b = g[page + 6];          // same page: no second fault
    g[2 * page] = 9;                  // page 3: a store, into a zero page already
    uint8_t c = g[2 * page];
    uint8_t k = g[page - 1];          // page 1 is still the file's
    uint32_t faults = __atomic_load_n(&slot[1], __ATOMIC_ACQUIRE);
    uint32_t total = __atomic_load_n((uint32_t *)(table + 4), __ATOMIC_ACQUIRE);
    printf("read=%u,%u store=%u kept=%u faults=%u total=%u\n", a, b, c, k, faults, total);
    return a == 0 && b == 0 && c == 9 && k == 7 && faults == 1 && total == 1 ? 0 : 1;
  }
  if (strcmp(mode, "chain") == 0 || strcmp(mode, "default") == 0) {
    expected_addr = unguarded + page;
    volatile uint8_t *u = unguarded;
    return u[page];                   // not guarded: never returns
  }
  if (strcmp(mode, "kill") == 0) {
    kill(getpid(), SIGBUS);
    return 3;
  }
  fail("unknown mode");
}
