/**
 * What the two message examples (ring_buffer.ts: a Ring; semaphore_ring.ts:
 * two Semaphores over fixed slots) share, so that each shows only its own
 * way of moving messages: the messages themselves, the checksum both sides
 * keep, and the driver that runs this process as the producer and the other
 * runtime as the consumer.
 *
 * Each message is 8 bytes: its sequence number and a pseudo-random value.
 * The consumer checks that sequence numbers arrive in order, each once, and
 * both sides hash the values they saw: equal counts and equal hashes mean no
 * message was lost, duplicated or damaged.
 */
import process from "node:process";
import { MMap } from "../mod.ts";
import { finished, lastJson, otherRuntime, start, thisRuntime } from "./_peers.ts";

/** What each side reports. */
export interface Tally {
  messages: number;
  hash: number;
  inOrder: boolean;
}

/** The value carried by message `seq` (xorshift32 of it): hard to fake by accident. */
export function valueOf(seq: number): number {
  let x = (seq + 0x9e3779b9) | 0;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

/** The hash of no values. */
export const HASH_START = 2166136261;

/** FNV-1a-style running hash of the values seen. */
export function mix(hash: number, value: number): number {
  return Math.imul(hash ^ value, 16777619) >>> 0;
}

/** One example's two sides, each given the name of the shared memory and the rest of its arguments. */
export interface Sides {
  /** Bytes of named shared memory the messages go through (zeroed when made). */
  bytes: number;
  produce(name: string, count: number, args: string[]): Tally;
  consume(name: string, count: number, args: string[]): Tally;
}

/**
 * The example's command line: `--consume NAME COUNT ...args` (or
 * `--produce`) runs one side and prints its tally; anything else is
 * `[COUNT] ...args`: this process produces COUNT messages (default
 * 1,000,000) into fresh shared memory while the other runtime consumes
 * them, then both tallies are printed and compared (exit status 1 if they
 * differ). `describe(args)` names the run in the summary line.
 */
export async function exchange(
  script: URL,
  sides: Sides,
  describe: (args: string[]) => string,
): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--consume" || argv[0] === "--produce") {
    const side = argv[0] === "--consume" ? sides.consume : sides.produce;
    console.log(JSON.stringify(side(argv[1], Number(argv[2]), argv.slice(3))));
    return;
  }
  const count = Number(argv[0] ?? 1_000_000);
  const args = argv.slice(1);
  const name = `${script.pathname.split("/").pop()!.replace(/\W/g, "-")}-${process.pid}`;
  MMap.shared(name, sides.bytes, { exclusive: true }).close();
  try {
    const consumer = finished(
      start(otherRuntime, script, ["--consume", name, `${count}`, ...args]),
    );
    const t0 = performance.now();
    const sent = sides.produce(name, count, args);
    const got = await consumer;
    const ms = performance.now() - t0;
    if (got.status !== 0) {
      throw new Error(`the ${otherRuntime} consumer failed: ${got.status ?? got.signal}`);
    }
    const received = lastJson<Tally>(got.stdout);
    const ok = received.inOrder && received.messages === sent.messages &&
      received.hash === sent.hash;
    console.log(
      `${thisRuntime} -> ${otherRuntime}: ${count} messages (${describe(args)}) in ${
        ms.toFixed(0)
      } ms (${(count / ms * 1000 / 1e6).toFixed(2)} M/s, including the consumer's start-up)`,
    );
    console.log(
      JSON.stringify({ producer: thisRuntime, consumer: otherRuntime, sent, received, ok }),
    );
    if (!ok) process.exitCode = 1;
  } finally {
    MMap.unlinkShared(name);
  }
}
