/**
 * What `MMap.open` and `mapIntoMemory` accept as the file: a path, a `file:`
 * URL, an open descriptor, or an object that carries one (a `node:fs`
 * `FileHandle`). File objects that hide their descriptor (Deno 2's
 * `Deno.FsFile`, `Bun.file()`'s Blob) are refused with what to pass instead.
 *
 * @module
 */
import { closeFd, dupFd, truncateFd } from "../ffi/files.ts";
import { growFile } from "../ffi/space.ts";
import { typeName } from "./args.ts";
import { toPath } from "./path.ts";
import { isInteger } from "../ffi/primordials.ts";

/**
 * A file to map: a path (string or `file:` URL), a descriptor, or a `node:fs`
 * `FileHandle`. A descriptor or handle stays the caller's: the map keeps its
 * own duplicate.
 *
 * @example
 * ```ts
 * import { type FileSource, MMap } from "@seed/mmap";
 * import { closeSync, openSync, rmSync, writeFileSync } from "node:fs";
 * writeFileSync("fd.txt", "by descriptor");
 * const fd = openSync("fd.txt", "r");
 * const source: FileSource = fd;
 * {
 *   using m = MMap.open(source);
 *   console.log(new TextDecoder().decode(m.read())); // "by descriptor"
 * }
 * closeSync(fd);
 * rmSync("fd.txt");
 * ```
 */
export type FileSource = string | URL | number | { readonly fd: number };

/** A checked {@linkcode FileSource}: a path to open, or a descriptor the caller keeps. */
export type ResolvedSource = { path: string; fd?: undefined } | { path?: undefined; fd: number };

/** Deno's `FsFile` class, where there is one. */
const FsFile = (globalThis as { Deno?: { FsFile?: abstract new (...args: never[]) => object } })
  .Deno?.FsFile;

/**
 * `fd` as libc takes it: an integer from 0 to 2^31 - 1, and -0 as 0 (it is
 * descriptor 0, as in CPython; Deno's FFI refuses -0 for an `i32`, with
 * "Invalid FFI i32 type, expected integer", where Bun passes 0).
 */
function checkDescriptor(fd: unknown, what: string): number {
  if (typeof fd !== "number" || !isInteger(fd)) {
    throw new TypeError(`${what} must be an integer, not ${typeName(fd)}`);
  }
  if (fd < 0 || fd > 0x7fffffff) {
    throw new RangeError(`${what} must be an open descriptor, not ${fd}`);
  }
  return fd === 0 ? 0 : fd;
}

/**
 * Checks a {@linkcode FileSource}, reading an object's `fd` once. `caller`
 * names the function in messages (`"MMap.open"`).
 */
export function resolveSource(source: unknown, caller: string): ResolvedSource {
  if (typeof source === "string" || source instanceof URL) return { path: toPath(source) };
  if (typeof source === "number") return { fd: checkDescriptor(source, "descriptor") };
  if (typeof source === "object" && source !== null) {
    if (typeof Blob === "function" && source instanceof Blob) {
      const name = (source as { name?: unknown }).name;
      const instead = typeof name === "string"
        ? `pass its path instead: ${caller}(${JSON.stringify(name)})`
        : "pass a path, a descriptor or a node:fs FileHandle instead";
      throw new TypeError(
        `${caller} cannot map a Blob (such as Bun.file()): it has no file descriptor; ${instead}`,
      );
    }
    if (FsFile && source instanceof FsFile) {
      throw new TypeError(
        `${caller} cannot map a Deno.FsFile: Deno 2 does not expose its descriptor; pass the ` +
          `path instead, or open the file with node:fs (openSync, or fs.promises.open for a ` +
          `FileHandle) and pass that`,
      );
    }
    if ("fd" in source) {
      const fd = (source as { fd: unknown }).fd;
      if (fd === -1) throw new TypeError(`${caller}: the FileHandle is closed`);
      return { fd: checkDescriptor(fd, "FileHandle fd") };
    }
  }
  throw new TypeError(
    `path must be a string, a file: URL, a descriptor or a FileHandle, not ${typeName(source)}`,
  );
}

/**
 * The caller's descriptor as `MMap.open` uses it: a duplicate that the map
 * owns (the caller's stays open and theirs to close), growable and undoable
 * like `OpenedFile`.
 */
export class BorrowedFile {
  readonly fd: number;
  readonly path: undefined;
  #grewFrom: number | undefined;

  /** Duplicates `fd` (`dup(2)`); `EBADF` if it is not open. */
  constructor(fd: number) {
    this.fd = dupFd(fd);
  }

  /** Grows the file from `oldSize` to `newSize` bytes (see `growFile`). */
  grow(oldSize: number, newSize: number, sparse: boolean): void {
    growFile(this.fd, oldSize, newSize, sparse, undefined);
    this.#grewFrom ??= oldSize;
  }

  /** After a failure: cuts the file back to the size it had, and closes the duplicate. */
  undo(): void {
    try {
      if (this.#grewFrom !== undefined) truncateFd(this.fd, this.#grewFrom);
    } catch { /* keep going: the duplicate must still close */ }
    try {
      closeFd(this.fd);
    } catch { /* the caller reports the failure that led here */ }
  }
}
