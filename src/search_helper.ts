/**
 * A second thread for the search kernel (src/search_kernel.ts): one helper
 * Worker with its own instance of the kernel over the same shared
 * WebAssembly memory, so that `find` and `rfind` over long ranges read the
 * map's pages with two cores (one core reads ~9-14 GB/s here, two together
 * ~16-20). The API stays synchronous: the caller wakes the helper, both
 * take chunks of the range in order from a shared counter (from the start
 * for `find`, from the end for `rfind`) until one holds a match, and the
 * caller waits for the helper with `Atomics.wait` if it joined. A chunk is taken only
 * while no match was found in an earlier one, and every chunk taken is
 * searched in full, so the earliest chunk with a match is known and exact;
 * a busy second core costs nothing but the helper's share.
 *
 * The helper is started on the first long search and used from the next one
 * on, once it says it is ready. The caller never waits for it to start: a
 * helper claims each search before it takes a chunk, and one that has not
 * claimed it when the caller has searched every chunk (asleep still, or its
 * core busy with another process: measured, woken helpers joining 2-4 ms
 * late on a loaded machine) is told it is taken back, and never touches it.
 * After a search it stays awake as long as the search took, at most
 * {@linkcode SPIN_MS}, so that a search soon after finds it running; then it
 * sleeps in `Atomics.wait` and uses no CPU. It is unref'd, so it never
 * keeps the process alive, and it ends by itself after {@linkcode IDLE_MS}
 * without work; the next long search starts a new one. Every request is
 * answered: a kernel error in the helper is a result (the caller then
 * searches the range alone), and a helper that makes no progress for
 * {@linkcode STALL_MS} is given up for good.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { atomics, Int32ArrayCtor, uncurryThis } from "../ffi/primordials.ts";

// Captured at load, as the kernel's own constructors are: the helper is
// started on the first long search, and a replaced
// `Worker.prototype.postMessage` was then handed the kernel's memory (with
// a map's pages in it) and the control words, and a replaced
// `SharedArrayBuffer` chose the control words the helper searches by.
const SharedArrayBufferCtor = SharedArrayBuffer;
const WorkerProto = Worker.prototype as unknown as {
  postMessage(value: unknown): void;
  unref(): void;
  on(event: string, listener: () => void): unknown;
};
const workerPost = uncurryThis(WorkerProto.postMessage);
const workerUnref = uncurryThis(WorkerProto.unref);
const workerOn = uncurryThis(WorkerProto.on);
const clock = Date.now;

/** How long an idle helper waits for work before it ends. */
const IDLE_MS = 10_000;
/**
 * How long at most a helper stays awake after a search (no longer than the
 * search took): a sleeping helper is woken late (measured here: after 20-30
 * ms asleep, its first chunk 0.7-7 ms after the caller's, or run on the
 * caller's core for a few ms), a spinning one joins at once.
 */
const SPIN_MS = 2;
/** A helper whose progress counter stands still this long is given up. */
const STALL_MS = 20_000;

// The control words, shared with the helper (an Int32Array); the numbers
// are written out in `share` too, which runs in the helper as source text.
const STATE = 0;
const DIR = 1;
const P = 2;
const N = 3;
const Q = 4;
const K = 5;
const O1 = 6;
const O2 = 7;
const PRE = 8;
const CHUNK = 9;
/** The next chunk to take. */
const NEXT = 13;
/** The earliest chunk a match was found in (INT32_MAX: none yet). */
const BEST = 14;
/** Where each side (0: the caller, 1: the helper) found its match: chunk, offset. */
const FOUND = 15;
/** Set when the helper's kernel threw. */
const FAILED = 19;
/** Chunks the helper searched (its heartbeat). */
const PROGRESS = 20;
/** For the tests: 1 while the helper must not claim what it is offered. */
const HOLD = 21;
const WORDS = 24;

// STATE: starting, waiting for work, work offered, answered, ended (or
// unusable), work claimed by the helper.
const STARTING = 0;
const IDLE = 1;
const BUSY = 2;
const DONE = 3;
const GONE = 4;
const WORKING = 5;

/** The `Atomics` functions that `share` uses. */
type Atomic = Pick<typeof Atomics, "load" | "add" | "compareExchange">;

/** The kernel's exports that `share` calls. */
export interface NeedleKernel {
  find(p: number, n: number, q: number, k: number, o1: number, o2: number, pre: number): number;
  rfind(p: number, n: number, q: number, k: number, o1: number, o2: number, pre: number): number;
}

/**
 * Takes chunks of the search that the control words `c` describe and
 * searches each with the kernel, until none is left or a match is known in
 * an earlier chunk than the next; records a match as side `me`'s. The
 * search: the first (DIR 0) or last (1) `K`-byte needle at `Q` among the
 * candidate positions of `[P, P + N)` of the kernel's memory, `CHUNK`
 * candidates a chunk (each with the K - 1 bytes after it), counted from the
 * start for the first and from the end for the last.
 *
 * It runs in the helper too, as source text: it uses nothing from outside
 * but `A`, the `Atomics` functions (the captured ones in this thread).
 */
export function share(ex: NeedleKernel, c: Int32Array, me: number, A: Atomic): void {
  const dir = c[1]!, p = c[2]! >>> 0, n = c[3]!, q = c[4]!, k = c[5]!;
  const o1 = c[6]!, o2 = c[7]!, pre = c[8]!, w = c[9]!;
  const last = n - k; // the last candidate
  if (last < 0) return;
  const chunks = (last - (last % w)) / w + 1;
  for (;;) {
    const i = A.add(c, 13, 1);
    if (i >= chunks || i > A.load(c, 14)) return;
    let lo: number, r: number;
    if (dir === 0) {
      lo = i * w;
      const hi = lo + w - 1 < last ? lo + w - 1 : last;
      r = ex.find(p + lo, hi - lo + k, q, k, o1, o2, pre);
    } else {
      const top = last - i * w;
      lo = top - w + 1 > 0 ? top - w + 1 : 0;
      r = ex.rfind(p + lo, top - lo + k, q, k, o1, o2, pre);
    }
    if (me === 1) A.add(c, 20, 1);
    if (r !== -1) {
      c[15 + 2 * me] = i;
      c[16 + 2 * me] = lo + (r >>> 0);
      for (let b = A.load(c, 14); i < b; b = A.load(c, 14)) {
        if (A.compareExchange(c, 14, b, i) === b) break;
      }
      return;
    }
  }
}

/**
 * The helper's program: the kernel over the shared memory, answering
 * requests. Source text run in a fresh Worker, where no module binding (the
 * captured constructors included) exists: it names the Worker's own globals,
 * which no program of ours has touched.
 */
const HELPER_SOURCE = `
const { parentPort } = require("node:worker_threads");
${share.toString()}
parentPort.once("message", ({ bytes, memory, control }) => {
  const c = new Int32Array(control);
  let ex;
  try {
    ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
  } catch {
    Atomics.store(c, ${STATE}, ${GONE});
    return;
  }
  Atomics.store(c, ${STATE}, ${IDLE});
  const now = performance.now.bind(performance);
  let spinUntil = 0;
  for (;;) {
    const s = Atomics.load(c, ${STATE});
    if (s !== ${BUSY} || Atomics.load(c, ${HOLD}) === 1) {
      // Awake for a while after a search, so that the next one finds it running.
      if (now() < spinUntil) continue;
      // Waiting for work (or for the caller to take an answer): an idle helper ends in time.
      if (Atomics.wait(c, ${STATE}, s, ${IDLE_MS}) === "timed-out" && s === ${IDLE} &&
          Atomics.compareExchange(c, ${STATE}, ${IDLE}, ${GONE}) === ${IDLE}) return;
      continue;
    }
    // Claimed before any chunk is taken; the caller may have taken it back.
    if (Atomics.compareExchange(c, ${STATE}, ${BUSY}, ${WORKING}) !== ${BUSY}) continue;
    const began = now();
    try {
      share(ex, c, 1, Atomics);
    } catch {
      c[${FAILED}] = 1;
    }
    Atomics.store(c, ${STATE}, ${DONE});
    Atomics.notify(c, ${STATE});
    const took = now() - began;
    spinUntil = now() + (took < ${SPIN_MS} ? took : ${SPIN_MS});
  }
});
`;

/** The helper of one kernel memory. */
export class SearchHelper {
  #bytes: Uint8Array;
  #memory: WebAssembly.Memory;
  #c: Int32Array | null = null;
  #broken = false;
  /** How many searches the helper was offered (for the tests). */
  searches = 0;
  /** How many of them it had not claimed when the caller was done (for the tests). */
  takenBack = 0;
  /**
   * For the tests: false offers searches without waking the helper, and
   * tells it not to claim them, as if its core were busy (a helper that
   * had just answered the search before would otherwise see the offer
   * without being woken).
   */
  wakes = true;

  /** `bytes`: the kernel's module; `memory`: its shared memory. */
  constructor(bytes: Uint8Array, memory: WebAssembly.Memory) {
    this.#bytes = bytes;
    this.#memory = memory;
  }

  /** Blocks until a helper is ready, up to `ms` (the tests use it); false if none. */
  waitReady(ms: number): boolean {
    if (this.#broken) return false;
    if (!this.#c || atomics.load(this.#c, STATE) === GONE) this.#spawn();
    const c = this.#c!;
    const until = clock() + ms;
    while (atomics.load(c, STATE) === STARTING && clock() < until) {
      atomics.wait(c, STATE, STARTING, 10);
    }
    return atomics.load(c, STATE) === IDLE;
  }

  #spawn(): void {
    const control = new SharedArrayBufferCtor(WORDS * 4);
    try {
      const worker = new Worker(HELPER_SOURCE, { eval: true });
      workerUnref(worker);
      workerOn(worker, "error", () => {}); // a helper that fails is simply not used
      workerPost(worker, { bytes: this.#bytes, memory: this.#memory, control });
      this.#c = new Int32ArrayCtor(control);
    } catch {
      this.#broken = true;
    }
  }

  /**
   * The first (`dir` 0) or last (1) `k`-byte needle at `q` in `[p, p + n)`
   * of the kernel's memory, as an offset from `p`, or -1; searched in chunks
   * of `w` candidates, by this thread and the helper where one is ready
   * (else a helper is started, for a later search).
   */
  search(
    ex: NeedleKernel,
    dir: number,
    p: number,
    n: number,
    q: number,
    k: number,
    o1: number,
    o2: number,
    pre: number,
    w: number,
    helped: boolean,
  ): number {
    let c = helped && !this.#broken ? this.#c : null;
    if (helped && !this.#broken && (!c || atomics.load(c, STATE) === GONE)) {
      this.#spawn();
      c = null;
    }
    // Without a helper, the same loop alone over words of our own.
    const words = c && atomics.load(c, STATE) === IDLE ? c : new Int32ArrayCtor(WORDS);
    words[DIR] = dir;
    words[P] = p;
    words[N] = n;
    words[Q] = q;
    words[K] = k;
    words[O1] = o1;
    words[O2] = o2;
    words[PRE] = pre;
    words[CHUNK] = w;
    words[NEXT] = 0;
    words[BEST] = 0x7fffffff;
    words[FOUND] = words[FOUND + 2] = -1;
    words[FAILED] = 0;
    words[HOLD] = this.wakes ? 0 : 1;
    // The helper reads the words only once it sees BUSY.
    const helping = words === c && atomics.compareExchange(c, STATE, IDLE, BUSY) === IDLE;
    if (helping) {
      if (this.wakes) atomics.notify(words, STATE);
      this.searches++;
    }
    try {
      share(ex, words, 0, atomics);
    } finally {
      if (helping && !this.#collect(words)) words[FOUND + 2] = -1;
    }
    if (helping && words[FAILED]) {
      // The helper could not search its chunks: all of it again, here.
      return this.search(ex, dir, p, n, q, k, o1, o2, pre, w, false);
    }
    const mine = words[FOUND]!, theirs = words[FOUND + 2]!;
    if (mine === -1 && theirs === -1) return -1;
    const side = theirs === -1 || (mine !== -1 && mine < theirs) ? 0 : 2;
    return words[FOUND + 1 + side]!;
  }

  /**
   * Takes the search back if the helper has not claimed it yet (it found
   * nothing, then), else waits for it to finish its chunk; false when it
   * stood still too long (it is given up, and its chunks are searched again).
   */
  #collect(c: Int32Array): boolean {
    if (atomics.compareExchange(c, STATE, BUSY, IDLE) === BUSY) {
      this.takenBack++;
      return true;
    }
    let seen = atomics.load(c, PROGRESS);
    let still = clock();
    while (atomics.load(c, STATE) === WORKING) {
      atomics.wait(c, STATE, WORKING, 1000);
      const now = atomics.load(c, PROGRESS);
      if (now !== seen) {
        seen = now;
        still = clock();
      } else if (clock() - still > STALL_MS && atomics.load(c, STATE) === WORKING) {
        this.#broken = true; // never used again: it may still be running
        c[FAILED] = 1;
        return false;
      }
    }
    atomics.store(c, STATE, IDLE);
    return true;
  }
}
