/**
 * Messages between processes through a `Ring` in named shared memory: this
 * process produces, the other runtime consumes (run it with Deno and Bun
 * consumes, or the other way round). No system call per message, no copy
 * through a pipe: the producer writes into shared memory and publishes with
 * one store, the consumer reads it from there.
 *
 *   deno run --allow-ffi --allow-read --allow-write --allow-run --allow-env examples/ring_buffer.ts [messages] [batch] [wait] [in-place]
 *   bun examples/ring_buffer.ts [messages] [batch] [wait] [in-place]
 *
 * Default: 1,000,000 messages of 8 bytes, one `push` and one `popInto`
 * each; with `batch` above 1, the messages are packed back to back in one
 * buffer and `pushManyFrom` and `popManyInto` move up to that many per index
 * store; with `batch` and `in-place`, they are made and checked in the ring
 * itself (`reserveMany`/`commit`, `peekMany`/`release`: no copy at all).
 * `wait` is the wait strategy of both sides: sleep (default), yield or
 * spin. Both sides check order and a checksum (examples/_exchange.ts).
 */
import { MMap, Ring, type WaitStrategy } from "../mod.ts";
import { exchange, HASH_START, mix, type Tally, valueOf } from "./_exchange.ts";

/** Bytes of the region the ring lives in: a 64 KiB data area. */
export const RING_BYTES: number = Ring.bytesFor(1 << 16);

const WAIT_MS = 30_000;

/**
 * Pushes `count` messages: one `push` each (`batch` 1), up to `batch` per
 * `pushManyFrom`, or (`inPlace`) up to `batch` made in the ring per `reserveMany`.
 */
export function sendAll(ring: Ring, count: number, batch: number, inPlace = false): Tally {
  if (inPlace) return sendInPlace(ring, count, batch);
  const data = new Uint8Array(8 * batch);
  const dv = new DataView(data.buffer);
  const lengths = new Uint32Array(batch).fill(8);
  let hash = HASH_START;
  for (let seq = 0; seq < count;) {
    const k = Math.min(batch, count - seq);
    for (let j = 0; j < k; j++, seq++) {
      const value = valueOf(seq);
      dv.setUint32(j * 8, seq, true);
      dv.setUint32(j * 8 + 4, value, true);
      hash = mix(hash, value);
    }
    const sent = batch === 1
      ? (ring.push(data, WAIT_MS) ? 1 : 0)
      : ring.pushManyFrom(data, k === batch ? lengths : lengths.subarray(0, k), WAIT_MS);
    if (sent !== k) throw new Error(`the ring stayed full for 30 s at message ${seq}`);
  }
  return { messages: count, hash, inOrder: true };
}

/**
 * Pops `count` messages, checking each: one `popInto` each (`batch` 1; or
 * `pop`, a copy each, with `copies`), up to `batch` per `popManyInto`, or
 * (`inPlace`) up to `batch` read in the ring per `peekMany`.
 * `ms` is the time from the first message to the last.
 */
export function receiveAll(
  ring: Ring,
  count: number,
  batch: number,
  copies = false,
  inPlace = false,
): Tally & { ms: number } {
  if (inPlace) return receiveInPlace(ring, count, batch);
  const data = new Uint8Array(8 * batch);
  const dv = new DataView(data.buffer);
  const lengths = new Uint32Array(batch);
  let hash = HASH_START;
  let inOrder = true;
  let t0 = 0;
  for (let seq = 0; seq < count;) {
    let k = 0;
    if (batch > 1) {
      // A subarray only near the end: one per batch was garbage whose
      // collection took a core from the other side.
      const most = count - seq;
      k = ring.popManyInto(data, most >= batch ? lengths : lengths.subarray(0, most), WAIT_MS);
    } else if (copies) {
      const b = ring.pop(WAIT_MS);
      if (b) data.set(b.subarray(0, 8)), lengths[0] = b.length, k = 1;
    } else {
      const n = ring.popInto(data, WAIT_MS);
      if (n !== null) lengths[0] = n, k = 1;
    }
    if (k === 0) throw new Error(`no message after ${seq} for 30 s`);
    if (seq === 0) t0 = performance.now();
    for (let j = 0; j < k; j++, seq++) {
      const value = dv.getUint32(j * 8 + 4, true);
      if (lengths[j] !== 8 || dv.getUint32(j * 8, true) !== seq || value !== valueOf(seq)) {
        inOrder = false;
      }
      hash = mix(hash, value);
    }
  }
  return { messages: count, hash, inOrder, ms: performance.now() - t0 };
}

/**
 * `sendAll` with no copy: each batch of messages is written straight into
 * the ring's slots through one Uint32Array, then published by one `commit`.
 * A typed array, not a DataView: the slots are 8-byte aligned, and in Deno
 * a DataView over them moved a third fewer messages to Bun
 * (bench/proto/stream_floor.ts, `slots`).
 */
function sendInPlace(ring: Ring, count: number, batch: number): Tally {
  let hash = HASH_START;
  for (let seq = 0; seq < count;) {
    const slots = ring.reserveMany(8, Math.min(batch, count - seq), WAIT_MS);
    if (slots === null) throw new Error(`the ring stayed full for 30 s at message ${seq}`);
    const { bytes, count: k, stride } = slots;
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
    const step = stride >> 2;
    for (let j = 0; j < k; j++, seq++) {
      const value = valueOf(seq);
      words[j * step] = seq;
      words[j * step + 1] = value;
      hash = mix(hash, value);
    }
    ring.commit();
  }
  return { messages: count, hash, inOrder: true };
}

/** `receiveAll` with no copy: each run of messages is checked in the ring, then freed by one `release`. */
function receiveInPlace(ring: Ring, count: number, batch: number): Tally & { ms: number } {
  let hash = HASH_START;
  let inOrder = true;
  let t0 = 0;
  for (let seq = 0; seq < count;) {
    const slots = ring.peekMany(Math.min(batch, count - seq), WAIT_MS);
    if (slots === null) throw new Error(`no message after ${seq} for 30 s`);
    if (seq === 0) t0 = performance.now();
    const { bytes, count: k, stride, length } = slots;
    if (length !== 8) inOrder = false;
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
    const step = stride >> 2;
    for (let j = 0; j < k; j++, seq++) {
      const value = words[j * step + 1]!;
      if (words[j * step] !== seq || value !== valueOf(seq)) inOrder = false;
      hash = mix(hash, value);
    }
    ring.release();
  }
  return { messages: count, hash, inOrder, ms: performance.now() - t0 };
}

/** The producer's side: `count` messages into the ring in shared memory `name`. */
export function produce(
  name: string,
  count: number,
  batch = 1,
  wait?: WaitStrategy,
  inPlace = false,
): Tally {
  using m = MMap.shared(name);
  using ring = new Ring(m, 0, RING_BYTES, { wait });
  return sendAll(ring, count, batch, inPlace);
}

/** The consumer's side: `count` messages out of it, checked. */
export function consume(
  name: string,
  count: number,
  batch = 1,
  wait?: WaitStrategy,
  inPlace = false,
): Tally {
  using m = MMap.shared(name);
  using ring = new Ring(m, 0, RING_BYTES, { wait });
  const { messages, hash, inOrder } = receiveAll(ring, count, batch, false, inPlace);
  return { messages, hash, inOrder };
}

/** `[batch] [wait] [in-place]` from the command line. */
function options(args: string[]): [number, WaitStrategy, boolean] {
  const batch = Number(args[0] ?? 1);
  if (!(batch >= 1 && batch <= 4096)) throw new RangeError("batch must be 1 to 4096");
  if (args[2] !== undefined && args[2] !== "in-place") {
    throw new TypeError(`the fourth argument may only be in-place, not ${args[2]}`);
  }
  return [batch, (args[1] ?? "sleep") as WaitStrategy, args[2] === "in-place"];
}

if (import.meta.main) {
  await exchange(new URL(import.meta.url), {
    bytes: RING_BYTES,
    produce: (name, count, args) => produce(name, count, ...options(args)),
    consume: (name, count, args) => consume(name, count, ...options(args)),
  }, (args) => {
    const [batch, wait, inPlace] = options(args);
    return `batch ${batch}, ${wait}${inPlace ? ", in place" : ""}`;
  });
}
