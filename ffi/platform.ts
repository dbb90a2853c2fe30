/**
 * Platform constants: every number that differs between operating systems or
 * CPU architectures lives here, and nowhere else.
 *
 * Linux x86_64 is tested. Linux aarch64 and macOS values are copied from their
 * system headers (`<asm-generic/*.h>`, `<sys/mman.h>`, `<sys/errno.h>`) and are
 * marked untested until a CI machine of that kind runs the suite.
 *
 * @module
 */

/** The operating systems and CPUs this file has values for. */
export type Os = "linux" | "darwin";
/** CPU architectures, in Deno's spelling. */
export type Arch = "x86_64" | "aarch64";

/** Every platform-dependent number the library uses. */
export interface Platform {
  readonly os: Os;
  readonly arch: Arch;
  /** True once the whole suite has run green on this platform. */
  readonly tested: boolean;
  /** Candidate file names for the C library, tried in order. */
  readonly libc: readonly string[];
  /** The symbol that returns the address of this thread's `errno`. */
  readonly errnoSymbol: "__errno_location" | "__error";
  /** `sysconf(_SC_PAGESIZE)` name, and the page size to assume before FFI is allowed. */
  readonly scPageSize: number;
  readonly defaultPageSize: number;
  /** `struct stat`: total size and the offsets of `st_mode` (u32 or u16) and `st_size` (i64). */
  readonly stat: {
    readonly size: number;
    readonly mode: number;
    readonly modeBytes: 2 | 4;
    readonly fileSize: number;
  };
  readonly open: Readonly<Record<OpenFlag, number>>;
  readonly prot: Readonly<Record<"PROT_NONE" | "PROT_READ" | "PROT_WRITE" | "PROT_EXEC", number>>;
  /** Every platform's `MAP_*`; the four every platform has are named. */
  readonly map: Readonly<
    & Record<"MAP_SHARED" | "MAP_PRIVATE" | "MAP_ANONYMOUS" | "MAP_FIXED", number>
    & Record<string, number>
  >;
  readonly madv: Readonly<Record<string, number>>;
  readonly ms: Readonly<Record<"MS_ASYNC" | "MS_SYNC" | "MS_INVALIDATE", number>>;
  /**
   * For @seed/mmap/wasm's WASI host: the rest of `struct stat` (offsets of
   * `st_dev`, `st_ino`, `st_nlink` and the three `timespec`s) and the `*at`
   * calls' constants.
   */
  readonly statMore: {
    readonly dev: number;
    readonly devBytes: 4 | 8;
    readonly ino: number;
    readonly nlink: number;
    readonly nlinkBytes: 2 | 4 | 8;
    readonly atime: number;
    readonly mtime: number;
    readonly ctime: number;
  };
  readonly at: {
    readonly AT_FDCWD: number;
    readonly AT_SYMLINK_NOFOLLOW: number;
    readonly UTIME_NOW: number;
    readonly UTIME_OMIT: number;
  };
  /** `MREMAP_MAYMOVE`, or 0 where there is no `mremap`. */
  readonly mremapMayMove: number;
  /** errno values by name. */
  readonly errno: Readonly<Record<string, number>>;
  /** POSIX shared memory (`MMap.shared`); absent where there is none. */
  readonly shm?: ShmNumbers;
  /** futex(2) and gettid(2) for `Mutex`, `Semaphore`, `wait`/`notify`; Linux only. */
  readonly futex?: FutexNumbers;
  /** getdents64(2)'s system-call number, for the WASI host's directory listings; Linux only. */
  readonly sysGetdents64?: number;
  /** readlink(2)'s system-call number where there is one (x86_64 Linux; aarch64 has only readlinkat). */
  readonly sysReadlink?: number;
  /** openat2(2)'s system-call number (Linux 5.6+; the same on every architecture); Linux only. */
  readonly sysOpenat2?: number;
  /** What the fault guard's `sigaction` needs (ffi/guard/install.ts); absent where it cannot run. */
  readonly sigbus?: SigbusNumbers;
}

/**
 * `SIGBUS`, the `SA_*` flags the fault guard installs its handler with, and
 * the C library's `struct sigaction` as the guard fills it in.
 */
export interface SigbusNumbers {
  readonly SIGBUS: number;
  readonly SA_SIGINFO: number;
  readonly SA_ONSTACK: number;
  /** `sizeof(struct sigaction)`. */
  readonly sigactionBytes: number;
  /** Offset and size of `sa_mask`, and offset of `sa_flags` (the handler is at 0). */
  readonly maskAt: number;
  readonly maskBytes: number;
  readonly flagsAt: number;
}

/** Where POSIX shared memory objects live, and how long their names may be. */
export interface ShmNumbers {
  /** The directory `shm_open` uses (Linux: /dev/shm), or null where objects are not files. */
  readonly dir: string | null;
  /** The longest name in bytes, without the leading slash. */
  readonly nameMax: number;
}

/** System-call numbers and futex operations. */
export interface FutexNumbers {
  readonly sysFutex: number;
  readonly sysGettid: number;
  /** FUTEX_WAIT and FUTEX_WAKE: not the _PRIVATE forms, which would not reach other processes. */
  readonly wait: number;
  readonly wake: number;
}

/** The `open(2)` flags the library uses. */
export type OpenFlag =
  | "O_RDONLY"
  | "O_WRONLY"
  | "O_RDWR"
  | "O_CREAT"
  | "O_EXCL"
  | "O_TRUNC"
  | "O_APPEND"
  | "O_NONBLOCK"
  | "O_DIRECTORY"
  | "O_NOFOLLOW"
  | "O_CLOEXEC";

/** File-type bits of `st_mode`; the same on every POSIX system. */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
/** FIFOs and sockets: `open` on them can block and `mmap` can never map them. */
export const S_IFIFO = 0o010000;
export const S_IFSOCK = 0o140000;

const PROT = { PROT_NONE: 0, PROT_READ: 1, PROT_WRITE: 2, PROT_EXEC: 4 } as const;

// asm-generic/mman-common.h and linux/mman.h: shared by x86_64 and aarch64.
const LINUX_MAP = {
  MAP_SHARED: 0x01,
  MAP_PRIVATE: 0x02,
  MAP_SHARED_VALIDATE: 0x03,
  MAP_FIXED: 0x10,
  MAP_ANONYMOUS: 0x20,
  MAP_ANON: 0x20,
  MAP_GROWSDOWN: 0x100,
  MAP_DENYWRITE: 0x800,
  MAP_EXECUTABLE: 0x1000,
  MAP_LOCKED: 0x2000,
  MAP_NORESERVE: 0x4000,
  MAP_POPULATE: 0x8000,
  MAP_NONBLOCK: 0x10000,
  MAP_STACK: 0x20000,
  MAP_HUGETLB: 0x40000,
  MAP_SYNC: 0x80000,
  MAP_FIXED_NOREPLACE: 0x100000,
} as const;

const LINUX_MADV = {
  MADV_NORMAL: 0,
  MADV_RANDOM: 1,
  MADV_SEQUENTIAL: 2,
  MADV_WILLNEED: 3,
  MADV_DONTNEED: 4,
  MADV_FREE: 8,
  MADV_REMOVE: 9,
  MADV_DONTFORK: 10,
  MADV_DOFORK: 11,
  MADV_MERGEABLE: 12,
  MADV_UNMERGEABLE: 13,
  MADV_HUGEPAGE: 14,
  MADV_NOHUGEPAGE: 15,
  MADV_DONTDUMP: 16,
  MADV_DODUMP: 17,
  MADV_WIPEONFORK: 18,
  MADV_KEEPONFORK: 19,
  MADV_COLD: 20,
  MADV_PAGEOUT: 21,
  MADV_POPULATE_READ: 22,
  MADV_POPULATE_WRITE: 23,
  MADV_DONTNEED_LOCKED: 24,
  MADV_COLLAPSE: 25,
  MADV_HWPOISON: 100,
  MADV_SOFT_OFFLINE: 101,
} as const;

// asm-generic/errno-base.h and errno.h: the same on x86_64 and aarch64.
const LINUX_ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  ENOTBLK: 15,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENOMSG: 42,
  EOVERFLOW: 75,
  EILSEQ: 84,
  ENOTSOCK: 88,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  ECONNREFUSED: 111,
  ETIMEDOUT: 110,
  EALREADY: 114,
  EINPROGRESS: 115,
  ESTALE: 116,
  EDQUOT: 122,
  ECANCELED: 125,
  EOWNERDEAD: 130,
  ENOTRECOVERABLE: 131,
} as const;

const LINUX_MS = { MS_ASYNC: 1, MS_INVALIDATE: 2, MS_SYNC: 4 } as const;

// asm/signal.h (the same on x86_64 and aarch64); glibc's struct sigaction on
// both: handler, a 1024-bit mask, flags, restorer.
const LINUX_SIGBUS: SigbusNumbers = {
  SIGBUS: 7,
  SA_SIGINFO: 4,
  SA_ONSTACK: 0x08000000,
  sigactionBytes: 152,
  maskAt: 8,
  maskBytes: 128,
  flagsAt: 136,
};

// fcntl.h and linux/stat.h, for the WASI host's *at calls.
const LINUX_AT = {
  AT_FDCWD: -100,
  AT_SYMLINK_NOFOLLOW: 0x100,
  UTIME_NOW: (1 << 30) - 1,
  UTIME_OMIT: (1 << 30) - 2,
} as const;

const LINUX_X86_64: Platform = {
  os: "linux",
  arch: "x86_64",
  tested: true,
  libc: ["libc.so.6", "libc.musl-x86_64.so.1", "libc.so"],
  errnoSymbol: "__errno_location",
  scPageSize: 30,
  defaultPageSize: 4096,
  stat: { size: 144, mode: 24, modeBytes: 4, fileSize: 48 },
  statMore: {
    dev: 0,
    devBytes: 8,
    ino: 8,
    nlink: 16,
    nlinkBytes: 8,
    atime: 72,
    mtime: 88,
    ctime: 104,
  },
  at: LINUX_AT,
  open: {
    O_RDONLY: 0,
    O_WRONLY: 1,
    O_RDWR: 2,
    O_CREAT: 0o100,
    O_EXCL: 0o200,
    O_TRUNC: 0o1000,
    O_APPEND: 0o2000,
    O_NONBLOCK: 0o4000,
    O_DIRECTORY: 0o200000,
    O_NOFOLLOW: 0o400000,
    O_CLOEXEC: 0o2000000,
  },
  prot: PROT,
  map: { ...LINUX_MAP, MAP_32BIT: 0x40 },
  madv: LINUX_MADV,
  ms: LINUX_MS,
  mremapMayMove: 1,
  errno: LINUX_ERRNO,
  // NAME_MAX of the tmpfs mounted at /dev/shm.
  shm: { dir: "/dev/shm", nameMax: 255 },
  // asm/unistd_64.h; linux/futex.h.
  futex: { sysFutex: 202, sysGettid: 186, wait: 0, wake: 1 },
  sysGetdents64: 217,
  sysReadlink: 89,
  sysOpenat2: 437,
  sigbus: LINUX_SIGBUS,
};

// Untested: values from the aarch64 kernel headers (generic struct stat).
const LINUX_AARCH64: Platform = {
  ...LINUX_X86_64,
  arch: "aarch64",
  tested: false,
  libc: ["libc.so.6", "libc.musl-aarch64.so.1", "libc.so"],
  // aarch64 kernels may use 4 KiB, 16 KiB or 64 KiB pages; sysconf decides.
  stat: { size: 128, mode: 16, modeBytes: 4, fileSize: 48 },
  statMore: {
    dev: 0,
    devBytes: 8,
    ino: 8,
    nlink: 20,
    nlinkBytes: 4,
    atime: 72,
    mtime: 88,
    ctime: 104,
  },
  open: {
    ...LINUX_X86_64.open,
    O_DIRECTORY: 0o40000,
    O_NOFOLLOW: 0o100000,
  },
  map: LINUX_MAP,
  // asm-generic/unistd.h.
  futex: { sysFutex: 98, sysGettid: 178, wait: 0, wake: 1 },
  sysGetdents64: 61,
  sysReadlink: undefined,
};

// Untested: values from the macOS SDK headers (64-bit inode struct stat).
const DARWIN_COMMON: Omit<Platform, "arch" | "defaultPageSize"> = {
  os: "darwin",
  tested: false,
  libc: ["/usr/lib/libSystem.B.dylib"],
  errnoSymbol: "__error",
  scPageSize: 29,
  stat: { size: 144, mode: 4, modeBytes: 2, fileSize: 96 },
  statMore: {
    dev: 0,
    devBytes: 4,
    ino: 8,
    nlink: 6,
    nlinkBytes: 2,
    atime: 32,
    mtime: 48,
    ctime: 64,
  },
  at: { AT_FDCWD: -2, AT_SYMLINK_NOFOLLOW: 0x20, UTIME_NOW: -1, UTIME_OMIT: -2 },
  open: {
    O_RDONLY: 0,
    O_WRONLY: 1,
    O_RDWR: 2,
    O_NONBLOCK: 0x4,
    O_APPEND: 0x8,
    O_NOFOLLOW: 0x100,
    O_CREAT: 0x200,
    O_TRUNC: 0x400,
    O_EXCL: 0x800,
    O_DIRECTORY: 0x100000,
    O_CLOEXEC: 0x1000000,
  },
  prot: PROT,
  map: {
    MAP_SHARED: 0x1,
    MAP_PRIVATE: 0x2,
    MAP_FIXED: 0x10,
    MAP_NORESERVE: 0x40,
    MAP_NOEXTEND: 0x100,
    MAP_HASSEMAPHORE: 0x200,
    MAP_NOCACHE: 0x400,
    MAP_JIT: 0x800,
    MAP_ANONYMOUS: 0x1000,
    MAP_ANON: 0x1000,
    MAP_RESILIENT_CODESIGN: 0x2000,
    MAP_RESILIENT_MEDIA: 0x4000,
    MAP_TRANSLATED_ALLOW_EXECUTE: 0x20000,
    MAP_UNIX03: 0x40000,
    MAP_TPRO: 0x80000,
  },
  madv: {
    MADV_NORMAL: 0,
    MADV_RANDOM: 1,
    MADV_SEQUENTIAL: 2,
    MADV_WILLNEED: 3,
    MADV_DONTNEED: 4,
    MADV_FREE: 5,
    MADV_ZERO_WIRED_PAGES: 6,
    MADV_FREE_REUSABLE: 7,
    MADV_FREE_REUSE: 8,
    MADV_CAN_REUSE: 9,
    MADV_PAGEOUT: 10,
  },
  ms: { MS_ASYNC: 0x1, MS_INVALIDATE: 0x2, MS_SYNC: 0x10 },
  // macOS has no mremap: resize() remaps by munmap + mmap instead.
  mremapMayMove: 0,
  // PSHMNAMLEN; shm objects are not files there. No futex: no locks.
  shm: { dir: null, nameMax: 31 },
  errno: {
    ...Object.fromEntries(
      Object.entries(LINUX_ERRNO).filter(([, n]) => n <= 34),
    ),
    EDEADLK: 11,
    EAGAIN: 35,
    EINPROGRESS: 36,
    EALREADY: 37,
    ENOTSOCK: 38,
    EOPNOTSUPP: 45,
    EADDRINUSE: 48,
    ECONNREFUSED: 61,
    ELOOP: 62,
    ENAMETOOLONG: 63,
    ETIMEDOUT: 60,
    ENOTEMPTY: 66,
    EDQUOT: 69,
    ESTALE: 70,
    ENOLCK: 77,
    ENOSYS: 78,
    EOVERFLOW: 84,
    ECANCELED: 89,
    EILSEQ: 92,
    ENOMSG: 91,
    ENOTRECOVERABLE: 104,
    EOWNERDEAD: 105,
  },
};

const PLATFORMS: readonly Platform[] = [
  LINUX_X86_64,
  LINUX_AARCH64,
  { ...DARWIN_COMMON, arch: "x86_64", defaultPageSize: 4096 },
  { ...DARWIN_COMMON, arch: "aarch64", defaultPageSize: 16384 },
];

/** Finds the table for an OS and CPU, or `undefined` where there is none. */
export function findPlatform(os: string, arch: string): Platform | undefined {
  const cpu = arch === "x64" ? "x86_64" : arch === "arm64" ? "aarch64" : arch;
  return PLATFORMS.find((p) => p.os === os && p.arch === cpu);
}

/** The table used to describe constants when the platform is unknown. */
export const FALLBACK_PLATFORM: Platform = LINUX_X86_64;
