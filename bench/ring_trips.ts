/**
 * The round trips of bench/sync.ts's Ring part: the driver's loop and the
 * peer's echo. A module of its own so that each workload imports a copy
 * (bench/sync_ring.ts's freshTrips) whose functions start with no type
 * feedback, as in a process that does only that one job.
 */
import type { Ring } from "../mod.ts";

const WAIT_MS = 60_000;

/** Returns each message of `from` into `to` until an empty one comes (the peer's side of round trips). */
export function echo(from: Ring, to: Ring): void {
  const buf = new Uint8Array(8);
  for (;;) {
    const n = from.popInto(buf, WAIT_MS);
    if (n === null) throw new Error("no message for 60 s");
    if (n === 0) return;
    // The whole buffer when it is the message: a subarray would allocate per message.
    to.push(n === buf.length ? buf : buf.subarray(0, n), WAIT_MS);
  }
}

/**
 * Round trips through A and back through B for `seconds`, timed in three
 * slices; returns how many per second in the fastest (C's references are
 * the fastest of three runs too: both sides of the ratio by one rule).
 */
export function roundTrips(a: Ring, b: Ring, seconds: number): number {
  const msg = new Uint8Array(8);
  const back = new Uint8Array(8);
  // Untimed: the peer imports its copy of this module when the command
  // comes, so the first echo waits for that.
  for (let i = 0; i < 1000; i++) {
    a.push(msg, WAIT_MS);
    if (b.popInto(back, WAIT_MS) !== 8) throw new Error("the echo did not come back");
  }
  let best = 0;
  for (let slice = 0; slice < 3; slice++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < seconds * 1000 / 3) {
      for (let i = 0; i < 100; i++, n++) {
        a.push(msg, WAIT_MS);
        if (b.popInto(back, WAIT_MS) !== 8) throw new Error("the echo did not come back");
      }
      t = performance.now();
    }
    const rate = n / (t - t0) * 1000;
    if (rate > best) best = rate;
  }
  a.push(new Uint8Array(0), WAIT_MS);
  return best;
}
