/**
 * Path resolution inside a directory the guest holds: the WASI host's
 * security boundary.
 *
 * A guest path is walked one component at a time from the directory
 * descriptor the guest named (a preopen, or one opened below it), never
 * handed to the host whole. `..` pops a component the walk itself pushed, so
 * it cannot climb above that directory; absolute paths are refused; every
 * symbolic link met on the way is read and its target walked the same way
 * (an absolute target, or one that climbs out, is refused). What comes out
 * is a host path made only of real directories below the directory's real
 * path, plus a last component that the caller uses with or without
 * following it.
 *
 * Limit: the walk and the operation are separate steps, so another process
 * that swaps a checked directory for a symbolic link in between could race
 * it. A guest alone cannot: the host is single-threaded. `path_open` closes
 * the gap: it opens through `openat2(RESOLVE_NO_SYMLINKS)` (Linux 5.6+), so
 * that the kernel refuses any link on the way, or else checks where the
 * opened descriptor really points (`/proc/self/fd`).
 *
 * @module
 */
import { readlinkSync } from "node:fs";
import { lstatMode } from "../ffi/host_files.ts";
import { Errno } from "./errno.ts";
import { filetypeOf } from "./host_context.ts";
import { ERRNO, FILETYPE } from "./wasi_defs.ts";

/** Symbolic links followed in one resolution before `ELOOP` (Linux's limit). */
const MAX_LINKS = 40;

/** A resolved guest path. */
export interface Resolved {
  /** Components below the directory; empty for the directory itself. */
  parts: string[];
  /** The host path (the root joined with `parts`). */
  host: string;
  /** The guest path ended in `/`: the target must be a directory. */
  dirOnly: boolean;
}

/** The host path of `parts` below `root`. */
export function hostPath(root: string, parts: readonly string[]): string {
  return parts.length ? `${root}/${parts.join("/")}` : root;
}

function split(path: string): string[] {
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

/**
 * Resolves `path` inside the directory `root` (a real host path).
 * `follow` says whether a symbolic link in the last component is followed.
 * Throws `Errno`: `ENOTCAPABLE` for an
 * escape, `ENOENT`, `ENOTDIR`, `ELOOP`, `EINVAL` for a NUL byte.
 */
export function resolve(root: string, path: string, follow: boolean): Resolved {
  checkPath(path);
  const dirOnly = path.endsWith("/");
  const parts: string[] = [];
  const todo = split(path);
  let links = 0;
  while (todo.length) {
    const name = todo.shift()!;
    if (name === "..") {
      if (parts.length === 0) throw new Errno(ERRNO.NOTCAPABLE);
      parts.pop();
      continue;
    }
    const last = todo.length === 0;
    const host = `${hostPath(root, parts)}/${name}`;
    if (last && !follow) {
      parts.push(name);
      break;
    }
    const mode = lstatMode(host);
    if (!mode) {
      if (last) {
        parts.push(name);
        break;
      }
      throw new Errno(ERRNO.NOENT);
    }
    const type = filetypeOf(mode);
    if (type === FILETYPE.SYMBOLIC_LINK) {
      if (++links > MAX_LINKS) throw new Errno(ERRNO.LOOP);
      const target = readlinkSync(host, "utf8");
      if (target.startsWith("/")) throw new Errno(ERRNO.NOTCAPABLE);
      todo.unshift(...split(target));
      continue;
    }
    if (!last && type !== FILETYPE.DIRECTORY) throw new Errno(ERRNO.NOTDIR);
    parts.push(name);
  }
  return { parts, host: hostPath(root, parts), dirOnly };
}

/** `ENOENT` for an empty path, `EINVAL` for a NUL byte, `ENOTCAPABLE` for an absolute path. */
function checkPath(path: string): void {
  if (path === "") throw new Errno(ERRNO.NOENT);
  if (path.includes("\0")) throw new Errno(ERRNO.INVAL);
  if (path.startsWith("/")) throw new Errno(ERRNO.NOTCAPABLE);
}

/**
 * `path` below `root` taken as it is, without a look at the file system:
 * only for a call that itself refuses every symbolic link on the way
 * (`openat2` with `RESOLVE_NO_SYMLINKS`), which then opens exactly what
 * `resolve` would have, or fails with `ELOOP` where a link needs the walk.
 * `undefined` for a path with a `..`, which only the walk may take. Throws
 * what `resolve` throws for an empty, NUL-holding or absolute path.
 */
export function literal(root: string, path: string): Resolved | undefined {
  checkPath(path);
  const parts = split(path);
  if (parts.includes("..")) return undefined;
  return { parts, host: hostPath(root, parts), dirOnly: path.endsWith("/") };
}

/**
 * Refuses (`ENOTCAPABLE`) a symbolic link target that is absolute or that,
 * read from the directory `linkDir` (components below the root), climbs
 * above the root: such a link could only ever lead a reader out.
 */
export function checkLinkTarget(linkDir: readonly string[], target: string): void {
  if (target === "") throw new Errno(ERRNO.NOENT);
  if (target.startsWith("/") || target.includes("\0")) throw new Errno(ERRNO.NOTCAPABLE);
  let depth = linkDir.length;
  for (const c of split(target)) {
    depth += c === ".." ? -1 : 1;
    if (depth < 0) throw new Errno(ERRNO.NOTCAPABLE);
  }
}
