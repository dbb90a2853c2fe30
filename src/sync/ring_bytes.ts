/**
 * Messages as the Ring takes them: the length of a user's bytes read once,
 * through the engine's own getters captured at load, so that an own
 * `length` property, a getter or a patched prototype cannot make the ring
 * copy more (or fewer) bytes than the record it reserved.
 *
 * @module
 */
import { typeName } from "../args.ts";

const TypedArray = Object.getPrototypeOf(Uint8Array.prototype);
const uncurry = <A extends unknown[], R>(f: (...args: A) => R) =>
  Function.prototype.call.bind(f) as unknown as (self: unknown, ...args: A) => R;
const getter = (o: object, key: PropertyKey) => Object.getOwnPropertyDescriptor(o, key)!.get!;

/** `%TypedArray%.prototype[Symbol.toStringTag]`: "Uint8Array" for a real one, else undefined. */
export const tagOf = uncurry(getter(TypedArray, Symbol.toStringTag)) as (
  x: unknown,
) => string | undefined;
/** A real typed array's own length (throws TypeError for anything else). */
export const lengthOf = uncurry(getter(TypedArray, "length")) as (x: Uint8Array) => number;
const byteLengthOf = uncurry(getter(TypedArray, "byteLength")) as (x: ArrayBufferView) => number;
const byteOffsetOf = uncurry(getter(TypedArray, "byteOffset")) as (x: ArrayBufferView) => number;
const bufferOf = uncurry(getter(TypedArray, "buffer")) as (x: ArrayBufferView) => ArrayBufferLike;
const viewByteLength = uncurry(getter(DataView.prototype, "byteLength")) as (x: DataView) => number;
const viewByteOffset = uncurry(getter(DataView.prototype, "byteOffset")) as (x: DataView) => number;
const viewBuffer = uncurry(getter(DataView.prototype, "buffer")) as (
  x: DataView,
) => ArrayBufferLike;
const arrayBufferLength = uncurry(getter(ArrayBuffer.prototype, "byteLength")) as (
  x: ArrayBuffer,
) => number;
/** `%TypedArray%.prototype.set`, whatever the program did to the prototype since. */
export const copyInto = uncurry(TypedArray.set) as (
  target: Uint8Array,
  source: Uint8Array,
  offset: number,
) => void;
const U8 = Uint8Array;
const isView = ArrayBuffer.isView;
const encoder = new TextEncoder();

/** Messages up to this long are copied by a loop (cheaper than `set` for a few bytes). */
export const SMALL = 32;

/**
 * The length of a real Uint8Array as its `length` says it, when that is a
 * small integer (0 to `SMALL`); otherwise -1. The fast path of the ring:
 * two cheap brand checks and one read. A lying `length` is harmless there,
 * because the ring copies exactly that many elements by index, and the
 * elements of a real typed array run no user code.
 */
export function smallLength(b: unknown): number {
  if (isView(b) && b instanceof U8) {
    const n = b.length;
    if (typeof n === "number" && n >= 0 && n <= SMALL && (n | 0) === n) return n;
  }
  return -1;
}

/**
 * `data` as a real Uint8Array over the same bytes (a string as UTF-8): any
 * typed array, DataView or ArrayBuffer. A Uint8Array is returned as it is.
 */
export function messageBytes(data: unknown, what: string): Uint8Array {
  const tag = tagOf(data);
  if (tag === "Uint8Array") return data as Uint8Array;
  if (tag !== undefined) {
    const v = data as ArrayBufferView;
    return new U8(bufferOf(v), byteOffsetOf(v), byteLengthOf(v));
  }
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof DataView) {
    return new U8(viewBuffer(data), viewByteOffset(data), viewByteLength(data));
  }
  if (data instanceof ArrayBuffer) return new U8(data, 0, arrayBufferLength(data));
  throw new TypeError(`${what}: a message must be bytes (a Uint8Array), not ${typeName(data)}`);
}
