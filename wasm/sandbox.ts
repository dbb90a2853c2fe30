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
import { lstatFull, lstatMode } from "../ffi/host_files.ts";
import { appendOwn, ownList, stringIndexOf, stringSlice } from "../ffi/primordials.ts";
import { Errno } from "./errno.ts";
import { filetypeOf } from "./host_context.ts";
import { ERRNO, FILETYPE } from "./wasi_defs.ts";

// Every step below is an index loop over strings and own lists, through
// captured `slice`/`indexOf`: this is the sandbox's boundary, and a program
// that patched `Array.prototype.includes` or `join`, or `String.prototype.split`,
// made `..` pass the check or the host path differ from the one checked.

/** Symbolic links followed in one resolution before `ELOOP` (Linux's limit). */
const MAX_LINKS = 40;

/** A resolved guest path. */
export interface Resolved {
  /** Components below the directory; empty for the directory itself (a list with no methods). */
  parts: readonly string[];
  /** The host path (the root joined with `parts`). */
  host: string;
  /** The guest path ended in `/`: the target must be a directory. */
  dirOnly: boolean;
}

/** A directory's identity, `dev:ino`, from its `lstat`. */
export function dirId(st: { dev: bigint; ino: bigint }): string {
  return `${st.dev}:${st.ino}`;
}

/**
 * `dir.root`, once `lstat` finds there still the directory the entry was
 * made for (`id`): `ENOENT` if nothing is there, `ENOTCAPABLE` if anything
 * else is. Host paths are built from `root` as a string, so a preopen (or a
 * directory the guest opened) renamed away and replaced by a symbolic link
 * to `/etc`, say, let path_filestat_get, path_create_directory,
 * path_unlink_file, path_rename and fd_readdir act outside the sandbox (only
 * path_open's openat2 refused the link). The `lstat` also sees a swapped
 * ancestor, since it follows every component but the last. What remains is
 * the race the module comment names: a swap between this check and the call.
 */
export function liveRoot(dir: { root: string; id: string }): string {
  let id: string;
  try {
    id = dirId(lstatFull(dir.root));
  } catch {
    throw new Errno(ERRNO.NOENT);
  }
  if (id !== dir.id) throw new Errno(ERRNO.NOTCAPABLE);
  return dir.root;
}

/** The host path of `parts` below `root`. */
export function hostPath(root: string, parts: readonly string[]): string {
  let host = root;
  for (let i = 0; i < parts.length; i++) host = `${host}/${parts[i]}`;
  return host;
}

/** True if `path` ends in `/`. */
export function endsWithSlash(path: string): boolean {
  return path.length > 0 && path[path.length - 1] === "/";
}

/** True if `path` begins with `prefix`. */
export function startsWith(path: string, prefix: string): boolean {
  return stringSlice(path, 0, prefix.length) === prefix;
}

/** The components of `path` other than empty ones and `.`, in order (an own list). */
function split(path: string): string[] {
  const out = ownList<string>();
  for (let from = 0; from <= path.length;) {
    let to = stringIndexOf(path, "/", from);
    if (to < 0) to = path.length;
    const c = stringSlice(path, from, to);
    if (c !== "" && c !== ".") appendOwn(out, c);
    from = to + 1;
  }
  return out;
}

/**
 * Resolves `path` inside the directory `root` (a real host path).
 * `follow` says whether a symbolic link in the last component is followed.
 * Throws `Errno`: `ENOTCAPABLE` for an
 * escape, `ENOENT`, `ENOTDIR`, `ELOOP`, `EINVAL` for a NUL byte.
 */
export function resolve(root: string, path: string, follow: boolean): Resolved {
  checkPath(path);
  const dirOnly = endsWithSlash(path);
  const parts = ownList<string>();
  // Components still to walk, the next one last.
  const todo = ownList<string>();
  pushReversed(todo, split(path));
  let links = 0;
  while (todo.length) {
    const name = todo[todo.length - 1]!;
    todo.length--;
    if (name === "..") {
      if (parts.length === 0) throw new Errno(ERRNO.NOTCAPABLE);
      parts.length--;
      continue;
    }
    const last = todo.length === 0;
    const host = `${hostPath(root, parts)}/${name}`;
    if (last && !follow) {
      appendOwn(parts, name);
      break;
    }
    const mode = lstatMode(host);
    if (!mode) {
      if (last) {
        appendOwn(parts, name);
        break;
      }
      throw new Errno(ERRNO.NOENT);
    }
    const type = filetypeOf(mode);
    if (type === FILETYPE.SYMBOLIC_LINK) {
      if (++links > MAX_LINKS) throw new Errno(ERRNO.LOOP);
      const target = readlinkSync(host, "utf8");
      if (target[0] === "/") throw new Errno(ERRNO.NOTCAPABLE);
      pushReversed(todo, split(target));
      continue;
    }
    if (!last && type !== FILETYPE.DIRECTORY) throw new Errno(ERRNO.NOTDIR);
    appendOwn(parts, name);
  }
  return { parts, host: hostPath(root, parts), dirOnly };
}

function pushReversed(stack: string[], items: readonly string[]): void {
  for (let i = items.length - 1; i >= 0; i--) appendOwn(stack, items[i]!);
}

/** `ENOENT` for an empty path, `EINVAL` for a NUL byte, `ENOTCAPABLE` for an absolute path. */
function checkPath(path: string): void {
  if (path === "") throw new Errno(ERRNO.NOENT);
  if (stringIndexOf(path, "\0") >= 0) throw new Errno(ERRNO.INVAL);
  if (path[0] === "/") throw new Errno(ERRNO.NOTCAPABLE);
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
  for (let i = 0; i < parts.length; i++) if (parts[i] === "..") return undefined;
  return { parts, host: hostPath(root, parts), dirOnly: endsWithSlash(path) };
}

/**
 * Refuses (`ENOTCAPABLE`) a symbolic link target that is absolute or that,
 * read from a directory `depth` components below the root, climbs above the
 * root: such a link could only ever lead a reader out.
 */
export function checkLinkTarget(depth: number, target: string): void {
  if (target === "") throw new Errno(ERRNO.NOENT);
  if (target[0] === "/" || stringIndexOf(target, "\0") >= 0) {
    throw new Errno(ERRNO.NOTCAPABLE);
  }
  const parts = split(target);
  for (let i = 0; i < parts.length; i++) {
    depth += parts[i] === ".." ? -1 : 1;
    if (depth < 0) throw new Errno(ERRNO.NOTCAPABLE);
  }
}
