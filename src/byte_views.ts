/**
 * The bytes of a caller's buffer for `readInto`, taken through the engine's
 * intrinsics (ffi/primordials.ts), so that nothing the caller's object says
 * about itself (an own `length` or `byteLength`, a getter on a patched
 * prototype, a Proxy) decides how many bytes are written or where: the
 * target gets exactly the bytes the engine's own slots say it covers.
 *
 * @module
 */
import {
  accessorOf,
  arrayBufferDetached,
  dataViewBuffer,
  dataViewByteLength,
  dataViewByteOffset,
  isArrayBuffer,
  isSharedArrayBuffer,
  isView,
  typedArrayBuffer,
  typedArrayByteLength,
  typedArrayByteOffset,
  typedArrayKind,
  typedArraySet,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";
import { typeName } from "./args.ts";

/** Immutable ArrayBuffers (a TC39 proposal) cannot be written; null where the engine has none. */
const arrayBufferImmutable: ((b: ArrayBufferLike) => boolean) | null =
  accessorOf(ArrayBuffer.prototype, "immutable") ?? null;

/** Whether an ArrayBuffer (not a SharedArrayBuffer, which cannot be) is detached. */
export function detached(buffer: ArrayBufferLike): boolean {
  try {
    return arrayBufferDetached(buffer as ArrayBuffer);
  } catch {
    return false; // a SharedArrayBuffer
  }
}

/** Whether the engine has immutable ArrayBuffers (then a target's buffer must be asked). */
export const IMMUTABLE_BUFFERS: boolean = arrayBufferImmutable !== null;

function immutable(buffer: ArrayBufferLike): boolean {
  if (!arrayBufferImmutable) return false;
  try {
    return arrayBufferImmutable(buffer);
  } catch {
    return false; // a SharedArrayBuffer
  }
}

function notWritable(target: unknown, why: string): TypeError {
  return new TypeError(
    `readInto() argument must be read-write bytes-like object, not ${typeName(target)}${why}`,
  );
}

const DETACHED = " (its ArrayBuffer is detached: a view of a closed or resized map, " +
  "or a buffer that was transferred)";
const IMMUTABLE = " (its ArrayBuffer is immutable)";
const OUT_OF_BOUNDS = " (its ArrayBuffer was resized below it: the view is out of bounds)";
const NO_ELEMENTS: number[] = Object.freeze([]) as never;

/**
 * A fixed-length view of a resizable ArrayBuffer that shrank below it is
 * out of bounds: every getter says 0 bytes, yet it is no empty buffer (a
 * `readInto` of 0 would read as the end of the map). `set` of nothing is the
 * engine's own check; only asked of views that say 0 bytes.
 */
function outOfBounds(view: unknown): boolean {
  try {
    typedArraySet(view, NO_ELEMENTS);
    return false;
  } catch {
    return true;
  }
}

/**
 * A `Uint8Array` over exactly the bytes of `target` (any typed array, a
 * DataView, an ArrayBuffer or a SharedArrayBuffer): `target` itself when it
 * is a plain `Uint8Array`, else a new view over its bytes. Only intrinsics
 * are used on `target`, so no code of the caller's runs. Use the result only
 * through intrinsics too (`typedArraySet`, `typedArrayByteLength`): it may be
 * the caller's object. A result of 0 bytes may be a detached `Uint8Array`:
 * see {@linkcode checkAttached}.
 *
 * @throws {TypeError} anything else (CPython's "readinto() argument must be
 *   read-write bytes-like object"), a detached buffer, an immutable one
 */
export function writableBytes(target: unknown): Uint8Array {
  // The hot path, small enough for the engine to inline into the caller: a
  // real Uint8Array by the engine's own slot (a Float64Array given
  // Uint8Array.prototype is not taken for bytes, nor a Proxy of one).
  if (typedArrayKind(target) === "Uint8Array" && arrayBufferImmutable === null) {
    return target as Uint8Array;
  }
  return otherBytes(target);
}

function otherBytes(target: unknown): Uint8Array {
  if (typeof target !== "object" || target === null) throw notWritable(target, "");
  if (typedArrayKind(target) !== undefined) {
    const n = typedArrayByteLength(target);
    const buffer = typedArrayBuffer(target);
    const why = n === 0 ? goneWhy(target) : "";
    if (why) throw notWritable(target, why);
    if (immutable(buffer)) throw notWritable(target, IMMUTABLE);
    return new Uint8ArrayCtor(buffer, typedArrayByteOffset(target), n);
  }
  if (isView(target)) {
    // Not a typed array, so a DataView, whose byteLength getter throws on a
    // detached buffer: ask first.
    const buffer = dataViewBuffer(target);
    if (detached(buffer)) throw notWritable(target, DETACHED);
    if (immutable(buffer)) throw notWritable(target, IMMUTABLE);
    return new Uint8ArrayCtor(buffer, dataViewByteOffset(target), dataViewByteLength(target));
  }
  if (isArrayBuffer(target)) {
    if (detached(target)) throw notWritable(target, DETACHED);
    if (immutable(target)) throw notWritable(target, IMMUTABLE);
    return new Uint8ArrayCtor(target);
  }
  if (isSharedArrayBuffer(target)) return new Uint8ArrayCtor(target);
  throw notWritable(target, "");
}

/**
 * Why the bytes-like `data` (any typed array, a DataView or an ArrayBuffer)
 * has no bytes to give though it is no empty buffer: its buffer is detached,
 * or it is a fixed-length view that its resizable buffer shrank below; ""
 * otherwise (an empty buffer is empty). Through intrinsics only.
 */
export function goneWhy(data: unknown): string {
  if (typeof data !== "object" || data === null) return "";
  if (typedArrayKind(data) !== undefined) {
    if (typedArrayByteLength(data) !== 0) return "";
    if (detached(typedArrayBuffer(data))) return DETACHED;
    return outOfBounds(data) ? OUT_OF_BOUNDS : "";
  }
  if (isView(data)) {
    if (detached(dataViewBuffer(data))) return DETACHED;
    try {
      dataViewByteLength(data);
      return "";
    } catch {
      return OUT_OF_BOUNDS;
    }
  }
  return isArrayBuffer(data) && detached(data) ? DETACHED : "";
}

/**
 * Throws the error {@linkcode writableBytes} gives a detached target, when
 * `view` (its result, 0 bytes long) is over a detached buffer, or is out of
 * the bounds of a resizable one.
 */
export function checkAttached(view: Uint8Array): void {
  const why = goneWhy(view);
  if (why) throw notWritable(view, why);
}
