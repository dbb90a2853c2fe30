/*
 * Arguments, environment, standard streams, clocks, sleeping, randomness
 * and exit codes. "exit N" as arguments ends with exit(N); "trap" traps.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

int main(int argc, char **argv) {
  printf("argc=%d", argc);
  for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
  printf("\n");
  int envc = 0;
  for (char **e = environ; *e; e++) envc++;
  const char *v = getenv("GUEST_ENV");
  printf("env: %d GUEST_ENV=%s\n", envc, v ? v : "(unset)");
  char buf[256];
  ssize_t n = read(0, buf, sizeof buf);
  printf("stdin: %zd [%.*s]\n", n, n > 0 ? (int)n : 0, buf);
  struct timespec res, a, b;
  printf("clock_getres: %s nonzero=%d\n", R(clock_getres(CLOCK_MONOTONIC, &res)),
         res.tv_sec > 0 || res.tv_nsec > 0);
  clock_gettime(CLOCK_MONOTONIC, &a);
  struct timespec nap = {0, 20 * 1000 * 1000};
  printf("nanosleep: %s", R(nanosleep(&nap, NULL)));
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
  printf(" slept at least 20 ms: %d\n", ns >= 20 * 1000 * 1000);
  printf("realtime after 2020: %d\n", time(NULL) > 1577836800);
  printf("bad clock: %s\n", ename(__wasi_clock_time_get(99, 0, &(__wasi_timestamp_t){0})));
  unsigned char r1[64] = {0}, r2[64] = {0};
  getentropy(r1, sizeof r1);
  getentropy(r2, sizeof r2);
  printf("random differs: %d\n", memcmp(r1, r2, sizeof r1) != 0);
  fprintf(stderr, "to stderr\n");
  fflush(stdout);
  if (argc > 2 && !strcmp(argv[1], "exit")) exit(atoi(argv[2]));
  if (argc > 1 && !strcmp(argv[1], "trap")) __builtin_trap();
  return 0;
}
