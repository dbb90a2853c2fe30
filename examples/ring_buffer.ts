/**
 * Messages between processes through a `Ring` in named shared memory: this
 * process produces, the other runtime consumes (run it with Deno and Bun
 * consumes, or the other way round). No system call per message, no copy
 * through a pipe: the producer writes into shared memory and publishes with
 * one store, the consumer reads it from there.
 *
 *   deno run --allow-ffi --allow-read --allow-write --allow-run --allow-env examples/ring_buffer.ts [messages] [batch] [wait]
 *   bun examples/ring_buffer.ts [messages] [batch] [wait]
 *
 * Each message is 8 bytes: its sequence number and a pseudo-random value.
 * The consumer checks that sequence numbers arrive in order, each once, and
 * both sides hash the values they saw: equal counts and equal hashes mean no
 * message was lost, duplicated or damaged. Default: 1,000,000 messages, one
 * `push` and one `popInto` each; with `batch` above 1, `pushMany` and
 * `popManyInto` move up to that many per index store. `wait` is the wait
 * strategy of both sides: sleep (default), yield or spin.
 */
import process from "node:process";
import { MMap, Ring, type WaitStrategy } from "../mod.ts";
import { finished, lastJson, otherRuntime, start, thisRuntime } from "./_peers.ts";

/** Bytes of the region the ring lives in: a 64 KiB data area. */
export const RING_BYTES: number = Ring.bytesFor(1 << 16);

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

const WAIT_MS = 30_000;

/** Writes `count` messages into the ring, up to `batch` per index store. */
export function produce(name: string, count: number, batch = 1, wait?: WaitStrategy): Tally {
  using m = MMap.shared(name);
  using ring = new Ring(m, 0, RING_BYTES, { wait });
  const slots = Array.from({ length: batch }, () => new Uint8Array(8));
  const views = slots.map((s) => new DataView(s.buffer));
  let hash = HASH_START;
  for (let seq = 0; seq < count;) {
    const k = Math.min(batch, count - seq);
    for (let j = 0; j < k; j++, seq++) {
      const value = valueOf(seq);
      views[j].setUint32(0, seq, true);
      views[j].setUint32(4, value, true);
      hash = mix(hash, value);
    }
    const sent = k === 1
      ? (ring.push(slots[0], WAIT_MS) ? 1 : 0)
      : ring.pushMany(k === batch ? slots : slots.slice(0, k), WAIT_MS);
    if (sent !== k) throw new Error(`the ring stayed full for 30 s at message ${seq}`);
  }
  return { messages: count, hash, inOrder: true };
}

/** Reads `count` messages from the ring, checking their order; up to `batch` at a time. */
export function consume(name: string, count: number, batch = 1, wait?: WaitStrategy): Tally {
  using m = MMap.shared(name);
  using ring = new Ring(m, 0, RING_BYTES, { wait });
  const data = new Uint8Array(8 * batch);
  const dv = new DataView(data.buffer);
  const lengths = new Uint32Array(batch);
  let hash = HASH_START;
  let inOrder = true;
  for (let seq = 0; seq < count;) {
    const k = batch === 1
      ? (ring.popInto(data, WAIT_MS) === null ? 0 : (lengths[0] = 8, 1))
      : ring.popManyInto(data, lengths.subarray(0, Math.min(batch, count - seq)), WAIT_MS);
    if (k === 0) throw new Error(`no message after ${seq} for 30 s`);
    for (let j = 0; j < k; j++, seq++) {
      const value = dv.getUint32(j * 8 + 4, true);
      if (lengths[j] !== 8 || dv.getUint32(j * 8, true) !== seq || value !== valueOf(seq)) {
        inOrder = false;
      }
      hash = mix(hash, value);
    }
  }
  return { messages: count, hash, inOrder };
}

async function main(count: number, batch: number, wait: WaitStrategy): Promise<void> {
  const name = `ring-buffer-${process.pid}`;
  MMap.shared(name, RING_BYTES, { exclusive: true }).close();
  try {
    const consumer = finished(
      start(otherRuntime, new URL(import.meta.url), [
        "--consume",
        name,
        `${count}`,
        `${batch}`,
        wait,
      ]),
    );
    const t0 = performance.now();
    const sent = produce(name, count, batch, wait);
    const got = await consumer;
    const ms = performance.now() - t0;
    if (got.status !== 0) {
      throw new Error(`the ${otherRuntime} consumer failed: ${got.status ?? got.signal}`);
    }
    const received = lastJson<Tally>(got.stdout);
    const ok = received.inOrder && received.messages === sent.messages &&
      received.hash === sent.hash;
    console.log(
      `${thisRuntime} -> ${otherRuntime}: ${count} messages (batch ${batch}, ${wait}) in ${
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

if (import.meta.main) {
  const args = process.argv.slice(2);
  if (args[0] === "--consume" || args[0] === "--produce") {
    const side = args[0] === "--consume" ? consume : produce;
    const tally = side(args[1], Number(args[2]), Number(args[3]), args[4] as WaitStrategy);
    console.log(JSON.stringify(tally));
  } else {
    const batch = Number(args[1] ?? 1);
    if (!(batch >= 1 && batch <= 4096)) throw new RangeError("batch must be 1 to 4096");
    await main(Number(args[0] ?? 1_000_000), batch, (args[2] ?? "sleep") as WaitStrategy);
  }
}
