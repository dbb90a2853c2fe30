/**
 * The `path_*` calls of WASI preview1. Every path goes through `resolve`
 * (sandbox.ts) from a directory descriptor the guest holds, so none can
 * name anything outside the preopened directories.
 *
 * @module
 */
import { linkSync, mkdirSync, readlinkSync, renameSync, rmdirSync, symlinkSync } from "node:fs";
import { closeFd } from "../ffi/files.ts";
import {
  descriptorPath,
  fstatFull,
  listsDirectories,
  lstatFull,
  lstatMode,
  openPath,
  openWithoutLinks,
  setTimes,
  unlinkPath,
} from "../ffi/host_files.ts";
import { platform } from "../ffi/load.ts";
import { Errno, errnoOf } from "./errno.ts";
import type { DirEntry, FdEntry } from "./fd_table.ts";
import { anyFileMapped, mappedEndOfPath } from "./file_guard.ts";
import {
  filetypeOf,
  type HostContext,
  newTimes,
  type Syscall,
  writeFilestat,
} from "./host_context.ts";
import {
  checkLinkTarget,
  dirId,
  endsWithSlash,
  hostPath,
  literal,
  liveRoot,
  resolve,
  type Resolved,
  startsWith,
} from "./sandbox.ts";
import {
  ALL_RIGHTS,
  DIR_RIGHTS,
  ERRNO,
  FDFLAGS,
  FILE_RIGHTS,
  FILETYPE,
  LOOKUP_SYMLINK_FOLLOW,
  OFLAGS,
  RIGHTS,
  WRITE_RIGHTS,
} from "./wasi_defs.ts";
import {
  bigIntAsUintN,
  BigIntCtor as BigInt,
  mathMin,
  NumberCtor as Number,
  typedArrayLength,
  typedArraySet,
  typedArraySubarray,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";

const R = RIGHTS;

/** The host path to hand to a call: a trailing `/` kept, so the kernel checks "is a directory". */
function target(r: Resolved): string {
  return r.dirOnly && r.parts.length ? `${r.host}/` : r.host;
}

let procFd: boolean | undefined;
// Deno's own call skips node:fs's argument handling, on every path_open.
const readLink: (path: string) => string =
  (globalThis as { Deno?: { readLinkSync(path: string): string } }).Deno?.readLinkSync ??
    ((path) => readlinkSync(path, "utf8"));

/**
 * True if the descriptor really lies inside `root`, by the kernel's own
 * account (`/proc/self/fd`), which closes the gap between resolving a path
 * and opening it. Where `/proc` cannot be read the check is skipped.
 */
function opensInside(fd: number, root: string): boolean {
  if (procFd === false) return true;
  let real: string;
  try {
    real = descriptorPath(fd) ?? readLink(`/proc/self/fd/${fd}`);
    procFd = true;
  } catch {
    procFd = false;
    return true;
  }
  return root === "/" || real === root || startsWith(real, `${root}/`);
}

/**
 * `open(2)` flags for what `path_open` asks. Always `O_NOFOLLOW`: `resolve`
 * has already followed every link the guest may follow, so a link found in
 * the last component now was put there since, and is not opened.
 */
function openFlags(oflags: number, rights: number): number {
  const o = platform.open;
  const read = (rights & (R.FD_READ | R.FD_READDIR)) !== 0;
  // As open(2) does, a directory asked for with write rights is EISDIR.
  const write = (rights & WRITE_RIGHTS) !== 0;
  let flags = write ? (read ? o.O_RDWR : o.O_WRONLY) : o.O_RDONLY;
  if (oflags & OFLAGS.CREAT) flags |= o.O_CREAT;
  if (oflags & OFLAGS.EXCL) flags |= o.O_EXCL;
  if (oflags & OFLAGS.TRUNC) flags |= o.O_TRUNC;
  if (oflags & OFLAGS.DIRECTORY) flags |= o.O_DIRECTORY;
  // O_NONBLOCK always: opening a FIFO the guest found must not hang the host
  // (it has no effect on regular files). SYNC/DSYNC/RSYNC are kept as flags
  // of the entry: writes sync after themselves.
  return flags | o.O_NOFOLLOW | o.O_NONBLOCK;
}

/** The `path_*` calls. */
export function pathCalls(ctx: HostContext): Record<string, Syscall> {
  const { fds } = ctx;
  // A trailing "/" makes lookups (open, stat) follow a last symbolic link;
  // calls that act on the entry itself (unlink, rename, rmdir) never do.
  const at = (dir: DirEntry, ptr: number, len: number, follow: boolean, lookup = false) => {
    const path = ctx.view().string(ptr >>> 0, len >>> 0);
    return resolve(liveRoot(dir), path, follow || (lookup && endsWithSlash(path)));
  };

  return {
    path_open(
      fd: number,
      dirflags: number,
      pathPtr: number,
      pathLen: number,
      oflags: number,
      base: bigint,
      inheriting: bigint,
      fdflags: number,
      fdOut: number,
    ) {
      const dir = fds.dir(fd >>> 0, R.PATH_OPEN);
      const root = liveRoot(dir);
      if (oflags & OFLAGS.CREAT && !(dir.rights & R.PATH_CREATE_FILE)) return ERRNO.NOTCAPABLE;
      if (oflags & OFLAGS.TRUNC && !(dir.rights & R.PATH_FILESTAT_SET_SIZE)) {
        return ERRNO.NOTCAPABLE;
      }
      const follow = (dirflags & LOOKUP_SYMLINK_FOLLOW) !== 0;
      const path = ctx.view().string(pathPtr >>> 0, pathLen >>> 0);
      // Before anything is opened: an fd_out past the memory created the file (O_CREAT).
      ctx.view().fits(fdOut >>> 0, 4);
      const mask = BigInt(ALL_RIGHTS);
      const rights = Number(bigIntAsUintN(64, base) & mask) & dir.inheriting;
      const inherit = Number(bigIntAsUintN(64, inheriting) & mask) & dir.inheriting;
      const flags = openFlags(oflags, rights);
      // Where the kernel can refuse every symbolic link on the way (openat2),
      // the resolved path, made of real directories only, is opened as it is
      // and cannot lead elsewhere; else the descriptor is checked afterwards.
      let checked = false;
      const open = (r: Resolved) => {
        if (oflags & OFLAGS.TRUNC && mappedEndOfPath(r.host) > 0) throw new Errno(ERRNO.BUSY);
        const fd = openWithoutLinks(target(r), flags, 0o666);
        checked = fd !== undefined;
        return fd ?? openPath(target(r), flags, 0o666);
      };
      // Following a last link would cost an lstat on every open. The open
      // itself never follows one (O_NOFOLLOW), so try the name as it is:
      // only a link there fails (ELOOP; EEXIST under O_EXCL; ENOTDIR under
      // O_DIRECTORY), and is then resolved and opened again.
      const optimistic = follow && !endsWithSlash(path);
      const retry = (e: unknown) => {
        const errno = errnoOf(e);
        return errno === ERRNO.LOOP ||
          optimistic && (errno === ERRNO.EXIST || errno === ERRNO.NOTDIR);
      };
      // First the path as it is, where the kernel refuses every link on the
      // way (openat2): no lstat per directory. A link met (ELOOP) sends it to
      // the walk, which follows the links the guest may follow.
      const asItIs = (): [Resolved, number] | undefined => {
        if (oflags & OFLAGS.TRUNC && anyFileMapped()) return undefined;
        const r = literal(root, path);
        if (!r) return undefined;
        try {
          const fd = openWithoutLinks(target(r), flags, 0o666);
          if (fd === undefined) return undefined;
          checked = true;
          return [r, fd];
        } catch (e) {
          if (retry(e)) return undefined;
          throw e;
        }
      };
      const walked = (): [Resolved, number] => {
        const r = resolve(root, path, follow && !optimistic || endsWithSlash(path));
        try {
          return [r, open(r)];
        } catch (e) {
          if (!optimistic || !retry(e)) throw e;
          const linked = resolve(root, path, true);
          return [linked, open(linked)];
        }
      };
      const opened = asItIs() ?? walked();
      const r = opened[0], hostFd = opened[1];
      let entry: FdEntry;
      try {
        if (!checked && !opensInside(hostFd, root)) throw new Errno(ERRNO.NOTCAPABLE);
        const st = fstatFull(hostFd);
        const type = filetypeOf(st.mode);
        const flags = fdflags & (FDFLAGS.APPEND | FDFLAGS.NONBLOCK | FDFLAGS.DSYNC | FDFLAGS.SYNC |
          FDFLAGS.RSYNC);
        if (type === FILETYPE.DIRECTORY) {
          // Kept for fd_readdir where the kernel lists it (Linux); else of no use.
          const keep = listsDirectories();
          if (!keep) closeFd(hostFd);
          entry = {
            kind: "dir",
            root: hostPath(root, r.parts),
            id: dirId(st),
            ...(keep ? { hostFd } : {}),
            filetype: FILETYPE.DIRECTORY,
            flags,
            rights: rights & DIR_RIGHTS,
            inheriting: inherit,
          };
        } else {
          entry = {
            kind: "file",
            hostFd,
            pos: 0,
            host: r.host,
            filetype: type,
            flags,
            rights: rights & FILE_RIGHTS,
            inheriting: inherit,
          };
        }
      } catch (e) {
        try {
          closeFd(hostFd);
        } catch { /* closed above */ }
        throw e;
      }
      const guestFd = fds.add(entry, 3);
      try {
        ctx.view().setU32(fdOut >>> 0, guestFd);
      } catch (e) {
        // An fd_out past the memory (EFAULT) must not leave a host descriptor open.
        fds.close(guestFd);
        throw e;
      }
    },

    path_create_directory(fd: number, ptr: number, len: number) {
      const r = at(fds.dir(fd >>> 0, R.PATH_CREATE_DIRECTORY), ptr, len, false);
      if (!r.parts.length) return ERRNO.EXIST;
      mkdirSync(target(r));
    },

    path_filestat_get(fd: number, flags: number, ptr: number, len: number, out: number) {
      const follow = (flags & LOOKUP_SYMLINK_FOLLOW) !== 0;
      const r = at(fds.dir(fd >>> 0, R.PATH_FILESTAT_GET), ptr, len, follow, true);
      // lstat even when following: resolve() already followed every link.
      writeFilestat(ctx.view(), out >>> 0, lstatFull(target(r)));
    },

    path_filestat_set_times(
      fd: number,
      flags: number,
      ptr: number,
      len: number,
      atim: bigint,
      mtim: bigint,
      fst: number,
    ) {
      const follow = (flags & LOOKUP_SYMLINK_FOLLOW) !== 0;
      const p = target(at(fds.dir(fd >>> 0, R.PATH_FILESTAT_SET_TIMES), ptr, len, follow, true));
      const times = newTimes(fst, atim, mtim);
      setTimes(p, times[0], times[1]);
    },

    path_link(
      oldFd: number,
      oldFlags: number,
      oldPtr: number,
      oldLen: number,
      newFd: number,
      newPtr: number,
      newLen: number,
    ) {
      const follow = (oldFlags & LOOKUP_SYMLINK_FOLLOW) !== 0;
      const from = at(fds.dir(oldFd >>> 0, R.PATH_LINK_SOURCE), oldPtr, oldLen, follow);
      const to = at(fds.dir(newFd >>> 0, R.PATH_LINK_TARGET), newPtr, newLen, false);
      if (!to.parts.length) return ERRNO.EXIST;
      linkSync(target(from), target(to));
    },

    path_readlink(fd: number, ptr: number, len: number, buf: number, bufLen: number, used: number) {
      const r = at(fds.dir(fd >>> 0, R.PATH_READLINK), ptr, len, false);
      const link = new Uint8ArrayCtor(readlinkSync(target(r), { encoding: "buffer" }));
      const v = ctx.view();
      const n = mathMin(typedArrayLength(link), bufLen >>> 0);
      typedArraySet(v.slice(buf >>> 0, n), typedArraySubarray(link, 0, n));
      v.setU32(used >>> 0, n);
    },

    path_remove_directory(fd: number, ptr: number, len: number) {
      const r = at(fds.dir(fd >>> 0, R.PATH_REMOVE_DIRECTORY), ptr, len, false);
      if (!r.parts.length) return ERRNO.BUSY;
      if (filetypeOf(lstatFull(r.host).mode) !== FILETYPE.DIRECTORY) return ERRNO.NOTDIR;
      rmdirSync(target(r));
    },

    path_rename(
      fd: number,
      oldPtr: number,
      oldLen: number,
      newFd: number,
      newPtr: number,
      newLen: number,
    ) {
      const from = at(fds.dir(fd >>> 0, R.PATH_RENAME_SOURCE), oldPtr, oldLen, false);
      const to = at(fds.dir(newFd >>> 0, R.PATH_RENAME_TARGET), newPtr, newLen, false);
      if (!from.parts.length || !to.parts.length) return ERRNO.BUSY;
      renameSync(target(from), target(to));
    },

    path_symlink(oldPtr: number, oldLen: number, fd: number, newPtr: number, newLen: number) {
      const dir = fds.dir(fd >>> 0, R.PATH_SYMLINK);
      const contents = ctx.view().string(oldPtr >>> 0, oldLen >>> 0);
      const r = at(dir, newPtr, newLen, false);
      if (!r.parts.length) return ERRNO.EXIST;
      checkLinkTarget(r.parts.length - 1, contents);
      symlinkSync(contents, target(r));
    },

    path_unlink_file(fd: number, ptr: number, len: number) {
      const r = at(fds.dir(fd >>> 0, R.PATH_UNLINK_FILE), ptr, len, false);
      if (!r.parts.length) return ERRNO.ISDIR;
      const isDir = () => {
        const mode = lstatMode(r.host);
        if (!mode) throw new Errno(ERRNO.NOENT);
        return filetypeOf(mode) === FILETYPE.DIRECTORY;
      };
      if (r.dirOnly) return isDir() ? ERRNO.ISDIR : ERRNO.NOTDIR;
      try {
        unlinkPath(r.host);
      } catch (e) {
        // Linux says EISDIR for a directory; macOS says EPERM.
        if (errnoOf(e) === ERRNO.PERM && isDir()) return ERRNO.ISDIR;
        throw e;
      }
    },
  };
}
