/*
 * C references for bench/sync.ts, compiled at bench time (gcc -O2): what two
 * processes on this machine can do through shared memory with no runtime in
 * between.
 *
 *   sync_refs futex SECONDS   round trips through a futex word (sleep, wake)
 *   sync_refs spin SECONDS    round trips spinning on a word
 *   sync_refs ring COUNT      8-byte messages through an SPSC ring (one
 *                             release store per message, cached peer index)
 *   sync_refs ringtrip SECONDS  round trips of an 8-byte message through two
 *                             rings of the Ring's layout and protocol (a
 *                             record per message, head and tail on lines of
 *                             their own, published by an exchange that sees
 *                             the sleeper's bit), spinning: what the Ring's
 *                             own memory traffic costs, with no runtime
 *   sync_refs stamptrip SECONDS  the same round trips through a prototype
 *                             protocol where a small message moves one
 *                             cache line: the consumer polls a stamp in the
 *                             next record's header, not the head index
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

/* One ring of the Ring's layout (src/sync/ring_layout.ts): header lines, then the data area. */
#define RING_CAPACITY 65536
struct ring {
  _Atomic uint32_t words[16]; /* line 0: state, version, capacity, ... (unused here) */
  _Atomic uint32_t head;
  char pad1[60];
  _Atomic uint32_t tail;
  char pad2[60];
  char pad3[64];
  uint32_t data[RING_CAPACITY / 4];
};

/* Writes one record of 8 bytes and publishes it; the consumer's bit 0 would ask for a wake-up. */
static void ring_push(struct ring *r, uint32_t *head, uint64_t value) {
  uint32_t pos = *head % RING_CAPACITY;
  while (*head + 16 - atomic_load_explicit(&r->tail, memory_order_acquire) > RING_CAPACITY) {
  }
  r->data[pos / 4] = 8;
  r->data[pos / 4 + 1] = 0;
  memcpy(&r->data[pos / 4 + 2], &value, 8);
  *head += 16;
  if (atomic_exchange(&r->head, *head) & 1) futex_wake((_Atomic int *)&r->head);
}

/* Spins until a record is published, checks its length, takes it and frees it. */
static uint64_t ring_pop(struct ring *r, uint32_t *tail) {
  uint32_t head;
  while ((head = atomic_load_explicit(&r->head, memory_order_acquire) & ~1u) == *tail) {
  }
  uint32_t pos = *tail % RING_CAPACITY;
  uint32_t n = r->data[pos / 4];
  if (n != 8 || head - *tail > RING_CAPACITY) _exit(3);
  uint64_t value;
  memcpy(&value, &r->data[pos / 4 + 2], 8);
  *tail += 16;
  if (atomic_exchange(&r->tail, *tail) & 1) futex_wake((_Atomic int *)&r->tail);
  return value;
}

/*
 * A protocol where a small message moves one cache line (a prototype for a
 * layout version 2): the record's second header word is a stamp, its index
 * with bit 0 set, which the producer writes last (an exchange, so that it
 * sees bit 1, the consumer's "asleep" mark); the consumer polls the stamp of
 * the record at its cursor instead of a head index. Tail stays as it is.
 */
static void stamp_push(struct ring *r, uint32_t *head, uint32_t *tail_seen, uint64_t value) {
  uint32_t pos = *head % RING_CAPACITY;
  if (*head + 16 - *tail_seen > RING_CAPACITY) {
    while (*head + 16 - (*tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire) & ~1u) >
           RING_CAPACITY) {
    }
  }
  r->data[pos / 4] = 8;
  memcpy(&r->data[pos / 4 + 2], &value, 8);
  _Atomic uint32_t *stamp = (_Atomic uint32_t *)&r->data[pos / 4 + 1];
  if (atomic_exchange(stamp, *head | 1) & 2) futex_wake((_Atomic int *)stamp);
  *head += 16;
}

static uint64_t stamp_pop(struct ring *r, uint32_t *tail) {
  uint32_t pos = *tail % RING_CAPACITY;
  _Atomic uint32_t *stamp = (_Atomic uint32_t *)&r->data[pos / 4 + 1];
  while (atomic_load_explicit(stamp, memory_order_acquire) != (*tail | 1)) {
  }
  uint32_t n = r->data[pos / 4];
  if (n != 8) _exit(3);
  uint64_t value;
  memcpy(&value, &r->data[pos / 4 + 2], 8);
  *tail += 16;
  if (atomic_exchange(&r->tail, *tail) & 1) futex_wake((_Atomic int *)&r->tail);
  return value;
}

/* Round trips through rings a and b, by the Ring's protocol or (stamp) the prototype's. */
static void trip_push(int stamp, struct ring *r, uint32_t *head, uint32_t *seen, uint64_t v) {
  if (stamp) stamp_push(r, head, seen, v);
  else ring_push(r, head, v);
}

static uint64_t trip_pop(int stamp, struct ring *r, uint32_t *tail) {
  return stamp ? stamp_pop(r, tail) : ring_pop(r, tail);
}

static int ringtrip(double seconds, int stamp) {
  struct ring *rings = mmap(NULL, 2 * sizeof(struct ring), PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (rings == MAP_FAILED) return perror("mmap"), 1;
  struct ring *a = &rings[0], *b = &rings[1];
  pid_t child = fork();
  if (child == 0) {
    uint32_t tail = 0, head = 0, seen = 0;
    for (;;) {
      uint64_t v = trip_pop(stamp, a, &tail);
      if (v == UINT64_MAX) _exit(0);
      trip_push(stamp, b, &head, &seen, v + 1);
    }
  }
  uint32_t head = 0, tail = 0, seen = 0;
  double t0 = now(), t = t0;
  long n = 0;
  while (t - t0 < seconds) {
    for (int i = 0; i < 256; i++, n++) {
      trip_push(stamp, a, &head, &seen, (uint64_t)n);
      if (trip_pop(stamp, b, &tail) != (uint64_t)n + 1) {
        fprintf(stderr, "the C ring round trip lost its message\n");
        return 1;
      }
    }
    t = now();
  }
  trip_push(stamp, a, &head, &seen, UINT64_MAX);
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  report(n, t - t0);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sync_refs futex|spin|ringtrip|stamptrip SECONDS | ring COUNT\n");
    return 2;
  }
  struct shared *s =
      mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) return perror("mmap"), 1;
  memset(s, 0, sizeof *s);
  if (!strcmp(argv[1], "futex")) return pingpong(s, 1, atof(argv[2]));
  if (!strcmp(argv[1], "spin")) return pingpong(s, 0, atof(argv[2]));
  if (!strcmp(argv[1], "ring")) return ring(s, atol(argv[2]));
  if (!strcmp(argv[1], "ringtrip")) return ringtrip(atof(argv[2]), 0);
  if (!strcmp(argv[1], "stamptrip")) return ringtrip(atof(argv[2]), 1);
  return 2;
}
