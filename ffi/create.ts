/**
 * Creating a file so that a call that fails later can remove it again and
 * leave the file system as it found it: `O_CREAT` alone cannot tell a file
 * this call made from one that was there.
 *
 * @module
 */
import { MMapOSError } from "./errors.ts";
import { closeFd, cString, lastError, openFile, truncateFd } from "./files.ts";
import { backend } from "./load.ts";
import { growFile } from "./space.ts";

/** How {@linkcode openCreating} asks to open: an existing file, a new one (`O_EXCL`), or either. */
export type CreateStep = "existing" | "new" | "either";

/** A descriptor, and whether this call created the file behind it. */
export interface Created {
  fd: number;
  created: boolean;
}

function isCode(e: unknown, code: string): boolean {
  return e instanceof MMapOSError && e.code === code;
}

/**
 * Opens an existing file or creates a new one with `open(step)`: first
 * without `O_CREAT`, then, on `ENOENT`, with `O_CREAT | O_EXCL`, so that
 * `created` is certain. Another process creating the file in between
 * (`EEXIST`) starts over. A dangling symbolic link answers `ENOENT` to the
 * first and `EEXIST` to the second every time: after a few rounds the file is
 * opened with plain `O_CREAT` (which follows the link) and counts as not
 * created, so that a failure never removes what this call cannot be sure it
 * made.
 */
export function openCreating(open: (step: CreateStep) => number): Created {
  for (let round = 0; round < 3; round++) {
    try {
      return { fd: open("existing"), created: false };
    } catch (e) {
      if (!isCode(e, "ENOENT")) throw e;
    }
    try {
      return { fd: open("new"), created: true };
    } catch (e) {
      if (!isCode(e, "EEXIST")) throw e;
    }
  }
  return { fd: open("either"), created: false };
}

/** `unlink(2)`: removes the name `path`. */
export function removeFile(path: string): void {
  if (backend().libc.unlink(cString(path)) !== 0) throw lastError("unlink", path);
}

/**
 * A file opened for a map that may create and grow it, and can undo both:
 * {@linkcode OpenedFile.undo} leaves the file system as it was found.
 */
export class OpenedFile {
  readonly fd: number;
  readonly created: boolean;
  readonly path: string;
  #grewFrom: number | undefined;

  /** Opens `path` (read-write with `write`), creating it if missing with `create`. */
  constructor(path: string, write: boolean, create: boolean) {
    const opened = create
      ? openCreating((step) =>
        openFile(path, {
          write,
          create: step !== "existing",
          exclusive: step === "new",
          nonblock: true, // a FIFO must not block the open (it is refused after fstat)
        })
      )
      : { fd: openFile(path, { write, nonblock: true }), created: false };
    this.fd = opened.fd;
    this.created = opened.created;
    this.path = path;
  }

  /** Grows the file from `oldSize` to `newSize` bytes (see {@linkcode growFile}). */
  grow(oldSize: number, newSize: number, sparse: boolean): void {
    growFile(this.fd, oldSize, newSize, sparse, this.path);
    this.#grewFrom ??= oldSize;
  }

  /**
   * After a failure: cuts a file this call grew back to its old size, closes
   * the descriptor, and removes a file this call created. Never throws: the
   * caller reports the failure that led here.
   */
  undo(): void {
    try {
      if (!this.created && this.#grewFrom !== undefined) {
        truncateFd(this.fd, this.#grewFrom, this.path);
      }
    } catch { /* keep going: the descriptor must still close */ }
    try {
      closeFd(this.fd);
    } catch { /* as above */ }
    try {
      if (this.created) removeFile(this.path);
    } catch { /* as above */ }
  }
}
