/**
 * The `MMap` class: CPython's `mmap.mmap` in JavaScript form.
 *
 * @module
 */
import { closeFd, dupFd, type FileStat, statFd, truncateFd } from "../ffi/files.ts";
import { OpenedFile } from "../ffi/create.ts";
import { growFile } from "../ffi/space.ts";
import { Mapping } from "../ffi/mapping.ts";
import {
  BigIntCtor as BigInt,
  byteArray,
  DataViewCtor,
  mathMin,
  NumberCtor as Number,
  typedArrayBuffer,
  typedArrayByteLength,
  typedArrayByteOffset,
  typedArrayIndexOf,
  typedArraySet,
  typedArraySlice,
  typedArraySubarray,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";
import { backend, platform } from "../ffi/load.ts";
import {
  type AccessMode,
  accessName,
  kernelProtection,
  parseAccess,
  resolveProtection,
} from "./access.ts";
import { checkOptions, SSIZE_MAX, toBool, toCInt, toInt, toOptionalInt, toSsize } from "./args.ts";
import { byteLength, type BytesLike, type Needle, toBytes, toNeedle } from "./bytes.ts";
import {
  ACCESS_COPY,
  ACCESS_DEFAULT,
  ACCESS_READ,
  ACCESS_WRITE,
  ALLOCATIONGRANULARITY,
  MADV_POPULATE_READ,
  MADV_REMOVE,
  MADV_WILLNEED,
  MAP_ANONYMOUS,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  PAGESIZE,
  PROT_WRITE,
} from "./constants.ts";
import {
  type ByteAccess,
  byteValue,
  checkWritable,
  checkWriteRange,
  CLOSED,
  elementSize,
  flushFlags,
  flushRange,
  itemIndex,
  itemValue,
  madviseArgs,
  moveArgs,
  readByteOutOfRange,
  readCount,
  readSlice,
  searchRange,
  seekTarget,
  viewRange,
  writeByteOutOfRange,
  writeSlice,
} from "./cursor.ts";
import { errnoValue, faultError, MMapOSError, removeRangeError } from "../ffi/errors.ts";
import { BorrowedFile, type FileSource, resolveSource } from "./open_source.ts";
import { ALIGN_HINT, EMPTY_FILE_HINT, flushFailureHint, mmapFailureHint } from "./hints.ts";
import { faultCounter, type FaultGuardStatus, faultGuardStatus } from "../ffi/guard/install.ts";
import { TOTAL_FAULTS } from "../ffi/guard/table.ts";
import { countIn, findIn, type PagesSource, rfindIn } from "./search.ts";
import { copyBetween, freshBytes, SEARCH_BYTE_IN_VIEW, SLICE_BELOW } from "./fastpaths.ts";
import { plainBound, resolveSlice } from "./slice.ts";
import { alignedOffset } from "./pages.ts";
import { byteStream, chunkSizeOf, type StreamOptions } from "./stream.ts";
import { ViewSet } from "./views.ts";
import { LineIterator, lineRange } from "./lines.ts";
import { readInto, readIntoAliased, readIntoMain } from "./read_into.ts";
import { holdFile, type MappedFile, releaseFile, unaliased } from "./aliasing.ts";
import { mapWindows, type WindowSource } from "./windows.ts";
import { openShared, type SharedOptions, unlinkShared } from "./shared.ts";
import { type ConcatOptions, MMapConcat } from "./concat.ts";
import type { FlushOptions, TypedArrayConstructor } from "./types.ts";

/** What `#prefault` asks for, in order (a kernel without the first refuses it). */
const PREFAULT_ADVICE: readonly number[] = [MADV_POPULATE_READ, MADV_WILLNEED];

export type { AccessMode } from "./access.ts";
export type { BytesLike, Needle } from "./bytes.ts";
export type { SharedOptions } from "./shared.ts";
export type { FaultGuardStatus } from "../ffi/guard/install.ts";

/**
 * Options of {@linkcode MMap.open}.
 *
 * @example
 * ```ts
 * import { MMap } from "@seed/mmap";
 * using m = MMap.open("new.bin", { access: "write", create: true, length: 4096, offset: 0 });
 * Deno.removeSync("new.bin");
 * ```
 */
export interface OpenOptions {
  /** `"read"` (the default), `"write"`, `"copy"`, or an `ACCESS_*` constant. */
  access?: AccessMode;
  /** Bytes to map; 0 or omitted maps the whole file from `offset`. */
  length?: number;
  /** Where the map starts in the file: a multiple of `ALLOCATIONGRANULARITY`, unless `align`. */
  offset?: number;
  /** Map from the page below an unaligned `offset`, and start the map at `offset` (see the constructor's `align`). */
  align?: boolean;
  /** Create the file if missing, and extend it to `offset + length` if shorter. */
  create?: boolean;
  /**
   * Grow the file with a hole instead of reserving its blocks (default
   * `false`). Risk: on a full file system (on tmpfs, even a read), the first
   * touch of the hole kills the process with `SIGBUS`. Also the default of
   * this map's {@linkcode MMap.resize}.
   */
  sparse?: boolean;
  /**
   * Read the whole file in and map it at once, so that the first scan of a
   * file that is not in the page cache takes no page faults; `open` then
   * takes as long as reading the file. `MAP_POPULATE` for shared maps
   * (`access: "write"`); `MADV_POPULATE_READ` for private ones (read and
   * copy maps, which `MAP_POPULATE` would copy page by page); `MADV_WILLNEED`
   * where neither exists. Default `false`.
   */
  populate?: boolean;
  /**
   * Catch faults in the map's pages (default `true`; see {@linkcode MMap.faulted}).
   * `false` leaves a fault to the process's own SIGBUS handling, which ends it.
   */
  guard?: boolean;
}

/**
 * Options of the {@linkcode MMap} constructor, as CPython's `mmap()` takes them.
 *
 * @example
 * ```ts
 * import { MAP_PRIVATE, MMap, PROT_READ } from "@seed/mmap";
 * using m = new MMap(-1, 4096, { flags: MAP_PRIVATE, prot: PROT_READ });
 * ```
 */
export interface MMapOptions {
  /** `MAP_*` flags (default `MAP_SHARED`); not with `access`. */
  flags?: number;
  /** `PROT_*` bits (default `PROT_READ | PROT_WRITE`); not with `access`. */
  prot?: number;
  /** An access mode; `ACCESS_DEFAULT` derives it from `prot`. */
  access?: AccessMode;
  /** Where the map starts in the file: a multiple of `ALLOCATIONGRANULARITY`, unless `align`. */
  offset?: number;
  /**
   * Accept any `offset` (default `false`: CPython's rule). The kernel maps
   * from the page boundary below it, and the map starts at `offset` itself:
   * `length`, `bytes`, `view()`, `find()`, `tell()`/`seek()` and every other
   * offset count from the requested byte, as in memmap2 and numpy.memmap.
   * `flush()` and `madvise()` then act from the page boundary below their
   * offset (except `MADV_REMOVE`, which must start on a page boundary of
   * the file: see {@linkcode MMap.madvise}). `bytes` starts at an address that is not page-aligned, so a
   * view's elements are aligned in memory only if `offset` is a multiple of
   * their size (`Atomics` and the locks need 4-aligned addresses).
   */
  align?: boolean;
  /** Keep a duplicate of the descriptor (default `true`), for `size()` and `resize()`. */
  trackfd?: boolean;
  /** Catch faults in a file's pages (default `true`; see {@linkcode MMap.faulted}). */
  guard?: boolean;
}

/**
 * Options of {@linkcode MMap.resize}.
 *
 * @example
 * ```ts
 * import { MMap } from "@seed/mmap";
 * using m = MMap.open("grows.bin", { access: "write", create: true, length: 4096 });
 * m.resize(1 << 20, { sparse: true }); // a hole: no blocks reserved
 * Deno.removeSync("grows.bin");
 * ```
 */
export interface ResizeOptions {
  /**
   * Grow the file with a hole instead of reserving its blocks (default: the
   * map's `sparse` from {@linkcode MMap.open}, else `false`). On a full file
   * system the first store into the hole then dies of `SIGBUS`.
   */
  sparse?: boolean;
}

/**
 * Options of {@linkcode MMap.anonymous}.
 *
 * @example
 * ```ts
 * import { MMap } from "@seed/mmap";
 * using m = MMap.anonymous(4096, { shared: false }); // private: can grow
 * m.resize(8192);
 * ```
 */
export interface AnonymousOptions {
  /** `MAP_SHARED` (the default, as CPython's `mmap(-1, n)`) or `MAP_PRIVATE`. */
  shared?: boolean;
}

/** What the FinalizationRegistry needs to release a map nobody closed. */
interface Resources {
  mapping: Mapping | null;
  fd: number;
  /**
   * A buffer over the mapping was handed out. If the map is collected
   * unclosed, such a buffer may have been moved (`transfer()`) to a buffer
   * that outlives the map, so the range is retired, not unmapped.
   */
  exposed: boolean;
  /** The file this map holds a count of (src/aliasing.ts); null for anonymous memory. */
  file: MappedFile | null;
}

/** How the search kernel sees a shared map's pages: the same for every map. */
const SHARED_PAGES: PagesSource = { share: true };

const finalizer = new FinalizationRegistry<Resources>((res) => {
  // Best effort: a finalizer has nobody to report an error to.
  try {
    if (res.exposed) res.mapping?.retire();
    else res.mapping?.unmap();
  } catch { /* already gone */ }
  if (res.file) releaseFile(res.file);
  if (res.fd >= 0) {
    try {
      closeFd(res.fd);
    } catch { /* already closed */ }
  }
});

/** The file behind an open map, for `@seed/mmap/wasm` (not exported from mod.ts). */
export interface MapFile {
  /** The map's own descriptor; -1 for anonymous memory or `trackfd: false`. */
  fd: number;
  /** The `ACCESS_*` value the map was made with. */
  access: number;
  path?: string;
}

/** The descriptor and access mode of an open map; a `TypeError` on a closed one. */
export let fileOfMap!: (m: MMap) => MapFile;
/** Whether the kernel maps `m` shared and writable, so that other processes see its stores (the Ring needs that). */
export let isSharedMap!: (m: MMap) => boolean;
/**
 * A tracked buffer over `[offset, offset + length)` of `m` that is never
 * handed to user code (the Ring's own header and data views): detached on
 * `close()` and `resize()` as every view is, and out of reach of anyone
 * who moves a buffer the library handed out.
 */
/** Whether `m` is an MMap by its private fields (a Proxy of one is not). */
export let isMMap!: (m: unknown) => boolean;
export let privateWindow!: (m: MMap, offset: number, length: number) => ArrayBuffer;
/** One function of `beforeUnmap`'s list (null once run or cancelled). */
interface UnmapHook {
  f: (() => void) | null;
  prev: UnmapHook | null;
  next: UnmapHook | null;
}
/**
 * Runs `f` when `m` is closed or resized, just before its memory goes
 * (the Ring gives its roles back then); returns a function that cancels it.
 */
export let beforeUnmap!: (m: MMap, f: () => void) => () => void;
/**
 * Throws the map's fault error (`MMapOSError`, `EIO`) if a page of `m`
 * faulted (its file shrank): for code that reads the map's memory through
 * views of its own (the Ring), as every method of the map does.
 */
export let settleFaults!: (m: MMap) => void;

/**
 * A memory-mapped file or anonymous memory, with CPython's `mmap` API
 * (camelCased) and zero-copy typed-array views.
 *
 * Every view handed out (`bytes`, `view()`, `dataView()`) is detached when
 * the map is closed or resized: it then has length 0, and the memory under it
 * can never be reached after it is unmapped.
 *
 * @example Read a file, find a word, write through a view
 * ```ts
 * import { MMap } from "@seed/mmap";
 * Deno.writeTextFileSync("hello.txt", "hello world");
 * using m = MMap.open("hello.txt", { access: "write" });
 * console.log(m.find("world")); // 6
 * m.bytes[0] = "H".charCodeAt(0);
 * m.flush();
 * Deno.removeSync("hello.txt");
 * ```
 */
export class MMap {
  #res: Resources = { mapping: null, fd: -1, exposed: false, file: null };
  /**
   * A buffer over the current mapping may be reachable from JavaScript
   * although it is no longer ours (see `ViewSet.detachAll`): the mapping
   * must be retired, never unmapped or moved.
   */
  #reachable = false;
  #views: ViewSet;
  #closed = false;
  #length = 0;
  #pos = 0;
  #offset = 0;
  #access: number = ACCESS_DEFAULT;
  #flags = 0;
  #prot = 0;
  #trackfd = true;
  /** Anonymous memory (fileno -1), not a file's pages. */
  #anonymous = false;
  #path: string | undefined;
  /** resize()'s default: grow the file with a hole instead of reserving blocks. */
  #sparse = false;
  /** Whether `bytes` or a view was ever handed out (a store may then have changed private pages). */
  #viewsOut = false;
  /**
   * What `MMap.open` already learned from `fstat` about the descriptor it
   * hands to the constructor, so that the file is not asked twice.
   */
  static #openedStat: FileStat | undefined;
  /** `MMap.open`'s `populate`, for the constructor's mmap call. */
  static #populate = false;
  /** The kernel maps this memory shared (fixed at construction). */
  #kernelShared = false;
  /** The file's pages as the search kernel may map them; made on first use. */
  #filePages: PagesSource | undefined;
  #byteAccess: ByteAccess | null = null;
  #windowSource: WindowSource | null = null;
  /** Whether the fault guard watches this map's pages. */
  #guard = true;
  /** The process's fault count when this map last found none of its own. */
  #faultsSeen = faultCounter.words[TOTAL_FAULTS];
  /** A page of this map faulted (see `faulted`). */
  #faulted = false;
  /**
   * `beforeUnmap`'s functions, run once by the next close() or resize(): a
   * list of links of our own (no Set or Array method a program could patch).
   */
  #unmapHooks: UnmapHook | null = null;

  static {
    fileOfMap = (m) => {
      m.#check();
      return { fd: m.#res.fd, access: m.#access, path: m.#path };
    };
    isSharedMap = (m) => m.#kernelShared;
    settleFaults = (m) => m.#settle();
    isMMap = (m) => typeof m === "object" && m !== null && #res in m;
    privateWindow = (m, offset, length) => {
      m.#check();
      m.#res.exposed = true;
      return m.#views.window(m.#mapping(), offset, length);
    };
    beforeUnmap = (m, f) => {
      const first = m.#unmapHooks;
      const hook: UnmapHook = { f, prev: null, next: first };
      if (first !== null) first.prev = hook;
      m.#unmapHooks = hook;
      // Cancelling unlinks, so that a program that makes and closes many
      // Rings on one map keeps no list growing.
      return () => {
        if (hook.f === null) return;
        hook.f = null;
        if (hook.prev !== null) hook.prev.next = hook.next;
        else if (m.#unmapHooks === hook) m.#unmapHooks = hook.next;
        if (hook.next !== null) hook.next.prev = hook.prev;
      };
    };
  }

  #runUnmapHooks(): void {
    let hook = this.#unmapHooks;
    this.#unmapHooks = null;
    for (; hook !== null; hook = hook.next) {
      const f = hook.f;
      hook.f = null;
      f?.();
    }
  }

  /**
   * Maps `length` bytes of the open file descriptor `fileno` (CPython's
   * constructor). `fileno` -1 maps anonymous memory; `length` 0 maps the
   * whole file from `offset`. The descriptor is duplicated (unless
   * `trackfd: false`) and stays the caller's to close.
   *
   * @param fileno an open file descriptor, or -1 for anonymous memory
   * @param length bytes to map; 0 for the rest of the file
   * @param options `flags`, `prot`, `access`, `offset`, `trackfd`
   * @throws {RangeError} negative or too large sizes, an unaligned offset,
   *   a length beyond the file, an empty file, `access` with `flags`/`prot`
   * @throws {MMapOSError} when a system call fails (a bad descriptor, say)
   *
   * @example Anonymous memory
   * ```ts
   * import { MMap, PAGESIZE } from "@seed/mmap";
   * using m = new MMap(-1, PAGESIZE);
   * m.write("abc");
   * console.log(m.at(0)); // 97
   * ```
   */
  constructor(fileno: number, length: number, options?: MMapOptions) {
    const o = checkOptions(
      options,
      ["flags", "prot", "access", "offset", "trackfd", "guard", "align"],
      "MMap",
    );
    // CPython's order: every argument's type first, then the ranges.
    const fd = toCInt(fileno, "fileno");
    let size = toInt(length, "length");
    const flags = o.flags === undefined || o.flags === null ? undefined : toCInt(o.flags, "flags");
    const prot = o.prot === undefined || o.prot === null ? undefined : toCInt(o.prot, "prot");
    const access = parseAccess(o.access ?? ACCESS_DEFAULT);
    const exactOffset = o.offset === undefined || o.offset === null
      ? 0n
      : toSsize(o.offset, "offset");
    const trackfd = toBool(o.trackfd, "trackfd", true);
    const guard = toBool(o.guard, "guard", true);
    const align = toBool(o.align, "align", false);
    if (size < 0) throw new RangeError("memory mapped length must be positive");
    if (exactOffset < 0n) throw new RangeError("memory mapped offset must be positive");
    const p = resolveProtection(access, flags, prot);
    // MAP_ANONYMOUS with a descriptor: the kernel ignores the descriptor and
    // maps anonymous memory, which this map took for the file's pages. Its
    // stores never reached the file (flush() said nothing), and resize()
    // grew the file and remapped an anonymous region past its end: the next
    // load was SIGBUS (exit 135 with guard: false, an EIO "the file shrank"
    // otherwise). Anonymous memory is fileno -1.
    if (fd !== -1 && p.flags & MAP_ANONYMOUS) {
      throw new RangeError(
        "MAP_ANONYMOUS maps no file: give fileno -1 for anonymous memory, or leave the flag out",
      );
    }
    // Aligned offsets below 2^63 are exact as Numbers.
    const offset = checkAligned(exactOffset, align);
    let st: FileStat | null = null;
    if (fd !== -1) {
      st = MMap.#openedStat ?? statFd(fd);
      MMap.#openedStat = undefined;
      if (st.isFile) size = checkFileRange(st.size, size, offset);
    }
    const own = fd !== -1 && trackfd ? dupFd(fd) : -1;
    const k = kernelProtection(p);
    // MAP_POPULATE on a private writable map would copy every page: shared maps only.
    const populate = MMap.#populate && k.flags & MAP_SHARED ? MAP_POPULATE : 0;
    MMap.#populate = false;
    this.#kernelShared = (k.flags & MAP_SHARED) !== 0;
    this.#views = new ViewSet(this, backend().maxBufferLength, this.#kernelShared);
    try {
      const anon = fd === -1 ? MAP_ANONYMOUS : 0;
      if (k.probe) Mapping.map(size, p.prot, p.flags | anon, fd, offset, undefined, false).unmap();
      this.#res.mapping = Mapping.map(
        size,
        k.prot,
        k.flags | anon | populate,
        fd,
        offset,
        undefined,
        guard,
      );
      this.#views.attach(this.#res.mapping);
    } catch (e) {
      // Nothing may leak from a constructor that throws.
      try {
        this.#res.mapping?.unmap();
      } finally {
        this.#res.mapping = null;
        if (own >= 0) closeFd(own);
      }
      throw mmapFailureHint(e, !(this.#kernelShared && (p.prot & PROT_WRITE)));
    }
    this.#res.fd = own;
    this.#anonymous = fd === -1;
    this.#length = size;
    this.#offset = offset;
    this.#access = p.access;
    this.#flags = p.flags;
    this.#prot = p.prot;
    this.#trackfd = trackfd;
    this.#guard = guard;
    // Counted, so that a copy between two maps of this file is seen to overlap.
    if (st) this.#res.file = holdFile(st.dev, st.ino);
    finalizer.register(this, this.#res, this.#res);
  }

  /**
   * Opens and maps a file. Read-only unless `access` says otherwise; the
   * map owns the descriptor and closes it on `close()`.
   *
   * With `create`, a file shorter than `offset + length` is extended, its
   * new blocks reserved (`posix_fallocate`) unless `sparse`. When that fails, nothing is mapped, the file keeps its old size,
   * and a file this call created is removed.
   *
   * `file` may also be an open descriptor or a `node:fs` `FileHandle`: the
   * map keeps a duplicate (`dup(2)`), and the caller's stays open and theirs
   * to close; `access` must fit how it was opened. Deno's `FsFile` and
   * `Bun.file()` hide their descriptor: they are a `TypeError` that says to
   * pass the path. With `align`, any `offset` works (see
   * {@linkcode MMapOptions.align}).
   *
   * @param file a path, a `file:` URL, a descriptor, or a `node:fs` `FileHandle`
   * @param options `access`, `length`, `offset`, `align`, `create`, `sparse`, `guard`
   * @returns the new map
   * @throws {MMapOSError} a missing file (`ENOENT`), a directory (`EISDIR`),
   *   no permission (`EACCES`), no space for the new blocks (`ENOSPC`, from
   *   `posix_fallocate`)
   * @throws {RangeError} an empty file, a length or offset beyond the file
   *
   * @example Map a whole file read-only
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("log.txt", "one\ntwo\n");
   * using m = MMap.open("log.txt");
   * console.log(new TextDecoder().decode(m.readline())); // "one\n"
   * Deno.removeSync("log.txt");
   * ```
   *
   * @example Map a file you already opened with node:fs, from an unaligned offset
   * ```ts
   * import { MMap } from "@seed/mmap";
   * import { promises, rmSync, writeFileSync } from "node:fs";
   * writeFileSync("records.bin", "header:payload");
   * await using fh = await promises.open("records.bin");
   * {
   *   using m = MMap.open(fh, { offset: 7, align: true }); // the map starts at byte 7
   *   console.log(new TextDecoder().decode(m.read())); // "payload"
   * }
   * rmSync("records.bin");
   * ```
   */
  static open(file: FileSource, options?: OpenOptions): MMap {
    const o = checkOptions(
      options,
      ["access", "length", "offset", "create", "sparse", "populate", "guard", "align"],
      "MMap.open",
    );
    const source = resolveSource(file, "MMap.open");
    const path = source.path;
    // CPython's order of arguments: length, access, offset.
    const length = toOptionalInt(o.length, "length") ?? 0;
    const access = parseAccess(o.access ?? ACCESS_READ);
    const exactOffset = o.offset === undefined || o.offset === null
      ? 0n
      : toSsize(o.offset, "offset");
    const create = toBool(o.create, "create", false);
    const sparse = toBool(o.sparse, "sparse", false);
    const populate = toBool(o.populate, "populate", false);
    const guard = toBool(o.guard, "guard", true);
    const align = toBool(o.align, "align", false);
    // Every argument is checked before the file is touched.
    if (length < 0) throw new RangeError("memory mapped length must be positive");
    if (exactOffset < 0n) throw new RangeError("memory mapped offset must be positive");
    resolveProtection(access, undefined, undefined);
    const offset = checkAligned(exactOffset, align);
    const write = create || access === ACCESS_WRITE || access === ACCESS_DEFAULT;
    const opened = path === undefined
      ? new BorrowedFile(source.fd)
      : new OpenedFile(path, write, create);
    const fd = opened.fd;
    try {
      const st = statFd(fd, path);
      if (st.isDirectory) throw new MMapOSError(errnoValue("EISDIR") ?? 21, "open", path);
      if (st.isStream) {
        throw new MMapOSError(
          errnoValue("ENODEV") ?? 19,
          "mmap",
          path,
          "a FIFO or socket has no pages to map; read it as a stream instead",
        );
      }
      if (create && length > 0 && st.size < offset + length) {
        const size = mathMin(offset + length, 2 ** 63 - 1024);
        // Read and copy maps too: on tmpfs (/dev/shm, often /tmp) a file's
        // bytes live in its page cache, so even a read fault on a hole takes a
        // page, and on a full tmpfs that fault is SIGBUS (measured).
        opened.grow(st.size, size, sparse);
        st.size = size;
      }
      MMap.#openedStat = st;
      MMap.#populate = populate;
      // The caller's value, not its rounded Number: the constructor checks it again.
      const m = new MMap(fd, (o.length ?? 0) as number, {
        access: access as AccessMode,
        offset,
        trackfd: false,
        guard,
        align,
      });
      m.#res.fd = fd;
      m.#trackfd = true;
      m.#path = path;
      m.#sparse = sparse;
      if (populate && !(m.#kernelShared && MAP_POPULATE)) m.#prefault();
      return m;
    } catch (e) {
      // Leaves the file system as it was found: old size, or no file.
      opened.undo();
      throw e;
    } finally {
      MMap.#openedStat = undefined;
      MMap.#populate = false;
    }
  }

  /**
   * Maps `length` bytes of zero-filled anonymous memory.
   *
   * @param length bytes, more than 0
   * @param options `shared` (default true)
   * @returns the new map
   *
   * @example A scratch buffer outside the JS heap
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(1 << 20);
   * m.view(Float64Array)[0] = 1.5;
   * ```
   */
  static anonymous(length: number, options?: AnonymousOptions): MMap {
    const o = checkOptions(options, ["shared"], "MMap.anonymous");
    const shared = toBool(o.shared, "shared", true);
    return new MMap(-1, length, { flags: shared ? MAP_SHARED : MAP_PRIVATE });
  }

  /**
   * Maps the named POSIX shared memory region `name` (`shm_open(3)`; on Linux
   * the file `/dev/shm/<name>`) read-write and shared, so that every process
   * and Worker that maps the same name sees the same bytes. Put a
   * {@linkcode Mutex} or {@linkcode Semaphore} in it to take turns.
   *
   * Without `create` the region must exist; `length` 0 or omitted maps all of
   * it. With `create` it is made if missing and grown to `length` if shorter,
   * its memory reserved first (unless `sparse`); `exclusive` fails with `EEXIST` if it exists. A region lives until
   * {@linkcode MMap.unlinkShared} (or a reboot), not until its maps close.
   * Deno: checked like `MMap.open` against denied read/write access to
   * `/dev/shm/<name>`.
   *
   * @param name `"name"` or `"/name"`: no other `/`, at most 255 bytes
   * @param length bytes to map; needed with `create`
   * @param options `create`, `exclusive`, `mode` (default `0o600`), `sparse`
   * @returns the new map (`ACCESS_WRITE`)
   * @throws {TypeError} a name with `/` or a null byte, `.` or `..`
   * @throws {RangeError} an empty or too long name, a length beyond the region
   * @throws {MMapOSError} `ENOENT` without `create`, `EEXIST` with `exclusive`,
   *   `ENOSPC` (from `posix_fallocate`) when `/dev/shm` has no room for the
   *   region: nothing is mapped and a region this call created is removed
   *
   * @example Two processes, one region
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.shared("my-app", 4096, { create: true });
   * m.view(Int32Array)[0] = 42; // another process's MMap.shared("my-app") sees 42
   * MMap.unlinkShared("my-app"); // the name goes; maps stay valid
   * ```
   */
  static shared(name: string, length?: number, options?: SharedOptions): MMap {
    const region = openShared(name, length, options);
    try {
      const m = new MMap(region.fd, region.length, { access: ACCESS_WRITE, guard: region.guard });
      m.#sparse = region.sparse;
      return m;
    } catch (e) {
      region.undo();
      throw e;
    } finally {
      closeFd(region.fd);
    }
  }

  /**
   * Removes the name of a shared memory region (`shm_unlink(3)`). Maps that
   * are open stay valid; the memory is freed when the last one closes.
   *
   * @param name the name given to {@linkcode MMap.shared}
   * @throws {MMapOSError} `ENOENT` when there is no such region
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * MMap.shared("scratch", 4096, { create: true }).close();
   * MMap.unlinkShared("scratch");
   * ```
   */
  static unlinkShared(name: string): void {
    unlinkShared(name);
  }

  /**
   * Maps several files, in order, as one byte sequence with this class's
   * cursor API (see {@linkcode MMapConcat}); matches across file boundaries
   * are found. When every file but the last is a multiple of `PAGESIZE`,
   * the files share one address range and `bytes` covers them all.
   *
   * @param paths file paths or `file:` URLs; empty files are allowed
   * @param options `access`: `"read"` (default), `"write"` or `"copy"`
   * @returns the new map
   * @throws {MMapOSError} a missing file (`ENOENT`), a directory (`EISDIR`)
   *
   * @example Count lines over a sharded dataset
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("shard-0.jsonl", '{"a":1}\n{"a":');
   * Deno.writeTextFileSync("shard-1.jsonl", '2}\n');
   * using all = MMap.concat(["shard-0.jsonl", "shard-1.jsonl"]);
   * console.log(all.count("\n"), all.segments.length); // 2 2
   * Deno.removeSync("shard-0.jsonl");
   * Deno.removeSync("shard-1.jsonl");
   * ```
   */
  static concat(paths: Iterable<string | URL>, options?: ConcatOptions): MMapConcat {
    return new MMapConcat(paths, options);
  }

  // --- state -------------------------------------------------------------

  /**
   * True once `close()` has run.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * const m = MMap.anonymous(16);
   * m.close();
   * console.log(m.closed); // true
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * True once a page of this map faulted: the file behind it shrank (another
   * process truncated it) or its device failed, and the fault guard put a
   * page of zeros where the lost page was instead of letting the process die
   * of `SIGBUS`. From then on every method throws `MMapOSError` (code
   * `"EIO"`, syscall `"SIGBUS"`) saying so, and reads through `bytes` and
   * views see zeros; stores into such a page go nowhere. `close()` works as
   * always, and `closed` stays false until it runs.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("steady.txt", "abc");
   * using m = MMap.open("steady.txt");
   * console.log(m.faulted); // false
   * Deno.removeSync("steady.txt");
   * ```
   */
  get faulted(): boolean {
    if (!this.#faulted && !this.#closed && this.#res.mapping?.faulted()) this.#faulted = true;
    return this.#faulted;
  }

  /**
   * Whether the fault guard is active in this process, and why or why not.
   * It is installed on first use (one `SIGBUS` handler per process, shared
   * by Workers and by other copies of the library); maps of files are
   * guarded by default. Inactive where `SEED_MMAP_GUARD=0` switched it off
   * (Deno reads the variable only with env access to it), on systems other
   * than Linux x86_64 and aarch64, or where executable pages are refused:
   * maps still work there, unguarded.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * if (!MMap.faultGuard.active) console.log("unguarded:", MMap.faultGuard.reason);
   * ```
   */
  static get faultGuard(): FaultGuardStatus {
    return faultGuardStatus();
  }

  /**
   * The length of the map in bytes (CPython's `len(m)`).
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(100);
   * console.log(m.length); // 100
   * ```
   */
  get length(): number {
    this.#check();
    return this.#length;
  }

  /**
   * Unmaps the memory and closes the map's descriptor; every view handed out
   * is detached first. Calling it again does nothing.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * const m = MMap.anonymous(16);
   * const view = m.bytes;
   * m.close();
   * console.log(view.length); // 0
   * ```
   */
  close(): void {
    if (this.#closed) return;
    // A fault no method has seen yet: let `faulted` still tell after close().
    if (faultCounter.words[TOTAL_FAULTS] !== this.#faultsSeen) void this.faulted;
    this.#closed = true;
    finalizer.unregister(this.#res);
    this.#runUnmapHooks();
    const reachable = this.#views.detachAll() || this.#reachable;
    const { mapping, fd, file } = this.#res;
    this.#res.mapping = null;
    this.#res.fd = -1;
    this.#res.file = null;
    if (file) releaseFile(file);
    try {
      if (reachable) mapping?.retire();
      else mapping?.unmap();
    } finally {
      if (fd >= 0) closeFd(fd);
    }
  }

  /**
   * Closes the map at the end of a `using` block.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * {
   *   using m = MMap.anonymous(16);
   *   m.writeByte(1);
   * } // unmapped here
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  // --- zero-copy views -----------------------------------------------------

  /**
   * A live `Uint8Array` over the whole map, without copying. It is detached
   * (length 0) after `close()` or `resize()`. Stores into a read-only map's
   * view change only this process's copy of the page, never the file.
   *
   * @throws {RangeError} when the map is larger than one ArrayBuffer can be
   *   (4 GiB in Bun): use `view()`/`dataView()` windows then
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(4);
   * m.bytes.set([1, 2, 3, 4]);
   * console.log(m.read(2)); // Uint8Array [1, 2]
   * ```
   */
  get bytes(): Uint8Array {
    this.#check();
    this.#viewsOut = this.#res.exposed = true;
    const shown = this.#views.public();
    if (!shown) {
      throw new RangeError(
        `this map of ${this.#length} bytes is larger than the largest ArrayBuffer this runtime can make ` +
          `(${this.#views.maxBufferLength} bytes): use view() or dataView() windows, or the methods`,
      );
    }
    return shown;
  }

  /**
   * A zero-copy typed array over part of the map.
   *
   * @param type the typed-array constructor, e.g. `Float64Array`
   * @param byteOffset where the view starts: a multiple of the element size
   * @param length elements; by default as many as fit
   * @returns the view, detached on `close()` and `resize()`
   * @throws {RangeError} a misaligned offset or a range beyond the map
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const floats = m.view(Float64Array, 8, 4);
   * floats[0] = Math.PI;
   * ```
   */
  view<T>(type: TypedArrayConstructor<T>, byteOffset: number = 0, length?: number): T {
    this.#check();
    this.#viewsOut = this.#res.exposed = true;
    const size = elementSize(type);
    this.#check(); // a BYTES_PER_ELEMENT getter may have closed the map
    const r = viewRange(type, size, byteOffset, length, this.#length);
    const shown = this.#views.public();
    if (shown) return new type(typedArrayBuffer(shown) as ArrayBuffer, r.start, r.count);
    return new type(this.#views.window(this.#mapping(), r.start, r.count * size), 0, r.count);
  }

  /**
   * A zero-copy `DataView` over part of the map.
   *
   * @param byteOffset where the view starts
   * @param byteLength bytes; by default to the end of the map
   * @returns the view, detached on `close()` and `resize()`
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(64);
   * m.dataView(16).setUint32(0, 0xdeadbeef, true);
   * ```
   */
  dataView(byteOffset: number = 0, byteLength?: number): DataView {
    const bytes = this.view(Uint8Array, byteOffset, byteLength);
    // Through the engine's getters: a patched prototype decides nothing.
    return new DataViewCtor(
      typedArrayBuffer(bytes),
      typedArrayByteOffset(bytes),
      typedArrayByteLength(bytes),
    );
  }

  // --- the file position ---------------------------------------------------

  /**
   * Reads up to `n` bytes from the position (all the rest if `n` is omitted,
   * `null` or negative) and moves past them. Returns a copy.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(8);
   * console.log(m.read(3).length, m.tell()); // 3 3
   * ```
   */
  read(n?: number | null): Uint8Array {
    this.#check();
    const count = readCount(n, this.#pos, this.#length);
    const out = this.#copy(this.#pos, count);
    this.#settle();
    this.#pos += count;
    return out;
  }

  /**
   * Reads one byte at the position and moves past it.
   *
   * @throws {RangeError} at the end of the map ("read byte out of range")
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(1);
   * console.log(m.readByte()); // 0
   * ```
   */
  readByte(): number {
    this.#check();
    if (this.#pos >= this.#length) throw readByteOutOfRange();
    const value = this.#get(this.#pos);
    this.#settle();
    this.#pos++;
    return value;
  }

  /**
   * Reads one line, up to and including `\n` (or to the end), and moves past it.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(8);
   * m.write("a\nb");
   * m.seek(0);
   * console.log(m.readline()); // Uint8Array [97, 10]
   * ```
   */
  readline(): Uint8Array {
    this.#check();
    if (this.#pos >= this.#length) return new Uint8ArrayCtor(0);
    const nl = this.#newline(this.#pos);
    const end = nl < 0 ? this.#length : nl + 1;
    const out = this.#copy(this.#pos, end - this.#pos);
    this.#settle();
    this.#pos = end;
    return out;
  }

  /**
   * Copies up to `target.byteLength` bytes from the position into `target`
   * and moves past them (CPython's `readinto` of file objects): a loop of
   * reads into one buffer allocates nothing. `target` is any typed array,
   * DataView, ArrayBuffer or SharedArrayBuffer, counted in bytes; the map
   * may be read-only (it is only read). A target over the map itself, or
   * over another map of the same file, gets the bytes as they were before
   * the copy, as memmove gives them (see {@linkcode MMap.write}).
   *
   * @param target where the bytes go, from its first byte
   * @returns the number of bytes copied: 0 at the end of the map
   * @throws {TypeError} a target that is not a writable buffer (a string, a
   *   plain array, a detached buffer such as a view of a closed map)
   *
   * @example Fixed-size records into one buffer
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("records.bin", "aaaabbbbcc");
   * using m = MMap.open("records.bin");
   * const record = new Uint8Array(4);
   * let n;
   * while ((n = m.readInto(record)) > 0) console.log(record.subarray(0, n)); // 3 records
   * Deno.removeSync("records.bin");
   * ```
   */
  readInto(target: ArrayBufferView | ArrayBufferLike): number {
    this.#check();
    // Bun: the native copy from the internal view, tried first (one call);
    // not into a target over a map while another map holds the file (src/aliasing.ts).
    const main = copyBetween === null ? null : this.#views.main;
    const aliasable = this.#aliasable();
    let n = main === null ? -1 : readIntoMain(target, this.#pos, this.#length, main, aliasable);
    if (n < 0) {
      n = (aliasable ? readIntoAliased : readInto)(
        target,
        this.#pos,
        this.#length,
        this.#windows(),
        this.#views.mainBuffer,
        main,
      );
    }
    this.#settle();
    this.#pos += n;
    return n;
  }

  /**
   * Iterates the lines of `[start, end)` (default: the whole map; slice
   * rules as in `find`) as zero-copy `Uint8Array` views of the map, each
   * with its `"\n"`; the last has none when the range does not end in one,
   * so that the lines joined are the range's bytes. The position is neither
   * used nor moved: this is `readline()` without a copy per line. The views
   * are detached (length 0) when the map is closed or resized: copy
   * (`line.slice()`) what must outlive the map. The iterator has the
   * `Iterator` helpers (`map`, `filter`, `take`, `toArray`...).
   *
   * @param start the first byte; negative counts from the end
   * @param end where the last line ends at the latest
   * @throws {TypeError} non-integer bounds; on a closed map (also from `next()`)
   *
   * @example Count error lines without copying them
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("app.log", "INFO up\nERROR disk\nINFO ok");
   * using m = MMap.open("app.log");
   * let errors = 0;
   * for (const line of m.lines()) if (line[0] === 0x45) errors++; // "E"
   * console.log(errors); // 1
   * Deno.removeSync("app.log");
   * ```
   */
  lines(
    start?: number | null,
    end?: number | null,
  ): IteratorObject<Uint8Array, undefined, unknown> {
    this.#check();
    const range = lineRange(start, end, this.#length);
    // A store through a line's view may change a private map's pages, and
    // a line's buffer may be moved away (see ViewSet).
    this.#viewsOut = this.#res.exposed = true;
    return new LineIterator(this.#windows(), range[0], range[1]);
  }

  /** The map's memory as windows, for `lines()` and `readInto` (made on first use). */
  #windows(): WindowSource {
    return this.#windowSource ??= mapWindows({
      length: () => {
        this.#check();
        return this.#length;
      },
      // The buffer handed out, never the internal one: lines are views of it.
      main: () => this.#views.public(),
      mapping: () => this.#mapping(),
      views: this.#views,
      copy: (offset, count) => this.#copy(offset, count),
    });
  }

  /**
   * Writes `data` at the position and moves past it. Strings are UTF-8.
   *
   * `data` may be a view of this map, or of another map of the same file
   * (the same pages at another address): the result is as if all of `data`
   * were read before any byte is written (memmove), so
   * `m.write(m.bytes.subarray(a, b))` works whichever way the ranges overlap.
   *
   * @returns the number of bytes written
   * @throws {TypeError} on a read-only map
   * @throws {RangeError} when the data would go past the end ("data out of range")
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(16);
   * console.log(m.write("héllo")); // 6
   * ```
   */
  write(data: BytesLike): number {
    this.#check();
    const bytes = toBytes(data);
    this.#check(); // toBytes may run a getter that closed the map
    checkWritable(this.#access);
    const n = byteLength(bytes);
    checkWriteRange(this.#pos, n, this.#length);
    this.#put(this.#pos, bytes);
    this.#settle();
    this.#pos += n;
    return n;
  }

  /**
   * Writes one byte (0-255) at the position and moves past it.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(1);
   * m.writeByte(255);
   * ```
   */
  writeByte(byte: number): void {
    this.#check();
    const value = byteValue(byte);
    checkWritable(this.#access);
    if (this.#pos >= this.#length) throw writeByteOutOfRange();
    this.#set(this.#pos, value);
    this.#settle();
    this.#pos++;
  }

  /**
   * Moves the position: from the start (`whence` 0), the current position
   * (1) or the end (2).
   *
   * @returns the new position (as CPython 3.13)
   * @throws {RangeError} outside `[0, length]`, or an unknown `whence`
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(10);
   * console.log(m.seek(-2, 2)); // 8
   * ```
   */
  seek(pos: number, whence: 0 | 1 | 2 = 0): number {
    this.#check();
    return (this.#pos = seekTarget(pos, whence, this.#pos, this.#length));
  }

  /**
   * The current position.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(10);
   * m.read(4);
   * console.log(m.tell()); // 4
   * ```
   */
  tell(): number {
    this.#check();
    return this.#pos;
  }

  /**
   * Always true: a map can seek (CPython 3.13). Works after `close()` too.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(1);
   * console.log(m.seekable()); // true
   * ```
   */
  seekable(): boolean {
    return true;
  }

  /**
   * The size of the underlying file (not of the map).
   *
   * @throws {MMapOSError} `EBADF` for anonymous maps and `trackfd: false`
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("ten.bin", "0123456789");
   * using m = MMap.open("ten.bin");
   * console.log(m.size()); // 10
   * Deno.removeSync("ten.bin");
   * ```
   */
  size(): number {
    this.#check();
    return statFd(this.#res.fd, this.#path).size;
  }

  // --- bytes by index ------------------------------------------------------

  /**
   * The byte at index `i`; negative indices count from the end (CPython's `m[i]`).
   *
   * @throws {RangeError} outside the map ("mmap index out of range")
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(4);
   * m.set(-1, 7);
   * console.log(m.at(-1)); // 7
   * ```
   */
  at(i: number): number {
    this.#check();
    const value = this.#get(itemIndex(i, this.#length));
    this.#settle();
    return value;
  }

  /**
   * Sets the byte at index `i` (CPython's `m[i] = v`).
   *
   * @throws {RangeError} an index outside the map, or a value outside 0-255
   * @throws {TypeError} on a read-only map
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(4);
   * m.set(0, 65);
   * ```
   */
  set(i: number, value: number): void {
    this.#check();
    checkWritable(this.#access);
    const at = itemIndex(i, this.#length);
    this.#set(at, itemValue(value));
    this.#settle();
  }

  /**
   * A copy of `[start:end:step]` with Python's slice rules: negative indices,
   * clamping, any non-zero step (CPython's `m[a:b:c]`).
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(4);
   * m.write("abcd");
   * console.log(new TextDecoder().decode(m.slice(undefined, undefined, -1))); // "dcba"
   * ```
   */
  slice(start?: number | null, end?: number | null, step?: number | null): Uint8Array {
    this.#check();
    if (step === undefined) {
      const a = plainBound(start, 0, this.#length);
      const b = plainBound(end, this.#length, this.#length);
      if (a >= 0 && b >= 0) {
        const copy = this.#copy(a, b > a ? b - a : 0);
        this.#settle();
        return copy;
      }
    }
    const out = readSlice(resolveSlice(this.#length, start, end, step), this.#bytesAt());
    this.#settle();
    return out;
  }

  /**
   * Assigns `data` to `[start:end:step]` (CPython's `m[a:b:c] = data`); the
   * lengths must match. As for {@linkcode MMap.write}, `data` is read whole
   * before any byte is stored, at any step: `m.setSlice(null, null, m.bytes,
   * -1)` reverses the map (CPython's `m[::-1] = memoryview(m)` gives a mix of
   * old and new bytes; with `m[:]`, a copy, it reverses too).
   *
   * @throws {RangeError} when `data` has a different length than the slice
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(4);
   * m.setSlice(0, 2, "hi");
   * ```
   */
  setSlice(
    start: number | null | undefined,
    end: number | null | undefined,
    data: BytesLike,
    step?: number | null,
  ): void {
    this.#check();
    checkWritable(this.#access);
    let s = resolveSlice(this.#length, start, end, step);
    const length = this.#length;
    const bytes = toBytes(data);
    // toBytes may run a getter that closed or resized the map.
    this.#check();
    if (this.#length !== length) s = resolveSlice(this.#length, start, end, step);
    writeSlice(s, bytes, this.#bytesAt());
    this.#settle();
  }

  /**
   * Iterates over the byte values of the whole map (numbers; CPython yields
   * 1-byte `bytes`).
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(3);
   * console.log([...m]); // [0, 0, 0]
   * ```
   */
  *[Symbol.iterator](): IterableIterator<number> {
    this.#check();
    for (let i = 0; i < this.#length; i++) {
      this.#check();
      const value = this.#get(i);
      this.#settle();
      yield value;
    }
  }

  /**
   * The bytes `[start, end)` as a Web `ReadableStream` (a byte stream, so
   * BYOB readers work too), for a `Response` body, `pipeTo` or
   * `for await`. `start` and `end` follow `slice()`'s rules (negatives count
   * from the end, out-of-range values clamp); the position is not used or
   * moved. Chunks of `chunkSize` bytes (default 64 KiB) are read only when a
   * reader asks.
   *
   * Chunks are copies, never views of the map: a view is detached when the
   * map is closed or resized, and a stream's consumer may keep a chunk, or
   * transfer its buffer, long after. A map closed while its stream is read
   * errors the stream (`TypeError`); one that shrank ends it at its new end.
   *
   * @param start first byte (default 0)
   * @param end byte to stop before (default the map's length)
   * @param options `chunkSize`
   * @returns a stream of `Uint8Array` chunks
   * @throws {RangeError} a `chunkSize` below 1
   *
   * @example Serve a file from its map
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("page.html", "<h1>hi</h1>");
   * using m = MMap.open("page.html");
   * const response = new Response(m.stream(), { headers: { "content-type": "text/html" } });
   * console.log(await response.text()); // "<h1>hi</h1>"
   * Deno.removeSync("page.html");
   * ```
   */
  stream(
    start?: number | null,
    end?: number | null,
    options?: StreamOptions,
  ): ReadableStream<Uint8Array> {
    this.#check();
    const chunkSize = chunkSizeOf(options);
    this.#check(); // an option's getter may have closed the map
    const s = resolveSlice(this.#length, start, end, 1);
    return byteStream(s.start, s.start + s.count, chunkSize, () => this.#length, (at, into) => {
      this.#check();
      // Captured intrinsics only: a patched `subarray`/`set` would be handed the internal view.
      const main = this.#views.main;
      if (main) typedArraySet(into, typedArraySubarray(main, at, at + typedArrayByteLength(into)));
      else this.#mapping().copyOut(at, into);
      // A chunk that met a fault holds zeros, not the file: error the stream instead.
      this.#settle();
    });
  }

  // --- searching -----------------------------------------------------------

  /**
   * The lowest index of `sub` in `[start, end)`, or -1. `start` defaults to
   * the current position; both use slice rules. `sub` is bytes, a UTF-8
   * string, or one byte value.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(8);
   * m.write("abcabc");
   * console.log(m.find("c", 0), m.find("c")); // 2 -1
   * ```
   */
  find(sub: Needle, start?: number | null, end?: number | null): number {
    const needle = this.#needle(sub);
    const r = searchRange(start, end, this.#pos, this.#length);
    const at = findIn(this.#res.mapping, needle, r.start, r.end, this.#pagesSource());
    this.#settle();
    return at;
  }

  /**
   * The highest index of `sub` in `[start, end)`, or -1; as `find`.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(6);
   * m.write("abcabc");
   * console.log(m.rfind("a", 0)); // 3
   * ```
   */
  rfind(sub: Needle, start?: number | null, end?: number | null): number {
    const needle = this.#needle(sub);
    const r = searchRange(start, end, this.#pos, this.#length);
    const at = rfindIn(this.#res.mapping, needle, r.start, r.end, this.#pagesSource());
    this.#settle();
    return at;
  }

  /**
   * How many non-overlapping `sub`s are in `[start, end)` (like
   * `bytes.count`); `start` defaults to the current position, as in `find`.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(6);
   * m.write("a\nb\nc\n");
   * console.log(m.count("\n", 0)); // 3
   * ```
   */
  count(sub: Needle, start?: number | null, end?: number | null): number {
    const needle = this.#needle(sub);
    const r = searchRange(start, end, this.#pos, this.#length);
    // bytes.count does not clamp start to the length: an empty needle past the end counts 0.
    if (r.past) return 0;
    const n = countIn(this.#res.mapping, needle, r.start, r.end, this.#pagesSource());
    this.#settle();
    return n;
  }

  /**
   * Whether `sub` occurs anywhere in the map. Unlike CPython's `sub in m`,
   * which only matches single bytes, any byte string is searched for.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(6);
   * m.write("abc");
   * console.log(m.includes("bc"), m.includes(0x63)); // true true
   * ```
   */
  includes(sub: Needle): boolean {
    return this.find(sub, 0) >= 0;
  }

  // --- changing the memory -------------------------------------------------

  /**
   * Copies `count` bytes from `src` to `dest` inside the map (overlap is fine).
   *
   * @throws {RangeError} "source, destination, or count out of range"
   * @throws {TypeError} on a read-only map
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(8);
   * m.write("abcd");
   * m.move(4, 0, 4);
   * ```
   */
  move(dest: number, src: number, count: number): void {
    this.#check();
    const m = moveArgs(dest, src, count, this.#length, this.#access);
    this.#res.mapping?.move(m[0], m[1], m[2]);
    this.#settle();
  }

  /**
   * Writes changes back to the file (`msync`). No-op for read and copy maps.
   * `size` defaults to the rest of the map from `offset` (CPython 3.15).
   *
   * @param offset a multiple of `PAGESIZE`
   * @param size bytes to flush
   * @param options `async` (`MS_ASYNC`), `invalidate` (`MS_INVALIDATE`)
   * @throws {RangeError} "flush values out of range"
   * @throws {MMapOSError} `EINVAL` for an unaligned offset
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("data.txt", "xxxx");
   * using m = MMap.open("data.txt", { access: "write" });
   * m.write("abcd");
   * m.flush();
   * Deno.removeSync("data.txt");
   * ```
   */
  flush(offset?: number | null, size?: number | null, options?: FlushOptions): void {
    this.#check();
    const flags = flushFlags(options);
    this.#check(); // an option's getter may have closed the map
    const range = flushRange(offset, size, this.#length);
    const start = range[0], count = range[1];
    if (this.#access === ACCESS_READ || this.#access === ACCESS_COPY) return;
    if (!this.#res.mapping) return;
    try {
      this.#res.mapping.sync(start, count, flags);
    } catch (e) {
      throw flushFailureHint(e, start);
    }
  }

  /**
   * Advises the kernel about how `[start, start + length)` will be used
   * (`madvise`); `length` is clamped to the end of the map.
   *
   * `MADV_REMOVE` frees the file's pages behind the range (it punches a hole
   * in the file, which then reads as zeros), and the kernel frees whole
   * pages: so its range must be page-aligned in the file. It must start on a
   * page boundary, and end on one or at the end of the file (the kernel
   * frees a file's last page only up to the file's size; for anonymous
   * memory, the end of the map). Any other range would zero bytes it does
   * not name, so it is refused with `EINVAL` before the kernel sees it
   * (CPython lets the kernel zero the rest of the last page). Where the
   * range ends inside the last page, the file's size is asked (`fstat`) to
   * see that it still ends there; a map with `trackfd: false` has no
   * descriptor to ask, and such a range is refused.
   *
   * @param option an `MADV_*` constant
   * @throws {RangeError} "madvise start out of bounds", "madvise length invalid"
   * @throws {MMapOSError} `EINVAL` for a `MADV_REMOVE` range that is not
   *   page-aligned, as above; what the kernel answers otherwise
   *
   * @example
   * ```ts
   * import { MADV_SEQUENTIAL, MMap } from "@seed/mmap";
   * using m = MMap.anonymous(1 << 20);
   * m.madvise(MADV_SEQUENTIAL);
   * ```
   *
   * @example Free a file's pages (they read as zeros)
   * ```ts
   * import { MADV_REMOVE, MMap, PAGESIZE } from "@seed/mmap";
   * Deno.writeFileSync("scratch.bin", new Uint8Array(2 * PAGESIZE + 100).fill(1));
   * {
   *   using m = MMap.open("scratch.bin", { access: "write" });
   *   try {
   *     m.madvise(MADV_REMOVE, 0, PAGESIZE); // the first page
   *     m.madvise(MADV_REMOVE, 2 * PAGESIZE); // the last, to the end of the file
   *     // (MADV_REMOVE, 0, 100) is EINVAL: it would zero bytes 100 to PAGESIZE too
   *     console.log(m.at(0), m.at(PAGESIZE), m.at(-1)); // 0 1 0
   *   } catch (e) {
   *     console.log(e); // a file system that cannot punch holes (EOPNOTSUPP)
   *   }
   * }
   * Deno.removeSync("scratch.bin");
   * ```
   */
  madvise(option: number, start: number = 0, length?: number | null): void {
    this.#check();
    const a = madviseArgs(option, start, length, this.#length);
    const m = this.#mapping();
    const advice = a[0], from = a[1], count = a[2];
    const endsFile = advice === MADV_REMOVE && MADV_REMOVE !== -1 &&
      this.#removeEndsFile(m, from, from + count);
    m.advise(from, count, advice, endsFile);
  }

  /**
   * MADV_REMOVE's rule (see `madvise`) for `[from, end)`: throws its `EINVAL`
   * where the range starts inside a page, or ends inside one that is not
   * the end of what lies behind the map; true where it ends inside the last
   * page of that, false where it ends on a page boundary. Only the case of
   * an end inside a page at the file's end makes a system call (`fstat`).
   */
  #removeEndsFile(m: Mapping, from: number, end: number): boolean {
    if (!m.onPage(from)) throw removeRangeError(from, end, PAGESIZE, true);
    if (m.onPage(end)) return false;
    /** The end inside a page is refused; `note`, at the map's end, says why it is not the file's. */
    const refuse = (note?: string) =>
      removeRangeError(from, end, PAGESIZE, false, end === this.#length ? note : undefined);
    // The anonymous memory of a shared map ends with the map (its last page
    // is the map's own); a private map's is no file at all, and the kernel
    // refuses MADV_REMOVE there.
    if (this.#anonymous) {
      if (end === this.#length) return true;
      throw refuse();
    }
    if (this.#res.fd === -1) {
      throw refuse(
        "this map keeps no descriptor (trackfd: false) to ask whether the file ends there",
      );
    }
    // The map's end is where the file ended when it was mapped; the file
    // may have grown since, and its bytes after the end would be zeroed.
    const size = statFd(this.#res.fd, this.#path).size;
    if (size === this.#offset + end) return true;
    throw refuse(
      `the file is ${size} bytes now, and the map ends at byte ${this.#offset + end} of it`,
    );
  }

  /**
   * Changes the map's length, and the file's size to `offset + newSize`.
   * Views are detached and rebuilt over the new memory. Growing a file
   * reserves its new blocks first (`posix_fallocate`) unless `sparse` (by
   * default what {@linkcode MMap.open} was given): a full file system is then
   * an `ENOSPC` `MMapOSError`, and the map, its views, its position and the
   * file are left exactly as they were.
   *
   * @param newSize the new length in bytes
   * @param options `sparse`: grow the file with a hole (see {@linkcode OpenOptions.sparse})
   * @throws {MMapOSError} `ENOSPC` from `posix_fallocate` when the file system is full
   *
   * @throws {TypeError} on read-only and copy-on-write maps
   * @throws {RangeError} a negative size, `trackfd: false`, or growing a
   *   shared anonymous map on Linux (the kernel cannot)
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(4096, { shared: false });
   * m.resize(8192);
   * console.log(m.length); // 8192
   * ```
   */
  resize(newSize: number, options?: ResizeOptions): void {
    this.#check();
    const exact = toSsize(newSize, "newSize");
    const sparse = toBool(
      checkOptions(options, ["sparse"], "resize").sparse,
      "sparse",
      this.#sparse,
    );
    // A getter of the options may have closed the map: a closed map must not
    // get new memory (it would never be unmapped).
    this.#check();
    // CPython 3.13's order: trackfd, then access, then the range.
    if (!this.#trackfd) throw new RangeError("mmap can't resize with trackfd=False.");
    if (this.#access !== ACCESS_WRITE && this.#access !== ACCESS_DEFAULT) {
      throw new TypeError("mmap can't resize a readonly or copy-on-write memory map.");
    }
    if (exact < 0n || SSIZE_MAX - exact < BigInt(this.#offset)) {
      throw new RangeError("new size out of range");
    }
    const size = Number(exact);
    const anonymous = this.#res.fd === -1;
    // Linux cannot grow shared anonymous memory: the new pages would SIGBUS.
    if (anonymous && this.#flags & MAP_SHARED && size > this.#length && platform.os === "linux") {
      throw new RangeError("mmap: can't expand a shared anonymous mapping on Linux");
    }
    let grewFrom: number | undefined;
    if (!anonymous) {
      // Sizes this close to 2^63 are refused by every file system (EFBIG);
      // the clamp keeps the Number below 2^63, where it still fits an off_t.
      const end = mathMin(this.#offset + size, 2 ** 63 - 1024);
      const before = statFd(this.#res.fd, this.#path).size;
      // Reserves the new blocks before the map grows: ENOSPC leaves map and
      // file untouched. Private maps too: see MMap.open on tmpfs faults.
      growFile(this.#res.fd, before, end, sparse, this.#path);
      if (end > before) grewFrom = before;
    }
    this.#runUnmapHooks();
    if (this.#views.detachAll()) this.#reachable = true;
    try {
      this.#remap(size);
      this.#length = size;
    } catch (e) {
      // The map keeps its old memory; the file goes back to its old size too.
      if (grewFrom !== undefined) {
        try {
          truncateFd(this.#res.fd, grewFrom, this.#path);
        } catch { /* report the first error */ }
      }
      throw e;
    } finally {
      // On failure the old memory is still mapped: hand out views of it again.
      this.#views.attach(this.#res.mapping);
    }
  }

  // --- presentation ----------------------------------------------------------

  /**
   * A description like CPython's repr.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * using m = MMap.anonymous(10);
   * console.log(String(m)); // <MMap closed=false, access=ACCESS_DEFAULT, length=10, pos=0, offset=0>
   * ```
   */
  toString(): string {
    if (this.#closed) return "<MMap closed=true>";
    return `<MMap closed=false, access=${accessName(this.#access)}, length=${this.#length}, ` +
      `pos=${this.#pos}, offset=${BigInt(this.#offset)}>`;
  }

  // --- internals -------------------------------------------------------------

  #check(): void {
    if (this.#closed) throw new TypeError(CLOSED);
    if (faultCounter.words[TOTAL_FAULTS] !== this.#faultsSeen) this.#faultCheck();
  }

  /** After touching the memory: throws if a page faulted meanwhile (the result read zeros). */
  #settle(): void {
    if (faultCounter.words[TOTAL_FAULTS] !== this.#faultsSeen) this.#faultCheck();
  }

  /** Some page in the process faulted since this map last looked: was it one of ours? */
  #faultCheck(): void {
    const count = faultCounter.words[TOTAL_FAULTS];
    if (this.#faulted || this.#res.mapping?.faulted()) {
      this.#faulted = true;
      throw faultError(this.#path);
    }
    this.#faultsSeen = count;
  }

  #mapping(): Mapping {
    const m = this.#res.mapping;
    // A map resized to 0 has no memory: report it as the kernel would.
    if (!m) throw new MMapOSError(errnoValue("EINVAL") ?? 22, "mmap", this.#path);
    return m;
  }

  /** The needle of a search; converting it may run a getter that closes the map. */
  #needle(sub: Needle): Uint8Array {
    this.#check();
    const needle = toNeedle(sub);
    this.#check();
    return needle;
  }

  /** This map's bytes by offset, for `readSlice`/`writeSlice` (made on first use). */
  #bytesAt(): ByteAccess {
    return this.#byteAccess ??= {
      copy: (offset, count) => this.#copy(offset, count),
      copyIn: (offset, src) => this.#put(offset, src),
      get: (offset) => this.#get(offset),
      set: (offset, value) => this.#set(offset, value),
    };
  }

  /**
   * Whether the byte-counting kernel may map this map's pages into its own
   * memory, and how (src/search_kernel.ts): the second mapping must be the
   * same memory. Shared maps are doubled as they are; a private map only
   * when it is a read-only file map whose pages no store can have changed
   * (the API refuses writes, and no view was handed out).
   */
  #pagesSource(): PagesSource | null {
    // The kernel maps whole pages; an `align`ed map starts inside one.
    if (this.#offset % ALLOCATIONGRANULARITY !== 0) return null;
    if (this.#kernelShared) return SHARED_PAGES;
    if (this.#access === ACCESS_READ && !this.#viewsOut && this.#res.fd >= 0) {
      return (this.#filePages ??= { fd: this.#res.fd, offset: this.#offset });
    }
    return null;
  }

  #get(i: number): number {
    const main = this.#views.main;
    if (main) return main[i]!;
    const one = new Uint8ArrayCtor(1);
    this.#mapping().copyOut(i, one);
    return one[0]!;
  }

  #set(i: number, value: number): void {
    const main = this.#views.main;
    if (main) main[i] = value;
    else this.#mapping().copyIn(i, byteArray(value));
  }

  #copy(offset: number, count: number): Uint8Array {
    const main = this.#views.main;
    if (main && copyBetween !== null) {
      const out = new Uint8ArrayCtor(count);
      // Not for 0 bytes: the position may lie past the end (after a resize),
      // where Bun's copy throws even for nothing to copy.
      if (count > 0) copyBetween(main, out, 0, offset, offset + count);
      return out;
    }
    if (main && count < SLICE_BELOW) return typedArraySlice(main, offset, offset + count);
    const out = freshBytes(count);
    if (!count) return out;
    if (main) typedArraySet(out, typedArraySubarray(main, offset, offset + count));
    else this.#mapping().copyOut(offset, out);
    return out;
  }

  /** Offset of the next newline at or after `from`, or -1. */
  #newline(from: number): number {
    const main = this.#views.main;
    if (main && SEARCH_BYTE_IN_VIEW) return typedArrayIndexOf(main, 10, from);
    return this.#mapping().indexOfByte(10, from, this.#length);
  }

  /**
   * Copies `bytes` to `offset`: one memmove, right for a source over this
   * map's own memory. Only while another map holds this map's file may the
   * source be these pages at another address; then one over a map's memory
   * is copied first (src/aliasing.ts).
   */
  #put(offset: number, bytes: Uint8Array): void {
    if (this.#aliasable()) bytes = unaliased(bytes);
    const main = this.#views.main;
    if (main) typedArraySet(main, bytes, offset);
    else this.#mapping().copyIn(offset, bytes);
  }

  /** Whether another map (of this process) holds this map's file: its views may alias ours. */
  #aliasable(): boolean {
    const file = this.#res.file;
    return file !== null && file.maps > 1;
  }

  /**
   * `populate` for maps MAP_POPULATE cannot serve: private ones (read-only
   * maps are private and writable underneath, and MAP_POPULATE would copy
   * each of their pages: measured, 256 MiB of anonymous memory for a 256 MiB
   * file) and platforms without the flag. MADV_POPULATE_READ (Linux 5.14)
   * maps the file's pages as a read would; else MADV_WILLNEED reads ahead.
   * Both are hints: a refusal is no error.
   */
  #prefault(): void {
    const m = this.#res.mapping;
    if (!m || this.#length === 0) return;
    // By index: a replaced array iterator chose the advice (any madvise).
    for (let i = 0; i < PREFAULT_ADVICE.length; i++) {
      const advice = PREFAULT_ADVICE[i]!;
      if (advice < 0) continue;
      try {
        m.advise(0, this.#length, advice);
        return;
      } catch { /* an older kernel: try the next */ }
    }
  }

  /** Moves the memory to `size` bytes; a map of 0 bytes holds no memory. */
  #remap(size: number): void {
    const old = this.#res.mapping;
    // Memory a moved buffer may reach must stay where it is: no mremap then.
    if (old && size > 0 && !this.#reachable && old.remap(size)) return;
    // Size 0 (mremap refuses it), a map of 0 bytes, or no mremap: map afresh.
    const k = kernelProtection({ access: this.#access, flags: this.#flags, prot: this.#prot });
    const anonymous = this.#res.fd === -1;
    const fresh = size > 0
      ? Mapping.map(
        size,
        k.prot,
        anonymous ? k.flags | MAP_ANONYMOUS : k.flags,
        this.#res.fd,
        this.#offset,
        this.#path,
        this.#guard,
      )
      : null;
    if (old && fresh && old.length) {
      fresh.copyIn(0, new Uint8ArrayCtor(old.buffer(0, mathMin(old.length, size))));
    }
    if (this.#reachable) old?.retire();
    else old?.unmap();
    this.#reachable = false;
    this.#res.mapping = fresh;
  }

  /** Deno's console.log shape. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** Node's and Bun's console.log shape. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** Checks the offset's alignment; returns it as a Number (exact once aligned). */
function checkAligned(offset: bigint, align = false): number {
  if (offset % BigInt(ALLOCATIONGRANULARITY) !== 0n) {
    if (align && offset <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(offset);
    throw new RangeError(
      `offset must be a multiple of ALLOCATIONGRANULARITY (${ALLOCATIONGRANULARITY}), not ` +
        `${offset}` + (align ? " (align: true takes offsets up to 2**53 - 1)" : ALIGN_HINT),
    );
  }
  return alignedOffset(offset, ALLOCATIONGRANULARITY);
}

/** CPython's file-size rules for a regular file; returns the length to map. */
function checkFileRange(fileSize: number, length: number, offset: number): number {
  if (length === 0) {
    if (fileSize === 0) throw new RangeError(`cannot mmap an empty file${EMPTY_FILE_HINT}`);
    if (offset >= fileSize) throw new RangeError("mmap offset is greater than file size");
    return fileSize - offset;
  }
  if (offset > fileSize || fileSize - offset < length) {
    throw new RangeError("mmap length is greater than file size");
  }
  return length;
}
