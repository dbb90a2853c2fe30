/**
 * `wait` and `notify` on one Int32 word of shared memory: `Atomics.wait` and
 * `Atomics.notify` for maps, which are not SharedArrayBuffers, across
 * processes, on futex(2).
 *
 * @module
 */
import { futexWake } from "../../ffi/futex.ts";
import { toInt, typeName } from "../args.ts";
import { ASYNC_SLICE_MS, deadline, now, runAsync, runBlocking, type Steps } from "./steps.ts";
import {
  arrayBufferDetached,
  atomics,
  isSharedArrayBuffer,
  mathMin,
  typedArrayBuffer,
  typedArrayKind,
  typedArrayLength,
} from "../../ffi/primordials.ts";
import { isSharedMapBuffer } from "../views.ts";

/**
 * How a {@linkcode wait} ended, as `Atomics.wait` says it.
 *
 * @example
 * ```ts
 * import { MMap, wait } from "@seed/mmap";
 * using m = MMap.anonymous(4096);
 * const cell = m.view(Int32Array, 0, 1);
 * console.log(wait(cell, 0, 1, 10)); // "not-equal": the cell holds 0
 * console.log(wait(cell, 0, 0, 10)); // "timed-out" after 10 ms
 * ```
 */
export type WaitResult = "ok" | "not-equal" | "timed-out";

function checkWord(view: unknown, index: unknown, what: string): number {
  if (typedArrayKind(view) !== "Int32Array") {
    throw new TypeError(`${what}: view must be an Int32Array, not ${typeName(view)}`);
  }
  const buffer = typedArrayBuffer(view);
  if (isSharedArrayBuffer(buffer)) {
    // Shared between this process's threads: futex(2) serves them too.
  } else if (arrayBufferDetached(buffer as ArrayBuffer)) {
    throw new TypeError("mmap closed or invalid");
  } else if (!isSharedMapBuffer(buffer)) {
    throw new TypeError(
      `${what} needs memory that every process and Worker using it shares, and this view's is ` +
        "private (a view of a read or copy map, of { shared: false } anonymous memory, or of " +
        'an ordinary ArrayBuffer). Use a view of MMap.shared(name, length), MMap.open(path, { access: "write" }) ' +
        "or MMap.anonymous(length); between threads of one process, a SharedArrayBuffer",
    );
  }
  const i = toInt(index, "index");
  const length = typedArrayLength(view);
  if (i < 0 || i >= length) {
    throw new RangeError(`${what}: index ${i} is outside the view (0 to ${length - 1})`);
  }
  return i;
}

function toInt32(value: unknown, name: string): number {
  const n = toInt(value, name);
  if (n < -(2 ** 31) || n >= 2 ** 32) {
    throw new RangeError(`${name} must fit in 32 bits, not ${n}`);
  }
  return n | 0;
}

function* waitSteps(
  view: Int32Array,
  index: number,
  expected: number,
  end: number,
  slice: number,
): Steps<WaitResult> {
  if (atomics.load(view, index) !== expected) return "not-equal";
  let slept = false;
  for (;;) {
    const left = end - now();
    if (left <= 0) return "timed-out";
    // The next sleep throws the closed-map TypeError once the map is closed.
    const outcome = yield { view, index, expected, ms: mathMin(left, slice) };
    // The value changed while this waiter slept (between two sleeps, or
    // after a signal): it was woken, as `Atomics.wait` would say.
    if (outcome === "not-equal") return slept ? "ok" : outcome;
    if (outcome === "ok") return outcome;
    // A signal, or the end of a slice, cut the sleep short: sleep again for what is left.
    slept = true;
  }
}

/**
 * Sleeps while `view[index]` is `expected`, until {@linkcode notify} wakes it
 * or `timeoutMs` passes: `Atomics.wait` for a view of a map, across
 * processes and Workers. Blocks the calling thread (the main thread too); see
 * {@linkcode waitAsync} for the form that does not.
 *
 * `view` should be a view of an `MMap` (or of other memory the collector
 * never moves). The word is compared and the sleep begins atomically in the
 * kernel, so a `notify` after the value changed is never lost.
 *
 * @param view an Int32Array over the map
 * @param index which element
 * @param expected sleep only while the element holds this value
 * @param timeoutMs give up after this many milliseconds (default: never)
 * @returns `"not-equal"` when the value differed at once, `"ok"` when woken,
 *   `"timed-out"`
 * @throws {RangeError} an index outside the view, a negative timeout
 * @throws {TypeError} not an Int32Array, or a view of a closed map
 *
 * @example Wait for another process to set a flag
 * ```ts
 * import { MMap, wait } from "@seed/mmap";
 * using m = MMap.shared("flags", 4096, { create: true });
 * const words = m.view(Int32Array);
 * if (wait(words, 0, 0, 1000) === "timed-out") console.log("nobody came");
 * MMap.unlinkShared("flags");
 * ```
 */
export function wait(
  view: Int32Array,
  index: number,
  expected: number,
  timeoutMs?: number,
): WaitResult {
  const i = checkWord(view, index, "wait");
  const value = toInt32(expected, "expected");
  return runBlocking(waitSteps(view, i, value, deadline(timeoutMs, "wait"), Infinity));
}

/**
 * {@linkcode wait} without blocking the event loop: the sleep happens on
 * another thread (Deno: a nonblocking FFI call; Bun: a helper Worker).
 *
 * @param view an Int32Array over the map
 * @param index which element
 * @param expected sleep only while the element holds this value
 * @param timeoutMs give up after this many milliseconds (default: never)
 * @returns a Promise of `"not-equal"`, `"ok"` or `"timed-out"`
 * @throws {RangeError} an index outside the view, a negative timeout
 * @throws {TypeError} not an Int32Array, or a view of a closed map
 *
 * @example
 * ```ts
 * import { MMap, waitAsync } from "@seed/mmap";
 * using m = MMap.shared("flags", 4096, { create: true });
 * const result = await waitAsync(m.view(Int32Array), 0, 0, 100);
 * console.log(result); // "timed-out", unless someone notified
 * MMap.unlinkShared("flags");
 * ```
 */
export function waitAsync(
  view: Int32Array,
  index: number,
  expected: number,
  timeoutMs?: number,
): Promise<WaitResult> {
  const i = checkWord(view, index, "waitAsync");
  const value = toInt32(expected, "expected");
  return runAsync(
    waitSteps(view, i, value, deadline(timeoutMs, "waitAsync"), ASYNC_SLICE_MS),
  );
}

/**
 * Wakes up to `count` waiters (default: all) sleeping in {@linkcode wait} or
 * {@linkcode waitAsync} on `view[index]`, in any process: `Atomics.notify`
 * for maps. Change the value first, then notify.
 *
 * @param view an Int32Array over the map
 * @param index which element
 * @param count how many to wake; omitted: all
 * @returns how many were woken
 * @throws {RangeError} an index outside the view, a negative count
 *
 * @example Set a flag and wake whoever waits for it
 * ```ts
 * import { MMap, notify } from "@seed/mmap";
 * using m = MMap.shared("flags", 4096, { create: true });
 * const words = m.view(Int32Array);
 * Atomics.store(words, 0, 1);
 * notify(words, 0);
 * MMap.unlinkShared("flags");
 * ```
 */
export function notify(view: Int32Array, index: number, count?: number): number {
  const i = checkWord(view, index, "notify");
  if (count === undefined || count === Infinity) return futexWake(view, i);
  // As Infinity is taken for "all", -Infinity is a negative count: the
  // documented RangeError, not toInt's TypeError for a non-integer.
  const n = count === -Infinity ? count : toInt(count, "count");
  if (n < 0) throw new RangeError(`notify: count must be 0 or more, not ${n}`);
  return n === 0 ? 0 : futexWake(view, i, n);
}
