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

/** One live mapping of part of a file: the file's identity and the end of the mapped bytes. */
export interface FileGuard {
  readonly key: string;
  readonly end: number;
}

const live = new Map<string, Set<FileGuard>>();

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
  let set = live.get(key);
  if (!set) live.set(key, set = new Set());
  set.add(guard);
  return guard;
}

/** Forgets a record made by `guardFile`. Idempotent. */
export function releaseFile(guard: FileGuard): void {
  const set = live.get(guard.key);
  if (!set) return;
  set.delete(guard);
  if (set.size === 0) live.delete(guard.key);
}

/** The smallest size the file `key` may be cut to without losing mapped pages (0 if unmapped). */
export function mappedEnd(key: string | undefined): number {
  let end = 0;
  for (const g of (key && live.get(key)) || []) end = Math.max(end, g.end);
  return end;
}

/** `mappedEnd` of the file at a host path; asks the file system only while something is mapped. */
export function mappedEndOfPath(path: string): number {
  return live.size === 0 ? 0 : mappedEnd(fileKeyOfPath(path));
}

/** True while any file is mapped (then `mappedEndOfPath` asks the file system). */
export function anyFileMapped(): boolean {
  return live.size > 0;
}
