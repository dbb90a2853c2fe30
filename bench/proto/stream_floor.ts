/**
 * Bench-only probe (not library code): what rings in shared memory can
 * carry of bench/sync.ts's batch workload between a Deno and a Bun process,
 * with none of the library's code, beside the library's batch forms, so
 * that the Ring's batch rows and the socket's can be read against them. The
 * workload is the same: 8-byte messages (a sequence number and `valueOf` of
 * it), made and hashed by the producer, checked and hashed by the consumer,
 * 1024 published per index store (a store of head), spinning.
 *
 *   deno run -A bench/proto/stream_floor.ts [MESSAGES [REPS]] [--json]   |   bun bench/proto/stream_floor.ts ...
 *
 * Variants, each both ways (this process producing, then consuming), the
 * fastest of REPS runs after an untimed one:
 *   inplace  headerless 8-byte slots, messages made straight into the ring
 *            and checked straight out of it (zero-copy)
 *   copied   the same slots; made in a buffer of the producer's and copied in
 *            with one `set()` a batch, copied out into the consumer's with one
 *            `set()` and checked there (a batch moved as one block)
 *   framed   the Ring's layout-1 records (length, 0, payload: 16 bytes a
 *            message), made and checked in place through Int32 views
 *   twopass  the same records, made and checked through each side's own
 *            buffer as the examples' loops do with the batch forms, the records
 *            copied in and out a word at a time, no checks
 *   library  the library's `Ring` (`pushManyFrom`/`popManyInto`), same loops
 *   slots    the library's `Ring` in place (`reserveMany`/`peekMany`),
 *            made and checked through a Uint32Array over each batch's slots,
 *            as examples/ring_buffer.ts does (through a DataView, Deno
 *            producing into Bun moved 108-151 M/s where this moved 166-199,
 *            2026-12-04 19:51 UTC; the other way both moved the same)
 */
import process from "node:process";
import { MMap, Ring } from "../../mod.ts";
import { HASH_START, mix, valueOf } from "../../examples/_exchange.ts";
import { otherRuntime, start, thisRuntime } from "../../examples/_peers.ts";

const BATCH = 1024;
const CAP = 1 << 16; // data bytes: 8192 slots
const HEAD = 16, TAIL = 32; // Int32 words, each on a line of its own
const DATA = 256; // byte offset of the data area
const BYTES = DATA + CAP;
const CONTROL = BYTES; // the driver's commands: [seq, variant*2 + who produces, count, done, ok]
const ALL = BYTES + 64;
const VARIANTS = ["inplace", "copied", "framed", "twopass", "library", "slots"];

/** Produces `count` messages into the ring by `VARIANTS[variant]`; returns their hash. */
function produce(m: MMap, variant: number, count: number): number {
  const copied = variant === 1, framed = variant === 2;
  const v = m.view(Int32Array, 0, BYTES / 4);
  const d32 = m.view(Int32Array, DATA, CAP / 4);
  const ring = m.view(Uint8Array, DATA, CAP);
  const dv = new DataView(ring.buffer, ring.byteOffset, CAP);
  const mine = new Uint8Array(8 * BATCH);
  const mdv = new DataView(mine.buffer);
  const m32 = new Int32Array(mine.buffer), lengths = new Uint32Array(BATCH).fill(8);
  const ring4 = variant >= 4 ? new Ring(m, 0, BYTES, { wait: "spin" }) : null;
  let hash = HASH_START;
  let head = 0, tailSeen = 0;
  for (let seq = 0; seq < count;) {
    if (variant === 5) {
      const slots = ring4!.reserveMany(8, Math.min(BATCH, count - seq), 30_000);
      if (slots === null) throw new Error("full");
      const { bytes, count: k, stride } = slots;
      const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
      const step = stride >> 2;
      for (let j = 0; j < k; j++, seq++) {
        const value = valueOf(seq);
        words[j * step] = seq;
        words[j * step + 1] = value;
        hash = mix(hash, value);
      }
      ring4!.commit();
      continue;
    }
    const k = Math.min(BATCH, count - seq);
    if (variant >= 3) {
      for (let j = 0; j < k; j++, seq++) {
        const value = valueOf(seq);
        mdv.setUint32(j * 8, seq, true);
        mdv.setUint32(j * 8 + 4, value, true);
        hash = mix(hash, value);
      }
      if (variant === 4) {
        if (
          ring4!.pushManyFrom(mine, k === BATCH ? lengths : lengths.subarray(0, k), 30_000) !== k
        ) throw new Error("full");
        continue;
      }
      while (head + 16 * k - tailSeen > CAP) tailSeen = Atomics.load(v, TAIL);
      const at = head % CAP;
      for (let j = 0; j < k; j++) {
        const w = (at >> 2) + j * 4;
        d32[w] = 8;
        d32[w + 1] = 0;
        d32[w + 2] = m32[j * 2]!;
        d32[w + 3] = m32[j * 2 + 1]!;
      }
      head += 16 * k;
      Atomics.store(v, HEAD, head);
      continue;
    }
    if (framed) {
      while (head + 16 * k - tailSeen > CAP) tailSeen = Atomics.load(v, TAIL);
      const at = head % CAP;
      for (let j = 0; j < k; j++, seq++) {
        const value = valueOf(seq);
        const w = (at >> 2) + j * 4;
        d32[w] = 8;
        d32[w + 1] = 0;
        d32[w + 2] = seq;
        d32[w + 3] = value;
        hash = mix(hash, value);
      }
      head += 16 * k;
      Atomics.store(v, HEAD, head);
      continue;
    }
    while (head + 8 * k - tailSeen > CAP) tailSeen = Atomics.load(v, TAIL);
    const at = head % CAP; // CAP is a multiple of 8 * BATCH: a batch never wraps
    const out = copied ? mdv : dv, base = copied ? 0 : at;
    for (let j = 0; j < k; j++, seq++) {
      const value = valueOf(seq);
      out.setUint32(base + j * 8, seq, true);
      out.setUint32(base + j * 8 + 4, value, true);
      hash = mix(hash, value);
    }
    if (copied) ring.set(k === BATCH ? mine : mine.subarray(0, 8 * k), at);
    head += 8 * k;
    Atomics.store(v, HEAD, head);
  }
  ring4?.close();
  return hash;
}

/** Consumes `count` messages, checking each; returns the hash, whether all were right, and ms from the first. */
function consume(m: MMap, variant: number, count: number): [number, boolean, number] {
  const copied = variant === 1, framed = variant === 2;
  const v = m.view(Int32Array, 0, BYTES / 4);
  const d32 = m.view(Int32Array, DATA, CAP / 4);
  const ring = m.view(Uint8Array, DATA, CAP);
  const dv = new DataView(ring.buffer, ring.byteOffset, CAP);
  const mine = new Uint8Array(8 * BATCH);
  const mdv = new DataView(mine.buffer);
  const m32 = new Int32Array(mine.buffer), lengths = new Uint32Array(BATCH);
  const ring4 = variant >= 4 ? new Ring(m, 0, BYTES, { wait: "spin" }) : null;
  let hash = HASH_START, ok = true, t0 = 0;
  let tail = 0, headSeen = 0;
  for (let seq = 0; seq < count;) {
    if (variant === 5) {
      const slots = ring4!.peekMany(BATCH, 30_000);
      if (slots === null) throw new Error("empty");
      if (seq === 0) t0 = performance.now();
      const { bytes, count: k, stride } = slots;
      if (slots.length !== 8) ok = false;
      const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
      const step = stride >> 2;
      for (let j = 0; j < k; j++, seq++) {
        const value = words[j * step + 1]!;
        if (words[j * step] !== seq || value !== valueOf(seq)) ok = false;
        hash = mix(hash, value);
      }
      ring4!.release();
      continue;
    }
    if (variant === 4) {
      const k = ring4!.popManyInto(mine, lengths, 30_000);
      if (seq === 0) t0 = performance.now();
      for (let j = 0; j < k; j++, seq++) {
        const value = mdv.getUint32(j * 8 + 4, true);
        if (lengths[j] !== 8 || mdv.getUint32(j * 8, true) !== seq || value !== valueOf(seq)) {
          ok = false;
        }
        hash = mix(hash, value);
      }
      continue;
    }
    while (headSeen === tail) headSeen = Atomics.load(v, HEAD);
    if (seq === 0) t0 = performance.now();
    if (variant === 3) {
      const k = Math.min(BATCH, (headSeen - tail) / 16), at = tail % CAP;
      for (let j = 0; j < k; j++) {
        const w = (at >> 2) + j * 4;
        lengths[j] = d32[w]!;
        m32[j * 2] = d32[w + 2]!;
        m32[j * 2 + 1] = d32[w + 3]!;
      }
      tail += 16 * k;
      Atomics.store(v, TAIL, tail);
      for (let j = 0; j < k; j++, seq++) {
        const value = mdv.getUint32(j * 8 + 4, true);
        if (lengths[j] !== 8 || mdv.getUint32(j * 8, true) !== seq || value !== valueOf(seq)) {
          ok = false;
        }
        hash = mix(hash, value);
      }
      continue;
    }
    if (framed) {
      const k = Math.min(BATCH, (headSeen - tail) / 16), at = tail % CAP;
      for (let j = 0; j < k; j++, seq++) {
        const w = (at >> 2) + j * 4;
        const value = d32[w + 3]! >>> 0;
        if (d32[w] !== 8 || d32[w + 2] !== seq || value !== valueOf(seq)) ok = false;
        hash = mix(hash, value);
      }
      tail += 16 * k;
      Atomics.store(v, TAIL, tail);
      continue;
    }
    const k = Math.min(BATCH, (headSeen - tail) / 8);
    const at = tail % CAP;
    if (copied) mine.set(ring.subarray(at, at + 8 * k));
    const src = copied ? mdv : dv, base = copied ? 0 : at;
    for (let j = 0; j < k; j++, seq++) {
      const value = src.getUint32(base + j * 8 + 4, true);
      if (src.getUint32(base + j * 8, true) !== seq || value !== valueOf(seq)) ok = false;
      hash = mix(hash, value);
    }
    tail += 8 * k;
    Atomics.store(v, TAIL, tail);
  }
  const ms = performance.now() - t0;
  ring4?.close();
  return [hash, ok, ms];
}

function peer(name: string): void {
  using m = MMap.shared(name);
  const c = m.view(Int32Array, CONTROL, 8);
  const f = m.view(Float64Array, CONTROL + 32, 1);
  for (let seen = 0;;) {
    while (Atomics.load(c, 0) === seen);
    seen = Atomics.load(c, 0);
    const what = Atomics.load(c, 1), count = Atomics.load(c, 2);
    if (what < 0) return;
    const variant = what >> 1;
    if (what & 1) {
      // The driver produces: this side consumes and reports.
      const [hash, ok, ms] = consume(m, variant, count);
      f[0] = ms;
      Atomics.store(c, 4, ok ? hash | 0 : 0);
      Atomics.store(c, 5, ok ? 1 : 0);
    } else produce(m, variant, count);
    Atomics.store(c, 3, seen);
  }
}

/** Messages per second of each variant, [this side producing, consuming], fastest of `reps`. */
export async function streamFloors(
  count: number,
  reps: number,
): Promise<Record<string, [number, number]>> {
  const name = `proto-stream-${process.pid}`;
  using m = MMap.shared(name, ALL, { exclusive: true });
  const c = m.view(Int32Array, CONTROL, 8);
  const f = m.view(Float64Array, CONTROL + 32, 1);
  const child = start(otherRuntime, new URL(import.meta.url), ["--peer", name]);
  const best: Record<string, [number, number]> = {};
  let seq = 0;
  const order = (what: number) => {
    m.view(Uint8Array, 0, BYTES).fill(0);
    Atomics.store(c, 1, what);
    Atomics.store(c, 2, count);
    Atomics.store(c, 0, ++seq);
  };
  const done = async () => {
    while (Atomics.load(c, 3) !== seq) await new Promise((r) => setTimeout(r, 1));
  };
  try {
    for (let rep = -1; rep < reps; rep++) { // rep -1: an untimed warm-up of each
      for (let k = 0; k < VARIANTS.length; k++) {
        order(k * 2 + 1);
        const hash = produce(m, k, count);
        await done();
        if (Atomics.load(c, 5) !== 1 || Atomics.load(c, 4) !== (hash | 0)) {
          throw new Error(`${VARIANTS[k]}: the consumer saw other messages`);
        }
        const out = count / f[0] * 1000;
        order(k * 2);
        const [backHash, ok, ms] = consume(m, k, count);
        await done();
        if (!ok || backHash !== hash) throw new Error(`${VARIANTS[k]}: wrong messages back`);
        const back = count / ms * 1000;
        if (rep < 0) continue;
        const b = best[VARIANTS[k]] ??= [0, 0];
        b[0] = Math.max(b[0], out);
        b[1] = Math.max(b[1], back);
      }
    }
    order(-1);
    await new Promise((r) => child.on("close", r));
    return best;
  } finally {
    child.kill();
    MMap.unlinkShared(name);
  }
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  if (args[0] === "--peer") peer(args[1]);
  else {
    const [count = 2_000_000, reps = 3] = args.filter((a) => !a.startsWith("--")).map(Number);
    const floors = await streamFloors(count, reps);
    if (args.includes("--json")) console.log(JSON.stringify(floors));
    else {
      console.log(
        `${thisRuntime} <-> ${otherRuntime}, ${count} 8-byte messages, fastest of ${reps} (-> | back):`,
      );
      for (const [k, [o, b]] of Object.entries(floors)) {
        console.log(`  ${k.padEnd(8)} ${(o / 1e6).toFixed(1)} | ${(b / 1e6).toFixed(1)} M/s`);
      }
    }
  }
}
