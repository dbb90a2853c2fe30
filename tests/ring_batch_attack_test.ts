/**
 * The Ring's in-place batch forms (`reserveMany`/`commit`, `peekMany`/
 * `release`) attacked: shared memory that another process (here a second
 * view of the same memory) rewrites between and inside calls, the map closed
 * or resized with slots out, arguments at their limits, and the other calls
 * of the ring interleaved with a batch. Every case ends in the ring working
 * or in the library's own error of the documented class: never the engine's
 * error, a message the producer never published, a tail stored past head.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { MMap, Ring, RingCorruptError } from "../mod.ts";
import { tempDir } from "./_helpers.ts";

const BYTES = Ring.bytesFor(4096);
/** Int32 word indices of head and tail in the ring's header. */
const HEAD = 16;
const TAIL = 32;
/** Byte offset of the data area in the map (the ring starts at 0). */
const DATA = Ring.HEADER_BYTES;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A file-backed shared map of `length` bytes (resizable, unlike shared anonymous memory). */
function fileMap(length: number): { m: MMap; done: () => void } {
  const dir = tempDir("ring-batch-attack-");
  const path = dir.path("ring.bin");
  writeFileSync(path, new Uint8Array(length));
  const m = MMap.open(path, { access: "write" });
  return {
    m,
    done: () => {
      if (!m.closed) m.close();
      dir.cleanup();
    },
  };
}

describe("Ring.peekMany under a lying head", () => {
  it("a head that moved back while a run was read is RingCorruptError, not messages past it", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const words = m.view(Int32Array, 0, 64);
    // Five empty messages (8-byte records), head at 40; the first is peeked and
    // released, so this side has seen head at 40 and tail is at 8.
    for (let i = 0; i < 5; i++) ring.push(new Uint8Array(0));
    ring.peek(0);
    ring.release();
    // A hostile peer moves head back to 16. The run reads the records it had
    // seen published up to 40, then looks at head again: 16 is behind them.
    words[HEAD] = 16;
    assert.throws(() => ring.peekMany(), RingCorruptError);
    assert.equal(words[TAIL], 8, "nothing was freed past head");
  });

  it("the same with records of 8 bytes, and records past head that look like the run's", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const words = m.view(Int32Array, 0, BYTES / 4);
    ring.pushManyFrom(new Uint8Array(80), new Uint32Array(10).fill(8)); // head at 160
    ring.pop();
    for (let i = 10; i < 200; i++) words[DATA / 4 + 4 * i] = 8; // unpublished look-alikes
    words[HEAD] = 32;
    assert.throws(() => ring.peekMany(), /head index 32/);
    assert.equal(words[TAIL], 16);
  });

  it("a head that moves on between looks is followed, once, within the run", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    ring.pushManyFrom(new Uint8Array(32), new Uint32Array(4).fill(8));
    ring.peek(0);
    ring.release(); // head 64 seen
    ring.pushManyFrom(new Uint8Array(32), new Uint32Array(4).fill(8)); // head 128, not yet seen
    const s = ring.peekMany()!;
    assert.equal(s.count, 7);
    ring.release();
    assert.equal(ring.tryPop(), null);
  });
});

describe("Ring.reserveMany under a lying tail", () => {
  it("a tail a whole data area behind head, after the first slot is placed, is RingCorruptError", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const words = m.view(Int32Array, 0, 64);
    ring.reserveMany(8, 1000);
    ring.commit(); // head at 4096, this side's tail at 0
    ring.popMany(200); // tail at 3200
    ring.tryPush(new Uint8Array(8)); // head at 4112; it looked at tail: 3200
    ring.popMany(10);
    // The first slot fits by the tail this side saw; the rest make it look
    // again, and find a tail exactly capacity behind head: that leaves no
    // room for the slot already placed, so it is no tail a consumer wrote.
    words[TAIL] = 4112 - 4096;
    assert.throws(
      () => ring.reserveMany(8, 1000, 0),
      (e) => e instanceof RingCorruptError && /16 bytes placed past it/.test(e.message),
    );
    // As after any RingCorruptError: close, set the memory right, go on.
    ring.close();
    words[TAIL] = 4112;
    assert.equal(ring.reserveMany(8, 1000, 0)!.count, 255);
    ring.commit();
    assert.equal(ring.popMany().length, 255);
  });

  it("the same for a batch that had to wrap (a padding record before its first slot)", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const words = m.view(Int32Array, 0, 64);
    const msg = new Uint8Array(8);
    // This side looks at tail only when what it saw leaves no room: let it
    // look while the consumer lags, so that at head 8016 (3920 in the data
    // area) it last saw tail at 6192.
    for (let i = 0; i < 256; i++) ring.push(msg);
    ring.popMany(131);
    ring.push(msg); // looks at tail: 2096
    ring.popMany();
    while (words[HEAD] !== 8016) ring.push(msg), ring.pop(); // looks once more, at 6192
    // A slot of 200 goes at 0 after a padding record of 176; the rest make
    // this side look at tail again, and find it capacity behind head.
    words[TAIL] = 8016 - 4096;
    assert.throws(() => ring.reserveMany(200, 1000, 0), RingCorruptError);
  });

  it("a tail that only moved on gives the room it freed", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    ring.reserveMany(8, 1000);
    ring.commit();
    ring.popMany(200);
    ring.tryPush(new Uint8Array(8));
    ring.popMany(10); // the consumer freed 10 more than this side saw
    const s = ring.reserveMany(8, 1000, 0)!;
    assert.equal(s.count, 209);
    ring.commit();
    assert.equal(ring.popMany().length, 256);
  });
});

describe("Ring batches and a map closed or resized with slots out", () => {
  for (const how of ["close", "resize"] as const) {
    it(`${how}: release() and reserve() with something pending throw the library's TypeError`, () => {
      const { m, done } = fileMap(BYTES);
      try {
        const ring = new Ring(m, 0, BYTES);
        ring.pushMany([new Uint8Array(8), new Uint8Array(8)]);
        const p = ring.peekMany()!;
        const s = ring.reserveMany(8, 3)!;
        if (how === "close") m.close();
        else m.resize(1 << 16);
        const gone = how === "close" ? /mmap closed/ : /resized under the ring/;
        assert.equal(s.bytes.length, 0, "the slots are detached");
        assert.equal(p.bytes.length, 0);
        assert.equal(s.bytes[0], undefined);
        s.bytes[0] = 5; // a store into a detached view goes nowhere
        assert.throws(() => ring.release(), (e) => e instanceof TypeError && gone.test(e.message));
        assert.throws(() => ring.reserve(8), (e) => e instanceof TypeError && gone.test(e.message));
        assert.throws(() => ring.reserveMany(8, 2), gone);
        assert.throws(() => ring.peekMany(2, 0), gone);
        assert.throws(() => ring.peek(0), gone);
        assert.throws(() => ring.commit(), gone);
        assert.throws(() => ring.producer, gone);
        assert.throws(() => ring.consumer, gone);
        ring.close();
        if (how === "resize") {
          // A new Ring over the resized map finds the two messages, nothing reserved.
          const again = new Ring(m, 0, BYTES);
          assert.equal(again.peekMany(10, 0)!.count, 2);
          again.release();
          again.close();
        }
      } finally {
        done();
      }
    });
  }
});

describe("Ring batches beside async calls of the same side", () => {
  it("reserve and reserveMany wait for a pending pushAsync (it would publish their slots)", async () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    while (ring.tryPush(new Uint8Array(8).fill(1)));
    const pushed = ring.pushAsync(new Uint8Array(8).fill(2), 5000);
    await sleep(20);
    ring.popMany(10);
    assert.throws(() => ring.reserveMany(8, 3, 0), /pushAsync\(\) of this ring is waiting/);
    assert.throws(() => ring.reserve(8, 0), TypeError);
    assert.equal(await pushed, true);
    // Now they may: the slots are published by commit() alone.
    const s = ring.reserveMany(8, 3, 0)!;
    assert.equal(s.count, 3);
    for (let i = 0; i < 3; i++) s.bytes.fill(3, i * s.stride, i * s.stride + 8);
    ring.commit();
    const got = ring.popMany(Infinity, 0).map((b) => b[0]);
    assert.deepEqual(got.slice(-5), [1, 2, 3, 3, 3]);
  });

  it("peek and peekMany wait for a pending popAsync (it would free what they peek)", async () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const popped = ring.popAsync(5000);
    await sleep(20);
    assert.throws(() => ring.peekMany(2, 0), /popAsync\(\) of this ring is waiting/);
    assert.throws(() => ring.peek(0), TypeError);
    ring.pushMany([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
    assert.deepEqual(await popped, Uint8Array.of(1), "the first message, to the first caller");
    const s = ring.peekMany(2, 0)!;
    assert.deepEqual([s.count, s.bytes[0], s.bytes[s.stride]], [2, 2, 3]);
    ring.release();
    assert.equal(ring.tryPop(), null);
  });

  it("a pushAsync or popAsync that waited across close() rejects with TypeError, the ring intact", async () => {
    using m = MMap.anonymous(BYTES);
    const words = m.view(Int32Array, 0, 64);
    const ring = new Ring(m, 0, BYTES);
    for (let i = 0; i < 100; i++) ring.push(new Uint8Array(8));
    ring.popMany();
    while (ring.tryPush(new Uint8Array(8).fill(1)));
    const pushed = ring.pushAsync(new Uint8Array(8).fill(2), 5000);
    const rejected = assert.rejects(
      pushed,
      (e) => e instanceof TypeError && /closed/.test(e.message),
    );
    await sleep(20);
    ring.close();
    // The same object may take the role again at once (nothing waits now).
    const other = new Ring(m, 0, BYTES);
    assert.equal(other.popMany(10, 0).length, 10); // wakes the old wait
    await rejected;
    assert.equal(other.popMany(Infinity, 0).length, 246, "nothing was published by the old wait");
    assert.ok(ring.push(Uint8Array.of(7), 0), "the closed object produces again");
    assert.deepEqual(other.pop(0), Uint8Array.of(7));
    other.close();
    ring.close();
    // And a consumer's.
    const popped = ring.popAsync(5000);
    const popRejected = assert.rejects(popped, /closed \(close\(\)\) while this call waited/);
    await sleep(20);
    ring.close();
    const tail = words[TAIL];
    assert.ok(other.push(Uint8Array.of(9), 0)); // wakes the old wait
    await popRejected;
    assert.equal(words[TAIL], tail, "the old wait freed nothing");
    assert.deepEqual(ring.pop(0), Uint8Array.of(9));
  });
});

describe("Ring.pushMany with reservations pending", () => {
  it("refuses them without publishing them (its finally published the slots, unfilled)", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const words = m.view(Int32Array, 0, 64);
    const s = ring.reserveMany(1, 3)!;
    assert.throws(
      () => ring.pushMany([Uint8Array.of(1)]),
      /commit\(\) the reserved messages first/,
    );
    assert.throws(() => ring.pushMany([new Uint8Array(5000)]), /commit\(\)/);
    assert.equal(ring.pushMany([]), 0);
    assert.equal(words[HEAD], 0, "nothing was published");
    for (let i = 0; i < 3; i++) s.bytes[i * s.stride] = 5 + i;
    ring.commit();
    assert.deepEqual(ring.popMany(Infinity, 0), [
      Uint8Array.of(5),
      Uint8Array.of(6),
      Uint8Array.of(7),
    ]);
    // Without reservations, a message too long still leaves those before it pushed.
    assert.throws(() => ring.pushMany([Uint8Array.of(1), new Uint8Array(5000)]), RangeError);
    assert.deepEqual(ring.popMany(Infinity, 0), [Uint8Array.of(1)]);
  });
});
