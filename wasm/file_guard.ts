/**
 * Which byte ranges of which files are mapped into some WebAssembly memory.
 *
 * Touching a mapped page that lies wholly past the end of its file raises
 * SIGBUS and kills the process. The WASI host asks here before it lets a
 * guest shrink a file (`fd_filestat_set_size`, `path_open` with `O_TRUNC`),
 * and refuses with `EBUSY` below the end of any live mapping.
 *
 * @module
 */
import { fstatFull, lstatFull } from "../ffi/host_files.ts";
import { appendOwn, ownList, removeItemOwn } from "../ffi/primordials.ts";

/** One live mapping of part of a file: the file's identity and the end of the mapped bytes. */
export interface FileGuard {
  readonly key: string;
  readonly end: number;
}

// File keys to their live records, in a dictionary and lists with no
// prototype, walked by index: a patched `Map.prototype.get` (or Set's
// iterator) made `mappedEnd` answer 0 and let a guest cut a mapped file.
const live: Record<string, FileGuard[] | undefined> = { __proto__: null } as never;
let files = 0;

/** A file's identity (`dev:ino`), from an open descriptor. */
export function fileKeyOfFd(fd: number): string {
  const st = fstatFull(fd);
  return `${st.dev}:${st.ino}`;
}

/** A file's identity (`dev:ino`) from a host path (not following a last link), if it exists. */
export function fileKeyOfPath(path: string): string | undefined {
  try {
    const st = lstatFull(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Records that bytes up to `end` of the file `key` are mapped; returns the record to release. */
export function guardFile(key: string, end: number): FileGuard {
  const guard = { key, end };
  let list = live[key];
  if (!list) {
    live[key] = list = ownList();
    files++;
  }
  appendOwn(list, guard);
  return guard;
}

/** Forgets a record made by `guardFile`. Idempotent. */
export function releaseFile(guard: FileGuard): void {
  const list = live[guard.key];
  if (!list) return;
  removeItemOwn(list, guard);
  if (list.length === 0) {
    delete live[guard.key];
    files--;
  }
}

/** The smallest size the file `key` may be cut to without losing mapped pages (0 if unmapped). */
export function mappedEnd(key: string | undefined): number {
  const list = key === undefined ? undefined : live[key];
  let end = 0;
  if (list) { for (let i = 0; i < list.length; i++) if (list[i]!.end > end) end = list[i]!.end; }
  return end;
}

/** `mappedEnd` of the file at a host path; asks the file system only while something is mapped. */
export function mappedEndOfPath(path: string): number {
  return files === 0 ? 0 : mappedEnd(fileKeyOfPath(path));
}

/** True while any file is mapped (then `mappedEndOfPath` asks the file system). */
export function anyFileMapped(): boolean {
  return files > 0;
}
