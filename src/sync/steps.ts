/**
 * What the lock algorithms share: their words inside a map, timeouts, their
 * errors, and one algorithm written once for both the blocking and the async
 * form.
 *
 * An algorithm is a generator that yields each time it wants to sleep (while
 * a word still holds a value, for at most some milliseconds) and is resumed
 * with how the sleep ended. `runBlocking` sleeps in `futex(2)` on this
 * thread; `runAsync` sleeps on another thread and awaits it.
 *
 * @module
 */
import {
  type FutexOutcome,
  futexWait,
  futexWaitAsync,
  futexWaitAt,
  futexWaitAtAsync,
  requireLocks,
} from "../../ffi/futex.ts";
import { brandName, toInt, typeName } from "../args.ts";
import { errnoValue, MMapOSError } from "../../ffi/errors.ts";
import { ACCESS_COPY, ACCESS_READ } from "../constants.ts";
import { CLOSED } from "../cursor.ts";
import { fileOfMap, isMMap, isSharedMap, type MMap, privateWindow, settleFaults } from "../mmap.ts";
import { Int32ArrayCtor, monotonicNow, typedArrayLength } from "../../ffi/primordials.ts";

/** A request to sleep while `view[index] === expected`, at most `ms` (`Infinity`: no limit). */
export interface Sleep {
  view: Int32Array;
  index: number;
  expected: number;
  ms: number;
  /** The word's address (`wordAddress`), when the caller keeps it. */
  at?: number;
}

/** An algorithm: yields sleeps, is resumed with their outcome, returns `T`. */
export type Steps<T> = Generator<Sleep, T, FutexOutcome>;

/** Runs `steps`, sleeping on this thread. */
export function runBlocking<T>(steps: Steps<T>): T {
  let step = steps.next();
  while (!step.done) {
    const { view, index, expected, ms, at } = step.value;
    let outcome: FutexOutcome;
    try {
      outcome = at === undefined
        ? futexWait(view, index, expected, ms)
        : futexWaitAt(view, at, expected, ms);
    } catch (e) {
      step = steps.throw(e);
      continue;
    }
    step = steps.next(outcome);
  }
  return step.value;
}

/** Runs `steps`, sleeping on another thread, so the event loop goes on. */
export async function runAsync<T>(steps: Steps<T>): Promise<T> {
  let step = steps.next();
  while (!step.done) {
    const { view, index, expected, ms, at } = step.value;
    let outcome: FutexOutcome;
    try {
      outcome = await (at === undefined
        ? futexWaitAsync(view, index, expected, ms)
        : futexWaitAtAsync(view, index, at, expected, ms));
    } catch (e) {
      step = steps.throw(e);
      continue;
    }
    step = steps.next(outcome);
  }
  return step.value;
}

/**
 * How many times a locker retries before its first sleep. A few
 * microseconds of retrying save a sleep and a wake-up (two system calls and
 * two context switches) whenever the other side is running on another core
 * and about to let go: it doubled the ring buffer's messages per second here.
 * It is bounded, and the wait itself is always a futex sleep, never a loop.
 */
export const SPIN_TRIES = 128;

/**
 * The longest one sleep of an async wait (`waitAsync`, `acquireAsync`)
 * lasts before it looks again. Its sleep runs on another thread, in the
 * kernel, where nothing this thread does can reach it: a map closed under a
 * sleep with no timeout left it asleep on memory that was gone, its promise
 * pending and the process unable to exit. The Mutex and the Ring wake as
 * often for their owner checks.
 */
export const ASYNC_SLICE_MS = 100;

/** Milliseconds on a monotonic clock. */
export const now: () => number = monotonicNow;

/**
 * The time by which a wait of `timeoutMs` must end: `Infinity` when it is
 * omitted. `timeoutMs` may be `Infinity`; negative or NaN is a `RangeError`.
 */
export function deadline(timeoutMs: unknown, what: string): number {
  if (timeoutMs === undefined) return Infinity;
  if (typeof timeoutMs !== "number") {
    throw new TypeError(`${what}: timeoutMs must be a number, not ${typeName(timeoutMs)}`);
  }
  if (!(timeoutMs >= 0)) {
    throw new RangeError(`${what}: timeoutMs must be 0 or more, not ${timeoutMs}`);
  }
  return now() + timeoutMs;
}

/**
 * `count` Int32 words of `map` from `byteOffset`, for a lock that lives
 * there. The offset must be a multiple of 4 and the words inside the map.
 */
export function wordsOf(
  given: unknown,
  byteOffset: unknown,
  count: number,
  what: string,
): { words: Int32Array; offset: number } {
  // By its private state, as the Ring checks: a Proxy of an MMap, or an
  // object that an `MMap[Symbol.hasInstance]` lets through, is no map.
  if (!isMMap(given)) {
    throw new TypeError(`${what}: map must be an MMap, not ${brandName(given)}`);
  }
  const map = given as MMap;
  requireLocks(what);
  const offset = toInt(byteOffset, "byteOffset");
  const bytes = count * 4;
  if (offset % 4 !== 0) {
    throw new RangeError(`${what}: byteOffset must be a multiple of 4, not ${offset}`);
  }
  if (offset < 0 || offset + bytes > map.length) {
    throw new RangeError(
      `${what} needs ${bytes} bytes at byteOffset ${offset}, outside the map (${map.length} bytes)`,
    );
  }
  requireShared(map, what);
  // A buffer of the library's own, as the Ring's: `map.view` is a property a
  // program can replace (an own `view` on the map handed back an ordinary
  // ArrayBuffer, and the lock locked nothing across processes), and the
  // views it hands out can be moved away (`m.bytes.buffer.transfer()`, a
  // byte stream's `enqueue`), which detached the lock's words under a held
  // lock: its holder could no longer unlock it, and everyone else waited.
  // The offset goes back with the words, read once: `liveWords` cuts them
  // again there after a resize.
  return { words: new Int32ArrayCtor(privateWindow(map, offset, bytes)), offset };
}

/**
 * A lock's words, cut again when `resize()` detached them (it detaches every
 * buffer over the map, the lock's own too): a lock held across a resize of
 * its map could otherwise never be unlocked, and every other process waited
 * for it. Throws the closed-map `TypeError` once the map is closed, and the
 * `RangeError` of a map that shrank below the words.
 */
export function liveWords(map: MMap, words: Int32Array, byteOffset: number): Int32Array {
  checkOpen(map);
  if (typedArrayLength(words) !== 0) return words;
  return new Int32ArrayCtor(privateWindow(map, byteOffset, LOCK_BYTES));
}

/** Bytes of a Mutex's or a Semaphore's words. */
const LOCK_BYTES = 8;

/**
 * Refuses a map whose memory is private to this process (read or copy
 * access, `shared: false` anonymous memory, `MAP_PRIVATE`): a lock there
 * locks one process's copy, and two processes could both hold it.
 */
export function requireShared(map: MMap, what: string): void {
  if (isSharedMap(map)) return;
  const { access, fd } = fileOfMap(map);
  const why = access === ACCESS_READ
    ? 'a map with "read" access is private underneath'
    : access === ACCESS_COPY
    ? 'a map with "copy" access is copy-on-write, private to this process'
    : fd === -1
    ? "anonymous memory made with { shared: false } is private to this process"
    : "a MAP_PRIVATE map is private to this process";
  throw new TypeError(
    `${what} needs memory that every process and Worker using it shares, but ${why}: ` +
      "each would lock its own copy, and two could hold the lock at once. Use " +
      'MMap.shared(name, length), MMap.open(path, { access: "write" }) or ' +
      "MMap.anonymous(length) (shared unless { shared: false })",
  );
}

/** The library's closed-map `TypeError` when `map` is closed. */
export function checkOpen(map: MMap): void {
  if (map.closed) throw new TypeError(CLOSED);
}

/**
 * Throws the map's `EIO` error when its pages faulted (another process cut
 * the file under it): the fault guard put zero pages there, so a lock word
 * read or taken now is this process's alone, and the lock excludes no one.
 * Called after a lock operation touched its words; one load and compare
 * when nothing in the process faulted.
 */
export function checkIntact(map: MMap): void {
  settleFaults(map);
}

/**
 * The error of a lock operation, named as POSIX names it (`pthread_mutex_*`
 * return ETIMEDOUT, EDEADLK, EPERM), with what happened after a colon.
 */
export function lockError(code: string, operation: string, detail: string): MMapOSError {
  const error = new MMapOSError(errnoValue(code) ?? 0, operation);
  error.message += `: ${detail}`;
  return error;
}
