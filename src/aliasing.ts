/**
 * Copies whose source is the destination's own memory: `m.write(m.bytes.subarray(a, b))`,
 * a slice assignment from a view of the map, a `readInto` target over the map,
 * or any of these between two maps of one file. The rule, for every copy
 * into or out of a map: the result is as if the whole source were read
 * before any byte is written (memmove).
 *
 * One copy by one memmove over one address range (`TypedArray.prototype.set`,
 * libc's `memmove`, Bun's `Buffer.prototype.copy`) keeps that rule by
 * itself. Two kinds of copy do not, and for those a source over a map's
 * memory is copied to a temporary first:
 *
 * - copies made in several steps: a stepped slice, byte by byte; a copy into
 *   an `MMapConcat` that runs from one file's address range into the next
 *   (each range its own memmove, and the first may overwrite what the second
 *   has yet to read);
 * - the same pages at two addresses: two maps of one file (`MAP_SHARED`, or
 *   pages of the file a private map has not written), or one file twice in a
 *   concatenation. memmove compares addresses, sees ranges that do not
 *   overlap, and copies forward over bytes it has yet to read.
 *
 * For the second kind the library counts, per file (device and inode), the
 * maps this process holds of it: only while a file is mapped more than once
 * does a plain `write` look at its source's buffer. That look (the `buffer`
 * getter and a `WeakSet` lookup) is not free: on a typed array that has no
 * buffer of its own yet (a small one just made) the engine makes one, 50-140
 * ns, more than a 64-byte copy.
 *
 * Memory the library did not hand out is not recognised: a WebAssembly
 * memory with a file's pages mapped into it (`mapIntoMemory`), or another
 * library's map of the same file, is copied from as it is.
 *
 * @module
 */
import {
  appendOwn,
  typedArrayBuffer,
  typedArrayByteLength,
  typedArraySet,
  Uint8ArrayCtor,
  uncurryThis,
} from "../ffi/primordials.ts";
import { isMapBuffer } from "./views.ts";

/**
 * `bytes` itself, or a copy of it when it lies over some map's memory (its
 * buffer is one the library made over a mapping), where a copy into a map
 * could overwrite it before it has been read.
 */
export function unaliased(bytes: Uint8Array): Uint8Array {
  if (!isMapBuffer(typedArrayBuffer(bytes))) return bytes;
  const copy = new Uint8ArrayCtor(typedArrayByteLength(bytes));
  typedArraySet(copy, bytes);
  return copy;
}

/** Whether `view` (a typed array) lies over some map's memory. */
export function overMap(view: Uint8Array): boolean {
  return isMapBuffer(typedArrayBuffer(view));
}

/** One file that maps in this process hold: how many of them (each map holds it once). */
export interface MappedFile {
  /** Live maps of the file (an `MMapConcat` counts once for each time it lists the file). */
  readonly maps: number;
}

interface Entry {
  maps: number;
  readonly key: string;
}

// Captured: a patched Map.prototype.get could hand two maps of one file
// entries of their own, and their copies would skip the check.
const MapCtor = Map;
const mapGet: <K, V>(map: Map<K, V>, key: K) => V | undefined = uncurryThis(Map.prototype.get);
const mapSet: <K, V>(map: Map<K, V>, key: K, value: V) => void = uncurryThis(Map.prototype.set);
const mapDelete: <K, V>(map: Map<K, V>, key: K) => boolean = uncurryThis(Map.prototype.delete);

const files = new MapCtor<string, Entry>();
/** How many files more than one map holds. */
let twice = 0;

/**
 * Counts one more map of the file `dev`/`ino` (from `fstat`); give the
 * result back with {@linkcode releaseFile} when the map is closed or
 * collected.
 */
export function holdFile(dev: bigint, ino: bigint): MappedFile {
  const key = `${dev}:${ino}`;
  let entry = mapGet(files, key);
  if (entry === undefined) {
    entry = { maps: 0, key };
    mapSet(files, key, entry);
  }
  if (++entry.maps === 2) twice++;
  return entry;
}

/** One map of the file fewer (once per {@linkcode holdFile}). */
export function releaseFile(file: MappedFile): void {
  const entry = file as Entry;
  if (entry.maps <= 0) return;
  if (entry.maps-- === 2) twice--;
  if (entry.maps === 0) mapDelete(files, entry.key);
}

/**
 * {@linkcode holdFile} for each of `ids` (an `MMapConcat`'s files, in
 * order); `repeats` when one file is listed more than once.
 */
export function holdFiles(
  ids: readonly { readonly dev: bigint; readonly ino: bigint }[],
): { files: MappedFile[]; repeats: boolean } {
  const files: MappedFile[] = [];
  const seen = new MapCtor<MappedFile, true>();
  let repeats = false;
  for (let i = 0; i < ids.length; i++) {
    const file = holdFile(ids[i]!.dev, ids[i]!.ino);
    if (mapGet(seen, file)) repeats = true;
    mapSet(seen, file, true);
    appendOwn(files, file);
  }
  return { files, repeats };
}

/**
 * Whether some file is mapped more than once in this process: then a copy
 * into an `MMapConcat` checks its source (a concatenation holds many files,
 * and asking each would cost a loop per write).
 */
export function someFileMappedTwice(): boolean {
  return twice > 0;
}
