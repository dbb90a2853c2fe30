/**
 * futex(2), gettid(2) and kill(2) for the locks in `src/sync/`: the only code
 * that turns a view of mapped memory into an address for the kernel.
 *
 * Waits use FUTEX_WAIT and FUTEX_WAKE, never the `_PRIVATE` forms: the
 * kernel then keys a wait by the page it is on, so a wait in one process is
 * woken by a wake in another that maps the same page at another address.
 *
 * @module
 */
import { MMapOSError } from "./errors.ts";
import { backend } from "./load.ts";
import {
  ArrayBufferCtor,
  atomics,
  BigInt64ArrayCtor,
  BigIntCtor,
  mathFloor,
  mathMin,
  monotonicNow,
  typedArrayByteLength as lengthOf,
} from "./primordials.ts";
import { procStat, startFingerprint } from "./proc_stat.ts";
import type { FutexNumbers, Platform } from "./platform.ts";

/** How one futex wait ended. */
export type FutexOutcome = "ok" | "not-equal" | "timed-out" | "interrupted";

// FUTEX_WAKE takes an int: this wakes every waiter.
const WAKE_ALL = 0x7fffffff;

/**
 * Throws where `p` has no futex(2) (macOS): `what` is refused when it is
 * made, since a lock that could be taken but never waited for would fail
 * half-way through its first contended `lock()`.
 */
export function requireLocks(what: string, p: Platform = backend().platform): FutexNumbers {
  if (!p.futex) {
    throw new Error(
      `${what} needs Linux futex(2), which ${p.os === "darwin" ? "macOS" : p.os} does not have: ` +
        `@seed/mmap has no locks there`,
    );
  }
  return p.futex;
}

function futexNumbers(): FutexNumbers {
  return requireLocks("Mutex, Semaphore and wait/notify");
}

/**
 * The address of `view[index]` for the kernel. It stays valid while the map
 * is open: a caller that waits on one word often (the Ring) asks once and
 * passes it to the `*At` forms, since asking costs ~1.5 us in Deno.
 */
export function wordAddress(view: Int32Array, index: number): number {
  if (lengthOf(view) === 0) throw new TypeError("mmap closed or invalid");
  return backend().addressOf(view) + index * 4;
}

const address = wordAddress;

/** Writes a relative timeout of `ms` milliseconds into a `struct timespec`. */
function fillTimespec(ts: BigInt64Array, ms: number): void {
  const sec = mathFloor(ms / 1000);
  const nsec = mathMin(mathFloor((ms - sec * 1000) * 1e6), 999_999_999);
  ts[0] = BigIntCtor(sec);
  ts[1] = BigIntCtor(nsec);
}

// One timespec per thread for blocking waits (each Worker has its own copy of
// this module). An ArrayBuffer of its own, so the collector never moves it.
let timespec: BigInt64Array | undefined;
let timespecAddress = 0;

/**
 * Sleeps while `view[index] === expected`, at most `ms` milliseconds
 * (`Infinity`: no limit). Blocks the calling thread.
 */
export function futexWait(
  view: Int32Array,
  index: number,
  expected: number,
  ms: number,
): FutexOutcome {
  return futexWaitAt(view, address(view, index), expected, ms);
}

/** `futexWait` on the word at `at` (from `wordAddress`) of `view`'s map. */
export function futexWaitAt(
  view: Int32Array,
  at: number,
  expected: number,
  ms: number,
): FutexOutcome {
  // A closed map's address may hold something else by now.
  if (lengthOf(view) === 0) throw new TypeError("mmap closed or invalid");
  const f = futexNumbers();
  const b = backend();
  let ts = 0;
  if (ms !== Infinity) {
    if (!timespec) {
      timespec = new BigInt64ArrayCtor(new ArrayBufferCtor(16));
      timespecAddress = b.addressOf(timespec);
    }
    fillTimespec(timespec, ms);
    ts = timespecAddress;
  }
  if (b.libc.syscall(f.sysFutex, at, f.wait, expected, ts, 0, 0) === 0) return "ok";
  const errno = b.errno();
  const e = b.platform.errno;
  if (errno === e.EAGAIN) return "not-equal";
  if (errno === e.ETIMEDOUT) return "timed-out";
  if (errno === e.EINTR) return "interrupted";
  throw new MMapOSError(errno, "futex");
}

/**
 * `futexWait` on another thread (Deno's nonblocking FFI, a helper Worker in
 * Bun): the event loop keeps running meanwhile.
 */
export function futexWaitAsync(
  view: Int32Array,
  index: number,
  expected: number,
  ms: number,
): Promise<FutexOutcome> {
  return futexWaitAtAsync(view, index, address(view, index), expected, ms);
}

/** `futexWaitAsync` on the word at `at` (from `wordAddress`), which is `view[index]`. */
export async function futexWaitAtAsync(
  view: Int32Array,
  index: number,
  at: number,
  expected: number,
  ms: number,
): Promise<FutexOutcome> {
  if (lengthOf(view) === 0) throw new TypeError("mmap closed or invalid");
  const f = futexNumbers();
  const b = backend();
  const ts = ms === Infinity ? undefined : new BigInt64ArrayCtor(new ArrayBufferCtor(16));
  if (ts) fillTimespec(ts, ms);
  const end = monotonicNow() + ms;
  const r = await b.libc.syscallAsync(
    f.sysFutex,
    at,
    f.wait,
    expected,
    ts ? b.addressOf(ts) : 0,
    0,
    0,
  );
  // errno belonged to the thread that made the call, so the outcome is read
  // from here. (Using `ts` after the await also keeps it alive until then.)
  // A map closed or resized meanwhile: whatever the kernel said (a wait that
  // began after the unmap failed with EFAULT, which read as "not-equal", and
  // `waitAsync` said so of a map that was gone), the caller must look again,
  // and its next look finds the map closed (its TypeError) or resized (the
  // locks cut their words again).
  if (lengthOf(view) === 0) return "interrupted";
  if (r === 0) return "ok";
  if (ts && monotonicNow() >= end - 1) return "timed-out";
  if (atomics.load(view, index) !== expected) return "not-equal";
  return "interrupted";
}

/** Wakes up to `count` (default: all) threads waiting on `view[index]`; returns how many woke. */
export function futexWake(view: Int32Array, index: number, count: number = WAKE_ALL): number {
  return futexWakeAt(view, address(view, index), count);
}

/** `futexWake` on the word at `at` (from `wordAddress`) of `view`'s map. */
export function futexWakeAt(view: Int32Array, at: number, count: number = WAKE_ALL): number {
  if (lengthOf(view) === 0) throw new TypeError("mmap closed or invalid");
  const f = futexNumbers();
  const b = backend();
  const n = b.libc.syscall(
    f.sysFutex,
    at,
    f.wake,
    mathMin(count, WAKE_ALL),
    0,
    0,
    0,
  );
  if (n < 0) throw new MMapOSError(b.errno(), "futex");
  return n;
}

/** Who this thread is: its process id and its thread id. */
export interface ThreadIdentity {
  readonly pid: number;
  readonly tid: number;
  /** This process's start time as `startFingerprint` folds it (0: unknown). */
  readonly start: number;
}

let identity: ThreadIdentity | undefined;

/** This thread's ids (read once per thread: each Worker has its own copy of this module). */
export function threadIdentity(): ThreadIdentity {
  if (identity) return identity;
  const f = futexNumbers();
  const libc = backend().libc;
  return (identity = {
    pid: libc.getpid(),
    tid: libc.syscall(f.sysGettid, 0, 0, 0, 0, 0, 0),
    start: startFingerprint(procStat("self")),
  });
}

/** Gives the CPU to another runnable thread, if there is one (`sched_yield(2)`). */
export function schedYield(): void {
  backend().libc.sched_yield();
}

/**
 * True while thread `tid` of this process runs, or where `/proc` cannot say:
 * a Worker's thread ends when the Worker is terminated or returns, and a
 * lock it held is then held by no one.
 */
export function threadAlive(tid: number): boolean {
  if (tid <= 0) return true;
  const stat = procStat(tid, threadIdentity().pid);
  if (stat !== null) return stat.state !== "Z" && stat.state !== "X";
  return procStat("self") === null; // no /proc to ask: taken as alive
}

/**
 * True while process `pid` runs: `kill(pid, 0)` finds it (ESRCH means it is
 * gone), it is not a zombie (exited, not yet reaped by its parent: state `Z`
 * or `X` in `/proc/<pid>/stat`), and, when `start` is not 0, it is the
 * process that started at that time (`startFingerprint`), not a later one
 * that was given the same pid.
 */
export function processAlive(pid: number, start = 0): boolean {
  if (pid <= 0) return false;
  const b = backend();
  if (b.libc.kill(pid, 0) !== 0 && b.errno() === b.platform.errno.ESRCH) return false;
  const stat = procStat(pid);
  if (stat === null) return true; // no /proc to ask: kill's answer stands
  if (stat.state === "Z" || stat.state === "X") return false;
  return start === 0 || startFingerprint(stat) === start;
}
