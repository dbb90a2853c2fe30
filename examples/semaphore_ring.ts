/**
 * A bounded producer/consumer queue of fixed slots built from two
 * Semaphores, in named shared memory: this process produces, the other
 * runtime consumes. It shows what counting semaphores are for (free slots,
 * used slots); for messages, `Ring` (examples/ring_buffer.ts) is the tool:
 * it pays no system call per message.
 *
 *   deno run --allow-ffi --allow-read --allow-write --allow-run --allow-env examples/semaphore_ring.ts [messages] [batch]
 *   bun examples/semaphore_ring.ts [messages] [batch]
 *
 * Default: 1,000,000 messages of 8 bytes, one Semaphore acquire and release
 * per message on each side; with `batch` above 1 a side takes up to that many
 * slots that are ready at once (at most 1024, the ring's size). Both sides
 * check order and a checksum (examples/_exchange.ts).
 */
import { MMap, Semaphore } from "../mod.ts";
import { exchange, HASH_START, mix, type Tally, valueOf } from "./_exchange.ts";

/** Slots in the ring. */
const SLOTS = 1024;
const FREE = 0; // Semaphore: free slots
const USED = 8; // Semaphore: slots holding a message
const RING = 64; // SLOTS messages of two Uint32s
/** Bytes of the region the ring lives in. */
export const RING_BYTES = RING + SLOTS * 8;

function open(name: string): { m: MMap; free: Semaphore; used: Semaphore; ring: Uint32Array } {
  const m = MMap.shared(name);
  return {
    m,
    free: new Semaphore(m, FREE, SLOTS),
    used: new Semaphore(m, USED, 0),
    ring: m.view(Uint32Array, RING, SLOTS * 2),
  };
}

/**
 * Takes one unit of `s` (waiting for it), then up to `most - 1` more that
 * are there already; returns how many.
 */
function take(s: Semaphore, most: number, what: string): number {
  if (!s.acquire(30_000)) throw new Error(`${what} for 30 s`);
  let k = 1;
  while (k < most && s.tryAcquire()) k++;
  return k;
}

/** Writes `count` messages into the ring, handing over up to `batch` at a time. */
export function produce(name: string, count: number, batch = 1): Tally {
  const { m, free, used, ring } = open(name);
  using _ = m;
  let hash = HASH_START;
  for (let seq = 0; seq < count;) {
    const k = take(free, Math.min(batch, count - seq), `no free slot at message ${seq}`);
    for (const end = seq + k; seq < end; seq++) {
      const at = (seq % SLOTS) * 2;
      const value = valueOf(seq);
      ring[at] = seq;
      ring[at + 1] = value;
      hash = mix(hash, value);
    }
    used.release(k);
  }
  return { messages: count, hash, inOrder: true };
}

/** Reads `count` messages from the ring, checking their order; up to `batch` at a time. */
export function consume(name: string, count: number, batch = 1): Tally {
  const { m, free, used, ring } = open(name);
  using _ = m;
  let hash = HASH_START;
  let inOrder = true;
  for (let seq = 0; seq < count;) {
    const k = take(used, Math.min(batch, count - seq), `no message after ${seq}`);
    for (const end = seq + k; seq < end; seq++) {
      const at = (seq % SLOTS) * 2;
      if (ring[at] !== seq || ring[at + 1] !== valueOf(seq)) inOrder = false;
      hash = mix(hash, ring[at + 1]);
    }
    free.release(k);
  }
  return { messages: count, hash, inOrder };
}

if (import.meta.main) {
  await exchange(new URL(import.meta.url), {
    bytes: RING_BYTES,
    produce: (name, count, args) => produce(name, count, Number(args[0] ?? 1)),
    consume: (name, count, args) => consume(name, count, Number(args[0] ?? 1)),
  }, (args) => `batch ${args[0] ?? 1}`);
}
