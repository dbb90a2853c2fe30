/**
 * How a side of a Ring waits for the other: the three wait strategies
 * (spin, spin then yield, spin then sleep on a futex). The busy part is a
 * plain loop of `Atomics.load` (no allocation, no FFI call, no system call
 * until it gives up); the sleep is a `Steps` algorithm, written once for the
 * blocking and the async forms.
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
import { atomics, mathMin } from "../../ffi/primordials.ts";
import { ASLEEP } from "./ring_layout.ts";
import { now, type Steps } from "./steps.ts";

/**
 * How a {@linkcode Ring} waits when it must (an empty ring for the
 * consumer, a full one for the producer):
 *
 * - `"spin"`: loads the other side's index in a loop (lowest latency; one
 *   core at 100% while waiting; after 0.2 ms with no change, it also yields
 *   once every 1024 looks, for a peer that waits for this core);
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
  /** Looks before yielding or sleeping (when `spinMs` is 0). */
  spins: number;
  /**
   * Or, when above 0, milliseconds of looks before yielding or sleeping
   * (the default: a budget in time, not looks, is the same on every
   * engine, whatever a look costs there).
   */
  spinMs: number;
  /**
   * Waits of the sleeping strategy in a row whose spin of a time ran out
   * (they slept), up to FUTILE_WAITS: see {@linkcode spinTime}.
   */
  futile: number;
  /** Spins counted while {@linkcode spinTime} keeps them short, to make every PROBE_EVERY-th a full one. */
  probes: number;
  /** Checks the peer and the header; throws when the wait can never end. */
  check(): void;
  /**
   * The blocking wait in progress: its deadline (UNSTARTED until `spinWait` first
   * reads the clock) and when it next checks the peer.
   */
  end: number;
  nextCheck: number;
}

/**
 * `Watch.end` before a wait's first clock read: -Infinity, never a deadline
 * (a timeout is at least 0), rather than NaN. JavaScriptCore profiles what a
 * property read returns by sampling and tells NaN from other doubles: the
 * read of `end` saw NaN once per wait and deadlines after it, so code built
 * on samples without NaN bailed out at the next wait's first read, and Bun
 * rebuilt `spinWait` again and again with longer delays each time (thousands
 * of bail-outs in one run of bench/sync.ts --ring; none at that read now).
 */
export const UNSTARTED = -Infinity;

/** What `spinWait` found: the word changed, the time ran out, or the wait goes on asleep. */
export const CHANGED = 1;
export const TIMED_OUT = 0;
export const SLEEP = 2;

/**
 * The word (less its ASLEEP bit) that the last CHANGED of `spinWait` saw:
 * the caller checks and uses it rather than loading the word again (a
 * second atomic load on the critical path of every pop that waited, a
 * builtin call in V8).
 */
export let changedTo = 0;

/**
 * Milliseconds after which a spinning wait yields once per chunk of looks:
 * far beyond the waits of a running peer (a batch of 1024 messages is made
 * or read in tens of microseconds), so only a peer that lost its core is
 * waited for this way; a yield with nothing else to run returns at once.
 */
const LONE_SPIN_MS = 0.2;

/** Looks between two clock reads of a spinning wait (a clock read costs up to 0.2 us in Deno). */
const LOOKS = 1024;
/** The same for a spin of a time (`spinMs`): 1 to 2 us of looks between clock reads. */
const TIMED_LOOKS = 128;

/**
 * Waits in a row that slept after a full spin, after which the sleeping
 * strategy spins only SHORT_SPIN of its time: spinning longer is then
 * futile, and it may be what keeps the other side off the core it needs.
 */
const FUTILE_WAITS = 4;
/** A short spin: about what a futex sleep and wake-up cost here (some 3 of 50 us). */
const SHORT_SPIN = 1 / 16;
/** While spins are short, one in this many (a power of two) is a full one, to see whether they pay again. */
const PROBE_EVERY = 16;

/**
 * How long the spin of a time (`spinMs`) of this wait lasts. The sleeping
 * strategy adapts: after FUTILE_WAITS waits in a row that slept anyway, it
 * spins SHORT_SPIN of the time, and a full spin once every PROBE_EVERY
 * waits; any wait that sees the change while spinning makes spins full
 * again. Two processes on a machine with no free core (two sides and a
 * third busy thread on two cores) had each side spin its full 50 us while
 * the other waited for a core: a round trip took 110-120 us, some 19 times
 * a futex ping-pong's; a stream of batches keeps its consumer spinning
 * between them, as before. The yielding strategy needs none of this: its
 * `sched_yield` hands the core over.
 */
export function spinTime(w: Watch, spinMs: number): number {
  if (w.strategy !== "sleep" || w.futile < FUTILE_WAITS) return spinMs;
  return (++w.probes & (PROBE_EVERY - 1)) === 0 ? spinMs : spinMs * SHORT_SPIN;
}

/**
 * At a clock read `t` of a blocking wait: the first sets the deadline (from
 * `timeoutMs`) and the first liveness check; later ones check both. False
 * when the time ran out.
 */
function inTime(w: Watch, t: number, timeoutMs: number | undefined): boolean {
  if (w.end === UNSTARTED) {
    w.end = timeoutMs === undefined ? Infinity : t + timeoutMs;
    w.nextCheck = t + LIVENESS_MS;
    return true;
  }
  if (t >= w.end) return false;
  if (t >= w.nextCheck) w.check(), w.nextCheck = t + LIVENESS_MS;
  return true;
}

/**
 * The busy part of a blocking wait until `h[index]` (less its ASLEEP bit)
 * is no longer `seen`: the spinning strategy looks until then or until the
 * time runs out; the yielding one looks `spins` times, then calls
 * `sched_yield` between looks; the sleeping one looks `spins` times (or
 * for `spinMs`, counted from the first clock read), then
 * answers SLEEP (the caller goes on with {@linkcode sleepUntilChange} until
 * `w.end`). A look is one `Atomics.load`: no allocation, FFI call or system
 * call. The clock is first read after the first looks (so a wait that ends
 * soon never reads it), and that read starts the `timeoutMs`; set `w.end`
 * to UNSTARTED before a wait's first call.
 */
export function spinWait(w: Watch, seen: number, timeoutMs: number | undefined): number {
  const h = w.h, index = w.index;
  const forever = w.strategy === "spin";
  const spinMs = forever ? 0 : w.spinMs;
  // A spin of a time reads the clock more often, so that it overshoots
  // little where looks are slow (under emulation).
  const chunk = spinMs > 0 ? TIMED_LOOKS : LOOKS;
  let budget = forever || spinMs > 0 ? chunk : w.spins;
  let spinEnd = NaN;
  let lone = NaN;
  for (;;) {
    const looks = budget < chunk ? budget : chunk;
    for (let i = 0; i < looks; i++) {
      const v = atomics.load(h, index) & ~ASLEEP;
      if (v !== seen) return w.futile = 0, changedTo = v, CHANGED;
    }
    const t = now();
    if (!inTime(w, t, timeoutMs)) return TIMED_OUT;
    if (forever) {
      // A spin this long means the other side is not running: most likely
      // it waits for a core, maybe this one. Yielding once per chunk lets
      // it run here at once instead of after this thread's time slice.
      if (lone !== lone) lone = t + LONE_SPIN_MS;
      else if (t >= lone) schedYield();
      continue;
    }
    if (spinMs > 0) {
      if (spinEnd !== spinEnd) spinEnd = t + spinTime(w, spinMs);
      if (t < spinEnd) continue;
      break;
    }
    budget -= looks;
    if (budget <= 0) break;
  }
  if (w.strategy === "sleep") {
    if (spinMs > 0 && w.futile < FUTILE_WAITS) w.futile++;
    return SLEEP;
  }
  for (let i = 1;; i++) {
    schedYield();
    const v = atomics.load(h, index) & ~ASLEEP;
    if (v !== seen) return changedTo = v, CHANGED;
    if ((i & 15) === 0 && !inTime(w, now(), timeoutMs)) return TIMED_OUT;
  }
}

/**
 * Waits until `h[index]` (less its ASLEEP bit) is no longer `seen` (true)
 * or `end` passes (false), asleep on the futex after `spins` looks: the
 * sleeping strategy's rest after {@linkcode spinWait}, and the whole wait
 * of the async forms (whatever the strategy). Sleeps are yielded to the runner.
 */
export function* sleepUntilChange(
  w: Watch,
  seen: number,
  end: number,
  spins: number,
): Steps<boolean> {
  const { h, index } = w;
  for (let i = 0; i < spins; i++) {
    if ((atomics.load(h, index) & ~ASLEEP) !== seen) return true;
  }
  // The first check comes a slice after the sleep began: most end sooner,
  // and a check costs a system call (kill(2)).
  let nextCheck = -1;
  const marked = seen | ASLEEP;
  for (;;) {
    // Another sleeper of this side (an async pop beside this one) may have
    // set the bit already.
    const found = atomics.compareExchange(h, index, seen, marked);
    if (found !== seen && found !== marked) return true;
    const t = now();
    if (t >= end) return false;
    if (nextCheck < 0) nextCheck = t + LIVENESS_MS;
    else if (t >= nextCheck) w.check(), nextCheck = t + LIVENESS_MS;
    yield { view: h, index, expected: marked, ms: mathMin(end - t, LIVENESS_MS), at: w.at };
  }
}
