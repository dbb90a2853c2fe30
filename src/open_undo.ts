/**
 * Opening a file to map it so that a call that fails leaves the file system
 * as it found it: `MMap.open` with `create` knows whether it made the file
 * (and removes it again) and what size it had (and restores it).
 *
 * @module
 */
import { closeFd, openFile, truncateFd, unlinkFile } from "../ffi/files.ts";
import { MMapOSError } from "./errors.ts";

/** A descriptor opened by `openForMap`, and what undoing the open means. */
export interface OpenedFile {
  fd: number;
  path: string;
  /** This call made the file. */
  created: boolean;
  /** The size to restore if the call fails after changing it; -1 for none. */
  restoreSize: number;
}

/**
 * Opens `path` without blocking (a FIFO would otherwise wait for a writer);
 * with `create`, makes it if missing and remembers that it did.
 */
export function openForMap(path: string, write: boolean, create: boolean): OpenedFile {
  const opened = (fd: number, created: boolean) => ({ fd, path, created, restoreSize: -1 });
  if (!create) return opened(openFile(path, { write, nonblock: true }), false);
  for (;;) {
    try {
      return opened(openFile(path, { write, nonblock: true }), false);
    } catch (e) {
      if (!(e instanceof MMapOSError) || e.code !== "ENOENT") throw e;
    }
    try {
      return opened(openFile(path, { write, create, exclusive: true, nonblock: true }), true);
    } catch (e) {
      // Made by someone else between the two opens: open theirs.
      if (!(e instanceof MMapOSError) || e.code !== "EEXIST") throw e;
    }
  }
}

/** Closes the descriptor of a failed call and undoes what the call did to the file. */
export function undoOpen(file: OpenedFile): void {
  try {
    if (file.created) unlinkFile(file.path);
    else if (file.restoreSize >= 0) truncateFd(file.fd, file.restoreSize, file.path);
  } catch { /* the first error is the one to report */ }
  try {
    closeFd(file.fd);
  } catch { /* as above */ }
}
