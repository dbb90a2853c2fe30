/**
 * What counts as bytes: any typed array, DataView or ArrayBuffer (as the
 * bytes it covers), or a string (as UTF-8).
 *
 * @module
 */
import {
  byteArray,
  dataViewBuffer,
  dataViewByteLength,
  dataViewByteOffset,
  encodeUtf8,
  getPrototypeOf,
  isArrayBuffer,
  isInteger,
  isSharedArrayBuffer,
  isView,
  NumberCtor,
  typedArrayBuffer,
  typedArrayByteLength,
  typedArrayByteOffset,
  typedArrayKind,
  Uint8ArrayCtor,
  Uint8ArrayPrototype,
} from "../ffi/primordials.ts";
import { typeName } from "./args.ts";
import { goneWhy } from "./byte_views.ts";

/**
 * Anything a method accepts where CPython takes a bytes-like object.
 *
 * @example
 * ```ts
 * import { MMap } from "@seed/mmap";
 * using m = MMap.anonymous(16);
 * m.write("text"); // UTF-8
 * m.write(new Uint16Array([1])); // its 2 bytes
 * m.write(new ArrayBuffer(2));
 * ```
 */
export type BytesLike = string | ArrayBufferView | ArrayBufferLike;

/**
 * A search needle: bytes, a UTF-8 string, or one byte value (0-255).
 *
 * @example
 * ```ts
 * import { MMap } from "@seed/mmap";
 * using m = MMap.anonymous(8);
 * m.write("a\nb");
 * console.log(m.find("b", 0), m.find(10, 0), m.find(new Uint8Array([98]), 0)); // 2 1 2
 * ```
 */
export type Needle = BytesLike | number;

/**
 * The bytes of `data` without copying, except for strings (encoded as UTF-8).
 *
 * Everything is read through the engine's intrinsics (ffi/primordials.ts):
 * a typed array's own `length`, a subclass's getters, a patched prototype or
 * a Proxy never decide how many bytes are read. A `Uint8Array` (by its
 * prototype: one check, on the hot path) comes back as it is, and callers
 * take its length with `byteLength()`, never from its properties; anything
 * else gets a fresh `Uint8Array` over exactly the bytes it covers.
 */
export function toBytes(data: unknown): Uint8Array {
  if (typeof data === "string") return encodeUtf8(data);
  if (typeof data !== "object" || data === null) throw notBytes(data);
  // The brand check first: a Proxy's getPrototypeOf trap would run user code.
  const kind = typedArrayKind(data);
  if (kind === "Uint8Array" && getPrototypeOf(data) === Uint8ArrayPrototype) {
    // A detached view says it has 0 bytes, and 0 bytes are found everywhere:
    // find() answered the start of its range and count() the range's length
    // + 1 for a view of a closed map or of a transferred buffer. (The other
    // forms below meet the engine's own TypeError in the constructor.)
    if (typedArrayByteLength(data) === 0) {
      const why = goneWhy(data);
      if (why) throw notBytes(data, why);
    }
    return data as Uint8Array;
  }
  if (kind !== undefined) {
    return new Uint8ArrayCtor(
      typedArrayBuffer(data),
      typedArrayByteOffset(data),
      typedArrayByteLength(data),
    );
  }
  if (isView(data)) {
    // Not a typed array, so a DataView.
    return new Uint8ArrayCtor(
      dataViewBuffer(data),
      dataViewByteOffset(data),
      dataViewByteLength(data),
    );
  }
  if (isArrayBuffer(data) || isSharedArrayBuffer(data)) return new Uint8ArrayCtor(data);
  throw notBytes(data);
}

function notBytes(data: unknown, why = ""): TypeError {
  return new TypeError(`a bytes-like object is required, not '${typeName(data)}'${why}`);
}

/** A needle as bytes: byte values 0-255 (Numbers or BigInts) become one byte. */
export function toNeedle(sub: unknown): Uint8Array {
  if (typeof sub === "number" || typeof sub === "bigint") {
    if (typeof sub === "number" && !isInteger(sub)) {
      throw new TypeError(`a byte value must be an integer, not ${sub}`);
    }
    if (sub < 0 || sub > 255) throw new RangeError("byte must be in range(0, 256)");
    return byteArray(NumberCtor(sub));
  }
  return toBytes(sub);
}

/** The true length in bytes of a typed array, whatever its properties say. */
export const byteLength: (bytes: Uint8Array) => number = typedArrayByteLength;
