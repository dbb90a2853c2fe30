/**
 * `readInto(target)`, CPython's `readinto` of file objects: copies up to
 * `target.byteLength` bytes from the position into the caller's buffer, so
 * that a loop of reads allocates nothing. The target's size and memory are
 * taken through intrinsics (src/byte_views.ts), never from its properties.
 *
 * @module
 */
import {
  mathMin,
  typedArrayBuffer,
  typedArrayByteLength,
  typedArrayByteOffset,
  typedArraySet,
  typedArraySubarray,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";
import { checkAttached, IMMUTABLE_BUFFERS, writableBytes } from "./byte_views.ts";
import { copyBetween } from "./fastpaths.ts";
import { isMapBuffer } from "./views.ts";
import { overMap } from "./aliasing.ts";
import type { WindowSource } from "./windows.ts";

/** Below this, `set` from the map's view: the FFI call's fixed cost outweighs the gain. */
const MEMCPY_MIN = 1024;

/**
 * Copies from `pos` of a map of `length` bytes into `target` and returns the
 * count: one `TypedArray.prototype.set` from `whole` (a buffer over all of the
 * map, never handed out, so never moved away: the fastest source; in Bun
 * its native copy from `main`, the internal view over it) or from
 * the window holding `pos`, or one per window when the bytes lie in several.
 * `main` is given only where {@linkcode copyBetween} exists (the caller checks).
 * A target over the map's own memory is right either way (`set` and libc's
 * `memmove` both copy as if through a temporary), within one window; across
 * windows see `acrossWindows`; the same pages at another address (another
 * map of the file) see {@linkcode readIntoAliased}.
 */
export function readInto(
  target: unknown,
  pos: number,
  length: number,
  src: WindowSource,
  whole: ArrayBuffer | null = null,
  main: Uint8Array | null = null,
): number {
  const dst = writableBytes(target);
  const room = typedArrayByteLength(dst);
  if (room === 0) checkAttached(dst);
  const left = pos < length ? length - pos : 0;
  const n = room < left ? room : left;
  if (n === 0) return 0;
  if (main !== null) {
    copyBetween!(main, dst, 0, pos, pos + n);
    return n;
  }
  const copy = src.memcpy;
  if (copy !== undefined && n >= MEMCPY_MIN) {
    // libc's memmove underneath: right even when the target is over the map.
    copy(
      pos,
      n === room ? dst : new Uint8ArrayCtor(typedArrayBuffer(dst), typedArrayByteOffset(dst), n),
    );
    return n;
  }
  if (whole !== null) {
    typedArraySet(dst, new Uint8ArrayCtor(whole, pos, n));
    return n;
  }
  const w = src.window(pos);
  if (w.end - pos >= n) {
    typedArraySet(dst, new Uint8ArrayCtor(w.buffer, w.byteOffset + pos - w.start, n));
    return n;
  }
  return acrossWindows(dst, pos, n, src);
}

/**
 * {@linkcode readInto} for a map whose file another map of this process also
 * holds (src/aliasing.ts): a target over any map's memory may then be the
 * map's own pages at another address, where memmove, which compares
 * addresses, copies forward over bytes it has yet to read. Such a target
 * gets the bytes read out whole first; any other goes to `readInto`. Apart
 * from it, so that `readInto` stays as small as it was (V8 took ~4 ns more
 * a call with this check in it, even when it was skipped).
 */
export function readIntoAliased(
  target: unknown,
  pos: number,
  length: number,
  src: WindowSource,
  whole: ArrayBuffer | null = null,
  main: Uint8Array | null = null,
): number {
  const dst = writableBytes(target);
  if (!overMap(dst)) return readInto(target, pos, length, src, whole, main);
  const room = typedArrayByteLength(dst);
  if (room === 0) checkAttached(dst);
  const left = pos < length ? length - pos : 0;
  const n = room < left ? room : left;
  if (n === 0) return 0;
  typedArraySet(n === room ? dst : typedArraySubarray(dst, 0, n), src.copy(pos, n));
  return n;
}

/**
 * Bun, a typed-array target, from `main` (the internal view over the whole
 * map): one native copy ({@linkcode copyBetween}), the target taken as
 * bytes whatever its kind (Bun's copy counts bytes). The caller tries this
 * first and calls {@linkcode readInto} only when it returns -1, so that a
 * random 4 KiB record costs one call and one slot read on top of the copy.
 * The target's size is the engine's own slot, whose getter is also the brand
 * check (it throws for anything but a real typed array, a Proxy of one
 * included): cheaper there than `writableBytes`' `Symbol.toStringTag` (~10
 * ns against ~40 a call, measured in Bun). Returns -1 for every other case
 * (another kind of target, an empty or detached one, an engine with
 * immutable buffers, a target over a map's memory while `aliasable`: see
 * {@linkcode readIntoAliased}), which the general path handles. Called
 * only where {@linkcode copyBetween} exists (the caller checks, once).
 */
export function readIntoMain(
  target: unknown,
  pos: number,
  length: number,
  main: Uint8Array,
  aliasable = false,
): number {
  if (IMMUTABLE_BUFFERS) return -1;
  let room: number;
  try {
    room = typedArrayByteLength(target);
  } catch {
    return -1;
  }
  if (room === 0) return -1;
  if (aliasable && isMapBuffer(typedArrayBuffer(target))) return -1;
  const left = pos < length ? length - pos : 0;
  const n = room < left ? room : left;
  if (n > 0) copyBetween!(main, target as Uint8Array, 0, pos, pos + n);
  return n;
}

/**
 * The bytes lie in several windows: one `set` per window. Apart from
 * `readInto`, so that the loop does not slow down the one-window path (V8
 * ran it 40% slower with the loop in the same function: ~145 ns against ~105
 * for a 4 KiB copy from the page cache).
 */
function acrossWindows(dst: Uint8Array, pos: number, n: number, src: WindowSource): number {
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
    const k = mathMin(n - done, part.end - at);
    typedArraySet(
      new Uint8ArrayCtor(buffer, offset + done, k),
      new Uint8ArrayCtor(part.buffer, part.byteOffset + at - part.start, k),
    );
    done += k;
  }
  return n;
}
