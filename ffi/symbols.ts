/**
 * The libc symbol table, written once for both runtimes.
 *
 * Types are neutral names that `deno.ts` and `bun.ts` translate into their own
 * FFI types. On the JavaScript side every numeric type is a `number`
 * (addresses on the 64-bit platforms served stay below 2^53), and `buffer` is
 * a `Uint8Array` passed by pointer. Functions that a C library may lack are
 * `optional`; the backends turn a missing one into `null`.
 *
 * @module
 */

/** Neutral parameter and result types. */
export type NativeType =
  | "i32"
  | "u32"
  | "i64"
  | "u64"
  | "usize"
  | "isize"
  | "pointer"
  | "buffer"
  | "void";

/** One C function. `name` is the C symbol when it differs from the key. */
export interface SymbolDef {
  readonly parameters: readonly NativeType[];
  readonly result: NativeType;
  readonly optional?: boolean;
  readonly name?: string;
  /**
   * Runs off the JavaScript thread and hands back a Promise of the result:
   * Deno's `nonblocking` FFI calls; in Bun, a helper Worker (`bun_threads.ts`).
   * Only for calls whose arguments are numbers (no `buffer`), and errno is not
   * available afterwards.
   */
  readonly nonblocking?: boolean;
}

/** Types that are 64 bits wide in C; Deno wants them as BigInt. */
export const WIDE_TYPES: ReadonlySet<NativeType> = new Set([
  "i64",
  "u64",
  "usize",
  "isize",
  "pointer",
]);

export const LIBC_SYMBOLS = {
  // int open(const char *path, int flags, mode_t mode): variadic in C; three
  // int-sized arguments go in registers on x86_64 and Linux aarch64, and
  // variadic.ts declares the mode's stack slot on Apple arm64.
  open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  // int close(int fd)
  close: { parameters: ["i32"], result: "i32" },
  // int dup(int fd)
  dup: { parameters: ["i32"], result: "i32" },
  // int fstat(int fd, struct stat *buf)
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  // int ftruncate(int fd, off_t length)
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  // int posix_fallocate(int fd, off_t offset, off_t len): returns the error
  // number instead of setting errno. Not in macOS's libc.
  posix_fallocate: { parameters: ["i32", "i64", "i64"], result: "i32", optional: true },
  // long sysconf(int name)
  sysconf: { parameters: ["i32"], result: "isize" },
  // void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
  // declared as isize so that MAP_FAILED reads as -1 in both runtimes.
  mmap: {
    parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"],
    result: "isize",
  },
  // int munmap(void *addr, size_t len)
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  // int msync(void *addr, size_t len, int flags)
  msync: { parameters: ["pointer", "usize", "i32"], result: "i32" },
  // int madvise(void *addr, size_t len, int advice)
  madvise: { parameters: ["pointer", "usize", "i32"], result: "i32" },
  // int mprotect(void *addr, size_t len, int prot)
  mprotect: { parameters: ["pointer", "usize", "i32"], result: "i32" },
  // void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...):
  // Linux only.
  mremap: {
    parameters: ["pointer", "usize", "usize", "i32", "pointer"],
    result: "isize",
    optional: true,
  },
  // void *memmem(const void *hay, size_t hlen, const void *needle, size_t nlen)
  memmem: {
    parameters: ["pointer", "usize", "buffer", "usize"],
    result: "pointer",
  },
  // void *memchr(const void *s, int c, size_t n)
  memchr: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
  // void *memrchr(const void *s, int c, size_t n): GNU and musl, not macOS.
  memrchr: {
    parameters: ["pointer", "i32", "usize"],
    result: "pointer",
    optional: true,
  },
  // void *memmove(void *dest, const void *src, size_t n), in three shapes.
  memmove: {
    parameters: ["pointer", "pointer", "usize"],
    result: "pointer",
  },
  // memmove, not memcpy: as fast in glibc and musl, and right when the
  // buffer is over the mapping itself (a readInto target over the map).
  copyOut: {
    name: "memmove",
    parameters: ["buffer", "pointer", "usize"],
    result: "pointer",
  },
  copyIn: {
    name: "memmove",
    parameters: ["pointer", "buffer", "usize"],
    result: "pointer",
  },
  // int sigaction(int sig, const struct sigaction *act, struct sigaction *old):
  // the fault guard's installer (ffi/guard/install.ts). Pointers, so that NULL can be passed.
  sigaction: { parameters: ["i32", "pointer", "pointer"], result: "i32", optional: true },
  // int getpid(void)
  getpid: { parameters: [], result: "i32" },

  // --- shared memory and locks: MMap.shared, Mutex, Semaphore, wait/notify ---
  // int shm_open(const char *name, int oflag, mode_t mode): in libc.so.6 since
  // glibc 2.34 (librt before); shm.ts falls back to open() under /dev/shm.
  // Variadic like open (see variadic.ts).
  shm_open: { parameters: ["buffer", "i32", "i32"], result: "i32", optional: true },
  // int shm_unlink(const char *name)
  shm_unlink: { parameters: ["buffer"], result: "i32", optional: true },
  // int unlink(const char *path): shm_unlink's stand-in where libc lacks it.
  unlink: { parameters: ["buffer"], result: "i32" },
  // int kill(pid_t pid, int sig): signal 0 only asks whether the process exists.
  kill: { parameters: ["i32", "i32"], result: "i32" },
  // int sched_yield(void): the Ring's spin-then-yield wait strategy.
  sched_yield: { parameters: [], result: "i32" },
  // long syscall(long nr, ...): variadic in C. Seven long-sized arguments travel
  // as a fixed-argument call passes them on x86_64 and aarch64 Linux (registers,
  // and one stack slot on x86_64, where glibc's syscall() reads it). Used for
  // futex(2) (uaddr, op, val, timeout, uaddr2, val3) and gettid(2).
  syscall: {
    parameters: ["i64", "pointer", "i64", "i64", "pointer", "pointer", "i64"],
    result: "i64",
  },
  // The same call off the JavaScript thread, for waits that must not block the
  // event loop.
  syscallAsync: {
    name: "syscall",
    parameters: ["i64", "pointer", "i64", "i64", "pointer", "pointer", "i64"],
    result: "i64",
    nonblocking: true,
  },

  // --- @seed/mmap/wasm: the WASI host's file calls (exact open flags and
  // nanosecond times, the same in both runtimes) ---
  // ssize_t pread(int fd, void *buf, size_t count, off_t offset)
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  // ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
  pwrite: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  // int fsync(int fd), int fdatasync(int fd): fdatasync is not in macOS's libc.
  fsync: { parameters: ["i32"], result: "i32" },
  fdatasync: { parameters: ["i32"], result: "i32", optional: true },
  // int fstatat(int dirfd, const char *path, struct stat *buf, int flags):
  // a real symbol since glibc 2.33.
  fstatat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32", optional: true },
  // int utimensat(int dirfd, const char *path, const struct timespec t[2], int flags)
  utimensat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32", optional: true },
  // int futimens(int fd, const struct timespec t[2])
  futimens: { parameters: ["i32", "buffer"], result: "i32", optional: true },
  // off_t lseek(int fd, off_t offset, int whence): rewinds a directory the
  // WASI host lists again.
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
} as const satisfies Record<string, SymbolDef>;

/** The symbol table's type. */
export type LibcSymbols = typeof LIBC_SYMBOLS;

type JsValue<T> = T extends "buffer" ? Uint8Array | null
  : T extends "void" ? void
  : number;

// Generic over the tuple, so that TypeScript maps it element by element.
type JsParams<P extends readonly NativeType[]> = { -readonly [K in keyof P]: JsValue<P[K]> };

type JsFunction<D extends SymbolDef> = (
  ...args: JsParams<D["parameters"]>
) => D extends { nonblocking: true } ? Promise<JsValue<D["result"]>> : JsValue<D["result"]>;

/**
 * The libc functions as JavaScript sees them, the same in every backend: they
 * return what C returns (-1 on failure, 0 for a NULL pointer) and never throw.
 */
export type Libc = {
  readonly [K in keyof LibcSymbols]: LibcSymbols[K] extends { optional: true }
    ? JsFunction<LibcSymbols[K]> | null
    : JsFunction<LibcSymbols[K]>;
};
