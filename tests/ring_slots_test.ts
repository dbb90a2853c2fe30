/**
 * The Ring's in-place batch forms, `reserveMany`/`commit` and
 * `peekMany`/`release`: what they give, wrap-around with every length,
 * runs that end at another length, timeouts, argument errors, and a ring
 * whose memory lies (never a view outside the data area).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MMap, Ring, RingCorruptError, type RingSlots } from "../mod.ts";

const BYTES = Ring.bytesFor(4096);
const HEAD = 16;
const TAIL = 32;
/** Byte offset of the data area in the map (the ring starts at 0). */
const DATA = Ring.HEADER_BYTES;

/** Message `i` of `s` (a copy). */
const nth = (s: RingSlots, i: number) => s.bytes.slice(i * s.stride, i * s.stride + s.length);

/** A message of `n` bytes whose contents depend on `seed`. */
function message(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

describe("Ring.reserveMany / commit", () => {
  it("gives count slots in place, published by one commit, each popped as a message", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const words = m.view(Int32Array, 0, 64);
    const s = ring.reserveMany(5, 10)!;
    assert.equal(s.count, 10);
    assert.equal(s.length, 5);
    assert.equal(s.stride, 16);
    assert.equal(s.bytes.length, 9 * 16 + 5);
    assert.equal(s.bytes.byteOffset % 8, 0, "8-byte aligned");
    for (let i = 0; i < s.count; i++) s.bytes.set(message(5, i), i * s.stride);
    assert.equal(Atomics.load(words, HEAD), 0, "nothing is published before commit");
    assert.throws(() => ring.push(Uint8Array.of(1)), /commit/);
    ring.commit();
    assert.equal(Atomics.load(words, HEAD), 160);
    for (let i = 0; i < 10; i++) assert.deepEqual(ring.tryPop(), message(5, i), `message ${i}`);
    assert.equal(ring.tryPop(), null);
  });

  it("gives only what fits: the room the consumer left, or the run before the end", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    // 4096 bytes hold 256 records of 16.
    assert.equal(ring.reserveMany(8, 1000)!.count, 256);
    ring.commit();
    assert.equal(ring.reserveMany(8, 1, 0), null, "full");
    assert.equal(ring.popMany(200).length, 200);
    let s = ring.reserveMany(8, 1000, 0)!;
    assert.deepEqual([s.count, s.bytes.byteOffset], [200, 8], "the room 200 pops freed");
    ring.commit();
    assert.equal(ring.popMany().length, 256);
    // Head is at 3200: 56 records fit before the end, the rest come next, from 0.
    s = ring.reserveMany(8, 1000, 0)!;
    assert.deepEqual([s.count, s.bytes.byteOffset], [56, 3208]);
    assert.equal(s.bytes.byteOffset + s.bytes.length, 4096);
    s = ring.reserveMany(8, 1000, 0)!;
    assert.deepEqual([s.count, s.bytes.byteOffset], [200, 8]);
    ring.commit();
    assert.equal(ring.popMany().length, 256);
    // Records of 24 leave 16 bytes at the end: a padding record, and the batch starts at 0.
    using m2 = MMap.anonymous(BYTES);
    const ring2 = new Ring(m2, 0, BYTES);
    ring2.pushMany([new Uint8Array(8), new Uint8Array(8)]); // head at 32
    ring2.popMany();
    s = ring2.reserveMany(16, 1000, 0)!;
    assert.equal(s.count, 169, "(4096 - 32) / 24");
    ring2.commit();
    ring2.popMany();
    s = ring2.reserveMany(16, 3, 0)!;
    assert.deepEqual([s.count, s.bytes.byteOffset], [3, 8]);
    ring2.commit();
    assert.equal(m2.view(Int32Array, DATA + 4088, 1)[0], -1, "a padding record at the end");
    assert.equal(ring2.popMany().length, 3);
  });

  it("several reservations and commit(used) shorten the last message", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    ring.reserve(3)!.set([1, 2, 3]);
    const s = ring.reserveMany(4, 3)!;
    for (let i = 0; i < 3; i++) s.bytes.fill(10 + i, i * s.stride, i * s.stride + 4);
    ring.commit(1);
    assert.deepEqual(ring.popMany(), [
      Uint8Array.of(1, 2, 3),
      Uint8Array.of(10, 10, 10, 10),
      Uint8Array.of(11, 11, 11, 11),
      Uint8Array.of(12),
    ]);
  });

  it("with reservations pending, no room is null at once (nobody could free it)", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    assert.equal(ring.reserveMany(8, 256)!.count, 256);
    const t0 = performance.now();
    assert.equal(ring.reserveMany(8, 10, 5000), null);
    assert.ok(performance.now() - t0 < 1000);
    ring.commit();
    assert.equal(ring.popMany().length, 256);
  });

  it("times out on a full ring; refuses bad lengths, counts and timeouts", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    assert.throws(() => ring.reserveMany(ring.maxMessage + 1, 1), RangeError);
    assert.throws(() => ring.reserveMany(-1, 1), RangeError);
    assert.throws(() => ring.reserveMany(8, 0), RangeError);
    assert.throws(() => ring.reserveMany(8, -3), RangeError);
    assert.throws(() => ring.reserveMany(8, 1.5), TypeError);
    assert.throws(() => ring.reserveMany("8" as unknown as number, 1), TypeError);
    assert.throws(() => ring.reserveMany(8, 1, -1), RangeError);
    while (ring.tryPush(new Uint8Array(8)));
    const t0 = performance.now();
    assert.equal(ring.reserveMany(8, 4, 30), null);
    assert.ok(performance.now() - t0 >= 25);
  });

  it("a closed map: TypeError; slots given before are detached, not a crash", () => {
    const m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const s = ring.reserveMany(8, 4)!;
    m.close();
    assert.equal(s.bytes.length, 0);
    assert.throws(() => ring.commit(), TypeError);
    assert.throws(() => ring.reserveMany(8, 4), TypeError);
  });
});

describe("Ring.peekMany / release", () => {
  it("gives the run of one length, up to max, freed by one release", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const tail = m.view(Int32Array, 0, 64);
    const msgs = [message(3, 1), message(3, 2), message(3, 3), message(9, 4), message(3, 5)];
    ring.pushMany(msgs);
    const s = ring.peekMany()!;
    assert.deepEqual([s.count, s.length, s.stride], [3, 3, 16]);
    for (let i = 0; i < 3; i++) assert.deepEqual(nth(s, i), msgs[i]);
    assert.equal(Atomics.load(tail, TAIL), 0, "nothing freed before release");
    assert.throws(() => ring.pop(), /release/);
    // Peeks add up until one release.
    const t = ring.peekMany(5)!;
    assert.deepEqual([t.count, t.length], [1, 9]);
    assert.deepEqual(nth(t, 0), msgs[3]);
    ring.release();
    assert.equal(Atomics.load(tail, TAIL), 3 * 16 + 24);
    assert.throws(() => ring.release(), TypeError);
    const u = ring.peekMany(1)!;
    assert.deepEqual(nth(u, 0), msgs[4]);
    ring.release();
    assert.equal(ring.peekMany(10, 0), null);
  });

  it("max limits the run; an empty ring times out; bad arguments are refused", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    assert.throws(() => ring.peekMany(0), RangeError);
    assert.throws(() => ring.peekMany(2.5), TypeError);
    assert.throws(() => ring.peekMany(1, -1), RangeError);
    const t0 = performance.now();
    assert.equal(ring.peekMany(4, 30), null);
    assert.ok(performance.now() - t0 >= 25);
    ring.pushManyFrom(new Uint8Array(80), new Uint32Array(10).fill(8));
    assert.equal(ring.peekMany(4)!.count, 4);
    ring.release();
    assert.equal(ring.popMany().length, 6);
  });

  it("wraps around with every length from 0 to maxMessage, in runs of up to three", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const max = ring.maxMessage;
    let parts = 0;
    for (let n = 0; n <= max; n++) {
      const want = [0, 1, 2].map((i) => message(n, n * 3 + i));
      const got: Uint8Array[] = [];
      let made = 0;
      while (got.length < 3) {
        if (made < 3) {
          const s = ring.reserveMany(n, 3 - made, 0);
          if (s !== null) {
            for (let i = 0; i < s.count; i++) s.bytes.set(want[made + i], i * s.stride);
            made += s.count;
            ring.commit();
          }
        }
        const p = ring.peekMany(3, 0);
        assert.ok(p !== null, `length ${n}: nothing to peek after ${got.length}`);
        assert.equal(p.length, n);
        for (let i = 0; i < p.count; i++) got.push(nth(p, i));
        if (p.count < 3) parts++;
        ring.release();
      }
      for (let i = 0; i < 3; i++) assert.deepEqual(got[i], want[i], `length ${n}, message ${i}`);
    }
    assert.ok(parts > 500, `${parts} batches came in parts at the wrap`);
    assert.equal(ring.tryPop(), null);
  });

  it("a run stops at a record past head or past the end; a lying head is RingCorruptError", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const words = m.view(Int32Array, 0, BYTES / 4);
    ring.pushManyFrom(new Uint8Array(40), new Uint32Array(5).fill(8));
    // Records after head that look like the run's: not published, not given.
    for (let i = 5; i < 20; i++) words[DATA / 4 + 4 * i] = 8;
    assert.equal(ring.peekMany()!.count, 5);
    ring.release();
    words[HEAD] = 1 << 20;
    assert.throws(() => ring.peekMany(), RingCorruptError);
  });

  it("a run stops at the data area's end, also where a record there lies about its length", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    // 170 records of 24 fill 4080 bytes; the next goes after a padding record at 4080.
    const s = ring.reserveMany(16, 1000)!;
    assert.equal(s.count, 170);
    ring.commit();
    ring.pop();
    assert.ok(ring.tryPush(new Uint8Array(16)));
    const words = m.view(Int32Array, DATA, 1024);
    assert.equal(words[4080 / 4], -1);
    words[4080 / 4] = 16; // the padding record now says it is one of the run's
    assert.equal(ring.peekMany()!.count, 169);
    ring.release();
    assert.throws(() => ring.peekMany(), RingCorruptError);
  });

  it("random garbage never gives a view outside the data area", () => {
    using m = MMap.anonymous(BYTES + 4096);
    const ring = new Ring(m, 0, BYTES);
    const after = m.view(Uint8Array, BYTES, 4096);
    after.fill(0xee);
    const words = m.view(Int32Array, 0, BYTES / 4);
    let seed = 4242;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    let corrupt = 0, given = 0;
    for (let round = 0; round < 2000; round++) {
      const n = rand() % 40;
      try {
        const s = ring.reserveMany(n, 1 + rand() % 30, 0);
        if (s) ring.commit();
        for (let k = rand() % 4; k >= 0; k--) words[16 + (rand() % (words.length - 16))] = rand();
        if (rand() % 2) words[HEAD] = rand() & ~7 & 0x1ff8;
        if (rand() % 3 === 0) words[DATA / 4 + (rand() % 1024)] = n; // a record that says n
        const p = ring.peekMany(1 + rand() % 64, 0);
        if (p) {
          given++;
          // The view's buffer is the data area alone (4096 bytes).
          const start = p.bytes.byteOffset;
          assert.equal(p.bytes.buffer.byteLength, 4096);
          assert.ok(start >= 8 && start + p.bytes.length <= 4096, `a view at ${start}`);
          assert.equal(p.bytes.length, (p.count - 1) * p.stride + p.length);
          ring.release();
        }
      } catch (e) {
        if (!(e instanceof RingCorruptError)) throw e;
        corrupt++;
        words.fill(0);
        ring.close();
      }
    }
    assert.ok(corrupt > 0 && given > 0, `${corrupt} corrupt, ${given} given`);
    assert.ok(after.every((x) => x === 0xee), "nothing outside the ring was written");
  });
});
