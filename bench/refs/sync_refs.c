/*
 * C references for bench/sync.ts, compiled at bench time (gcc -O2): what two
 * processes on this machine can do through shared memory with no runtime in
 * between.
 *
 *   sync_refs futex SECONDS   round trips through a futex word (sleep, wake)
 *   sync_refs spin SECONDS    round trips spinning on a word
 *   sync_refs ring COUNT      8-byte messages through an SPSC ring (one
 *                             release store per message, cached peer index)
 *
 * Each prints one JSON line: {"perSecond": N, "count": N, "seconds": S}.
 * The two processes are this one and a fork() of it, over an anonymous
 * MAP_SHARED page.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void futex_wait(_Atomic int *addr, int expected) {
  syscall(SYS_futex, addr, FUTEX_WAIT, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic int *addr) {
  syscall(SYS_futex, addr, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Word 0: the ball (0: the parent's turn to serve, 1: the child's to return); word 16: stop. */
struct shared {
  _Atomic int ball;
  char pad1[60];
  _Atomic int stop;
  char pad2[60];
  _Atomic uint64_t head;
  char pad3[56];
  _Atomic uint64_t tail;
  char pad4[56];
  uint64_t slots[4096];
};

static void report(double count, double seconds) {
  printf("{\"perSecond\": %.0f, \"count\": %.0f, \"seconds\": %.6f}\n", count / seconds, count,
         seconds);
}

static int pingpong(struct shared *s, int sleep, double seconds) {
  pid_t child = fork();
  if (child == 0) {
    for (;;) {
      while (atomic_load(&s->ball) != 1) {
        if (atomic_load(&s->stop)) _exit(0);
        if (sleep) futex_wait(&s->ball, 0);
      }
      atomic_store(&s->ball, 0);
      if (sleep) futex_wake(&s->ball);
    }
  }
  double t0 = now(), t = t0;
  long n = 0;
  while (t - t0 < seconds) {
    for (int i = 0; i < 256; i++, n++) {
      atomic_store(&s->ball, 1);
      if (sleep) futex_wake(&s->ball);
      while (atomic_load(&s->ball) != 0)
        if (sleep) futex_wait(&s->ball, 1);
    }
    t = now();
  }
  atomic_store(&s->stop, 1);
  atomic_store(&s->ball, 1);
  futex_wake(&s->ball);
  waitpid(child, NULL, 0);
  report(n, t - t0);
  return 0;
}

static int ring(struct shared *s, long count) {
  const uint64_t size = sizeof s->slots / sizeof s->slots[0];
  pid_t child = fork();
  if (child == 0) {
    uint64_t tail = 0, head = 0, expect = 0;
    while (tail < (uint64_t)count) {
      if (tail == head) {
        head = atomic_load_explicit(&s->head, memory_order_acquire);
        if (tail == head) continue;
      }
      uint64_t v = s->slots[tail % size];
      if (v != expect * 2654435761u) _exit(1);
      expect++;
      atomic_store_explicit(&s->tail, ++tail, memory_order_release);
    }
    _exit(0);
  }
  double t0 = now();
  uint64_t head = 0, tail = 0;
  for (long i = 0; i < count; i++) {
    if (head - tail == size) {
      while ((tail = atomic_load_explicit(&s->tail, memory_order_acquire)) + size == head) {
      }
    }
    s->slots[head % size] = (uint64_t)i * 2654435761u;
    atomic_store_explicit(&s->head, ++head, memory_order_release);
  }
  int status = 0;
  waitpid(child, &status, 0);
  double t = now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "the C ring lost or damaged messages\n");
    return 1;
  }
  report(count, t - t0);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sync_refs futex|spin SECONDS | ring COUNT\n");
    return 2;
  }
  struct shared *s =
      mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) return perror("mmap"), 1;
  memset(s, 0, sizeof *s);
  if (!strcmp(argv[1], "futex")) return pingpong(s, 1, atof(argv[2]));
  if (!strcmp(argv[1], "spin")) return pingpong(s, 0, atof(argv[2]));
  if (!strcmp(argv[1], "ring")) return ring(s, atol(argv[2]));
  return 2;
}
