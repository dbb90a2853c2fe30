/**
 * The Ring's part of bench/sync.ts: 8-byte messages one at a time and in
 * batches, both directions between the driver and its peer, and round
 * trips, with each wait strategy; and the C references (bench/refs/
 * sync_refs.c, compiled here with gcc) that say what the machine can do.
 *
 * Two rings live in one region: ring A carries driver -> peer, ring B
 * peer -> driver. The consumer times itself from its first message to its
 * last, so start-up and command hand-over are not counted.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MMap, Ring, type WaitStrategy } from "../mod.ts";

/** Bytes of each ring: a 64 KiB data area (4096 records of 8-byte messages). */
export const RING_EACH: number = Ring.bytesFor(1 << 16);
/** Bytes of the region that holds both rings. */
export const RINGS_BYTES: number = 2 * RING_EACH;

/** What the peer is asked to do with the rings. */
export const CONSUME = 1;
export const PRODUCE = 2;
export const ECHO = 3;

/** How a strategy travels in a control word. */
export const STRATEGIES: { name: string; wait: WaitStrategy; spins?: number }[] = [
  { name: "spin", wait: "spin" },
  { name: "yield", wait: "yield" },
  { name: "sleep", wait: "sleep" },
  { name: "sleep, spins 0", wait: "sleep", spins: 0 },
];

/** Ring A (`which` 0) or B (1) of the region, with strategy `s`. */
export function openRing(m: MMap, which: number, s: number): Ring {
  const { wait, spins } = STRATEGIES[s];
  return new Ring(m, which * RING_EACH, RING_EACH, { wait, spins });
}

/** The sender and the receiver of examples/ring_buffer.ts. */
export type Exchange = Pick<typeof import("../examples/ring_buffer.ts"), "sendAll" | "receiveAll">;

let loaded = 0;

/**
 * A copy of examples/ring_buffer.ts of its own (another URL is another
 * module, with functions whose type feedback starts empty), so that each
 * workload runs its loops as a process doing only that job would. With one
 * copy for all, how an earlier workload left them decided how a later one
 * ran: V8 deoptimized the receiver at the return of one workload (a field
 * of its tally changed representation) and began the next in unoptimized
 * code, and which cell came out slow moved from run to run.
 */
export async function freshExchange(): Promise<Exchange> {
  const url = new URL(`../examples/ring_buffer.ts?copy=${++loaded}`, import.meta.url);
  return await import(url.href) as Exchange;
}

/**
 * How the examples' loops move messages: `INTO` popInto each (or, batched,
 * pushManyFrom/popManyInto), `COPIES` pop each (a copy), `IN_PLACE`
 * reserveMany/peekMany (batched, no copy).
 */
export const INTO = 0;
export const COPIES = 1;
export const IN_PLACE = 2;

/**
 * Pops `n` messages with `exchange`'s receiver (`batch` 1: popInto each, or
 * pop each with `way` COPIES; more: popManyInto, or peekMany with `way`
 * IN_PLACE), checking each; returns ms from the first to the last and
 * whether all were right.
 */
export function consumeN(
  { receiveAll }: Exchange,
  ring: Ring,
  n: number,
  batch: number,
  way: number,
): { ms: number; ok: boolean } {
  const got = receiveAll(ring, n, batch, way === COPIES, way === IN_PLACE);
  return { ms: got.ms, ok: got.inOrder && got.messages === n };
}

/** The two sides of the round trips, from bench/ring_trips.ts. */
export type Trips = typeof import("./ring_trips.ts");

/**
 * A copy of bench/ring_trips.ts of its own, for one round-trip workload:
 * as {@linkcode freshExchange} for the examples' loops. With one copy for
 * all four strategies, the spinning round trips ran after the warm-up's
 * sleeping ones in code shaped by them.
 */
export async function freshTrips(): Promise<Trips> {
  const url = new URL(`./ring_trips.ts?copy=${++loaded}`, import.meta.url);
  return await import(url.href) as Trips;
}

/** What the C references measured, per second (null: no gcc). */
export interface CRefs {
  futex: number;
  spin: number;
  ring: number;
  /** Round trips through two rings of the Ring's layout and protocol, spinning. */
  ringTrip: number;
  /** The same through a prototype protocol that moves one cache line per small message. */
  stampTrip: number;
}

/** sync_refs.c, compiled: `run(what, arg)` runs one reference and returns its rate per second. */
export interface CProgram {
  run(what: string, arg: string): number;
  /** Removes the program. */
  close(): void;
}

/** Compiles bench/refs/sync_refs.c with gcc; null when gcc is missing or fails. */
export function compileReferences(): CProgram | null {
  const dir = mkdtempSync(join(tmpdir(), "sync-refs-"));
  const close = () => rmSync(dir, { recursive: true, force: true });
  const source = decodeURIComponent(new URL("./refs/sync_refs.c", import.meta.url).pathname);
  const exe = join(dir, "sync_refs");
  const cc = spawnSync("gcc", ["-O2", "-o", exe, source], { encoding: "utf8" });
  if (cc.status !== 0) {
    close();
    return null;
  }
  return {
    run(what, arg) {
      const r = spawnSync(exe, [what, arg], { encoding: "utf8", timeout: 120_000 });
      if (r.status !== 0) throw new Error(`sync_refs ${what} ${arg} failed: ${r.stderr}`);
      return (JSON.parse(r.stdout) as { perSecond: number }).perSecond;
    },
    close,
  };
}

/**
 * Runs each reference of `c` three times (a third of `seconds` each),
 * keeping the fastest: one run's figure moved by 2.5x from run to run.
 */
export function cReferences(c: CProgram, seconds: number, messages: number): CRefs {
  const best = (what: string, arg: string) =>
    Math.max(c.run(what, arg), c.run(what, arg), c.run(what, arg));
  const third = `${seconds / 3}`;
  return {
    futex: best("futex", third),
    spin: best("spin", third),
    ring: best("ring", `${messages}`),
    ringTrip: best("ringtrip", third),
    stampTrip: best("stamptrip", third),
  };
}
