/**
 * What counts as bytes: any typed array, DataView or ArrayBuffer (as the
 * bytes it covers), or a string (as UTF-8).
 *
 * @module
 */
import { typeName } from "./args.ts";

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

const encoder = new TextEncoder();

/** The bytes of `data` without copying, except for strings (encoded as UTF-8). */
export function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") return encoder.encode(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (data instanceof ArrayBuffer || isSharedArrayBuffer(data)) {
    return new Uint8Array(data as ArrayBufferLike);
  }
  throw new TypeError(`a bytes-like object is required, not '${typeName(data)}'`);
}

/** A needle as bytes: byte values 0-255 (Numbers or BigInts) become one byte. */
export function toNeedle(sub: unknown): Uint8Array {
  if (typeof sub === "number" || typeof sub === "bigint") {
    if (typeof sub === "number" && !Number.isInteger(sub)) {
      throw new TypeError(`a byte value must be an integer, not ${sub}`);
    }
    if (sub < 0 || sub > 255) throw new RangeError("byte must be in range(0, 256)");
    return Uint8Array.of(Number(sub));
  }
  return toBytes(sub);
}

function isSharedArrayBuffer(x: unknown): boolean {
  return typeof SharedArrayBuffer !== "undefined" && x instanceof SharedArrayBuffer;
}
