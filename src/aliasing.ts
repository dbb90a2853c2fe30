/**
 * Copies whose source is the destination's own memory: `m.write(m.bytes.subarray(a, b))`,
 * a slice assignment from a view of the map, a `readInto` target over the
 * map. The rule, for every copy into or out of a map: the result is as if
 * the whole source were read before any byte is written (memmove).
 *
 * One copy by one memmove over one address range (`TypedArray.prototype.set`,
 * libc's `memmove`, Bun's `Buffer.prototype.copy`) keeps that rule by
 * itself. Copies made in several steps do not: a stepped slice, byte by
 * byte; a copy into an `MMapConcat` that runs from one file's address range
 * into the next (each range its own memmove, and the first may overwrite
 * what the second has yet to read). For those, a source over a map's memory
 * is copied to a temporary first. Such copies are slow paths already (a
 * byte at a time, or a file boundary), so the look at the source's buffer
 * (its `buffer` getter and a `WeakSet` lookup) costs them nothing that
 * shows; plain `write`s, one memmove, never look.
 *
 * @module
 */
import {
  typedArrayBuffer,
  typedArrayByteLength,
  typedArraySet,
  Uint8ArrayCtor,
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
