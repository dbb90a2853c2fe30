/**
 * File-descriptor system calls, each turning failure into `MMapOSError`.
 *
 * @module
 */
import { MMapOSError } from "./errors.ts";
import { backend, platform, quietBackend } from "./load.ts";
import {
  BigIntCtor,
  DataViewCtor,
  dataViewGetBigInt64,
  dataViewGetBigUint64,
  dataViewGetUint16,
  dataViewGetUint32,
  hasOwn,
  NumberCtor,
  typedArrayBuffer,
  typedArrayByteLength as lengthOf,
  typedArraySubarray,
  Uint8ArrayCtor,
  uncurryThis,
} from "./primordials.ts";
import { type Platform, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK } from "./platform.ts";

/** The error of the call that just failed. Read it before any other libc call. */
export function lastError(syscall: string, path?: string): MMapOSError {
  return new MMapOSError(backend().errno(), syscall, path);
}

// One reused buffer for C strings and one for `struct stat`: a new
// ArrayBuffer costs 0.3-1.5 µs in Deno, more than the system call.
const encoder = new TextEncoder();
// Captured: a patched encodeInto could leave the C string without its NUL,
// and libc would read past the buffer looking for one.
const encodeInto = uncurryThis(TextEncoder.prototype.encodeInto);
const includes = uncurryThis(String.prototype.includes);
// Captured too: a patched charCodeAt (or a subarray through Symbol.species)
// made libc open another path than the one Deno's permissions were asked about.
const charCodeAt = uncurryThis(String.prototype.charCodeAt);
let pathBuffer = new Uint8ArrayCtor(256);

/**
 * `path` as a NUL-terminated C string for libc, in a buffer reused by the next
 * call: pass it straight to one call. A NUL inside is a `TypeError`.
 */
export function cString(path: string): Uint8Array {
  // UTF-16 to UTF-8 takes at most 3 bytes per code unit.
  if (lengthOf(pathBuffer) < path.length * 3 + 1) {
    pathBuffer = new Uint8ArrayCtor(path.length * 3 + 1);
  }
  encodePath(path, pathBuffer, lengthOf(pathBuffer));
  return pathBuffer;
}

/**
 * Writes `path` as a NUL-terminated UTF-8 C string into the first `room`
 * bytes of `out` (`room` at most `out.length`); returns its length without
 * the NUL, or -1 where it does not fit. A NUL inside is a `TypeError`.
 * ASCII, what paths mostly are, is copied by a loop: Deno's `encodeInto`
 * costs more than the system call the path is for.
 */
export function encodePath(path: string, out: Uint8Array, room: number): number {
  const n = path.length;
  let i = 0;
  for (; i < n && i < room; i++) {
    const c = charCodeAt(path, i);
    if (c === 0) throw new TypeError("embedded null byte");
    if (c > 0x7f) break;
    out[i] = c;
  }
  if (i === n) {
    if (n >= room) return -1;
    out[n] = 0;
    return n;
  }
  if (includes(path, "\0")) throw new TypeError("embedded null byte");
  const { read, written } = encodeInto(encoder, path, typedArraySubarray(out, 0, room - 1));
  if (read < n) return -1;
  out[written] = 0;
  return written;
}

/** `open(2)` names for the few flags the facade asks for. */
export interface OpenRequest {
  write: boolean;
  create?: boolean;
  exclusive?: boolean;
  /** `O_NONBLOCK`: a FIFO must not block the open (mapping one fails anyway). */
  nonblock?: boolean;
  /** `O_NOFOLLOW`: a symbolic link as the last component is refused (`ELOOP`). */
  noFollow?: boolean;
}

/** Opens `path`, checking the runtime's permissions first. Returns the fd. */
export function openFile(path: string, req: OpenRequest, mode = 0o666): number {
  const b = backend();
  // Own properties only: `Object.prototype.create = true` must not make an
  // open that never asked for it create the file.
  const asked = (key: keyof OpenRequest) => hasOwn(req, key) && req[key] === true;
  const write = asked("write");
  b.checkPathAccess(path, write);
  const o = b.platform.open;
  let flags = (write ? o.O_RDWR : o.O_RDONLY) | o.O_CLOEXEC;
  if (asked("create")) flags |= o.O_CREAT;
  if (asked("exclusive")) flags |= o.O_EXCL;
  if (asked("nonblock")) flags |= o.O_NONBLOCK;
  if (asked("noFollow")) flags |= o.O_NOFOLLOW;
  const fd = b.libc.open(cString(path), flags, mode);
  if (fd < 0) throw lastError("open", path);
  return fd;
}

/** Closes `fd`. */
export function closeFd(fd: number): void {
  if (backend().libc.close(fd) !== 0) throw lastError("close");
}

/** Duplicates `fd` (CPython's mmap keeps its own copy of the descriptor). */
export function dupFd(fd: number): number {
  const b = backend();
  const copy = b.libc.dup(fd);
  if (copy < 0) throw lastError("dup");
  return copy;
}

/** What `fstat(2)` says of a descriptor. */
export interface FileStat {
  size: number;
  isFile: boolean;
  isDirectory: boolean;
  /** A FIFO or a socket: nothing that `mmap` can map. */
  isStream: boolean;
  /** `st_dev` and `st_ino`: with both equal, two descriptors (or paths) are one file (its pages). */
  dev: bigint;
  ino: bigint;
}

let statBuffer: { bytes: Uint8Array; view: DataView } | null = null;

/** `st_mode` of a `struct stat` read into `dv` (its width differs by platform). */
export function statMode(dv: DataView, layout: Platform["stat"]): number {
  return layout.modeBytes === 4
    ? dataViewGetUint32(dv, layout.mode, true)
    : dataViewGetUint16(dv, layout.mode, true);
}

/** The reused `struct stat` buffer, as long as this platform's. */
function statSpace(layout: Platform["stat"]): { bytes: Uint8Array; view: DataView } {
  if (!statBuffer || lengthOf(statBuffer.bytes) < layout.size) {
    const bytes = new Uint8ArrayCtor(layout.size);
    statBuffer = { bytes, view: new DataViewCtor(typedArrayBuffer(bytes)) };
  }
  return statBuffer;
}

/** The `FileStat` of the `struct stat` in `dv`. */
function readStat(dv: DataView, p: Platform): FileStat {
  const layout = p.stat;
  const mode = statMode(dv, layout);
  const more = p.statMore;
  return {
    size: NumberCtor(dataViewGetBigInt64(dv, layout.fileSize, true)),
    isFile: (mode & S_IFMT) === S_IFREG,
    isDirectory: (mode & S_IFMT) === S_IFDIR,
    isStream: (mode & S_IFMT) === S_IFIFO || (mode & S_IFMT) === S_IFSOCK,
    dev: more.devBytes === 8
      ? dataViewGetBigUint64(dv, more.dev, true)
      : BigIntCtor(dataViewGetUint32(dv, more.dev, true)),
    ino: dataViewGetBigUint64(dv, more.ino, true),
  };
}

/** `fstat(2)`. */
export function statFd(fd: number, path?: string): FileStat {
  const b = backend();
  const space = statSpace(b.platform.stat);
  if (b.libc.fstat(fd, space.bytes) !== 0) throw lastError("fstat", path);
  return readStat(space.view, b.platform);
}

/**
 * `stat(2)` of a path (`fstatat`, following links, as `open` does);
 * undefined where it fails, or where the C library has no
 * `fstatat`. The runtime's permission to read `path` is checked first.
 */
export function statPath(path: string): FileStat | undefined {
  const b = backend();
  if (!b.libc.fstatat) return undefined;
  b.checkPathAccess(path, false);
  const space = statSpace(b.platform.stat);
  if (b.libc.fstatat(b.platform.at.AT_FDCWD, cString(path), space.bytes, 0) !== 0) {
    return undefined;
  }
  return readStat(space.view, b.platform);
}

/** `ftruncate(2)`: sets the file's size. */
export function truncateFd(fd: number, size: number, path?: string): void {
  if (backend().libc.ftruncate(fd, size) !== 0) throw lastError("ftruncate", path);
}

/**
 * The memory page size: `sysconf(_SC_PAGESIZE)` when libc can be reached
 * without asking the user, else the platform's usual value.
 */
export function pageSize(): number {
  const b = quietBackend();
  const n = b ? b.libc.sysconf(b.platform.scPageSize) : -1;
  return n > 0 ? n : platform.defaultPageSize;
}
