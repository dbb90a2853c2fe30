/**
 * The module's constants, as CPython's `mmap` names them, with this
 * platform's values. A `MAP_*` flag the platform lacks is 0 (OR-ing it in
 * changes nothing, as in memmap2); a `MADV_*` advice it lacks is -1, which
 * `madvise()` rejects with EINVAL rather than silently doing something else.
 *
 * @module
 */
import { pageSize } from "../ffi/files.ts";
import { platform } from "../ffi/load.ts";

/**
 * Map access: derive it from `flags` and `prot` (CPython's default).
 *
 * @example
 * ```ts
 * import { ACCESS_DEFAULT, MMap, PAGESIZE } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { access: ACCESS_DEFAULT });
 * ```
 */
export const ACCESS_DEFAULT = 0;
/**
 * Map access: read-only, shared.
 *
 * @example
 * ```ts
 * import { ACCESS_READ, MMap, PAGESIZE } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { access: ACCESS_READ });
 * ```
 */
export const ACCESS_READ = 1;
/**
 * Map access: read-write, shared: writes reach the file.
 *
 * @example
 * ```ts
 * import { ACCESS_WRITE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { access: ACCESS_WRITE });
 * ```
 */
export const ACCESS_WRITE = 2;
/**
 * Map access: copy-on-write: writes stay in this process's memory.
 *
 * @example
 * ```ts
 * import { ACCESS_COPY, MMap, PAGESIZE } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { access: ACCESS_COPY });
 * ```
 */
export const ACCESS_COPY = 3;

/**
 * The memory page size of this machine.
 *
 * @example
 * ```ts
 * import { MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * ```
 */
export const PAGESIZE: number = pageSize();
/**
 * The alignment `offset` must have: the page size on Linux and macOS.
 *
 * @example
 * ```ts
 * import { ALLOCATIONGRANULARITY, MMap } from "@seed/mmap";
 * const offset = 2 * ALLOCATIONGRANULARITY; // a valid offset for MMap.open
 * ```
 */
export const ALLOCATIONGRANULARITY: number = PAGESIZE;

const map = (name: string): number => platform.map[name] ?? 0;
const madv = (name: string): number => platform.madv[name] ?? -1;

/**
 * Pages may not be accessed.
 *
 * @example
 * ```ts
 * import { MMap, PAGESIZE, PROT_NONE, PROT_READ } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { prot: PROT_READ | PROT_NONE });
 * ```
 */
export const PROT_NONE: number = platform.prot.PROT_NONE;
/**
 * Pages may be read.
 *
 * @example
 * ```ts
 * import { MMap, PAGESIZE, PROT_READ } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { prot: PROT_READ });
 * ```
 */
export const PROT_READ: number = platform.prot.PROT_READ;
/**
 * Pages may be written.
 *
 * @example
 * ```ts
 * import { MMap, PAGESIZE, PROT_READ, PROT_WRITE } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { prot: PROT_READ | PROT_WRITE });
 * ```
 */
export const PROT_WRITE: number = platform.prot.PROT_WRITE;
/**
 * Pages may be executed.
 *
 * @example
 * ```ts
 * import { MMap, PAGESIZE, PROT_EXEC, PROT_READ } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { prot: PROT_READ | PROT_EXEC });
 * ```
 */
export const PROT_EXEC: number = platform.prot.PROT_EXEC;
/**
 * `msync` flag: schedule the write-back and return at once.
 *
 * @example
 * ```ts
 * import { MMap, MS_ASYNC, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * m.flush(0, m.length, { async: true }); // msync(MS_ASYNC)
 * ```
 */
export const MS_ASYNC: number = platform.ms.MS_ASYNC;
/**
 * `msync` flag: write back and wait for it.
 *
 * @example
 * ```ts
 * import { MMap, MS_SYNC, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * m.flush(); // msync(MS_SYNC)
 * ```
 */
export const MS_SYNC: number = platform.ms.MS_SYNC;
/**
 * `msync` flag: invalidate other mappings of the same file.
 *
 * @example
 * ```ts
 * import { MMap, MS_INVALIDATE, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * m.flush(0, m.length, { invalidate: true }); // adds MS_INVALIDATE
 * ```
 */
export const MS_INVALIDATE: number = platform.ms.MS_INVALIDATE;
/**
 * `mmap` flag `MAP_SHARED`.
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_SHARED, MMap, PAGESIZE } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { flags: MAP_SHARED | MAP_ANONYMOUS });
 * ```
 */
export const MAP_SHARED: number = map("MAP_SHARED");
/**
 * `mmap` flag `MAP_PRIVATE`.
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { flags: MAP_PRIVATE | MAP_ANONYMOUS });
 * ```
 */
export const MAP_PRIVATE: number = map("MAP_PRIVATE");
/**
 * `mmap` flag `MAP_SHARED_VALIDATE` (Linux only; 0 on macOS).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED_VALIDATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_SHARED_VALIDATE; // where the platform allows it
 * ```
 */
export const MAP_SHARED_VALIDATE: number = map("MAP_SHARED_VALIDATE");
/**
 * `mmap` flag `MAP_FIXED`.
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED; // where the platform allows it
 * ```
 */
export const MAP_FIXED: number = map("MAP_FIXED");
/**
 * `mmap` flag `MAP_ANONYMOUS`.
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { flags: MAP_ANONYMOUS | MAP_PRIVATE });
 * ```
 */
export const MAP_ANONYMOUS: number = map("MAP_ANONYMOUS");
/**
 * `mmap` flag `MAP_ANON`.
 *
 * @example
 * ```ts
 * import { MAP_ANON, MAP_ANONYMOUS, MAP_PRIVATE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { flags: MAP_ANON | MAP_ANONYMOUS | MAP_PRIVATE });
 * ```
 */
export const MAP_ANON: number = map("MAP_ANON");
/**
 * `mmap` flag `MAP_GROWSDOWN` (Linux only; 0 on macOS).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_PRIVATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN; // where the platform allows it
 * ```
 */
export const MAP_GROWSDOWN: number = map("MAP_GROWSDOWN");
/**
 * `mmap` flag `MAP_DENYWRITE` (Linux only; 0 on macOS).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_DENYWRITE, MAP_PRIVATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_DENYWRITE; // where the platform allows it
 * ```
 */
export const MAP_DENYWRITE: number = map("MAP_DENYWRITE");
/**
 * `mmap` flag `MAP_EXECUTABLE` (Linux only; 0 on macOS).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_EXECUTABLE, MAP_PRIVATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_EXECUTABLE; // where the platform allows it
 * ```
 */
export const MAP_EXECUTABLE: number = map("MAP_EXECUTABLE");
/**
 * `mmap` flag `MAP_LOCKED` (Linux only; 0 on macOS).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_LOCKED, MAP_PRIVATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED; // where the platform allows it
 * ```
 */
export const MAP_LOCKED: number = map("MAP_LOCKED");
/**
 * `mmap` flag `MAP_NORESERVE`.
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_NORESERVE, MAP_PRIVATE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { flags: MAP_NORESERVE | MAP_ANONYMOUS | MAP_PRIVATE });
 * ```
 */
export const MAP_NORESERVE: number = map("MAP_NORESERVE");
/**
 * `mmap` flag `MAP_POPULATE` (Linux only; 0 on macOS).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_POPULATE, MAP_PRIVATE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = new MMap(-1, PAGESIZE, { flags: MAP_POPULATE | MAP_ANONYMOUS | MAP_PRIVATE });
 * ```
 */
export const MAP_POPULATE: number = map("MAP_POPULATE");
/**
 * `mmap` flag `MAP_NONBLOCK` (Linux only; 0 on macOS).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_NONBLOCK, MAP_PRIVATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NONBLOCK; // where the platform allows it
 * ```
 */
export const MAP_NONBLOCK: number = map("MAP_NONBLOCK");
/**
 * `mmap` flag `MAP_STACK` (Linux only; 0 on macOS).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_STACK } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK; // where the platform allows it
 * ```
 */
export const MAP_STACK: number = map("MAP_STACK");
/**
 * `mmap` flag `MAP_HUGETLB` (Linux only; 0 on macOS).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_HUGETLB, MAP_PRIVATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB; // where the platform allows it
 * ```
 */
export const MAP_HUGETLB: number = map("MAP_HUGETLB");
/**
 * `mmap` flag `MAP_SYNC` (Linux only; 0 on macOS).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SYNC } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_SYNC; // where the platform allows it
 * ```
 */
export const MAP_SYNC: number = map("MAP_SYNC");
/**
 * `mmap` flag `MAP_FIXED_NOREPLACE` (Linux only; 0 on macOS).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_FIXED_NOREPLACE, MAP_PRIVATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE; // where the platform allows it
 * ```
 */
export const MAP_FIXED_NOREPLACE: number = map("MAP_FIXED_NOREPLACE");
/**
 * `mmap` flag `MAP_32BIT` (Linux x86_64 only; 0 elsewhere).
 *
 * @example
 * ```ts
 * import { MAP_32BIT, MAP_ANONYMOUS, MAP_PRIVATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT; // where the platform allows it
 * ```
 */
export const MAP_32BIT: number = map("MAP_32BIT");
/**
 * `mmap` flag `MAP_NOEXTEND` (macOS only; 0 on Linux).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_NOEXTEND, MAP_PRIVATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NOEXTEND; // where the platform allows it
 * ```
 */
export const MAP_NOEXTEND: number = map("MAP_NOEXTEND");
/**
 * `mmap` flag `MAP_HASSEMAPHORE` (macOS only; 0 on Linux).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_HASSEMAPHORE, MAP_PRIVATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HASSEMAPHORE; // where the platform allows it
 * ```
 */
export const MAP_HASSEMAPHORE: number = map("MAP_HASSEMAPHORE");
/**
 * `mmap` flag `MAP_NOCACHE` (macOS only; 0 on Linux).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_NOCACHE, MAP_PRIVATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NOCACHE; // where the platform allows it
 * ```
 */
export const MAP_NOCACHE: number = map("MAP_NOCACHE");
/**
 * `mmap` flag `MAP_JIT` (macOS only; 0 on Linux).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_JIT, MAP_PRIVATE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_JIT; // where the platform allows it
 * ```
 */
export const MAP_JIT: number = map("MAP_JIT");
/**
 * `mmap` flag `MAP_RESILIENT_CODESIGN` (macOS only; 0 on Linux).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_RESILIENT_CODESIGN } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_RESILIENT_CODESIGN; // where the platform allows it
 * ```
 */
export const MAP_RESILIENT_CODESIGN: number = map("MAP_RESILIENT_CODESIGN");
/**
 * `mmap` flag `MAP_RESILIENT_MEDIA` (macOS only; 0 on Linux).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_RESILIENT_MEDIA } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_RESILIENT_MEDIA; // where the platform allows it
 * ```
 */
export const MAP_RESILIENT_MEDIA: number = map("MAP_RESILIENT_MEDIA");
/**
 * `mmap` flag `MAP_TRANSLATED_ALLOW_EXECUTE` (macOS only; 0 on Linux).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_TRANSLATED_ALLOW_EXECUTE } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_TRANSLATED_ALLOW_EXECUTE; // where the platform allows it
 * ```
 */
export const MAP_TRANSLATED_ALLOW_EXECUTE: number = map("MAP_TRANSLATED_ALLOW_EXECUTE");
/**
 * `mmap` flag `MAP_UNIX03` (macOS only; 0 on Linux).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_UNIX03 } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_UNIX03; // where the platform allows it
 * ```
 */
export const MAP_UNIX03: number = map("MAP_UNIX03");
/**
 * `mmap` flag `MAP_TPRO` (macOS only; 0 on Linux).
 *
 * @example
 * ```ts
 * import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_TPRO } from "@seed/mmap";
 * const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_TPRO; // where the platform allows it
 * ```
 */
export const MAP_TPRO: number = map("MAP_TPRO");
/**
 * `madvise` advice `MADV_NORMAL`.
 *
 * @example
 * ```ts
 * import { MADV_NORMAL, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * m.madvise(MADV_NORMAL);
 * ```
 */
export const MADV_NORMAL: number = madv("MADV_NORMAL");
/**
 * `madvise` advice `MADV_RANDOM`.
 *
 * @example
 * ```ts
 * import { MADV_RANDOM, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * m.madvise(MADV_RANDOM);
 * ```
 */
export const MADV_RANDOM: number = madv("MADV_RANDOM");
/**
 * `madvise` advice `MADV_SEQUENTIAL`.
 *
 * @example
 * ```ts
 * import { MADV_SEQUENTIAL, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * m.madvise(MADV_SEQUENTIAL);
 * ```
 */
export const MADV_SEQUENTIAL: number = madv("MADV_SEQUENTIAL");
/**
 * `madvise` advice `MADV_WILLNEED`.
 *
 * @example
 * ```ts
 * import { MADV_WILLNEED, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * m.madvise(MADV_WILLNEED);
 * ```
 */
export const MADV_WILLNEED: number = madv("MADV_WILLNEED");
/**
 * `madvise` advice `MADV_DONTNEED`.
 *
 * @example
 * ```ts
 * import { MADV_DONTNEED, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * m.madvise(MADV_DONTNEED);
 * ```
 */
export const MADV_DONTNEED: number = madv("MADV_DONTNEED");
/**
 * `madvise` advice `MADV_FREE`.
 *
 * @example
 * ```ts
 * import { MADV_FREE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_FREE); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_FREE: number = madv("MADV_FREE");
/**
 * `madvise` advice `MADV_REMOVE` (Linux only; -1 on macOS): frees the pages
 * (a hole punched in the file), whole pages only, so its range must be
 * page-aligned (see `MMap.madvise`).
 *
 * @example
 * ```ts
 * import { MADV_REMOVE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_REMOVE); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_REMOVE: number = madv("MADV_REMOVE");
/**
 * `madvise` advice `MADV_DONTFORK` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_DONTFORK, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_DONTFORK); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_DONTFORK: number = madv("MADV_DONTFORK");
/**
 * `madvise` advice `MADV_DOFORK` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_DOFORK, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_DOFORK); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_DOFORK: number = madv("MADV_DOFORK");
/**
 * `madvise` advice `MADV_MERGEABLE` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_MERGEABLE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_MERGEABLE); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_MERGEABLE: number = madv("MADV_MERGEABLE");
/**
 * `madvise` advice `MADV_UNMERGEABLE` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_UNMERGEABLE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_UNMERGEABLE); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_UNMERGEABLE: number = madv("MADV_UNMERGEABLE");
/**
 * `madvise` advice `MADV_HUGEPAGE` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_HUGEPAGE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_HUGEPAGE); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_HUGEPAGE: number = madv("MADV_HUGEPAGE");
/**
 * `madvise` advice `MADV_NOHUGEPAGE` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_NOHUGEPAGE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_NOHUGEPAGE); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_NOHUGEPAGE: number = madv("MADV_NOHUGEPAGE");
/**
 * `madvise` advice `MADV_DONTDUMP` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_DONTDUMP, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_DONTDUMP); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_DONTDUMP: number = madv("MADV_DONTDUMP");
/**
 * `madvise` advice `MADV_DODUMP` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_DODUMP, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_DODUMP); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_DODUMP: number = madv("MADV_DODUMP");
/**
 * `madvise` advice `MADV_WIPEONFORK` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_WIPEONFORK, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_WIPEONFORK); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_WIPEONFORK: number = madv("MADV_WIPEONFORK");
/**
 * `madvise` advice `MADV_KEEPONFORK` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_KEEPONFORK, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_KEEPONFORK); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_KEEPONFORK: number = madv("MADV_KEEPONFORK");
/**
 * `madvise` advice `MADV_COLD` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_COLD, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_COLD); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_COLD: number = madv("MADV_COLD");
/**
 * `madvise` advice `MADV_PAGEOUT`.
 *
 * @example
 * ```ts
 * import { MADV_PAGEOUT, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_PAGEOUT); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_PAGEOUT: number = madv("MADV_PAGEOUT");
/**
 * `madvise` advice `MADV_POPULATE_READ` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_POPULATE_READ, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_POPULATE_READ); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_POPULATE_READ: number = madv("MADV_POPULATE_READ");
/**
 * `madvise` advice `MADV_POPULATE_WRITE` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_POPULATE_WRITE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_POPULATE_WRITE); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_POPULATE_WRITE: number = madv("MADV_POPULATE_WRITE");
/**
 * `madvise` advice `MADV_DONTNEED_LOCKED` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_DONTNEED_LOCKED, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_DONTNEED_LOCKED); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_DONTNEED_LOCKED: number = madv("MADV_DONTNEED_LOCKED");
/**
 * `madvise` advice `MADV_COLLAPSE` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_COLLAPSE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_COLLAPSE); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_COLLAPSE: number = madv("MADV_COLLAPSE");
/**
 * `madvise` advice `MADV_HWPOISON` (Linux only; -1 on macOS). `madvise()`
 * refuses it (`MMapOSError` `EPERM`, as the kernel answers any caller but
 * root): the kernel would poison the pages, and their next access would
 * kill the process.
 *
 * @example
 * ```ts
 * import { MADV_HWPOISON, MMap, type MMapOSError, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try {
 *   m.madvise(MADV_HWPOISON);
 * } catch (e) {
 *   console.log((e as MMapOSError).code); // "EPERM" on Linux: the page stays whole
 * }
 * ```
 */
export const MADV_HWPOISON: number = madv("MADV_HWPOISON");
/**
 * `madvise` advice `MADV_SOFT_OFFLINE` (Linux only; -1 on macOS).
 *
 * @example
 * ```ts
 * import { MADV_SOFT_OFFLINE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_SOFT_OFFLINE); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_SOFT_OFFLINE: number = madv("MADV_SOFT_OFFLINE");
/**
 * `madvise` advice `MADV_ZERO_WIRED_PAGES` (macOS only; -1 on Linux).
 *
 * @example
 * ```ts
 * import { MADV_ZERO_WIRED_PAGES, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_ZERO_WIRED_PAGES); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_ZERO_WIRED_PAGES: number = madv("MADV_ZERO_WIRED_PAGES");
/**
 * `madvise` advice `MADV_FREE_REUSABLE` (macOS only; -1 on Linux).
 *
 * @example
 * ```ts
 * import { MADV_FREE_REUSABLE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_FREE_REUSABLE); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_FREE_REUSABLE: number = madv("MADV_FREE_REUSABLE");
/**
 * `madvise` advice `MADV_FREE_REUSE` (macOS only; -1 on Linux).
 *
 * @example
 * ```ts
 * import { MADV_FREE_REUSE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_FREE_REUSE); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_FREE_REUSE: number = madv("MADV_FREE_REUSE");
/**
 * `madvise` advice `MADV_CAN_REUSE` (macOS only; -1 on Linux).
 *
 * @example
 * ```ts
 * import { MADV_CAN_REUSE, MMap, PAGESIZE } from "@seed/mmap";
 * using m = MMap.anonymous(PAGESIZE);
 * try { m.madvise(MADV_CAN_REUSE); } catch { // not every kernel takes every advice
 * }
 * ```
 */
export const MADV_CAN_REUSE: number = madv("MADV_CAN_REUSE");
