/**
 * `Mutex`: a robust lock that lives in 8 bytes of a map, for every process
 * and Worker that maps it.
 *
 * Word 0 holds the owner's process id (0: unlocked) and a "maybe waiters"
 * bit; word 1 the owner's thread id (bits 0-21, so a thread can tell its own
 * hold from another Worker's) and a fingerprint of the owner process's start
 * time (bits 22-30, 1-511; 0 when unknown), so that a later process given
 * the same pid is not taken for the owner. Both fit the 8 bytes of the first
 * layout, which wrote 0 in those bits: old and new lockers interoperate. Locking is one compare-and-swap when free; a locker that
 * must wait sleeps in futex(2), and `unlock` wakes one sleeper only when the
 * waiters bit says there may be one (Drepper, "Futexes Are Tricky", mutex 2).
 *
 * Robustness: the owner's pid is in the lock word itself, set by the same
 * compare-and-swap that takes the lock, so it is never missing. A locker
 * that finds the lock held asks the kernel whether that process still exists
 * (`kill(pid, 0)`, then `/proc/<pid>/stat`: a zombie, exited but not yet
 * reaped by its parent, is dead; a process with another start time is a
 * stranger who got the pid); if not, it takes the lock over and its guard
 * says `ownerDied`. A lock held by another thread of this process (a Worker)
 * is taken over the same way once that thread has ended
 * (`/proc/self/task/<tid>` is gone: the Worker was terminated, or returned
 * holding it). What remains: a pid from another pid namespace (a
 * container sharing the memory) names some other process here. Sleepers wake every `LIVENESS_MS` to ask again, since a dead
 * owner never calls `unlock`.
 *
 * @module
 */
import { futexWake, processAlive, threadAlive, threadIdentity } from "../../ffi/futex.ts";
import { atomics, mathMin, promiseReject, promiseResolve } from "../../ffi/primordials.ts";
import type { MMap } from "../mmap.ts";
import {
  checkIntact,
  deadline,
  liveWords,
  lockError,
  now,
  runAsync,
  runBlocking,
  SPIN_TRIES,
  type Steps,
  wordsOf,
} from "./steps.ts";

const WAITERS = 1 << 31;
// Linux pids fit in 22 bits (PID_MAX_LIMIT); the kernel's robust futexes use
// the same 30-bit owner field.
const OWNER = 0x3fffffff;
/** Word 1: the owner's thread id in bits 0-21, its start fingerprint above. */
const TID = 0x3fffff;
const START_SHIFT = 22;
/** How often a sleeping locker checks that the owner is still alive. */
const LIVENESS_MS = 100;

/**
 * The proof of holding a {@linkcode Mutex}: returned by `lock()`,
 * `tryLock()` and `lockAsync()`, and unlocked by `unlock()` or at the end of
 * a `using` block.
 *
 * @example
 * ```ts
 * import { MMap, Mutex } from "@seed/mmap";
 * using m = MMap.shared("app-state", 4096, { create: true });
 * const mutex = new Mutex(m, 0);
 * {
 *   using guard = mutex.lock();
 *   if (guard.ownerDied) console.log(`process ${guard.previousOwner} died holding it`);
 * } // unlocked here
 * MMap.unlinkShared("app-state");
 * ```
 */
export class MutexGuard {
  /**
   * True when the lock was taken over from a process that died holding it
   * (POSIX's EOWNERDEAD): the data it guards may be half-updated.
   *
   * @example
   * ```ts
   * import { MMap, Mutex } from "@seed/mmap";
   * using m = MMap.shared("app-state", 4096, { create: true });
   * using guard = new Mutex(m, 0).lock();
   * console.log(guard.ownerDied); // false, unless a holder died
   * MMap.unlinkShared("app-state");
   * ```
   */
  readonly ownerDied: boolean;
  /**
   * The pid of the process that died holding the lock, or 0.
   *
   * @example
   * ```ts
   * import { MMap, Mutex } from "@seed/mmap";
   * using m = MMap.shared("app-state", 4096, { create: true });
   * using guard = new Mutex(m, 0).lock();
   * console.log(guard.previousOwner); // 0
   * MMap.unlinkShared("app-state");
   * ```
   */
  readonly previousOwner: number;
  #mutex: Mutex | null;

  /**
   * Made by {@linkcode Mutex}; not for direct use.
   *
   * @param mutex the mutex just locked
   * @param deadOwner the pid of a dead owner it was taken from, or 0
   */
  constructor(mutex: Mutex, deadOwner: number) {
    this.#mutex = mutex;
    this.ownerDied = deadOwner !== 0;
    this.previousOwner = deadOwner;
  }

  /**
   * Unlocks the mutex; a second call does nothing.
   *
   * @example
   * ```ts
   * import { MMap, Mutex } from "@seed/mmap";
   * using m = MMap.shared("app-state", 4096, { create: true });
   * const guard = new Mutex(m, 0).lock();
   * guard.unlock();
   * MMap.unlinkShared("app-state");
   * ```
   */
  unlock(): void {
    const mutex = this.#mutex;
    this.#mutex = null;
    mutex?.unlock();
  }

  /**
   * Unlocks at the end of a `using` block.
   *
   * @example
   * ```ts
   * import { MMap, Mutex } from "@seed/mmap";
   * using m = MMap.shared("app-state", 4096, { create: true });
   * {
   *   using _ = new Mutex(m, 0).lock();
   * }
   * MMap.unlinkShared("app-state");
   * ```
   */
  [Symbol.dispose](): void {
    this.unlock();
  }
}

/**
 * A mutual-exclusion lock stored in {@linkcode Mutex.BYTES} bytes of a map,
 * shared by every process and Worker that maps the same memory (a
 * {@linkcode MMap.shared} region, or a file mapped with `access: "write"`).
 * Zeroed memory is an unlocked mutex: a fresh map needs no set-up, and
 * `new Mutex` never writes.
 *
 * Robust: if a process dies holding the lock (even by SIGKILL), the next
 * locker takes it over and its guard reports `ownerDied`. Locks are held by
 * a thread: `unlock()` from another thread or process is refused.
 *
 * @example Count under the lock, from any number of processes
 * ```ts
 * import { MMap, Mutex } from "@seed/mmap";
 * using m = MMap.shared("counter", 4096, { create: true });
 * const mutex = new Mutex(m, 0);
 * const count = m.view(Float64Array, 8, 1);
 * {
 *   using _ = mutex.lock();
 *   count[0] += 1;
 * }
 * MMap.unlinkShared("counter");
 * ```
 */
export class Mutex {
  /**
   * Bytes a mutex takes in the map (two Int32 words).
   *
   * @example
   * ```ts
   * import { Mutex } from "@seed/mmap";
   * console.log(Mutex.BYTES); // 8
   * ```
   */
  static readonly BYTES = 8;
  #words: Int32Array;
  readonly #map: MMap;
  readonly #offset: number;

  /**
   * The mutex stored at `byteOffset` of `map`.
   *
   * @param map a map that every user of the lock maps (writable and shared)
   * @param byteOffset where the lock's 8 bytes start: a multiple of 4
   * @throws {RangeError} a misaligned offset, or 8 bytes that do not fit
   * @throws {TypeError} `map` is not an MMap, or is closed
   *
   * @example
   * ```ts
   * import { MMap, Mutex } from "@seed/mmap";
   * using m = MMap.shared("app-state", 4096, { create: true });
   * const a = new Mutex(m, 0);
   * const b = new Mutex(m, Mutex.BYTES); // a second lock next to it
   * MMap.unlinkShared("app-state");
   * ```
   */
  constructor(map: MMap, byteOffset: number) {
    const { words, offset } = wordsOf(map, byteOffset, 2, "Mutex");
    this.#words = words;
    this.#map = map;
    this.#offset = offset;
  }

  /** The lock words (cut again after a resize); the closed-map `TypeError` once the map is closed. */
  #live(): Int32Array {
    return this.#words = liveWords(this.#map, this.#words, this.#offset);
  }

  /**
   * Locks, sleeping until the lock is free or `timeoutMs` passes. Blocks
   * the calling thread: in a server, prefer {@linkcode Mutex.lockAsync}.
   *
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns a guard: `using` it, or call its `unlock()`
   * @throws {MMapOSError} `ETIMEDOUT` when the time ran out; `EDEADLK` when
   *   this thread already holds the lock (waiting would never end)
   * @throws {TypeError} the map was closed
   *
   * @example
   * ```ts
   * import { MMap, Mutex } from "@seed/mmap";
   * using m = MMap.shared("app-state", 4096, { create: true });
   * using _ = new Mutex(m, 0).lock(1000);
   * MMap.unlinkShared("app-state");
   * ```
   */
  lock(timeoutMs?: number): MutexGuard {
    this.#live();
    const end = deadline(timeoutMs, "Mutex.lock");
    return this.#takeFree() ?? runBlocking(this.#lockSteps(end, true));
  }

  /**
   * Locks without blocking the event loop: waits on another thread (Deno: a
   * nonblocking FFI call; Bun: a helper Worker). Async tasks of one thread
   * queue up behind each other instead of failing with `EDEADLK`.
   *
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns a Promise of the guard
   * @throws {MMapOSError} `ETIMEDOUT` (as a rejection) when the time ran out
   *
   * @example
   * ```ts
   * import { MMap, Mutex } from "@seed/mmap";
   * using m = MMap.shared("app-state", 4096, { create: true });
   * using _ = await new Mutex(m, 0).lockAsync(1000);
   * MMap.unlinkShared("app-state");
   * ```
   */
  lockAsync(timeoutMs?: number): Promise<MutexGuard> {
    try {
      this.#live();
      const end = deadline(timeoutMs, "Mutex.lockAsync");
      const guard = this.#takeFree();
      return guard ? promiseResolve(guard) : runAsync(this.#lockSteps(end, false));
    } catch (e) {
      return promiseReject(e);
    }
  }

  /**
   * Locks if the lock is free (or its owner died), without waiting.
   *
   * @returns a guard, or `null` when another thread or process holds it
   *
   * @example
   * ```ts
   * import { MMap, Mutex } from "@seed/mmap";
   * using m = MMap.shared("app-state", 4096, { create: true });
   * using guard = new Mutex(m, 0).tryLock();
   * if (guard) console.log("got it");
   * MMap.unlinkShared("app-state");
   * ```
   */
  tryLock(): MutexGuard | null {
    this.#live();
    const guard = this.#takeFree();
    if (guard) return guard;
    checkIntact(this.#map);
    const s = atomics.load(this.#words, 0);
    const owner = s & OWNER;
    if (owner === 0) return null;
    const word1 = this.#ownerWord(s);
    return word1 !== null && this.#ownerGone(owner, word1) && this.#takeOver(s, word1)
      ? this.#took(owner)
      : null;
  }

  /**
   * Unlocks, and wakes one waiter if there may be one. Only the thread that
   * locked may unlock.
   *
   * @throws {MMapOSError} `EPERM` when this thread does not hold the lock
   *
   * @example
   * ```ts
   * import { MMap, Mutex } from "@seed/mmap";
   * using m = MMap.shared("app-state", 4096, { create: true });
   * const mutex = new Mutex(m, 0);
   * mutex.lock();
   * mutex.unlock();
   * MMap.unlinkShared("app-state");
   * ```
   */
  unlock(): void {
    const w = this.#live();
    const me = threadIdentity();
    if ((atomics.load(w, 0) & OWNER) !== me.pid || (atomics.load(w, 1) & TID) !== me.tid) {
      checkIntact(this.#map); // a word read as 0 from a page the file lost: EIO, not EPERM
      throw lockError("EPERM", "Mutex.unlock", "this thread does not hold the lock");
    }
    atomics.store(w, 1, 0);
    if (atomics.exchange(w, 0, 0) & WAITERS) futexWake(w, 0, 1);
  }

  /**
   * The pid of the process holding the lock, or 0 when it is free.
   *
   * @example
   * ```ts
   * import { MMap, Mutex } from "@seed/mmap";
   * using m = MMap.shared("app-state", 4096, { create: true });
   * console.log(new Mutex(m, 0).owner); // 0
   * MMap.unlinkShared("app-state");
   * ```
   */
  get owner(): number {
    return atomics.load(this.#live(), 0) & OWNER;
  }

  /** Takes a free lock with one compare-and-swap, or returns null. */
  #takeFree(): MutexGuard | null {
    return atomics.compareExchange(this.#words, 0, 0, threadIdentity().pid) === 0
      ? this.#took(0)
      : null;
  }

  #took(deadOwner: number): MutexGuard {
    const me = threadIdentity();
    atomics.store(this.#words, 1, me.tid | (me.start << START_SHIFT));
    checkIntact(this.#map);
    return new MutexGuard(this, deadOwner);
  }

  /** Whether lock owner `owner` (word 0's pid; `word1` its thread and start fingerprint) is dead. */
  #ownerGone(owner: number, word1: number): boolean {
    const me = threadIdentity();
    if (owner !== me.pid) return !processAlive(owner, word1 >>> START_SHIFT);
    // A lock of this process held by another of its threads: a Worker that
    // was terminated (or returned) holding it left it held for good, and
    // every other locker, in any process, waited for it. Its thread id is in
    // word 1 (0 while an owner changes, or in the first layout: not known).
    const tid = word1 & TID;
    return tid !== 0 && tid !== me.tid && !threadAlive(tid);
  }

  /**
   * Word 1 as it belongs to word 0's value `s` (0, or the fingerprint of
   * `s`'s owner), or null when word 0 moved on meanwhile: look again.
   *
   * Every change of owner clears word 1 before word 0 changes (unlock;
   * takeover, `#takeOver`; a free lock has it cleared already), and the new
   * owner writes its own only after. So word 1, when not 0, is the current
   * owner's at every instant: read between two equal reads of word 0, it is
   * `s`'s owner's unless the lock went round to another owner and back in
   * between. A locker that took word 1 after word 0 once judged a live
   * owner by the fingerprint of the dead one it had just taken over from,
   * and took the lock from it.
   */
  #ownerWord(s: number): number | null {
    const w = this.#words;
    const word1 = atomics.load(w, 1);
    return atomics.load(w, 0) === s ? word1 : null;
  }

  /**
   * Takes the lock from its dead owner (word 0 `s`, word 1 `word1`): word 1
   * cleared first, by compare-and-swap (it fails once anyone else took over
   * or the owner changed), then word 0 moved to this thread, which writes
   * its own word 1 (`#took`). A failed second step leaves word 1 cleared,
   * which the next look at the dead owner reads as "pid only" (`processAlive`).
   */
  #takeOver(s: number, word1: number): boolean {
    const w = this.#words;
    if (atomics.load(w, 0) !== s || atomics.compareExchange(w, 1, word1, 0) !== word1) return false;
    return atomics.compareExchange(w, 0, s, threadIdentity().pid | WAITERS) === s;
  }

  /** The lock algorithm: returns the guard; throws on timeout or self-deadlock. */
  *#lockSteps(end: number, blocking: boolean): Steps<MutexGuard> {
    let w = this.#words;
    const me = threadIdentity();
    // Once this locker has slept, others may be asleep too: take the lock
    // with the waiters bit set, so that its unlock wakes the next.
    let waiters = 0;
    let checkOwner = true;
    for (let i = 0; i < SPIN_TRIES; i++) {
      if (atomics.load(w, 0) === 0 && atomics.compareExchange(w, 0, 0, me.pid) === 0) {
        return this.#took(0);
      }
    }
    for (;;) {
      let s = atomics.load(w, 0);
      const owner = s & OWNER;
      if (owner === 0) {
        if (atomics.compareExchange(w, 0, s, me.pid | waiters | (s & WAITERS)) === s) {
          return this.#took(0);
        }
        continue;
      }
      if (blocking && owner === me.pid && (atomics.load(w, 1) & TID) === me.tid) {
        throw lockError("EDEADLK", "Mutex.lock", "this thread already holds the lock");
      }
      if (checkOwner) {
        const word1 = this.#ownerWord(s);
        if (word1 === null) continue;
        if (this.#ownerGone(owner, word1)) {
          if (this.#takeOver(s, word1)) return this.#took(owner);
          continue;
        }
      }
      if ((s & WAITERS) === 0) {
        if (atomics.compareExchange(w, 0, s, s | WAITERS) !== s) continue;
        s |= WAITERS;
      }
      waiters = WAITERS;
      const left = end - now();
      if (left <= 0) {
        throw lockError(
          "ETIMEDOUT",
          blocking ? "Mutex.lock" : "Mutex.lockAsync",
          `still held by process ${owner} when the timeout ran out`,
        );
      }
      const outcome = yield { view: w, index: 0, expected: s, ms: mathMin(left, LIVENESS_MS) };
      w = this.#live(); // the map may have been closed or resized while this locker slept
      // A full slice asleep without a wake: time to ask whether the owner lives.
      checkOwner = outcome === "timed-out";
    }
  }
}
