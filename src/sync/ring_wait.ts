/**
 * How a side of a Ring waits for the other: the three wait strategies
 * (spin, spin then yield, spin then sleep on a futex), written once as a
 * `Steps` algorithm for the blocking and the async forms.
 *
 * A side that sleeps first sets bit 0 of the index it waits on with a
 * compare-and-swap from the value it saw; the other side publishes with an
 * exchange, so it either changes the value first (the compare-and-swap
 * fails: no sleep) or sees the bit (and wakes the sleeper). futex(2)
 * compares the word again in the kernel, so a publish between the
 * compare-and-swap and the sleep makes the sleep return at once.
 *
 * @module
 */
import { schedYield } from "../../ffi/futex.ts";
import { ASLEEP } from "./ring_layout.ts";
import { now, type Steps } from "./steps.ts";

/**
 * How a {@linkcode Ring} waits when it must (an empty ring for the
 * consumer, a full one for the producer):
 *
 * - `"spin"`: loads the other side's index in a loop (lowest latency; one
 *   core at 100% while waiting);
 * - `"yield"`: spins a little, then calls `sched_yield(2)` between looks
 *   (lets other threads run; still busy);
 * - `"sleep"` (the default): spins a little, then sleeps on a futex until
 *   the other side wakes it (no CPU while idle).
 *
 * Async forms always sleep (on another thread), whatever the strategy.
 *
 * @example
 * ```ts
 * import { MMap, Ring, type WaitStrategy } from "@seed/mmap";
 * using m = MMap.anonymous(4096);
 * const wait: WaitStrategy = "spin";
 * const ring = new Ring(m, 0, 4096, { wait });
 * ```
 */
export type WaitStrategy = "spin" | "yield" | "sleep";

/** The strategies, for checking an option. */
export const STRATEGIES: readonly WaitStrategy[] = ["spin", "yield", "sleep"];

/** How often a waiting side checks that its peer lives and that the header is intact. */
export const LIVENESS_MS = 200;

/** What a wait watches and how. */
export interface Watch {
  /** The ring's header words. */
  h: Int32Array;
  /** The other side's index (HEAD for a consumer, TAIL for a producer). */
  index: number;
  /** Its address, for futex(2). */
  at: number;
  strategy: WaitStrategy;
  /** Looks before yielding or sleeping. */
  spins: number;
  /** Checks the peer and the header; throws when the wait can never end. */
  check(): void;
}

/**
 * Waits until `h[index]` (less its ASLEEP bit) is no longer `seen` (true) or `end` passes
 * (false). Blocking runs spin and yield here; sleeps are yielded to the
 * runner. `blocking` false (an async form) always sleeps after the spins.
 */
export function* waitForChange(
  w: Watch,
  seen: number,
  end: number,
  blocking: boolean,
): Steps<boolean> {
  const { h, index } = w;
  const busy = blocking && w.strategy !== "sleep";
  const spins = busy && w.strategy === "spin" ? Infinity : w.spins;
  // The first check comes a slice after the wait began: most waits end
  // sooner, and a check costs a system call (kill(2)).
  let nextCheck = -1;
  const due = (t: number) => {
    if (nextCheck < 0) nextCheck = t + LIVENESS_MS;
    else if (t >= nextCheck) w.check(), nextCheck = t + LIVENESS_MS;
  };
  // One clock read per this many looks keeps the loop tight.
  for (let i = 1; i <= spins; i++) {
    if ((Atomics.load(h, index) & ~ASLEEP) !== seen) return true;
    if ((i & 1023) === 0) {
      const t = now();
      if (t >= end) return false;
      due(t);
    }
  }
  if (busy) {
    for (let i = 1;; i++) {
      schedYield();
      if ((Atomics.load(h, index) & ~ASLEEP) !== seen) return true;
      if ((i & 15) === 0) {
        const t = now();
        if (t >= end) return false;
        due(t);
      }
    }
  }
  const marked = seen | ASLEEP;
  for (;;) {
    // Another sleeper of this side (an async pop beside this one) may have
    // set the bit already.
    const found = Atomics.compareExchange(h, index, seen, marked);
    if (found !== seen && found !== marked) return true;
    const t = now();
    if (t >= end) return false;
    due(t);
    yield { view: h, index, expected: marked, ms: Math.min(end - t, LIVENESS_MS), at: w.at };
  }
}
