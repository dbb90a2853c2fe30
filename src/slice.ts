/**
 * Python's slice arithmetic (`PySlice_Unpack` and `PySlice_AdjustIndices`):
 * negative indices count from the end, out-of-range bounds are clamped (even
 * beyond 64 bits), and an omitted bound depends on the direction of the step.
 *
 * @module
 */
import { isSafeInteger, mathFloor } from "../ffi/primordials.ts";
import { toSliceIndex } from "./args.ts";

/** A slice resolved against a length: `count` indices from `start` by `step`. */
export interface Slice {
  start: number;
  step: number;
  count: number;
}

/** Resolves `[start:stop:step]` for a sequence of `length` items. */
export function resolveSlice(
  length: number,
  start?: unknown,
  stop?: unknown,
  step?: unknown,
): Slice {
  const s = toSliceIndex(step, "step") ?? 1;
  if (s === 0) throw new RangeError("slice step cannot be zero");
  const back = s < 0;
  const clamp = (value: number | undefined, omitted: number): number => {
    if (value === undefined) return omitted;
    if (value < 0) {
      value += length;
      if (value < 0) return back ? -1 : 0;
      return value;
    }
    return value >= length ? (back ? length - 1 : length) : value;
  };
  const a = clamp(toSliceIndex(start, "start"), back ? length - 1 : 0);
  const b = clamp(toSliceIndex(stop, "stop"), back ? -1 : length);
  let count = 0;
  if (back) {
    if (b < a) count = mathFloor((a - b - 1) / -s) + 1;
  } else if (a < b) {
    count = mathFloor((b - a - 1) / s) + 1;
  }
  return { start: a, step: s, count };
}

/**
 * Clamps `start`/`end` the way `bytes.find` does: negatives count from the
 * end, then both are limited to `[0, length]`.
 */
export function clampRange(length: number, start: number, end: number): [number, number] {
  const fix = (i: number): number => {
    if (i < 0) i += length;
    return i < 0 ? 0 : i > length ? length : i;
  };
  return [fix(start), fix(end)];
}

/**
 * A bound of a slice with no step (`m[start:stop]`), when it is omitted or a
 * safe integer: clamped to `[0, length]` after counting a negative one from
 * the end; -1 for anything else, which `resolveSlice` must then judge. The
 * common case without the general path's allocations.
 */
export function plainBound(value: unknown, omitted: number, length: number): number {
  if (value === undefined || value === null) return omitted;
  if (typeof value !== "number" || !isSafeInteger(value)) return -1;
  if (value < 0) return value + length < 0 ? 0 : value + length;
  return value > length ? length : value;
}
