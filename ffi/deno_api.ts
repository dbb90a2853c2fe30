/**
 * The part of Deno's API that the Deno backend calls, declared here rather
 * than taken from Deno's global types: the package ships `.ts` sources, so a
 * Bun user's `tsc` (which has no `Deno` namespace) type-checks this file too.
 * `tests/deno_api_test.ts` checks, under `deno check`, that Deno's own
 * declarations satisfy these.
 *
 * @module
 */

/** Deno's FFI parameter types that the libc table uses. */
export type DenoNativeType =
  | "i32"
  | "u32"
  | "i64"
  | "u64"
  | "usize"
  | "isize"
  | "buffer"
  | "pointer";

/** One symbol for `Deno.dlopen`. */
export interface DenoForeignFunction {
  name?: string;
  parameters: DenoNativeType[];
  result: DenoNativeType | "void";
  optional?: boolean;
  nonblocking?: boolean;
}

/** `Deno.PointerObject`: an opaque pointer. */
export type DenoPointer = object;

/** What the Deno backend uses of the `Deno` global. */
export interface DenoApi {
  dlopen(path: string, symbols: Record<string, DenoForeignFunction>): { symbols: object };
  UnsafePointer: {
    create(value: bigint): DenoPointer | null;
    of(data: ArrayBuffer | ArrayBufferView): DenoPointer | null;
    value(pointer: DenoPointer | null): number | bigint;
  };
  UnsafePointerView: {
    new (pointer: DenoPointer): { getInt32(offset?: number): number };
    getArrayBuffer(pointer: DenoPointer, length: number): ArrayBuffer;
  };
  permissions: {
    querySync(descriptor: { name: "read" | "write"; path?: string }): {
      state: string;
      partial?: boolean;
    };
  };
  errors: { NotCapable: new (message: string) => Error };
}

/** The `Deno` global, typed as {@link DenoApi}; only called when running in Deno. */
export function denoApi(): DenoApi {
  return (globalThis as unknown as { Deno: DenoApi }).Deno;
}
