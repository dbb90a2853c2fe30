/**
 * POSIX shared memory objects: `shm_open(3)` and `shm_unlink(3)`, each
 * turning failure into `MMapOSError`.
 *
 * On Linux an object named `/name` is the file `/dev/shm/name` (glibc's
 * `shm_open` opens exactly that). Where libc has no `shm_open` (glibc before
 * 2.34 keeps it in librt), the same file is opened with `open(2)`.
 *
 * @module
 */
import { cString, lastError, openFile } from "./files.ts";
import { backend } from "./load.ts";
import type { ShmNumbers } from "./platform.ts";

/** How to open a shared memory object. */
export interface ShmRequest {
  create: boolean;
  exclusive: boolean;
  mode: number;
}

function shmNumbers(): ShmNumbers {
  const b = backend();
  const shm = b.platform.shm;
  if (!shm) throw new Error(`POSIX shared memory is not available on ${b.platform.os}`);
  return shm;
}

/** The file behind a shared memory object, where objects are files. */
export function shmPath(name: string): string | undefined {
  const dir = shmNumbers().dir;
  return dir === null ? undefined : `${dir}/${name}`;
}

/**
 * Opens the shared memory object `name` (no leading slash) read-write and
 * returns its descriptor. Deno's permissions are checked on its file first.
 */
export function shmOpen(name: string, req: ShmRequest): number {
  const b = backend();
  const path = shmPath(name);
  if (!b.libc.shm_open) {
    if (path === undefined) throw new Error("this C library has no shm_open");
    return shmOpenFile(path, req);
  }
  if (path !== undefined) b.checkPathAccess(path, true);
  const o = b.platform.open;
  let flags = o.O_RDWR | o.O_CLOEXEC;
  if (req.create || req.exclusive) flags |= o.O_CREAT;
  if (req.exclusive) flags |= o.O_EXCL;
  const fd = b.libc.shm_open(cString(`/${name}`), flags, req.mode);
  if (fd < 0) throw lastError("shm_open", `/${name}`);
  return fd;
}

/**
 * The fallback of `shmOpen`: `open(2)` on the object's file, with
 * `O_NOFOLLOW` as glibc's `shm_open` opens it: a symbolic link another user
 * planted in the shared directory must not hand this process a file of
 * their choosing.
 */
export function shmOpenFile(path: string, req: ShmRequest): number {
  return openFile(
    path,
    {
      write: true,
      create: req.create || req.exclusive,
      exclusive: req.exclusive,
      noFollow: true,
    },
    req.mode,
  );
}

/** Removes the name `name`; maps of the object stay valid until unmapped. */
export function shmUnlink(name: string): void {
  const b = backend();
  const path = shmPath(name);
  if (path !== undefined) b.checkPathAccess(path, true);
  if (b.libc.shm_unlink) {
    if (b.libc.shm_unlink(cString(`/${name}`)) !== 0) throw lastError("shm_unlink", `/${name}`);
    return;
  }
  if (path === undefined) throw new Error("this C library has no shm_unlink");
  if (b.libc.unlink(cString(path)) !== 0) throw lastError("unlink", path);
}
