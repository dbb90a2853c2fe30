/**
 * Opening the files of `MMap.concat` and placing them in memory.
 *
 * A file whose size is a multiple of the page size ends exactly on a page
 * boundary, so the next file's pages can follow it in the same address
 * range: a run of such files (and the one after them) is reserved as one
 * range (`PROT_NONE`) and each file is mapped into it with `MAP_FIXED`.
 * A file of any other size ends the run. One run means one contiguous view
 * over all the files.
 *
 * @module
 */
import { closeFd, openFile, statFd, statPath } from "../ffi/files.ts";
import { Mapping } from "../ffi/mapping.ts";
import { appendOwn, objectFreeze } from "../ffi/primordials.ts";
import { PAGESIZE } from "./constants.ts";
import { contiguousRuns, roundUpToPage } from "./pages.ts";
import { errnoValue, MMapOSError } from "../ffi/errors.ts";
import type { Piece } from "./pieces.ts";

/** A file of the concatenation, opened. */
interface OpenFile {
  path: string;
  fd: number;
  size: number;
  /** `st_dev` and `st_ino`: which file it is, whatever its path (and whether `path` still names it). */
  dev: bigint;
  ino: bigint;
}

/** Which file (device and inode) holds bytes of the concatenation. */
export interface FileId {
  readonly dev: bigint;
  readonly ino: bigint;
}

/**
 * Which bytes of the concatenation one file holds (see `MMapConcat.segments`).
 *
 * @example Find the file and the offset in it of a match
 * ```ts
 * import { type ConcatSegment, MMap } from "@seed/mmap";
 * Deno.writeTextFileSync("one.txt", "abc");
 * Deno.writeTextFileSync("two.txt", "xyz");
 * using m = MMap.concat(["one.txt", "two.txt"]);
 * const at = m.find("y");
 * const file: ConcatSegment = m.segments[m.segmentAt(at)];
 * console.log(file.path, at - file.start); // "two.txt" 1
 * Deno.removeSync("one.txt");
 * Deno.removeSync("two.txt");
 * ```
 */
export interface ConcatSegment {
  /** The path the file was opened by. */
  readonly path: string;
  /** Offset of the file's first byte in the concatenation. */
  readonly start: number;
  /** Offset just past the file's last byte (`start` for an empty file). */
  readonly end: number;
}

/** The files mapped: pieces of memory, and which file holds what. */
export interface Layout {
  pieces: Piece[];
  segments: ConcatSegment[];
  /** Why the files are not in one address range, or null when they are. */
  split: string | null;
  /** The files that hold bytes (empty ones hold none), in order; one file may be listed twice. */
  ids: FileId[];
}

/**
 * Opens, maps and closes each file (the mappings keep the files). On any
 * failure, everything done so far is undone before the error is thrown.
 * `page` is the page size to lay the files out by (tests pass larger pages
 * than this machine's).
 */
export function mapFiles(
  paths: readonly string[],
  write: boolean,
  prot: number,
  flags: number,
  page: number = PAGESIZE,
  guard = true,
): Layout {
  const files: OpenFile[] = [];
  try {
    for (let i = 0; i < paths.length; i++) appendOwn(files, openRegular(paths[i]!, write));
    return place(files, prot, flags, page, guard);
  } finally {
    for (let i = 0; i < files.length; i++) closeFd(files[i]!.fd);
  }
}

function openRegular(path: string, write: boolean): OpenFile {
  const fd = openFile(path, { write, nonblock: true }); // a FIFO must not block
  try {
    const st = statFd(fd, path);
    if (st.isDirectory) throw new MMapOSError(errnoValue("EISDIR") ?? 21, "open", path);
    // Devices and pipes have no size to lay out.
    if (!st.isFile) throw new MMapOSError(errnoValue("EINVAL") ?? 22, "mmap", path);
    return { path, fd, size: st.size, dev: st.dev, ino: st.ino };
  } catch (e) {
    closeFd(fd);
    throw e;
  }
}

function place(
  files: OpenFile[],
  prot: number,
  flags: number,
  page: number,
  guard: boolean,
): Layout {
  const segments: ConcatSegment[] = [];
  const ids: FileId[] = [];
  let split: string | null = null;
  let offset = 0;
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    appendOwn(segments, objectFreeze({ path: f.path, start: offset, end: offset + f.size }));
    if (f.size > 0) appendOwn(ids, { dev: f.dev, ino: f.ino });
    offset += f.size;
  }
  const runs = contiguousRuns(files, page);
  if (runs.length > 1) {
    const odd = runs[0]![runs[0]!.length - 1]!;
    split = `"${odd.path}" is ${odd.size} bytes, not a multiple of PAGESIZE (${page}), ` +
      `so the file after it cannot start on the page where it ends`;
  }
  const pieces: Piece[] = [];
  try {
    let start = 0;
    for (let i = 0; i < runs.length; i++) {
      const piece = mapRun(runs[i]!, start, prot, flags, page, guard);
      appendOwn(pieces, piece);
      start = piece.end;
    }
  } catch (e) {
    for (let i = 0; i < pieces.length; i++) pieces[i]!.mapping.unmap();
    throw e;
  }
  return { pieces, segments, split, ids };
}

function mapRun(
  run: OpenFile[],
  start: number,
  prot: number,
  flags: number,
  page: number,
  guard: boolean,
): Piece {
  let length = 0;
  for (let i = 0; i < run.length; i++) length += run[i]!.size;
  const last = run[run.length - 1]!;
  const endCheck = last.size % page === 0 ? undefined : fileEndCheck(last);
  if (run.length === 1) {
    const f = run[0]!;
    return {
      start,
      end: start + length,
      mapping: Mapping.map(length, prot, flags, f.fd, 0, f.path, guard),
      endCheck,
    };
  }
  const range = Mapping.reserve(roundUpToPage(length, page));
  try {
    let at = 0;
    for (let i = 0; i < run.length; i++) {
      const f = run[i]!;
      range.mapFixed(at, roundUpToPage(f.size, page), prot, flags, f.fd, 0, f.path, guard);
      at += f.size;
    }
  } catch (e) {
    range.unmap();
    throw e;
  }
  return { start, end: start + length, mapping: range, endCheck };
}

/**
 * `Piece.endCheck` for a piece that ends with `f`: the map keeps no
 * descriptor, so the file is looked up by its path again, and must still be
 * the same file, of the size it had when mapped. Else its last page holds
 * bytes the map does not show (it grew), or nothing can be known of it.
 */
function fileEndCheck(f: OpenFile): () => string | null {
  const path = f.path, dev = f.dev, ino = f.ino, size = f.size;
  return () => {
    const now = statPath(path);
    if (!now) return `"${path}" cannot be asked for its size now`;
    if (now.dev !== dev || now.ino !== ino) return `"${path}" names another file now`;
    if (now.size !== size) return `"${path}" is ${now.size} bytes now, not the ${size} mapped`;
    return null;
  };
}
