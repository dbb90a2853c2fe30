/**
 * The part of `bun:ffi` that the Bun backend calls, declared here rather than
 * taken from bun-types: Deno type-checks this file too, and loading bun-types
 * for it pulled in @types/node, whose references `deno doc` cannot resolve
 * (168 warning lines per `npm run check`). The Bun suite exercises every
 * member at run time; scripts/types-check.mjs checks, with bun-types, that
 * `bun:ffi` has them.
 *
 * @module
 */

/**
 * bun:ffi type names this library uses. The `_fast` 64-bit types hand back
 * a Number whenever the value fits one; bun-types omits them, Bun takes them.
 */
export type BunFFIType = "i32" | "u32" | "i64_fast" | "u64_fast" | "ptr" | "buffer" | "void";

/** One symbol for `dlopen`. */
export interface BunFFIFunction {
  args: BunFFIType[];
  returns: BunFFIType;
}

/** An address, as bun:ffi passes pointers: a Number. */
export type BunPointer = number;

/** What the Bun backend uses of `bun:ffi`. */
export interface BunFFI {
  dlopen(path: string, symbols: Record<string, BunFFIFunction>): { symbols: object };
  read: { i32(pointer: BunPointer, offset: number): number };
  toArrayBuffer(pointer: BunPointer, offset: number, length: number): ArrayBuffer;
  ptr(data: ArrayBuffer | ArrayBufferView): BunPointer;
}

/** Loads `bun:ffi` (Bun only), never by a static import, so that Deno can load the importers. */
export function loadBunFFI(): BunFFI {
  return (import.meta as unknown as { require(id: string): BunFFI }).require("bun:ffi");
}
