/**
 * File calls for `@seed/mmap/wasm`'s WASI host, straight to libc so that
 * open flags are passed exactly (Deno's `node:fs` drops `O_EXCL` and refuses
 * `O_TRUNC` on a read-only open) and times keep their nanoseconds (Deno's
 * `node:fs` rounds them to milliseconds). Each call checks the runtime's
 * permissions first, like `openFile`.
 *
 * @module
 */
import type { Backend } from "./backend.ts";
import { closeFd, cString, encodePath, lastError, statMode } from "./files.ts";
import { backend } from "./load.ts";
import {
  appendOwn,
  BigIntCtor,
  DataViewCtor,
  dataViewGetBigInt64,
  dataViewGetBigUint64,
  dataViewGetUint16,
  dataViewGetUint32,
  dataViewGetUint8,
  dataViewSetBigInt64,
  dataViewSetUint32,
  decodeUtf8,
  typedArrayBuffer,
  typedArrayByteLength,
  typedArrayByteOffset,
  typedArrayIndexOf,
  typedArraySet,
  typedArraySlice,
  typedArraySubarray,
  Uint8ArrayCtor,
} from "./primordials.ts";

/** What `stat(2)` says, with every field the WASI host reports. */
export interface FullStat {
  dev: bigint;
  ino: bigint;
  /** `st_mode`: file type and permission bits. */
  mode: number;
  nlink: bigint;
  size: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** A time to set: nanoseconds since the epoch, the current time, or unchanged. */
export type TimeSpec = bigint | "now" | "omit";

/** The runtime's permission check for an open with `flags`. */
function checkOpen(b: Backend, path: string, flags: number): void {
  const o = b.platform.open;
  b.checkPathAccess(path, (flags & (o.O_WRONLY | o.O_RDWR | o.O_CREAT | o.O_TRUNC)) !== 0);
}

/** `open(2)` with the platform's flag bits; returns the descriptor. */
export function openPath(path: string, flags: number, mode: number): number {
  const b = backend();
  checkOpen(b, path, flags);
  const fd = b.libc.open(cString(path), flags | b.platform.open.O_CLOEXEC, mode);
  if (fd < 0) throw lastError("open", path);
  return fd;
}

// openat2(2)'s RESOLVE_NO_SYMLINKS (linux/openat2.h), and the kernel's PATH_MAX.
const RESOLVE_NO_SYMLINKS = 0x04;
const PATH_MAX = 4096;
const HOW_SIZE = 24;
/** A C string and a `struct open_how` at addresses taken once; null where openat2 fails. */
let openat2: { bytes: Uint8Array; view: DataView; at: number; nr: number } | null | undefined;

let openat2Off = false;

/**
 * Tests only: `true` makes `openWithoutLinks` answer as where the kernel
 * has no openat2, so that the other way (open, then a look at where the
 * descriptor is) is tested on kernels that have it; `false` undoes it.
 */
export function pretendNoOpenat2(off: boolean): void {
  openat2Off = off;
}

function openat2Buffers(b: Backend) {
  if (openat2Off) return null;
  if (openat2 !== undefined) return openat2;
  const nr = b.platform.sysOpenat2;
  openat2 = null;
  if (nr === undefined) return null;
  const bytes = new Uint8ArrayCtor(PATH_MAX + HOW_SIZE);
  const buffers = {
    bytes,
    view: new DataViewCtor(typedArrayBuffer(bytes)),
    at: b.addressOf(bytes),
    nr,
  };
  // Kernels before 5.6, and seccomp filters that predate it, refuse the call itself.
  bytes[0] = 0x2f;
  bytes[1] = 0;
  const o = b.platform.open;
  dataViewSetUint32(buffers.view, PATH_MAX, o.O_RDONLY | o.O_DIRECTORY | o.O_CLOEXEC, true);
  dataViewSetUint32(buffers.view, PATH_MAX + 16, RESOLVE_NO_SYMLINKS, true);
  const fd = b.libc.syscall(nr, 0, buffers.at, buffers.at + PATH_MAX, HOW_SIZE, 0, 0);
  if (fd < 0) return null;
  closeFd(fd);
  return (openat2 = buffers);
}

/**
 * `open(2)` of the absolute `path`, where no component of it may be a
 * symbolic link (`openat2(2)` with `RESOLVE_NO_SYMLINKS`: `ELOOP` where one
 * is), so that the kernel itself keeps the descriptor where the path says.
 * `undefined` where that cannot be asked: no openat2 (not Linux, before
 * 5.6, a seccomp filter), a relative path, or one longer than `PATH_MAX`.
 */
export function openWithoutLinks(path: string, flags: number, mode: number): number | undefined {
  const b = backend();
  const buffers = openat2Buffers(b);
  if (!buffers || path.length >= PATH_MAX || path.charCodeAt(0) !== 0x2f) return undefined;
  const { bytes, view, at, nr } = buffers;
  const n = encodePath(path, bytes, PATH_MAX);
  if (n < 0) return undefined;
  checkOpen(b, path, flags);
  const o = b.platform.open;
  // The how struct: flags, mode (which must be 0 without O_CREAT), resolve; all below 2^32.
  dataViewSetUint32(view, PATH_MAX, flags | o.O_CLOEXEC, true);
  dataViewSetUint32(view, PATH_MAX + 8, flags & o.O_CREAT ? mode : 0, true);
  dataViewSetUint32(view, PATH_MAX + 16, RESOLVE_NO_SYMLINKS, true);
  // An absolute path: the directory descriptor is not read.
  const fd = b.libc.syscall(nr, 0, at, at + PATH_MAX, HOW_SIZE, 0, 0);
  if (fd < 0) throw lastError("open", path);
  return fd;
}

/** `pread(2)` into `buf`; returns the bytes read. */
export function preadInto(fd: number, buf: Uint8Array, offset: number): number {
  const length = typedArrayByteLength(buf);
  if (!length) return 0;
  const n = backend().libc.pread(fd, buf, length, offset);
  if (n < 0) throw lastError("pread");
  return n;
}

/** `pwrite(2)` from `buf`; returns the bytes written. */
export function pwriteFrom(fd: number, buf: Uint8Array, offset: number): number {
  const length = typedArrayByteLength(buf);
  if (!length) return 0;
  const n = backend().libc.pwrite(fd, buf, length, offset);
  if (n < 0) throw lastError("pwrite");
  return n;
}

/** `fsync(2)`, or `fdatasync(2)` where there is one and `dataOnly` asks for it. */
export function syncFd(fd: number, dataOnly: boolean): void {
  const libc = backend().libc;
  const r = dataOnly && libc.fdatasync ? libc.fdatasync(fd) : libc.fsync(fd);
  if (r !== 0) throw lastError(dataOnly ? "fdatasync" : "fsync");
}

function parseStat(buf: Uint8Array): FullStat {
  const { stat, statMore: m } = backend().platform;
  const dv = new DataViewCtor(
    typedArrayBuffer(buf),
    typedArrayByteOffset(buf),
    typedArrayByteLength(buf),
  );
  const uint = (at: number, bytes: number) =>
    bytes === 8
      ? dataViewGetBigUint64(dv, at, true)
      : BigIntCtor(bytes === 4 ? dataViewGetUint32(dv, at, true) : dataViewGetUint16(dv, at, true));
  const time = (at: number) =>
    dataViewGetBigInt64(dv, at, true) * 1_000_000_000n + dataViewGetBigInt64(dv, at + 8, true);
  return {
    dev: uint(m.dev, m.devBytes),
    ino: dataViewGetBigUint64(dv, m.ino, true),
    mode: statMode(dv, stat),
    nlink: uint(m.nlink, m.nlinkBytes),
    size: dataViewGetBigInt64(dv, stat.fileSize, true),
    atimeNs: time(m.atime),
    mtimeNs: time(m.mtime),
    ctimeNs: time(m.ctime),
  };
}

/** `fstat(2)`, every field. */
export function fstatFull(fd: number): FullStat {
  const b = backend();
  const buf = new Uint8ArrayCtor(b.platform.stat.size);
  if (b.libc.fstat(fd, buf) !== 0) throw lastError("fstat");
  return parseStat(buf);
}

/** `lstat` (`fstatat` with `AT_SYMLINK_NOFOLLOW`), every field. */
export function lstatFull(path: string): FullStat {
  const b = backend();
  if (!b.libc.fstatat) throw new Error("this C library has no fstatat (glibc 2.33 or later has)");
  b.checkPathAccess(path, false);
  const buf = new Uint8ArrayCtor(b.platform.stat.size);
  const { AT_FDCWD, AT_SYMLINK_NOFOLLOW } = b.platform.at;
  if (b.libc.fstatat(AT_FDCWD, cString(path), buf, AT_SYMLINK_NOFOLLOW) !== 0) {
    throw lastError("lstat", path);
  }
  return parseStat(buf);
}

/** `unlink(2)`. */
export function unlinkPath(path: string): void {
  const b = backend();
  b.checkPathAccess(path, true);
  if (b.libc.unlink(cString(path)) !== 0) throw lastError("unlink", path);
}

let lite: { bytes: Uint8Array; view: DataView } | undefined;

function liteBuffer(size: number): Uint8Array {
  if (!lite || typedArrayByteLength(lite.bytes) < size) {
    const bytes = new Uint8ArrayCtor(size);
    lite = { bytes, view: new DataViewCtor(typedArrayBuffer(bytes)) };
  }
  return lite.bytes;
}

/**
 * `lstat`'s `st_mode` (file type and permission bits), or 0 where nothing
 * is (`ENOENT`). The WASI host's path walk and directory listings ask this
 * for every component and entry, so it reuses one buffer and builds neither
 * a record nor an error for a missing name; `lastInode()` then reads the
 * inode number.
 */
export function lstatMode(path: string): number {
  const b = backend();
  if (!b.libc.fstatat) throw new Error("this C library has no fstatat (glibc 2.33 or later has)");
  b.checkPathAccess(path, false);
  const { AT_FDCWD, AT_SYMLINK_NOFOLLOW } = b.platform.at;
  const buf = liteBuffer(b.platform.stat.size);
  if (b.libc.fstatat(AT_FDCWD, cString(path), buf, AT_SYMLINK_NOFOLLOW) !== 0) {
    if (b.errno() === b.platform.errno.ENOENT) return 0;
    throw lastError("lstat", path);
  }
  return statMode(lite!.view, b.platform.stat);
}

/** `fstat`'s `st_mode`, through the same buffer as `lstatMode`. */
export function fstatMode(fd: number): number {
  const b = backend();
  if (b.libc.fstat(fd, liteBuffer(b.platform.stat.size)) !== 0) throw lastError("fstat");
  return statMode(lite!.view, b.platform.stat);
}

/** The inode number that the last successful `lstatMode` or `fstatMode` read. */
export function lastInode(): bigint {
  return dataViewGetBigUint64(lite!.view, backend().platform.statMore.ino, true);
}

/** A directory entry as the kernel lists it: raw name bytes, inode number, file-type bits. */
export interface KernelDirent {
  name: Uint8Array;
  ino: bigint;
  /** `st_mode`'s file-type bits (`S_IFREG`, ...), or 0 where the file system does not say. */
  type: number;
}

const DIRENT_BUFFER = 1 << 16;
let dirents: { bytes: Uint8Array; address: number } | undefined;

/** What `getdents64(2)` said of a directory. */
export interface KernelListing {
  /** The directory's own inode number. */
  ino: bigint;
  /**
   * The kernel's records (`struct linux_dirent64`), every batch back to
   * back: the same bytes, the same entries (`direntsOf`).
   */
  raw: Uint8Array;
}

/** True where `listDirectory` can list (Linux: `getdents64(2)`). */
export function listsDirectories(): boolean {
  return backend().platform.sysGetdents64 !== undefined;
}

/** Opens the directory at `path` for `listDirectory`. */
export function openDirectory(path: string): number {
  const o = backend().platform.open;
  return openPath(path, o.O_RDONLY | o.O_DIRECTORY, 0);
}

/**
 * Reads the open directory `fd` (at `path`) from its start (it is rewound
 * first) by `getdents64(2)`: names, inode numbers and types for a whole
 * directory in a few calls, where `readdir` and an `lstat` per entry would
 * take one call each; and the directory's inode number. Only where
 * `listsDirectories()`.
 */
export function readDirectory(fd: number, path: string): KernelListing {
  const b = backend();
  const nr = b.platform.sysGetdents64;
  if (nr === undefined) throw new Error("getdents64 is Linux's");
  if (b.libc.lseek(fd, 0, 0) < 0) throw lastError("lseek", path);
  fstatMode(fd);
  const ino = lastInode();
  if (!dirents) {
    const bytes = new Uint8ArrayCtor(DIRENT_BUFFER);
    dirents = { bytes, address: b.addressOf(bytes) };
  }
  const { bytes, address } = dirents;
  const batches: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const n = b.libc.syscall(nr, fd, address, DIRENT_BUFFER, 0, 0, 0);
    if (n < 0) throw lastError("getdents64", path);
    if (n === 0) break;
    appendOwn(batches, typedArraySlice(bytes, 0, n));
    total += n;
  }
  if (batches.length === 1) return { ino, raw: batches[0]! };
  const raw = new Uint8ArrayCtor(total);
  let at = 0;
  for (let i = 0; i < batches.length; i++) {
    typedArraySet(raw, batches[i]!, at);
    at += typedArrayByteLength(batches[i]!);
  }
  return { ino, raw };
}

/** The entries of a listing but `.` and `..`, in the kernel's order; names are views into it. */
export function direntsOf(listing: KernelListing): KernelDirent[] {
  const bytes = listing.raw;
  const buffer = typedArrayBuffer(bytes);
  const base = typedArrayByteOffset(bytes);
  const size = typedArrayByteLength(bytes);
  const view = new DataViewCtor(buffer, base, size);
  const out: KernelDirent[] = [];
  // struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name.
  for (let at = 0; at + 19 < size;) {
    const reclen = dataViewGetUint16(view, at + 16, true);
    if (reclen < 20) break; // never from the kernel; never a loop without end either
    const start = at + 19;
    let end = typedArrayIndexOf(bytes, 0, start);
    if (end < 0 || end > at + reclen) end = at + reclen;
    const isDot = bytes[start] === 0x2e &&
      (end === start + 1 || (end === start + 2 && bytes[start + 1] === 0x2e));
    if (!isDot) {
      // Own elements (no Array.prototype setter sees the names).
      appendOwn(out, {
        // The captured constructor (no Symbol.species), over the copy.
        name: new Uint8ArrayCtor(buffer, base + start, end - start),
        ino: dataViewGetBigUint64(view, at, true),
        // DT_* values are the S_IF* bits shifted down by 12.
        type: dataViewGetUint8(view, at + 18) << 12,
      });
    }
    at += reclen;
  }
  return out;
}

let procLink: { path: Uint8Array; pathAt: number; out: Uint8Array; outAt: number } | undefined;

/**
 * Where the descriptor `fd` really is: `readlink("/proc/self/fd/<fd>")`
 * straight through the system call, into buffers whose addresses are taken
 * once (the WASI host asks this on every `path_open`). `undefined` where
 * the platform has no `readlink` system call; throws where it fails (no
 * `/proc`).
 */
export function descriptorPath(fd: number): string | undefined {
  const b = backend();
  const nr = b.platform.sysReadlink;
  if (nr === undefined) return undefined;
  if (!procLink) {
    const path = new Uint8ArrayCtor(64);
    const out = new Uint8ArrayCtor(4096);
    procLink = { path, pathAt: b.addressOf(path), out, outAt: b.addressOf(out) };
  }
  const { path, pathAt, out, outAt } = procLink;
  const name = `/proc/self/fd/${fd >>> 0}`;
  for (let i = 0; i < name.length; i++) path[i] = name.charCodeAt(i);
  path[name.length] = 0;
  const n = b.libc.syscall(nr, pathAt, outAt, typedArrayByteLength(out), 0, 0, 0);
  if (n < 0) throw lastError("readlink", name);
  return decodeUtf8(typedArraySubarray(out, 0, n));
}

function timespecs(atime: TimeSpec, mtime: TimeSpec): Uint8Array {
  const { UTIME_NOW, UTIME_OMIT } = backend().platform.at;
  const buf = new Uint8ArrayCtor(32);
  // No patchable forEach, buffer getter or BigInt: a program that patched
  // them set a file's times to 1970 where the guest asked to leave them.
  const dv = new DataViewCtor(typedArrayBuffer(buf));
  for (let i = 0; i < 2; i++) {
    const t = i === 0 ? atime : mtime;
    const sec = typeof t === "bigint" ? t / 1_000_000_000n : 0n;
    const nsec = typeof t === "bigint" ? t % 1_000_000_000n : t === "now" ? UTIME_NOW : UTIME_OMIT;
    dataViewSetBigInt64(dv, 16 * i, sec, true);
    dataViewSetBigInt64(dv, 16 * i + 8, BigIntCtor(nsec), true);
  }
  return buf;
}

/**
 * Sets a file's access and modification times to the nanosecond
 * (`futimens(2)` for a descriptor, `utimensat(2)` without following a last
 * symbolic link for a path).
 */
export function setTimes(file: number | string, atime: TimeSpec, mtime: TimeSpec): void {
  const b = backend();
  const { futimens, utimensat } = b.libc;
  if (!futimens || !utimensat) throw new Error("this C library has no utimensat/futimens");
  const ts = timespecs(atime, mtime);
  if (typeof file === "number") {
    if (futimens(file, ts) !== 0) throw lastError("futimens");
    return;
  }
  b.checkPathAccess(file, true);
  const { AT_FDCWD, AT_SYMLINK_NOFOLLOW } = b.platform.at;
  if (utimensat(AT_FDCWD, cString(file), ts, AT_SYMLINK_NOFOLLOW) !== 0) {
    throw lastError("utimensat", file);
  }
}
