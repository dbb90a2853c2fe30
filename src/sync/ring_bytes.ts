/**
 * The Ring's fast path for small messages: the length of a real Uint8Array
 * in two cheap brand checks and one read. Everything else goes through
 * `toBytes` and the engine's intrinsics (ffi/primordials.ts), so that an own
 * `length`, a getter or a patched prototype cannot make the ring copy more
 * (or fewer) bytes than the record it reserved.
 *
 * @module
 */
import { isView, Uint8ArrayCtor } from "../../ffi/primordials.ts";

/** Messages up to this long are copied by a loop (cheaper than `set` for a few bytes). */
export const SMALL = 32;

/**
 * The length of a real Uint8Array as its `length` says it, when that is a
 * small integer (0 to `SMALL`); otherwise -1. A lying `length` is harmless
 * here, because the ring then copies exactly that many elements by index,
 * and the elements of a real typed array run no user code.
 */
export function smallLength(b: unknown): number {
  if (isView(b) && b instanceof Uint8ArrayCtor) {
    const n = b.length;
    if (typeof n === "number" && n >= 0 && n <= SMALL && (n | 0) === n) return n;
  }
  return -1;
}
