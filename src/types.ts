/**
 * Types that `MMap` (src/mmap.ts) and `MMapConcat` (src/concat.ts) both
 * take, in a module of their own so that neither imports the other for them.
 *
 * @module
 */
/**
 * Options of {@linkcode MMap.flush} beyond CPython 3.13's.
 *
 * @example
 * ```ts
 * import { MMap } from "@seed/mmap";
 * using m = MMap.anonymous(4096);
 * m.flush(0, 4096, { async: true, invalidate: true });
 * ```
 */
export interface FlushOptions {
  /** Schedule the write-back and return at once (`MS_ASYNC`). */
  async?: boolean;
  /** Also invalidate other mappings of the file (`MS_INVALIDATE`). */
  invalidate?: boolean;
}

/**
 * A typed-array constructor that {@linkcode MMap.view} accepts.
 *
 * @example
 * ```ts
 * import { MMap } from "@seed/mmap";
 * using m = MMap.anonymous(64);
 * const words = m.view(BigUint64Array, 8, 2);
 * ```
 */
export type TypedArrayConstructor<T> = {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): T;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};
