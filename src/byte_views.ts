/**
 * The bytes of a caller's buffer, taken through intrinsics captured when this
 * module loads, so that nothing the caller's object says about itself (an own
 * `length` or `byteLength`, a getter on a patched prototype, a Proxy) decides
 * how many bytes are written or where: `readInto` writes exactly the bytes
 * the engine's own slots say the target covers.
 *
 * Captured here, locally, because the project's shared table of captured
 * intrinsics (src/primordials.ts, issue 11) had not landed when this was
 * written; move these to it once it has.
 *
 * @module
 */
import { typeName } from "./args.ts";

const U8 = Uint8Array;
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const call = Function.prototype.call;

function getter<T>(proto: object, key: PropertyKey): (self: unknown) => T {
  const get = Object.getOwnPropertyDescriptor(proto, key)?.get;
  if (!get) throw new Error(`no getter ${String(key)}`);
  return call.bind(get) as (self: unknown) => T;
}

const isView = ArrayBuffer.isView;
/** `%TypedArray%.prototype[@@toStringTag]`: the element type's name, or undefined for anything else. */
const typedArrayTag = getter<string | undefined>(TypedArrayPrototype, Symbol.toStringTag);
const typedArrayBuffer = getter<ArrayBufferLike>(TypedArrayPrototype, "buffer");
const typedArrayByteOffset = getter<number>(TypedArrayPrototype, "byteOffset");
/** The real byte length of a typed array (0 once its buffer is detached). */
export const typedArrayByteLength: (view: ArrayBufferView) => number = getter<number>(
  TypedArrayPrototype,
  "byteLength",
);
const dataViewBuffer = getter<ArrayBufferLike>(DataView.prototype, "buffer");
const dataViewByteOffset = getter<number>(DataView.prototype, "byteOffset");
const dataViewByteLength = getter<number>(DataView.prototype, "byteLength");
const arrayBufferByteLength = getter<number>(ArrayBuffer.prototype, "byteLength");
const arrayBufferDetached = getter<boolean>(ArrayBuffer.prototype, "detached");
const sharedByteLength = typeof SharedArrayBuffer === "function"
  ? getter<number>(SharedArrayBuffer.prototype, "byteLength")
  : null;
/** Immutable ArrayBuffers (a TC39 proposal) cannot be written; null where the engine has none. */
const arrayBufferImmutable = "immutable" in ArrayBuffer.prototype
  ? getter<boolean>(ArrayBuffer.prototype, "immutable")
  : null;

/** `TypedArray.prototype.set`, uncurried: copies `src` to `dst` at `offset`. */
export const setBytes: (dst: Uint8Array, src: Uint8Array, offset?: number) => void = call.bind(
  (TypedArrayPrototype as { set: (src: ArrayLike<number>, offset?: number) => void }).set,
) as (dst: Uint8Array, src: Uint8Array, offset?: number) => void;

/** Whether an ArrayBuffer (not a SharedArrayBuffer, which cannot be) is detached. */
export function detached(buffer: ArrayBufferLike): boolean {
  try {
    return arrayBufferDetached(buffer);
  } catch {
    return false; // a SharedArrayBuffer
  }
}

function immutable(buffer: ArrayBufferLike): boolean {
  if (!arrayBufferImmutable) return false;
  try {
    return arrayBufferImmutable(buffer);
  } catch {
    return false; // a SharedArrayBuffer
  }
}

function notWritable(target: unknown, why: string): TypeError {
  let what: string;
  try {
    what = typeName(target);
  } catch {
    what = typeof target; // a Proxy whose traps throw
  }
  return new TypeError(
    `readInto() argument must be read-write bytes-like object, not ${what}${why}`,
  );
}

const DETACHED = " (its ArrayBuffer is detached: a view of a closed or resized map, " +
  "or a buffer that was transferred)";
const IMMUTABLE = " (its ArrayBuffer is immutable)";

/**
 * A `Uint8Array` over exactly the bytes of `target` (any typed array, a
 * DataView, an ArrayBuffer or a SharedArrayBuffer): `target` itself when it
 * is a genuine `Uint8Array`, else a new view over its bytes. Only the
 * intrinsics captured above are used on `target`, so no code of the caller's
 * runs. Use the result only through intrinsics too ({@linkcode setBytes},
 * {@linkcode typedArrayByteLength}): it may be the caller's object. A
 * result of 0 bytes may be a detached `Uint8Array`: see
 * {@linkcode checkAttached}.
 *
 * @throws {TypeError} anything else (CPython's "readinto() argument must be
 *   read-write bytes-like object"), a detached buffer, an immutable one
 */
export function writableBytes(target: unknown): Uint8Array {
  if (isView(target)) {
    const tag = typedArrayTag(target);
    if (tag !== undefined) {
      const view = target as Uint8Array;
      // The common case in as few intrinsic calls as possible: a bound call
      // costs ~30 ns in JavaScriptCore. A detached Uint8Array has 0 bytes:
      // the caller asks `checkAttached` then.
      if (tag === "Uint8Array" && !arrayBufferImmutable) return view;
      const n = typedArrayByteLength(view);
      const buffer = typedArrayBuffer(view);
      if (n === 0 && detached(buffer)) throw notWritable(target, DETACHED);
      if (immutable(buffer)) throw notWritable(target, IMMUTABLE);
      if (tag === "Uint8Array") return view;
      return new U8(buffer, typedArrayByteOffset(view), n);
    }
    const dv = target as DataView;
    const buffer = dataViewBuffer(dv);
    // DataView's byteLength getter throws on a detached buffer: ask first.
    if (detached(buffer)) throw notWritable(target, DETACHED);
    if (immutable(buffer)) throw notWritable(target, IMMUTABLE);
    return new U8(buffer, dataViewByteOffset(dv), dataViewByteLength(dv));
  }
  if (target !== null && typeof target === "object") {
    let n = -1;
    try {
      n = arrayBufferByteLength(target);
    } catch { /* not an ArrayBuffer */ }
    if (n >= 0) {
      const buffer = target as ArrayBuffer;
      if (n === 0 && detached(buffer)) throw notWritable(target, DETACHED);
      if (immutable(buffer)) throw notWritable(target, IMMUTABLE);
      return new U8(buffer, 0, n);
    }
    if (sharedByteLength) {
      try {
        n = sharedByteLength(target);
      } catch { /* not a SharedArrayBuffer */ }
      if (n >= 0) return new U8(target as SharedArrayBuffer, 0, n);
    }
  }
  throw notWritable(target, "");
}

/**
 * Throws the error {@linkcode writableBytes} gives a detached target, when
 * `view` (its result, 0 bytes long) is over a detached buffer.
 */
export function checkAttached(view: Uint8Array): void {
  if (detached(typedArrayBuffer(view))) throw notWritable(view, DETACHED);
}

/**
 * A `Uint8Array` over `[offset, offset + length)` of `buffer`, made with the
 * constructor captured at load (a replaced global `Uint8Array`, or a species
 * hook, is never consulted).
 */
export function bytesOf(buffer: ArrayBufferLike, offset: number, length: number): Uint8Array {
  return new U8(buffer, offset, length);
}

/** The buffer under a typed array this library made, read through the intrinsic getter. */
export function bufferOf(view: Uint8Array): ArrayBufferLike {
  return typedArrayBuffer(view);
}

/** The byte offset of a typed array this library made, through the intrinsic getter. */
export function byteOffsetOf(view: Uint8Array): number {
  return typedArrayByteOffset(view);
}
