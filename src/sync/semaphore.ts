/**
 * `Semaphore`: a counting semaphore that lives in 8 bytes of a map.
 *
 * Word 0 holds the count plus one, so that 0 means "never set up" and the
 * first `new Semaphore` can set the initial count with one compare-and-swap
 * (later ones see it is set and leave it). Word 1 counts sleepers, so that
 * `release` calls futex(2) only when someone sleeps.
 *
 * @module
 */
import { futexWake } from "../../ffi/futex.ts";
import {
  atomics,
  mathMax,
  mathMin,
  promiseReject,
  promiseResolve,
  typedArrayLength,
} from "../../ffi/primordials.ts";
import { toInt } from "../args.ts";
import type { MMap } from "../mmap.ts";
import {
  ASYNC_SLICE_MS,
  checkIntact,
  checkOpen,
  deadline,
  liveWords,
  now,
  runAsync,
  runBlocking,
  SPIN_TRIES,
  type Steps,
  wordsOf,
} from "./steps.ts";

const MAX = 0x7ffffffe;

/**
 * A counting semaphore stored in {@linkcode Semaphore.BYTES} bytes of a map,
 * shared by every process and Worker that maps the same memory: `acquire`
 * takes one unit, sleeping while there is none; `release` gives units back
 * and wakes sleepers.
 *
 * A semaphore has no owner, so nothing is given back for a process that
 * dies between `acquire` and `release`.
 *
 * @example Bound how many processes do something at once
 * ```ts
 * import { MMap, Semaphore } from "@seed/mmap";
 * using m = MMap.shared("slots", 4096, { create: true });
 * const slots = new Semaphore(m, 0, 3);
 * if (slots.acquire(5000)) {
 *   try {
 *     // at most 3 processes are here at once
 *   } finally {
 *     slots.release();
 *   }
 * }
 * MMap.unlinkShared("slots");
 * ```
 */
export class Semaphore {
  /**
   * Bytes a semaphore takes in the map (two Int32 words).
   *
   * @example
   * ```ts
   * import { Semaphore } from "@seed/mmap";
   * console.log(Semaphore.BYTES); // 8
   * ```
   */
  static readonly BYTES = 8;
  /**
   * The largest count a semaphore holds.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@seed/mmap";
   * console.log(Semaphore.MAX); // 2147483646
   * ```
   */
  static readonly MAX: number = MAX;
  #words: Int32Array;
  readonly #initial: number;
  readonly #map: MMap;
  readonly #offset: number;

  /**
   * The semaphore stored at `byteOffset` of `map`. If that memory is still
   * zero (never used), its count is set to `initial`; otherwise `initial` is
   * ignored, so every process can pass the same value safely.
   *
   * @param map a map that every user maps (writable and shared)
   * @param byteOffset where the 8 bytes start: a multiple of 4
   * @param initial the count of a fresh semaphore (default 0)
   * @throws {RangeError} a misaligned offset, bytes outside the map, or
   *   `initial` outside 0 to `Semaphore.MAX`
   *
   * @example
   * ```ts
   * import { MMap, Semaphore } from "@seed/mmap";
   * using m = MMap.shared("queue", 4096, { create: true });
   * const free = new Semaphore(m, 0, 64);
   * const used = new Semaphore(m, Semaphore.BYTES);
   * console.log(free.value, used.value); // 64 0, on a fresh region
   * MMap.unlinkShared("queue");
   * ```
   */
  constructor(map: MMap, byteOffset: number, initial: number = 0) {
    const n = toInt(initial, "initial");
    if (n < 0 || n > MAX) {
      throw new RangeError(`Semaphore: initial must be 0 to ${MAX}, not ${n}`);
    }
    const { words, offset } = wordsOf(map, byteOffset, 2, "Semaphore");
    this.#words = words;
    this.#map = map;
    this.#offset = offset;
    this.#initial = n;
    atomics.compareExchange(this.#words, 0, 0, n + 1);
  }

  /**
   * The count now (it may change at once).
   *
   * @example
   * ```ts
   * import { MMap, Semaphore } from "@seed/mmap";
   * using m = MMap.anonymous(8);
   * console.log(new Semaphore(m, 0, 2).value); // 2
   * ```
   */
  get value(): number {
    return mathMax(this.#load() - 1, 0);
  }

  /**
   * Takes one unit if there is one, without waiting.
   *
   * @returns true when a unit was taken
   *
   * @example
   * ```ts
   * import { MMap, Semaphore } from "@seed/mmap";
   * using m = MMap.anonymous(8);
   * const s = new Semaphore(m, 0, 1);
   * console.log(s.tryAcquire(), s.tryAcquire()); // true false
   * ```
   */
  tryAcquire(): boolean {
    for (;;) {
      const s = this.#load();
      if (s <= 1) return false;
      if (atomics.compareExchange(this.#words, 0, s, s - 1) === s) return true;
    }
  }

  /**
   * Takes one unit, sleeping until there is one or `timeoutMs` passes.
   * Blocks the calling thread; see {@linkcode Semaphore.acquireAsync}.
   *
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns true when a unit was taken, false when the time ran out
   *
   * @example
   * ```ts
   * import { MMap, Semaphore } from "@seed/mmap";
   * using m = MMap.anonymous(8);
   * const s = new Semaphore(m, 0);
   * console.log(s.acquire(10)); // false: nobody released
   * ```
   */
  acquire(timeoutMs?: number): boolean {
    checkOpen(this.#map);
    const end = deadline(timeoutMs, "Semaphore.acquire");
    return this.tryAcquire() || runBlocking(this.#acquireSteps(end, Infinity));
  }

  /**
   * {@linkcode Semaphore.acquire} without blocking the event loop (the sleep
   * happens on another thread).
   *
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns a Promise: true when a unit was taken, false when the time ran out
   *
   * @example
   * ```ts
   * import { MMap, Semaphore } from "@seed/mmap";
   * using m = MMap.anonymous(8);
   * const s = new Semaphore(m, 0);
   * setTimeout(() => s.release(), 10);
   * console.log(await s.acquireAsync(1000)); // true
   * ```
   */
  acquireAsync(timeoutMs?: number): Promise<boolean> {
    try {
      checkOpen(this.#map);
      const end = deadline(timeoutMs, "Semaphore.acquireAsync");
      return this.tryAcquire()
        ? promiseResolve(true)
        : runAsync(this.#acquireSteps(end, ASYNC_SLICE_MS));
    } catch (e) {
      return promiseReject(e);
    }
  }

  /**
   * Gives back `n` units, waking up to `n` sleepers.
   *
   * @param n units to give back (default 1)
   * @throws {RangeError} `n` below 1, or a count beyond `Semaphore.MAX`
   *
   * @example
   * ```ts
   * import { MMap, Semaphore } from "@seed/mmap";
   * using m = MMap.anonymous(8);
   * const s = new Semaphore(m, 0);
   * s.release(3);
   * console.log(s.value); // 3
   * ```
   */
  release(n: number = 1): void {
    checkOpen(this.#map);
    const count = toInt(n, "n");
    if (count < 1) throw new RangeError(`Semaphore.release: n must be 1 or more, not ${count}`);
    for (;;) {
      const s = this.#load();
      if (s - 1 > MAX - count) {
        throw new RangeError(
          `Semaphore.release: ${s - 1} + ${count} is more than the largest count (${MAX})`,
        );
      }
      if (atomics.compareExchange(this.#words, 0, s, s + count) === s) break;
    }
    const w = this.#words;
    if (atomics.load(w, 1) > 0) futexWake(w, 0, count);
  }

  /**
   * Word 0, set up first if it is still zero; the closed-map `TypeError`
   * once closed. The words are cut again here after a resize detached them.
   */
  #load(): number {
    const w = this.#words = liveWords(this.#map, this.#words, this.#offset);
    const s = atomics.load(w, 0);
    if (s !== 0) return s;
    // A word of 0 is a fresh region (initialised here), or a page its file lost.
    checkIntact(this.#map);
    atomics.compareExchange(w, 0, 0, this.#initial + 1);
    return atomics.load(w, 0);
  }

  /** The algorithm; each sleep at most `slice` ms (a closed map is seen by the next `tryAcquire`). */
  *#acquireSteps(end: number, slice: number): Steps<boolean> {
    for (let i = 0; i < SPIN_TRIES; i++) if (this.tryAcquire()) return true;
    // The words as `tryAcquire` last cut them (a resize meanwhile cuts them again).
    atomics.add(this.#words, 1, 1);
    try {
      for (;;) {
        if (this.tryAcquire()) return true;
        const left = end - now();
        if (left <= 0) return false;
        // Sleep while the count is 0 (stored as 1), or while the word holds
        // whatever else made `tryAcquire` fail: a word below 1 (overwritten
        // by a stray store, here or in another process) never equals 1, and
        // a sleep expecting 1 returned at once, a busy loop for the whole
        // timeout (without one, forever).
        const seen = atomics.load(this.#words, 0);
        if (seen > 1) continue;
        yield { view: this.#words, index: 0, expected: seen, ms: mathMin(left, slice) };
      }
    } finally {
      // A map closed meanwhile has no words left to count in (nor one that shrank below them).
      if (typedArrayLength(this.#words) !== 0) atomics.sub(this.#words, 1, 1);
    }
  }
}
