/**
 * `readInto(target)`, CPython's `readinto` of file objects: copies up to
 * `target.byteLength` bytes from the position into the caller's buffer, so
 * that a loop of reads allocates nothing. The target's size and memory are
 * taken through intrinsics (src/byte_views.ts), never from its properties.
 *
 * @module
 */
import {
  typedArrayBuffer,
  typedArrayByteLength,
  typedArrayByteOffset,
  typedArraySet,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";
import { checkAttached, writableBytes } from "./byte_views.ts";
import { COPY_BY_MEMCPY } from "./fastpaths.ts";
import { isMapBuffer } from "./views.ts";
import type { WindowSource } from "./windows.ts";

/** Below this, `set` from the map's view: the FFI call's fixed cost outweighs the gain. */
const MEMCPY_MIN = 1024;

/**
 * Copies from `pos` of a map of `length` bytes into `target` and returns the
 * count: one `TypedArray.prototype.set` from the window holding `pos`, or
 * one per window when the bytes lie in several.
 */
export function readInto(target: unknown, pos: number, length: number, src: WindowSource): number {
  const dst = writableBytes(target);
  const room = typedArrayByteLength(dst);
  if (room === 0) checkAttached(dst);
  const left = pos < length ? length - pos : 0;
  const n = room < left ? room : left;
  if (n === 0) return 0;
  const w = src.window(pos);
  if (COPY_BY_MEMCPY && n >= MEMCPY_MIN && src.memcpy && typedArrayBuffer(dst) !== w.buffer) {
    // No overlap is possible: the target is not over the map's own buffer.
    src.memcpy(
      pos,
      n === room ? dst : new Uint8ArrayCtor(typedArrayBuffer(dst), typedArrayByteOffset(dst), n),
    );
    return n;
  }
  if (w.end - pos >= n) {
    typedArraySet(dst, new Uint8ArrayCtor(w.buffer, w.byteOffset + pos - w.start, n));
    return n;
  }
  const buffer = typedArrayBuffer(dst);
  const offset = typedArrayByteOffset(dst);
  if (isMapBuffer(buffer)) {
    // The target may overlap the windows (a view of this map): one window's
    // copy could overwrite what the next one has yet to read. Read all
    // first, as memmove does.
    typedArraySet(new Uint8ArrayCtor(buffer, offset, n), src.copy(pos, n));
    return n;
  }
  for (let done = 0; done < n;) {
    const at = pos + done;
    const part = src.window(at);
    const k = Math.min(n - done, part.end - at);
    typedArraySet(
      new Uint8ArrayCtor(buffer, offset + done, k),
      new Uint8ArrayCtor(part.buffer, part.byteOffset + at - part.start, k),
    );
    done += k;
  }
  return n;
}
