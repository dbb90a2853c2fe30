/**
 * `MMapConcat`: several files mapped as one byte sequence, with `MMap`'s
 * cursor API.
 *
 * @module
 */
import { backend } from "../ffi/load.ts";
import {
  type AccessMode,
  accessName,
  kernelProtection,
  parseAccess,
  resolveProtection,
} from "./access.ts";
import { checkOptions, toBool, toInt, typeName } from "./args.ts";
import { byteLength, type BytesLike, type Needle, toBytes, toNeedle } from "./bytes.ts";
import { type ConcatSegment, mapFiles } from "./concat_layout.ts";
import { ACCESS_COPY, ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, MAP_SHARED } from "./constants.ts";
import {
  byteValue,
  checkWritable,
  checkWriteRange,
  CLOSED,
  elementSize,
  flushFlags,
  flushRange,
  itemIndex,
  itemValue,
  madviseArgs,
  moveArgs,
  readByteOutOfRange,
  readCount,
  readSlice,
  searchRange,
  seekTarget,
  viewRange,
  writeByteOutOfRange,
  writeSlice,
} from "./cursor.ts";
import type { FlushOptions, TypedArrayConstructor } from "./types.ts";
import { toPath } from "./path.ts";
import { faultError } from "../ffi/errors.ts";
import { faultCounter } from "../ffi/guard/install.ts";
import { TOTAL_FAULTS } from "../ffi/guard/table.ts";
import { lastStartingBy, Pieces } from "./pieces.ts";
import { resolveSlice } from "./slice.ts";
import {
  appendOwn,
  ArrayBufferCtor,
  byteArray,
  DataViewCtor,
  mathMin,
  objectFreeze,
  ownList,
  typedArrayBuffer,
  typedArrayByteLength,
  typedArrayByteOffset,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";
import { ViewSet } from "./views.ts";
import { LineIterator, lineRange } from "./lines.ts";
import { readInto, readIntoAliased } from "./read_into.ts";
import { holdFiles, type MappedFile, releaseFile, someFileMappedTwice } from "./aliasing.ts";
import { byteStream, chunkSizeOf, type StreamOptions } from "./stream.ts";
import { piecesWindows, type WindowSource } from "./windows.ts";

export type { ConcatSegment } from "./concat_layout.ts";

/**
 * Options of {@linkcode MMap.concat}.
 *
 * @example Write across two files
 * ```ts
 * import { type ConcatOptions, MMap } from "@seed/mmap";
 * Deno.writeTextFileSync("a.bin", "....");
 * Deno.writeTextFileSync("b.bin", "....");
 * const options: ConcatOptions = { access: "write" };
 * using m = MMap.concat(["a.bin", "b.bin"], options);
 * m.setSlice(3, 5, "AB"); // a.bin "...A", b.bin "B..."
 * Deno.removeSync("a.bin");
 * Deno.removeSync("b.bin");
 * ```
 */
export interface ConcatOptions {
  /** `"read"` (the default), `"write"` or `"copy"`, or an `ACCESS_*` constant. */
  access?: AccessMode;
  /** Catch faults in the files' pages (default `true`; see {@linkcode MMapConcat.faulted}). */
  guard?: boolean;
}

/** What the finalizer releases, and whether a buffer over it was handed out (see MMap's). */
interface Held {
  pieces: Pieces;
  exposed: boolean;
  /** The files' counts (src/aliasing.ts), given back once. */
  files: readonly MappedFile[] | null;
}

const finalizer = new FinalizationRegistry<Held>((held) => {
  // Best effort: a finalizer has nobody to report an error to.
  try {
    held.pieces.release(held.exposed);
  } catch { /* already gone */ }
  releaseHeld(held);
});

function releaseHeld(held: Held): void {
  const files = held.files;
  held.files = null;
  for (let i = 0; files !== null && i < files.length; i++) releaseFile(files[i]!);
}

const NEWLINE = byteArray(10);
const ITERATION_CHUNK = 1 << 16;

/**
 * Several files mapped as one byte sequence, in order, with the cursor API
 * of {@linkcode MMap}: `read`, `readline`, `write`, `seek`, `find`, `rfind`,
 * `count`, `at`, `slice`, iteration... Matches that cross from one file
 * into the next (or through several small ones) are found.
 *
 * When every file but the last is a multiple of `PAGESIZE` long, the files
 * are mapped side by side in one address range and {@linkcode bytes} is one
 * zero-copy view over all of them. Otherwise each run of files is its own
 * range; `bytes` then throws and says why, and `view()` works within a run.
 *
 * Files are opened, mapped and closed again: the map holds no descriptors,
 * so it can span thousands of files. Empty files take no room.
 *
 * @example Search rotated logs as one
 * ```ts
 * import { MMap } from "@seed/mmap";
 * Deno.writeTextFileSync("app.log.1", "start\nERR");
 * Deno.writeTextFileSync("app.log.2", "OR here\nend\n");
 * using logs = MMap.concat(["app.log.1", "app.log.2"]);
 * const at = logs.find("ERROR"); // 6: found across the two files
 * console.log(logs.segments[logs.segmentAt(at)].path); // "app.log.1"
 * Deno.removeSync("app.log.1");
 * Deno.removeSync("app.log.2");
 * ```
 */
export class MMapConcat {
  #pieces: Pieces | null;
  #views: ViewSet;
  #held: Held;
  #segments: readonly ConcatSegment[];
  #split: string | null;
  #bytes: Uint8Array | null = null;
  #access: number;
  #length: number;
  #pos = 0;
  #closed = false;
  #windowSource: WindowSource | null = null;
  /**
   * One file is listed twice: its pages lie at two places of the
   * concatenation, and a `move` between them must read its source whole first.
   */
  #repeats: boolean;
  /** The process's fault count when this map last found none of its own. */
  #faultsSeen = faultCounter.words[TOTAL_FAULTS];
  /** The path of a file whose pages faulted (see `faulted`). */
  #faultedPath: string | undefined;

  /**
   * Opens and maps `paths`, in order, as one byte sequence ({@linkcode MMap.concat}
   * calls this). Every argument is checked before any file is opened; if a
   * file cannot be opened or mapped, nothing stays open or mapped.
   *
   * @param paths file paths or `file:` URLs; empty files are allowed
   * @param options `access`: `"read"` (default), `"write"` or `"copy"`
   * @throws {MMapOSError} a missing file (`ENOENT`), a directory (`EISDIR`),
   *   a device or pipe (`EINVAL`), no permission (`EACCES`)
   *
   * @example
   * ```ts
   * import { MMapConcat } from "@seed/mmap";
   * Deno.writeTextFileSync("part1.txt", "hello ");
   * Deno.writeTextFileSync("part2.txt", "world");
   * using m = new MMapConcat(["part1.txt", "part2.txt"]);
   * console.log(m.length); // 11
   * Deno.removeSync("part1.txt");
   * Deno.removeSync("part2.txt");
   * ```
   */
  constructor(paths: Iterable<string | URL>, options?: ConcatOptions) {
    const o = checkOptions(options, ["access", "guard"], "MMap.concat");
    const access = parseAccess(o.access ?? ACCESS_READ);
    const guard = toBool(o.guard, "guard", true);
    const p = resolveProtection(access, undefined, undefined);
    const iterable = typeof (paths as Iterable<unknown> | null)?.[Symbol.iterator] === "function";
    if (!iterable || typeof paths === "string") {
      throw new TypeError(`paths must be an iterable of paths, not ${typeName(paths)}`);
    }
    // By `for...of` on the program's own iterable into a list of ours: a
    // replaced `Array.from` handed back a list of its choice, whose
    // elements never went through `toPath` (an object whose `toString`
    // names one file to the permission check and another to open(2)).
    const files = ownList<string>();
    for (const path of paths as Iterable<unknown>) appendOwn(files, toPath(path));
    const k = kernelProtection(p);
    const write = p.access === ACCESS_WRITE || p.access === ACCESS_DEFAULT;
    const layout = mapFiles(files, write, k.prot, k.flags, undefined, guard);
    const b = backend();
    this.#access = p.access;
    this.#segments = objectFreeze(layout.segments);
    this.#split = layout.split;
    this.#pieces = new Pieces(layout.pieces, b.maxBufferLength);
    this.#length = this.#pieces.length;
    this.#views = new ViewSet(this, b.maxBufferLength, (k.flags & MAP_SHARED) !== 0);
    const held = holdFiles(layout.ids);
    this.#repeats = held.repeats;
    this.#held = { pieces: this.#pieces, exposed: false, files: held.files };
    finalizer.register(this, this.#held, this);
  }

  // --- state -------------------------------------------------------------------

  /**
   * True once `close()` has run.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "a");
   * const m = MMap.concat(["a.txt"]);
   * m.close();
   * console.log(m.closed); // true
   * Deno.removeSync("a.txt");
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * True once a page of one of the files faulted (the file shrank under the
   * map, or its device failed): as {@linkcode MMap.faulted}, every method
   * throws `MMapOSError` from then on, naming that file.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "abc");
   * using m = MMap.concat(["a.txt"]);
   * console.log(m.faulted); // false
   * ```
   */
  get faulted(): boolean {
    if (this.#faultedPath === undefined && !this.#closed) this.#faultedPath = this.#faultedFile();
    return this.#faultedPath !== undefined;
  }

  /**
   * The total length in bytes: the sum of the files' sizes when mapped.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "abc");
   * Deno.writeTextFileSync("b.txt", "de");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * console.log(m.length); // 5
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  get length(): number {
    this.#check();
    return this.#length;
  }

  /**
   * Which file holds which bytes: one entry per path, in order, with
   * `start`/`end` offsets in the concatenation (empty files have
   * `start === end`).
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "abc");
   * Deno.writeTextFileSync("b.txt", "de");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * console.log(m.segments[1]); // { path: "b.txt", start: 3, end: 5 }
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  get segments(): readonly ConcatSegment[] {
    this.#check();
    return this.#segments;
  }

  /**
   * The index in {@linkcode segments} of the file holding byte `offset`.
   * Empty files hold no byte. Negative offsets do not count from the end,
   * so that the -1 of a failed `find()` never names a file.
   *
   * @throws {RangeError} outside `[0, length)`
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "abc");
   * Deno.writeTextFileSync("b.txt", "de");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * console.log(m.segmentAt(3)); // 1
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  segmentAt(offset: number): number {
    this.#check();
    const at = toInt(offset, "offset");
    if (at < 0 || at >= this.#length) {
      throw new RangeError(
        `segmentAt offset ${at} is outside the concatenation (0 to ${this.#length - 1})` +
          (at === -1 ? ": find() returns -1 when the needle is absent" : ""),
      );
    }
    // The last segment starting at or before `at`, then back over empty ones.
    let k = lastStartingBy(this.#segments, at);
    while (this.#segments[k]!.end <= at) k--;
    return k;
  }

  /**
   * True when all the files lie in one address range, so that
   * {@linkcode bytes} can cover them (every file but the last is a multiple
   * of `PAGESIZE` long).
   *
   * @example
   * ```ts
   * import { MMap, PAGESIZE } from "@seed/mmap";
   * Deno.writeFileSync("page.bin", new Uint8Array(PAGESIZE));
   * Deno.writeTextFileSync("tail.bin", "tail");
   * using m = MMap.concat(["page.bin", "tail.bin"]);
   * console.log(m.contiguous); // true
   * Deno.removeSync("page.bin");
   * Deno.removeSync("tail.bin");
   * ```
   */
  get contiguous(): boolean {
    this.#check();
    return this.#split === null;
  }

  /**
   * Unmaps the files; every view handed out is detached first. Calling it
   * again does nothing.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "abc");
   * const m = MMap.concat(["a.txt"]);
   * const view = m.bytes;
   * m.close();
   * console.log(view.length); // 0
   * Deno.removeSync("a.txt");
   * ```
   */
  close(): void {
    if (this.#closed) return;
    // A fault no method has seen yet: let `faulted` still tell after close().
    if (faultCounter.words[TOTAL_FAULTS] !== this.#faultsSeen) void this.faulted;
    this.#closed = true;
    finalizer.unregister(this);
    const reachable = this.#views.detachAll();
    this.#bytes = null;
    const pieces = this.#pieces;
    this.#pieces = null;
    releaseHeld(this.#held);
    pieces?.release(reachable);
  }

  /**
   * Closes the map at the end of a `using` block.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "abc");
   * {
   *   using m = MMap.concat(["a.txt"]);
   *   m.read(1);
   * } // unmapped here
   * Deno.removeSync("a.txt");
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  // --- zero-copy views -----------------------------------------------------------

  /**
   * A live `Uint8Array` over all the files, without copying, when they lie in
   * one address range (see {@linkcode contiguous}). Detached on `close()`.
   *
   * @throws {RangeError} when the files are not in one range (the message
   *   names the file that breaks it), or the total is larger than one
   *   ArrayBuffer can be (4 GiB in Bun)
   *
   * @example
   * ```ts
   * import { MMap, PAGESIZE } from "@seed/mmap";
   * Deno.writeFileSync("page.bin", new Uint8Array(PAGESIZE).fill(1));
   * Deno.writeTextFileSync("tail.bin", "tail");
   * using m = MMap.concat(["page.bin", "tail.bin"]);
   * console.log(m.bytes.length, m.bytes[PAGESIZE]); // 4100 116
   * Deno.removeSync("page.bin");
   * Deno.removeSync("tail.bin");
   * ```
   */
  get bytes(): Uint8Array {
    const pieces = this.#live();
    this.#held.exposed = true;
    // Made again if someone moved the last one's buffer away (transfer()).
    if (this.#bytes && (this.#length === 0 || typedArrayByteLength(this.#bytes) !== 0)) {
      return this.#bytes;
    }
    if (this.#split !== null) {
      throw new RangeError(
        `bytes is unavailable: these files are not in one address range because ${this.#split}; ` +
          "use read(), slice() or the search methods, or view() within one file",
      );
    }
    if (this.#length > this.#views.maxBufferLength) {
      throw new RangeError(
        `bytes is unavailable: ${this.#length} bytes are more than the largest ArrayBuffer this ` +
          `runtime can make (${this.#views.maxBufferLength} bytes): use view() or dataView() windows`,
      );
    }
    const buffer = this.#length
      ? this.#views.window(pieces.pieceAt(0).mapping, 0, this.#length)
      : new ArrayBufferCtor(0);
    return (this.#bytes = new Uint8ArrayCtor(buffer));
  }

  /**
   * A zero-copy typed array over part of the concatenation. When the files
   * are not in one address range, the part must lie within one run of them
   * (in particular, within one file).
   *
   * @param type the typed-array constructor, e.g. `Float32Array`
   * @param byteOffset where the view starts: a multiple of the element size
   * @param length elements; by default as many as fit
   * @returns the view, detached on `close()`
   * @throws {RangeError} a misaligned offset, a range beyond the end, or a
   *   range that crosses from one address range into another
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeFileSync("w0.bin", new Uint8Array(new Float32Array([1, 2]).buffer));
   * Deno.writeFileSync("w1.bin", new Uint8Array(new Float32Array([3, 4]).buffer));
   * using m = MMap.concat(["w0.bin", "w1.bin"]);
   * console.log(m.view(Float32Array, 8, 2)); // Float32Array [3, 4]
   * Deno.removeSync("w0.bin");
   * Deno.removeSync("w1.bin");
   * ```
   */
  view<T>(type: TypedArrayConstructor<T>, byteOffset: number = 0, length?: number): T {
    this.#check();
    const size = elementSize(type);
    const pieces = this.#live(); // a BYTES_PER_ELEMENT getter may have closed the map
    this.#held.exposed = true;
    const r = viewRange(type, size, byteOffset, length, this.#length);
    const bytes = r.count * size;
    if (bytes === 0) return new type(new ArrayBufferCtor(0), 0, 0);
    const piece = pieces.pieceAt(r.start);
    if (r.start + bytes > piece.end) {
      throw new RangeError(
        `bytes ${r.start} to ${
          r.start + bytes
        } are not in one address range because ${this.#split}`,
      );
    }
    if (this.#split === null && this.#length <= this.#views.maxBufferLength) {
      return new type(typedArrayBuffer(this.bytes) as ArrayBuffer, r.start, r.count);
    }
    const buffer = this.#views.window(piece.mapping, r.start - piece.start, bytes);
    return new type(buffer, 0, r.count);
  }

  /**
   * A zero-copy `DataView` over part of the concatenation, as {@linkcode view}.
   *
   * @param byteOffset where the view starts
   * @param byteLength bytes; by default to the end
   * @returns the view, detached on `close()`
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeFileSync("n.bin", new Uint8Array([0, 0, 0, 42]));
   * using m = MMap.concat(["n.bin"]);
   * console.log(m.dataView().getUint32(0)); // 42
   * Deno.removeSync("n.bin");
   * ```
   */
  dataView(byteOffset: number = 0, byteLength?: number): DataView {
    const bytes = this.view(Uint8Array, byteOffset, byteLength);
    // Through the engine's getters: a patched prototype decides nothing.
    return new DataViewCtor(
      typedArrayBuffer(bytes),
      typedArrayByteOffset(bytes),
      typedArrayByteLength(bytes),
    );
  }

  // --- the position ---------------------------------------------------------------

  /**
   * Reads up to `n` bytes from the position (all the rest if `n` is omitted,
   * `null` or negative) and moves past them. Returns a copy.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "ab");
   * Deno.writeTextFileSync("b.txt", "cd");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * m.seek(1);
   * console.log(new TextDecoder().decode(m.read(2))); // "bc"
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  read(n?: number | null): Uint8Array {
    const pieces = this.#live();
    const count = readCount(n, this.#pos, this.#length);
    const out = pieces.copy(this.#pos, count);
    this.#settle();
    this.#pos += count;
    return out;
  }

  /**
   * Reads one byte at the position and moves past it.
   *
   * @throws {RangeError} at the end ("read byte out of range")
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "A");
   * using m = MMap.concat(["a.txt"]);
   * console.log(m.readByte()); // 65
   * Deno.removeSync("a.txt");
   * ```
   */
  readByte(): number {
    const pieces = this.#live();
    if (this.#pos >= this.#length) throw readByteOutOfRange();
    const value = pieces.get(this.#pos);
    this.#settle();
    this.#pos++;
    return value;
  }

  /**
   * Reads one line, up to and including `\n` (or to the end), and moves past
   * it. A line may run across files.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "one\ntw");
   * Deno.writeTextFileSync("b.txt", "o\n");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * m.readline();
   * console.log(new TextDecoder().decode(m.readline())); // "two\n"
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  readline(): Uint8Array {
    const pieces = this.#live();
    if (this.#pos >= this.#length) return new Uint8ArrayCtor(0);
    const nl = pieces.find(NEWLINE, this.#pos, this.#length);
    const end = nl < 0 ? this.#length : nl + 1;
    const out = pieces.copy(this.#pos, end - this.#pos);
    this.#settle();
    this.#pos = end;
    return out;
  }

  /**
   * Copies up to `target.byteLength` bytes from the position into `target`
   * and moves past them, as {@linkcode MMap.readInto}; a read may run across
   * files. A target over these files' memory (a view of this concatenation,
   * or of another map of one of its files) gets the bytes as they were
   * before the copy.
   *
   * @param target any typed array, DataView, ArrayBuffer or SharedArrayBuffer
   * @returns the number of bytes copied: 0 at the end
   * @throws {TypeError} a target that is not a writable buffer
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "ab");
   * Deno.writeTextFileSync("b.txt", "cd");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * const buf = new Uint8Array(3);
   * console.log(m.readInto(buf), m.readInto(buf)); // 3 1
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  readInto(target: ArrayBufferView | ArrayBufferLike): number {
    this.#live();
    // While some file is mapped twice, a target over a map may be our pages at another address.
    const read = someFileMappedTwice() ? readIntoAliased : readInto;
    const n = read(target, this.#pos, this.#length, this.#windows());
    this.#settle();
    this.#pos += n;
    return n;
  }

  /**
   * Iterates the lines of `[start, end)` as zero-copy views, as
   * {@linkcode MMap.lines}: only a line that runs from one file into
   * another mapped elsewhere (see {@linkcode contiguous}) is a copy.
   * Views are detached on `close()`.
   *
   * @param start the first byte; negative counts from the end
   * @param end where the last line ends at the latest
   * @throws {TypeError} non-integer bounds; on a closed map (also from `next()`)
   *
   * @example A line across two files
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "one\ntw");
   * Deno.writeTextFileSync("b.txt", "o\nthree");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * const text = new TextDecoder();
   * console.log([...m.lines()].map((line) => text.decode(line))); // ["one\n", "two\n", "three"]
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  lines(
    start?: number | null,
    end?: number | null,
  ): IteratorObject<Uint8Array, undefined, unknown> {
    this.#live();
    const range = lineRange(start, end, this.#length);
    this.#held.exposed = true; // lines are views of the files' buffers
    return new LineIterator(this.#windows(), range[0], range[1]);
  }

  /**
   * The bytes `[start, end)` of the files as a Web `ReadableStream`, as
   * {@linkcode MMap.stream}: a byte stream (BYOB readers work too), chunks
   * of `chunkSize` bytes (default 64 KiB) read across file boundaries only
   * when a reader asks, each a copy; the position is not used or moved.
   * Closing the map while its stream is read errors the stream (`TypeError`).
   *
   * @param start first byte (default 0); `start` and `end` follow `slice()`'s rules
   * @param end byte to stop before (default the total length)
   * @param options `chunkSize`
   * @returns a stream of `Uint8Array` chunks
   * @throws {RangeError} a `chunkSize` below 1
   * @throws {TypeError} on a closed map
   *
   * @example Serve two files as one body
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("head.txt", "Hello, ");
   * Deno.writeTextFileSync("tail.txt", "world");
   * using m = MMap.concat(["head.txt", "tail.txt"]);
   * console.log(await new Response(m.stream()).text()); // "Hello, world"
   * Deno.removeSync("head.txt");
   * Deno.removeSync("tail.txt");
   * ```
   */
  stream(
    start?: number | null,
    end?: number | null,
    options?: StreamOptions,
  ): ReadableStream<Uint8Array> {
    this.#live();
    const chunkSize = chunkSizeOf(options);
    this.#live(); // an option's getter may have closed the map
    const s = resolveSlice(this.#length, start, end, 1);
    return byteStream(s.start, s.start + s.count, chunkSize, () => this.#length, (at, into) => {
      this.#live().copyOut(at, into);
      this.#settle();
    });
  }

  /** The files' memory as windows, for `lines()` and `readInto` (made on first use). */
  #windows(): WindowSource {
    return this.#windowSource ??= piecesWindows(() => this.#live(), () => {
      this.#live();
      return this.#length;
    }, this.#views);
  }

  /**
   * Writes `data` at the position and moves past it; a write may run across
   * files, and each file gets its part. Strings are UTF-8. `data` may be a
   * view of this concatenation (across files too) or of another map of one
   * of its files: the result is as if all of it were read before any byte is
   * written (memmove), as for {@linkcode MMap.write}.
   *
   * @returns the number of bytes written
   * @throws {TypeError} on a read-only map
   * @throws {RangeError} when the data would go past the end ("data out of range")
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "....");
   * Deno.writeTextFileSync("b.txt", "....");
   * using m = MMap.concat(["a.txt", "b.txt"], { access: "write" });
   * m.seek(2);
   * m.write("abcd"); // a.txt is "..ab", b.txt "cd.."
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  write(data: BytesLike): number {
    this.#check();
    const bytes = toBytes(data);
    const pieces = this.#live(); // toBytes may run a getter that closed the map
    checkWritable(this.#access);
    const n = byteLength(bytes);
    checkWriteRange(this.#pos, n, this.#length);
    pieces.copyIn(this.#pos, bytes);
    this.#settle();
    this.#pos += n;
    return n;
  }

  /**
   * Writes one byte (0-255) at the position and moves past it.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", ".");
   * using m = MMap.concat(["a.txt"], { access: "write" });
   * m.writeByte(33);
   * Deno.removeSync("a.txt");
   * ```
   */
  writeByte(byte: number): void {
    const pieces = this.#live();
    const value = byteValue(byte);
    checkWritable(this.#access);
    if (this.#pos >= this.#length) throw writeByteOutOfRange();
    pieces.set(this.#pos, value);
    this.#settle();
    this.#pos++;
  }

  /**
   * Moves the position: from the start (`whence` 0), the current position
   * (1) or the end (2).
   *
   * @returns the new position
   * @throws {RangeError} outside `[0, length]`, or an unknown `whence`
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "abc");
   * using m = MMap.concat(["a.txt"]);
   * console.log(m.seek(-1, 2)); // 2
   * Deno.removeSync("a.txt");
   * ```
   */
  seek(pos: number, whence: 0 | 1 | 2 = 0): number {
    this.#check();
    return (this.#pos = seekTarget(pos, whence, this.#pos, this.#length));
  }

  /**
   * The current position.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "abc");
   * using m = MMap.concat(["a.txt"]);
   * m.read(2);
   * console.log(m.tell()); // 2
   * Deno.removeSync("a.txt");
   * ```
   */
  tell(): number {
    this.#check();
    return this.#pos;
  }

  /**
   * Always true. Works after `close()` too.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "abc");
   * using m = MMap.concat(["a.txt"]);
   * console.log(m.seekable()); // true
   * Deno.removeSync("a.txt");
   * ```
   */
  seekable(): boolean {
    return true;
  }

  // --- bytes by index ---------------------------------------------------------------

  /**
   * The byte at index `i`; negative indices count from the end.
   *
   * @throws {RangeError} outside the concatenation ("mmap index out of range")
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "ab");
   * Deno.writeTextFileSync("b.txt", "c");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * console.log(m.at(-1)); // 99
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  at(i: number): number {
    const pieces = this.#live();
    const value = pieces.get(itemIndex(i, this.#length));
    this.#settle();
    return value;
  }

  /**
   * Sets the byte at index `i`.
   *
   * @throws {RangeError} an index outside the concatenation, or a value outside 0-255
   * @throws {TypeError} on a read-only map
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "ab");
   * using m = MMap.concat(["a.txt"], { access: "write" });
   * m.set(0, 65);
   * Deno.removeSync("a.txt");
   * ```
   */
  set(i: number, value: number): void {
    const pieces = this.#live();
    checkWritable(this.#access);
    const at = itemIndex(i, this.#length);
    pieces.set(at, itemValue(value));
    this.#settle();
  }

  /**
   * A copy of `[start:end:step]` with Python's slice rules.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "ab");
   * Deno.writeTextFileSync("b.txt", "cd");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * console.log(new TextDecoder().decode(m.slice(1, 3))); // "bc"
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  slice(start?: number | null, end?: number | null, step?: number | null): Uint8Array {
    const pieces = this.#live();
    const out = readSlice(resolveSlice(this.#length, start, end, step), pieces);
    this.#settle();
    return out;
  }

  /**
   * Assigns `data` to `[start:end:step]`; the lengths must match. `data` is
   * read whole before any byte is stored, at any step, as for
   * {@linkcode MMapConcat.write}.
   *
   * @throws {RangeError} when `data` has a different length than the slice
   * @throws {TypeError} on a read-only map
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "ab");
   * Deno.writeTextFileSync("b.txt", "cd");
   * using m = MMap.concat(["a.txt", "b.txt"], { access: "write" });
   * m.setSlice(1, 3, "XY"); // a.txt "aX", b.txt "Yd"
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  setSlice(
    start: number | null | undefined,
    end: number | null | undefined,
    data: BytesLike,
    step?: number | null,
  ): void {
    this.#check();
    checkWritable(this.#access);
    const s = resolveSlice(this.#length, start, end, step);
    const bytes = toBytes(data);
    // toBytes may run a getter that closed the map (a concatenation never changes length).
    writeSlice(s, bytes, this.#live());
    this.#settle();
  }

  /**
   * Iterates over the byte values of all the files, in order.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "a");
   * Deno.writeTextFileSync("b.txt", "b");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * console.log([...m]); // [97, 98]
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  *[Symbol.iterator](): IterableIterator<number> {
    this.#check();
    for (let at = 0; at < this.#length; at += ITERATION_CHUNK) {
      const n = mathMin(ITERATION_CHUNK, this.#length - at);
      const chunk = this.#live().copy(at, n);
      this.#settle();
      // By index, to the count asked for: `for...of` would run the typed
      // array's iterator and ArrayIteratorPrototype.next, which a program
      // can replace to skip, repeat or invent bytes.
      for (let i = 0; i < n; i++) {
        this.#check();
        yield chunk[i]!;
      }
    }
  }

  // --- searching ---------------------------------------------------------------------

  /**
   * The lowest index of `sub` in `[start, end)`, or -1, including matches
   * that cross from one file into the next. `start` defaults to the
   * position; both use slice rules. `sub` is bytes, a UTF-8 string, or one
   * byte value.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "xxne");
   * Deno.writeTextFileSync("b.txt", "edle");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * console.log(m.find("needle")); // 2
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  find(sub: Needle, start?: number | null, end?: number | null): number {
    const needle = this.#needle(sub);
    const r = searchRange(start, end, this.#pos, this.#length);
    const at = this.#live().find(needle, r.start, r.end);
    this.#settle();
    return at;
  }

  /**
   * The highest index of `sub` in `[start, end)`, or -1; as `find`.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "abca");
   * Deno.writeTextFileSync("b.txt", "bc");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * console.log(m.rfind("abc")); // 3
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  rfind(sub: Needle, start?: number | null, end?: number | null): number {
    const needle = this.#needle(sub);
    const r = searchRange(start, end, this.#pos, this.#length);
    const at = this.#live().rfind(needle, r.start, r.end);
    this.#settle();
    return at;
  }

  /**
   * How many non-overlapping `sub`s are in `[start, end)`, across files;
   * `start` defaults to the position, as in `find`.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "a\nb");
   * Deno.writeTextFileSync("b.txt", "\nc\n");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * console.log(m.count("\n")); // 3
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  count(sub: Needle, start?: number | null, end?: number | null): number {
    const needle = this.#needle(sub);
    const r = searchRange(start, end, this.#pos, this.#length);
    // bytes.count does not clamp start to the length: an empty needle past the end counts 0.
    if (r.past) return 0;
    const n = this.#live().count(needle, r.start, r.end);
    this.#settle();
    return n;
  }

  /**
   * Whether `sub` occurs anywhere, across files too.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "ab");
   * Deno.writeTextFileSync("b.txt", "cd");
   * using m = MMap.concat(["a.txt", "b.txt"]);
   * console.log(m.includes("bc")); // true
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  includes(sub: Needle): boolean {
    return this.find(sub, 0) >= 0;
  }

  // --- changing the memory --------------------------------------------------------------

  /**
   * Copies `count` bytes from `src` to `dest` (overlap is fine), across
   * files if need be. A file listed twice holds the same bytes at both
   * places: a move between them reads its `count` bytes whole first (a
   * temporary of that size).
   *
   * @throws {RangeError} "source, destination, or count out of range"
   * @throws {TypeError} on a read-only map
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "ab");
   * Deno.writeTextFileSync("b.txt", "..");
   * using m = MMap.concat(["a.txt", "b.txt"], { access: "write" });
   * m.move(2, 0, 2); // b.txt is now "ab"
   * Deno.removeSync("a.txt");
   * Deno.removeSync("b.txt");
   * ```
   */
  move(dest: number, src: number, count: number): void {
    const pieces = this.#live();
    const m = moveArgs(dest, src, count, this.#length, this.#access);
    // The same pages at two places: memmove, which compares addresses, cannot see them overlap.
    if (this.#repeats && m[2] > 0) pieces.copyIn(m[0], pieces.copy(m[1], m[2]));
    else pieces.move(m[0], m[1], m[2]);
    this.#settle();
  }

  /**
   * Writes changes back to the files (`msync`). No-op for read and copy
   * maps. Each file's part of `[offset, offset + size)` is flushed from the
   * page boundary at or before it, so `offset` need not be aligned.
   *
   * @param offset where to start (default 0)
   * @param size bytes; by default to the end
   * @param options `async` (`MS_ASYNC`), `invalidate` (`MS_INVALIDATE`)
   * @throws {RangeError} "flush values out of range"
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "..");
   * using m = MMap.concat(["a.txt"], { access: "write" });
   * m.write("ok");
   * m.flush();
   * Deno.removeSync("a.txt");
   * ```
   */
  flush(offset?: number | null, size?: number | null, options?: FlushOptions): void {
    this.#check();
    const flags = flushFlags(options);
    const pieces = this.#live(); // an option's getter may have closed the map
    const range = flushRange(offset, size, this.#length);
    const start = range[0], count = range[1];
    if (this.#access === ACCESS_READ || this.#access === ACCESS_COPY) return;
    pieces.sync(start, count, flags);
  }

  /**
   * Advises the kernel about how `[start, start + length)` will be used
   * (`madvise`), in every file that range touches. As in `flush`, each
   * file's part is advised from the page boundary at or before it, so
   * `start` need not be aligned.
   *
   * Except `MADV_REMOVE`, which frees the files' pages (it punches holes in
   * them, which then read as zeros), whole pages at a time: it is never
   * widened. In each file, its part of the range must start on a page
   * boundary and end on one or at the end of the file (the kernel frees a
   * file's last page only up to its size). The map keeps no descriptors, so
   * for such an end the file's path is looked up again (`stat`): it must
   * still name the same file, of the size it had when mapped. Anything else
   * would zero bytes the range does not name, and is refused with `EINVAL`
   * before any file is touched (no file's part is advised then).
   *
   * @param option an `MADV_*` constant
   * @param start where the range starts (default 0)
   * @param length bytes; clamped to the end
   * @throws {RangeError} "madvise start out of bounds", "madvise length invalid"
   * @throws {MMapOSError} `EINVAL` for a `MADV_REMOVE` range that is not
   *   page-aligned in each file, as above; what the kernel answers otherwise
   *
   * @example
   * ```ts
   * import { MADV_SEQUENTIAL, MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "abc");
   * using m = MMap.concat(["a.txt"]);
   * m.madvise(MADV_SEQUENTIAL);
   * Deno.removeSync("a.txt");
   * ```
   */
  madvise(option: number, start: number = 0, length?: number | null): void {
    const pieces = this.#live();
    const a = madviseArgs(option, start, length, this.#length);
    pieces.advise(a[1], a[2], a[0]);
  }

  // --- presentation ---------------------------------------------------------------------

  /**
   * A description like `MMap`'s.
   *
   * @example
   * ```ts
   * import { MMap } from "@seed/mmap";
   * Deno.writeTextFileSync("a.txt", "abc");
   * using m = MMap.concat(["a.txt"]);
   * console.log(String(m)); // <MMapConcat closed=false, access=ACCESS_READ, length=3, pos=0, files=1, contiguous=true>
   * Deno.removeSync("a.txt");
   * ```
   */
  toString(): string {
    if (this.#closed) return "<MMapConcat closed=true>";
    return `<MMapConcat closed=false, access=${
      accessName(this.#access)
    }, length=${this.#length}, ` +
      `pos=${this.#pos}, files=${this.#segments.length}, contiguous=${this.#split === null}>`;
  }

  // --- internals ---------------------------------------------------------------------------

  #check(): void {
    if (this.#closed) throw new TypeError(CLOSED);
    this.#settle();
  }

  #live(): Pieces {
    if (!this.#pieces) throw new TypeError(CLOSED);
    this.#settle();
    return this.#pieces;
  }

  /** Throws if a page of these files faulted (since the last look: one load when none did). */
  #settle(): void {
    if (faultCounter.words[TOTAL_FAULTS] === this.#faultsSeen) return;
    const count = faultCounter.words[TOTAL_FAULTS];
    this.#faultedPath ??= this.#faultedFile();
    if (this.#faultedPath !== undefined) throw faultError(this.#faultedPath);
    this.#faultsSeen = count;
  }

  /** The first file with a faulted page, if any. */
  #faultedFile(): string | undefined {
    const pieces = this.#pieces;
    if (!pieces) return undefined;
    const segments = this.#segments;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      if (seg.end === seg.start) continue;
      const piece = pieces.pieceAt(seg.start);
      if (piece.mapping.faulted(seg.start - piece.start, seg.end - seg.start)) return seg.path;
    }
    return undefined;
  }

  /** The needle of a search; converting it may run a getter that closes the map. */
  #needle(sub: Needle): Uint8Array {
    this.#check();
    const needle = toNeedle(sub);
    this.#check();
    return needle;
  }

  /** Deno's console.log shape. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** Node's and Bun's console.log shape. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}
