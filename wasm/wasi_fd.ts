/**
 * The `fd_*` calls of WASI preview1. Files are read and written at explicit
 * positions (the position lives in the descriptor entry), so `fd_seek` and
 * `O_APPEND` work the same in every runtime.
 *
 * @module
 */
import { readdirSync, readSync, writeSync } from "node:fs";
import { truncateFd } from "../ffi/files.ts";
// Guest buffers' lengths by the engine's own getter: a program that patched
// `length` on the typed-array prototype would otherwise set how many bytes
// pread(2) stores into guest memory, or pwrite(2) sends to a file.
import {
  appendOwn,
  arraySort,
  bigIntAsIntN,
  bigIntAsUintN,
  BigIntCtor as BigInt,
  DataViewCtor,
  decodeUtf8,
  encodeUtf8,
  Int32ArrayCtor,
  isSafeInteger,
  mathMin,
  NumberCtor as Number,
  ownList,
  typedArrayBuffer,
  typedArrayByteLength as lengthOf,
  typedArrayByteOffset,
  typedArraySet,
  typedArraySlice,
  typedArraySubarray,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";
import { allocateRange } from "../ffi/space.ts";
import {
  direntsOf,
  fstatFull,
  type KernelListing,
  lastInode,
  listsDirectories,
  lstatFull,
  lstatMode,
  openDirectory,
  preadInto,
  pwriteFrom,
  readDirectory,
  setTimes,
  syncFd,
} from "../ffi/host_files.ts";
import { Errno } from "./errno.ts";
import type { DirEntry, DirListing, FileEntry, StreamEntry } from "./fd_table.ts";
import { fileKeyOfFd, mappedEnd } from "./file_guard.ts";
import { liveRoot } from "./sandbox.ts";
import {
  filetypeOf,
  type HostContext,
  newTimes,
  type Syscall,
  u64,
  writeFilestat,
} from "./host_context.ts";
import {
  ADVICE_MAX,
  ERRNO,
  FDFLAGS,
  FILETYPE,
  PREOPENTYPE_DIR,
  RIGHTS,
  SIZE,
  WHENCE,
} from "./wasi_defs.ts";

const R = RIGHTS;

/** Reads into `bufs` from a stream; stops at the first short read. */
function readStream(e: StreamEntry, bufs: Uint8Array[]): number {
  const s = e.stream;
  let total = 0;
  for (let i = 0; i < bufs.length; i++) {
    const buf = bufs[i]!;
    let n: number;
    if (s.kind === "source") {
      n = mathMin(lengthOf(buf), lengthOf(s.data) - s.pos);
      typedArraySet(buf, typedArraySubarray(s.data, s.pos, s.pos + n));
      s.pos += n;
    } else if (s.kind === "fd") {
      n = readSync(s.fd, buf, 0, lengthOf(buf), null);
    } else {
      throw new Errno(ERRNO.BADF);
    }
    total += n;
    if (n < lengthOf(buf)) break;
  }
  return total;
}

/** Writes all of `bufs` to a stream. */
function writeStream(e: StreamEntry, bufs: Uint8Array[]): number {
  const s = e.stream;
  let total = 0;
  for (let i = 0; i < bufs.length; i++) {
    const buf = bufs[i]!;
    if (s.kind === "sink") s.write(typedArraySlice(buf, 0, lengthOf(buf)));
    else if (s.kind === "fd") {
      for (let off = 0; off < lengthOf(buf);) off += writeSync(s.fd, buf, off, lengthOf(buf) - off);
    } else throw new Errno(ERRNO.BADF);
    total += lengthOf(buf);
  }
  return total;
}

/** The size of a host file. */
function sizeOf(e: FileEntry): number {
  return Number(fstatFull(e.hostFd).size);
}

/** Reads into `bufs` from a file at `pos`; stops at the first short read. */
function readAt(e: FileEntry, bufs: Uint8Array[], pos: number): number {
  let total = 0;
  for (let i = 0; i < bufs.length; i++) {
    const buf = bufs[i]!;
    const n = preadInto(e.hostFd, buf, pos + total);
    total += n;
    if (n < lengthOf(buf)) break;
  }
  return total;
}

/** Writes all of `bufs` to a file at `pos` (then syncs, for the `SYNC`/`DSYNC` flags). */
function writeAt(e: FileEntry, bufs: Uint8Array[], pos: number): number {
  let total = 0;
  for (let i = 0; i < bufs.length; i++) {
    const buf = bufs[i]!;
    for (let off = 0; off < lengthOf(buf);) {
      const rest = off === 0 ? buf : typedArraySubarray(buf, off);
      off += pwriteFrom(e.hostFd, rest, pos + total + off);
    }
    total += lengthOf(buf);
  }
  if (e.flags & (FDFLAGS.SYNC | FDFLAGS.DSYNC | FDFLAGS.RSYNC)) {
    syncFd(e.hostFd, !(e.flags & FDFLAGS.SYNC));
  }
  return total;
}

/** One directory entry to list: its name's bytes, inode number and WASI file type. */
interface Listed {
  name: Uint8Array;
  ino: bigint;
  type: number;
}

/**
 * A directory's entries for `fd_readdir`: `.` and `..` first (`..` with the
 * directory's own inode number: what lies above is not the guest's to see),
 * then the rest sorted by name (by bytes where the kernel lists them:
 * `getdents64` on Linux, else `readdir` and an `lstat` per entry); laid out
 * once as the guest reads them, so that each call copies one range.
 */
function listDir(e: DirEntry): DirListing {
  const dots = (self: bigint): Listed[] => [
    { name: DOT, ino: self, type: FILETYPE.DIRECTORY },
    { name: DOT_DOT, ino: self, type: FILETYPE.DIRECTORY },
  ];
  if (listsDirectories()) {
    const listed = readDirectory(e.hostFd ??= openDirectory(liveRoot(e)), e.root);
    // The kernel said the same as last time: the same entries, laid out already.
    const last = e.listing;
    if (last?.kernel && last.kernel.ino === listed.ino && sameBytes(last.kernel.raw, listed.raw)) {
      return last;
    }
    const entries = arraySort(direntsOf(listed), (a, b) => compareBytes(a.name, b.name));
    const out = dots(listed.ino);
    let typed = true;
    for (let i = 0; i < entries.length; i++) {
      const d = entries[i]!;
      // A file system that gives no type (DT_UNKNOWN) gets an lstat.
      typed &&= d.type !== 0;
      const mode = d.type || lstatMode(`${e.root}/${decodeUtf8(d.name)}`);
      if (mode) appendOwn(out, { name: d.name, ino: d.ino, type: filetypeOf(mode) });
    }
    // Types from lstat may change where the kernel's bytes do not: no reuse then.
    return layOut(out, typed ? listed : undefined);
  }
  if (!lstatMode(liveRoot(e))) throw new Errno(ERRNO.NOENT);
  const out = dots(lastInode());
  const names = arraySort(readdirSync(e.root));
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const mode = lstatMode(`${e.root}/${name}`);
    if (!mode) continue; // removed meanwhile
    appendOwn(out, { name: encodeUtf8(name), ino: lastInode(), type: filetypeOf(mode) });
  }
  return layOut(out, undefined);
}

const DOT = new Uint8ArrayCtor([0x2e]);
const DOT_DOT = new Uint8ArrayCtor([0x2e, 0x2e]);

/** Equal contents (4 bytes at a time where both allow it). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = lengthOf(a);
  if (lengthOf(b) !== n) return false;
  if (n % 4 === 0 && typedArrayByteOffset(a) % 4 === 0 && typedArrayByteOffset(b) % 4 === 0) {
    const x = new Int32ArrayCtor(typedArrayBuffer(a), typedArrayByteOffset(a), n / 4);
    const y = new Int32ArrayCtor(typedArrayBuffer(b), typedArrayByteOffset(b), n / 4);
    for (let i = 0; i < n / 4; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Byte order, as C's strcmp sorts names. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = mathMin(lengthOf(a), lengthOf(b));
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return lengthOf(a) - lengthOf(b);
}

/**
 * `__wasi_dirent_t` headers and names back to back; entry `i`'s cookie
 * (`d_next`) is `i + 1`. No prototype on the listing: a `kernel` or
 * `starts` on Object.prototype is not the listing's.
 */
function layOut(list: Listed[], kernel: KernelListing | undefined): DirListing {
  let total = 0;
  for (let i = 0; i < list.length; i++) total += SIZE.dirent + lengthOf(list[i]!.name);
  const bytes = new Uint8ArrayCtor(total);
  const dv = new DataViewCtor(typedArrayBuffer(bytes));
  const starts = ownList<number>();
  let at = 0;
  for (let i = 0; i < list.length; i++) {
    const d = list[i]!;
    appendOwn(starts, at);
    dv.setUint32(at, i + 1, true);
    dv.setBigUint64(at + 8, d.ino, true);
    dv.setUint32(at + 16, lengthOf(d.name), true);
    dv.setUint8(at + 20, d.type);
    typedArraySet(bytes, d.name, at + SIZE.dirent);
    at += SIZE.dirent + lengthOf(d.name);
  }
  appendOwn(starts, at);
  return { __proto__: null, bytes, starts, kernel } as DirListing;
}

/** Writes directory entries from `cookie` into `buf`, the last one cut short if it must be. */
function writeDirents(buf: Uint8Array, list: DirListing, cookie: number): number {
  const { bytes, starts } = list;
  if (cookie >= starts.length - 1) return 0;
  const from = starts[cookie]!;
  const n = mathMin(lengthOf(bytes) - from, lengthOf(buf));
  typedArraySet(buf, typedArraySubarray(bytes, from, from + n));
  return n;
}

/** The `fd_*` calls. */
export function fdCalls(ctx: HostContext): Record<string, Syscall> {
  const { fds } = ctx;
  /**
   * The file entry that a positioned call (`fd_seek`, `fd_tell`,
   * `fd_pread`, `fd_pwrite`) acts on, or its errno. A
   * stream answers `ESPIPE` before any rights check, as `lseek` on a pipe
   * or terminal does: its rights lack `FD_SEEK`/`FD_TELL` on purpose
   * (wasi-libc's `isatty` reads that absence as "a terminal"), so checking
   * rights first would answer `ENOTCAPABLE` to a program probing stdout.
   */
  const positioned = (fd: number, rights: number, onDir: number): FileEntry | number => {
    const e = fds.get(fd);
    if (e.kind === "stream") return ERRNO.SPIPE;
    if ((e.rights & rights) !== rights) return ERRNO.NOTCAPABLE;
    return e.kind === "dir" ? onDir : e;
  };
  return {
    fd_advise(fd: number, _offset: bigint, _len: bigint, advice: number) {
      fds.file(fd >>> 0, R.FD_ADVISE);
      if (advice > ADVICE_MAX) return ERRNO.INVAL;
    },

    fd_allocate(fd: number, offset: bigint, len: bigint) {
      const e = fds.file(fd >>> 0, R.FD_ALLOCATE);
      if (e.kind !== "file") return ERRNO.BADF;
      // posix_fallocate's meaning: the blocks, not only the size (a hole
      // would turn a shared map's first store on a full disk into SIGBUS).
      allocateRange(e.hostFd, u64(offset), u64(len), sizeOf(e));
    },

    fd_close(fd: number) {
      fds.close(fd >>> 0);
    },

    fd_datasync(fd: number) {
      const e = fds.get(fd >>> 0, R.FD_DATASYNC);
      if (e.kind === "file") syncFd(e.hostFd, true);
    },

    fd_sync(fd: number) {
      const e = fds.get(fd >>> 0, R.FD_SYNC);
      if (e.kind === "file") syncFd(e.hostFd, false);
    },

    fd_fdstat_get(fd: number, ptr: number) {
      const e = fds.get(fd >>> 0);
      const v = ctx.view();
      v.slice(ptr >>> 0, SIZE.fdstat).fill(0);
      v.setU8(ptr >>> 0, e.filetype);
      v.setU16((ptr >>> 0) + 2, e.flags);
      v.setU64((ptr >>> 0) + 8, e.rights);
      v.setU64((ptr >>> 0) + 16, e.inheriting);
    },

    fd_fdstat_set_flags(fd: number, flags: number) {
      const e = fds.get(fd >>> 0, R.FD_FDSTAT_SET_FLAGS);
      if (flags & ~0x1f) return ERRNO.INVAL;
      e.flags = flags;
    },

    fd_fdstat_set_rights(fd: number, base: bigint, inheriting: bigint) {
      const e = fds.get(fd >>> 0);
      const b = bigIntAsUintN(64, base);
      const i = bigIntAsUintN(64, inheriting);
      if ((b & ~BigInt(e.rights)) !== 0n || (i & ~BigInt(e.inheriting)) !== 0n) {
        return ERRNO.NOTCAPABLE;
      }
      e.rights = Number(b);
      e.inheriting = Number(i);
    },

    fd_filestat_get(fd: number, ptr: number) {
      const e = fds.get(fd >>> 0, R.FD_FILESTAT_GET);
      const v = ctx.view();
      if (e.kind !== "stream") {
        writeFilestat(
          v,
          ptr >>> 0,
          e.kind === "file" ? fstatFull(e.hostFd) : lstatFull(liveRoot(e)),
        );
      } else {
        v.slice(ptr >>> 0, SIZE.filestat).fill(0);
        v.setU8((ptr >>> 0) + 16, e.filetype);
      }
    },

    fd_filestat_set_size(fd: number, size: bigint) {
      const e = fds.file(fd >>> 0, R.FD_FILESTAT_SET_SIZE);
      if (e.kind !== "file") return ERRNO.INVAL;
      const n = u64(size);
      // Cutting mapped pages away would kill the process on the guest's next load.
      if (n < mappedEnd(fileKeyOfFd(e.hostFd))) return ERRNO.BUSY;
      truncateFd(e.hostFd, n);
    },

    fd_filestat_set_times(fd: number, atim: bigint, mtim: bigint, fst: number) {
      const e = fds.get(fd >>> 0, R.FD_FILESTAT_SET_TIMES);
      if (e.kind === "stream") return ERRNO.NOTSUP;
      const times = newTimes(fst, atim, mtim);
      setTimes(e.kind === "file" ? e.hostFd : liveRoot(e), times[0], times[1]);
    },

    fd_pread(fd: number, iovs: number, count: number, offset: bigint, nread: number) {
      const e = positioned(fd >>> 0, R.FD_READ | R.FD_SEEK, ERRNO.ISDIR);
      if (typeof e === "number") return e;
      const v = ctx.view();
      const bufs = v.iovecs(iovs >>> 0, count >>> 0);
      v.fits(nread >>> 0, 4);
      v.setU32(nread >>> 0, readAt(e, bufs, u64(offset)));
    },

    fd_pwrite(fd: number, iovs: number, count: number, offset: bigint, nwritten: number) {
      const e = positioned(fd >>> 0, R.FD_WRITE | R.FD_SEEK, ERRNO.ISDIR);
      if (typeof e === "number") return e;
      const v = ctx.view();
      const bufs = v.iovecs(iovs >>> 0, count >>> 0);
      v.fits(nwritten >>> 0, 4);
      v.setU32(nwritten >>> 0, writeAt(e, bufs, u64(offset)));
    },

    fd_read(fd: number, iovs: number, count: number, nread: number) {
      const e = fds.file(fd >>> 0, R.FD_READ);
      const v = ctx.view();
      const bufs = v.iovecs(iovs >>> 0, count >>> 0);
      v.fits(nread >>> 0, 4);
      let n: number;
      if (e.kind === "file") {
        n = readAt(e, bufs, e.pos);
        e.pos += n;
      } else n = readStream(e, bufs);
      v.setU32(nread >>> 0, n);
    },

    fd_write(fd: number, iovs: number, count: number, nwritten: number) {
      const e = fds.file(fd >>> 0, R.FD_WRITE);
      const v = ctx.view();
      const bufs = v.iovecs(iovs >>> 0, count >>> 0);
      v.fits(nwritten >>> 0, 4);
      let n: number;
      if (e.kind === "file") {
        if (e.flags & FDFLAGS.APPEND) e.pos = sizeOf(e);
        n = writeAt(e, bufs, e.pos);
        e.pos += n;
      } else n = writeStream(e, bufs);
      v.setU32(nwritten >>> 0, n);
    },

    fd_seek(fd: number, offset: bigint, whence: number, newOffset: number) {
      const tellOnly = offset === 0n && whence === WHENCE.CUR;
      const e = positioned(fd >>> 0, tellOnly ? R.FD_TELL : R.FD_SEEK, ERRNO.BADF);
      if (typeof e === "number") return e;
      const from = whence === WHENCE.SET
        ? 0
        : whence === WHENCE.CUR
        ? e.pos
        : whence === WHENCE.END
        ? sizeOf(e)
        : NaN;
      if (from !== from) return ERRNO.INVAL;
      const pos = from + Number(bigIntAsIntN(64, offset));
      if (pos < 0 || !isSafeInteger(pos)) return ERRNO.INVAL;
      const v = ctx.view();
      v.fits(newOffset >>> 0, 8);
      e.pos = pos;
      v.setU64(newOffset >>> 0, pos);
    },

    fd_tell(fd: number, ptr: number) {
      const e = positioned(fd >>> 0, R.FD_TELL, ERRNO.BADF);
      if (typeof e === "number") return e;
      ctx.view().setU64(ptr >>> 0, e.pos);
    },

    fd_prestat_get(fd: number, ptr: number) {
      const e = fds.get(fd >>> 0);
      if (e.kind !== "dir" || e.preopen === undefined) return ERRNO.BADF;
      const v = ctx.view();
      v.setU32(ptr >>> 0, PREOPENTYPE_DIR);
      v.setU32((ptr >>> 0) + 4, lengthOf(encodeUtf8(e.preopen)));
    },

    fd_prestat_dir_name(fd: number, ptr: number, len: number) {
      const e = fds.get(fd >>> 0);
      if (e.kind !== "dir" || e.preopen === undefined) return ERRNO.BADF;
      const name = encodeUtf8(e.preopen);
      if ((len >>> 0) < lengthOf(name)) return ERRNO.NAMETOOLONG;
      typedArraySet(ctx.view().slice(ptr >>> 0, lengthOf(name)), name);
    },

    fd_readdir(fd: number, buf: number, len: number, cookie: bigint, used: number) {
      const e = fds.get(fd >>> 0, R.FD_READDIR);
      if (e.kind !== "dir") return ERRNO.NOTDIR;
      const c = u64(cookie);
      const v = ctx.view();
      const into = v.slice(buf >>> 0, len >>> 0);
      v.fits(used >>> 0, 4);
      if (c === 0 || !e.listing) e.listing = listDir(e);
      v.setU32(used >>> 0, writeDirents(into, e.listing, c));
    },

    fd_renumber(from: number, to: number) {
      fds.renumber(from >>> 0, to >>> 0);
    },
  };
}
