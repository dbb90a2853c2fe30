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
import {
  type Finished,
  finished,
  lastJson,
  otherRuntime,
  runScript,
  type Runtime,
  SLOW,
  thisRuntime,
  withRegion,
} from "./sync_helpers.ts";

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

describe("Ring.peek and peekMany with what is peeked filling the ring", () => {
  it("answer null at once: the producer has no byte to publish in before release()", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    while (ring.tryPush(new Uint8Array(8)));
    assert.equal(ring.peekMany()!.count, 256);
    // Without a timeout these waited for ever (in any process: nothing can be
    // published); here a timeout bounds them, should that come back.
    const t0 = performance.now();
    assert.equal(ring.peekMany(Infinity, 2000), null);
    assert.equal(ring.peek(2000), null);
    assert.ok(performance.now() - t0 < 1000, "no wait");
    ring.release();
    // With a byte free, a wait is worth it: a message of 0 bytes still fits.
    assert.ok(ring.tryPush(new Uint8Array(0)));
    assert.equal(ring.peekMany(Infinity, 0)!.count, 1);
    const t1 = performance.now();
    assert.equal(ring.peek(30), null);
    assert.ok(performance.now() - t1 >= 25, "it waited");
    ring.release();
  });

  it("the same where a padding record is part of what fills it", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    // 170 records of 24 reach 4080; after one is popped, the next goes at 0
    // behind a padding record of 16, and the ring is full.
    for (let i = 0; i < 170; i++) ring.push(new Uint8Array(16));
    ring.pop();
    assert.ok(ring.tryPush(new Uint8Array(16).fill(7)));
    assert.equal(ring.tryPush(new Uint8Array(0)), false, "full");
    assert.equal(ring.peekMany()!.count, 169, "the run before the end");
    const last = ring.peekMany()!; // after the padding record
    assert.deepEqual([last.count, last.bytes.byteOffset, last.bytes[0]], [1, 8, 7]);
    const t0 = performance.now();
    assert.equal(ring.peekMany(Infinity, 2000), null);
    assert.equal(ring.peek(2000), null);
    assert.ok(performance.now() - t0 < 1000, "no wait");
    ring.release();
    assert.equal(ring.tryPop(), null);
  });
});

describe("Ring batches: cases that hold (regression guards)", () => {
  it("arguments at their limits: the library's TypeError or RangeError, or the call as asked", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const drain = () => ring.popMany(Infinity, 0);
    const lying = { valueOf: () => 3, [Symbol.toPrimitive]: () => 3 };
    for (const v of [NaN, Infinity, -Infinity, 1.5, 1e-300, "3", null, lying, Symbol("x")]) {
      assert.throws(() => ring.reserveMany(v as number, 2, 0), TypeError, `length ${String(v)}`);
      assert.throws(() => ring.peekMany((v === Infinity ? NaN : v) as number, 0), TypeError);
    }
    for (const v of [NaN, "3", null, lying]) {
      assert.throws(() => ring.reserveMany(8, v as number, 0), TypeError, `count ${String(v)}`);
    }
    for (const v of [NaN, -1, -Infinity]) {
      assert.throws(() => ring.reserveMany(8, 2, v), RangeError, `timeout ${v}`);
      assert.throws(() => ring.peekMany(2, v), RangeError);
    }
    for (const v of ["1", null, lying, 1n]) {
      assert.throws(() => ring.reserveMany(8, 2, v as unknown as number), TypeError);
      assert.throws(() => ring.peekMany(2, v as unknown as number), TypeError);
    }
    for (const v of [0, -0, -1, -1n]) {
      assert.throws(() => ring.reserveMany(8, v as number), RangeError);
    }
    for (const v of [0, -0, -1]) assert.throws(() => ring.peekMany(v), RangeError);
    for (const v of [2 ** 64, 2n ** 70n]) {
      assert.throws(() => ring.reserveMany(8, v as number), RangeError);
    }
    assert.equal(ring.producer, 0, "no argument error claimed a role");
    assert.throws(() => ring.reserveMany(ring.maxMessage + 1, 1), RangeError);
    assert.throws(() => ring.reserveMany(2 ** 53, 1), RangeError);
    // Accepted: -0 and 0n are 0, BigInts are their value, Infinity and 2^53 are "all that fit".
    let s = ring.reserveMany(-0, 2n as unknown as number, -0)!;
    assert.deepEqual([s.count, s.length, s.stride, s.bytes.length], [2, 0, 8, 8]);
    ring.commit(0n as unknown as number);
    assert.deepEqual(drain().map((b) => b.length), [0, 0]);
    for (const count of [Infinity, 2 ** 53, Number.MAX_SAFE_INTEGER]) {
      s = ring.reserveMany(8, count, Infinity)!;
      assert.ok(s.count > 1 && s.bytes.byteOffset + s.bytes.length <= ring.capacity);
      ring.commit();
      assert.equal(drain().length, s.count);
    }
    ring.push(new Uint8Array(0));
    s = ring.reserveMany(ring.maxMessage, 5, 0)!;
    assert.equal(s.count, 1, "one of maxMessage fits before the end; the next wraps");
    ring.commit();
    assert.equal(drain().length, 2);
    s = ring.reserveMany(ring.maxMessage, 5, 0)!;
    assert.deepEqual([s.count, s.bytes.byteOffset], [1, 8], "after a padding record");
    ring.commit();
    const p = ring.peekMany(2 ** 53, 1e-300)!;
    assert.deepEqual([p.count, p.length], [1, ring.maxMessage]);
    ring.release();
    assert.equal(drain().length, 0);
  });

  it("with slots out, every other call of that side says commit() or release() first", async () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const one = Uint8Array.of(1);
    const target = new Uint8Array(8);
    // The fast paths of push and popInto have seen `one` and `target`.
    ring.push(one), ring.push(one), ring.push(one), ring.pop(), ring.popInto(target);
    const s = ring.reserveMany(1, 3)!;
    for (
      const call of [
        () => ring.push(one),
        () => ring.tryPush(one),
        () => ring.pushMany([one]),
        () => ring.pushManyFrom(one, Uint32Array.of(1)),
      ]
    ) assert.throws(call, /commit\(\) the reserved messages first/);
    await assert.rejects(ring.pushAsync(one), /commit\(\)/);
    // More reservations may follow; one commit publishes them all.
    const more = ring.reserve(1)!;
    more[0] = 9;
    for (let i = 0; i < 3; i++) s.bytes[i * s.stride] = 5 + i;
    ring.commit();
    assert.throws(() => ring.commit(), /nothing is reserved/);
    ring.push(Uint8Array.of(8, 8));
    assert.equal(ring.popInto(target), 1); // the message pushed before the batch
    const p = ring.peekMany()!;
    assert.deepEqual([p.count, p.bytes[0], p.bytes[p.stride], p.bytes[3 * p.stride]], [4, 5, 6, 9]);
    for (
      const call of [
        () => ring.pop(0),
        () => ring.tryPop(),
        () => ring.popInto(target, 0),
        () => ring.popMany(5, 0),
        () => ring.popManyInto(target, new Uint32Array(4), 0),
      ]
    ) assert.throws(call, /release\(\) the peeked messages first/);
    await assert.rejects(ring.popAsync(0), /release\(\)/);
    assert.deepEqual([...ring.peek(0)!], [8, 8], "a peek adds to the peeked");
    ring.release();
    assert.throws(() => ring.release(), /nothing was peeked/);
    assert.equal(ring.tryPop(), null);
    // close() drops what is reserved and leaves what is peeked unread.
    ring.reserveMany(4, 2)!;
    ring.close();
    assert.throws(() => ring.commit(), /nothing is reserved/);
    ring.push(Uint8Array.of(3));
    ring.peekMany();
    ring.close();
    assert.throws(() => ring.release(), /nothing was peeked/);
    assert.deepEqual(ring.popMany(Infinity, 0), [Uint8Array.of(3)]);
  });

  it("slots moved away (their buffer transferred) leave the ring working and the memory kept", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const s = ring.reserveMany(8, 2)!;
    const at = s.bytes.byteOffset;
    const kept = new Uint8Array((s.bytes.buffer as ArrayBuffer).transfer());
    assert.equal(s.bytes.length, 0);
    kept[at] = 1; // the new owner writes the ring's memory (it is that memory)
    ring.commit();
    const p = ring.peekMany()!;
    assert.deepEqual([p.count, p.bytes[0]], [2, 1]);
    structuredClone(p.bytes.buffer, { transfer: [p.bytes.buffer as ArrayBuffer] });
    ring.release();
    assert.equal(ring.tryPush(new Uint8Array(8)), true);
    assert.equal(ring.peekMany(4, 0)!.count, 1, "a new view is cut");
    ring.release();
  });

  it("a RingSlots changed by its caller changes nothing the ring publishes or frees", () => {
    using m = MMap.anonymous(BYTES);
    const ring = new Ring(m, 0, BYTES);
    const s = ring.reserveMany(4, 3)!;
    for (let i = 0; i < 3; i++) s.bytes[i * s.stride] = i + 1;
    Object.defineProperty(s, "count", { value: 1000 });
    Object.defineProperty(s, "stride", { get: () => -8 });
    Object.defineProperty(s, "bytes", { value: new Uint8Array(1 << 16) });
    Object.freeze(s);
    ring.commit();
    const p = ring.peekMany()!;
    assert.deepEqual([p.count, p.length, p.stride], [3, 4, 16]);
    Object.setPrototypeOf(p, new Proxy({}, { get: () => assert.fail("read") }));
    Object.defineProperty(p, "count", { value: 0 });
    ring.release();
    assert.deepEqual(Atomics.load(m.view(Int32Array, 0, 64), TAIL), 48, "the three freed");
    assert.equal(ring.tryPop(), null);
  });

  it("wrap-around at every 8-byte position, with runs broken by other lengths", () => {
    using m = MMap.anonymous(Ring.bytesFor(256));
    const ring = new Ring(m, 0, m.length);
    let made = 0, seen = 0;
    for (let start = 0; start < 256; start += 8) {
      for (const n of [0, 1, 7, 8, 9, 16, 24, ring.maxMessage]) {
        let left = 3;
        while (left > 0) {
          const s = ring.reserveMany(n, left, 0)!;
          for (let i = 0; i < s.count; i++) {
            for (let j = 0; j < n; j++) s.bytes[i * s.stride + j] = (made + i) & 0xff;
          }
          made += s.count, left -= s.count;
          ring.commit();
          ring.push(new Uint8Array(n === 1 ? 2 : 1).fill((made++) & 0xff)); // ends the run
          for (let p = ring.peekMany(Infinity, 0); p !== null; p = ring.peekMany(Infinity, 0)) {
            for (let i = 0; i < p.count; i++) {
              for (let j = 0; j < p.length; j++) {
                assert.equal(
                  p.bytes[i * p.stride + j],
                  (seen + i) & 0xff,
                  `start ${start}, n ${n}`,
                );
              }
            }
            seen += p.count;
            ring.release();
          }
        }
      }
      ring.push(new Uint8Array(0)), made++; // moves the next round 8 bytes on
    }
    for (let b = ring.tryPop(); b !== null; b = ring.tryPop()) seen++;
    assert.equal(seen, made);
  });
});

const childScript = decodeURIComponent(
  new URL("./_ring_batch_attack_child.ts", import.meta.url).pathname,
);

/** Starts `_ring_batch_attack_child.ts <args>` under `which`, killed if it runs for a minute. */
function startChild(which: Runtime, ...args: string[]): Promise<Finished> {
  return finished(runScript(which, childScript, args));
}

describe("Ring batches in a child process", () => {
  for (const which of [thisRuntime, otherRuntime]) {
    it(
      `${which}: batches while this process writes garbage into the ring: RingCorruptError only`,
      SLOW,
      async () => {
        await withRegion(BYTES + 4096, async (name, m) => {
          const after = m.view(Uint8Array, BYTES, 4096);
          after.fill(0xee);
          const words = m.view(Int32Array, 0, BYTES / 4);
          let over = false;
          const child = startChild(which, "batches", name, "1500");
          child.then(() => over = true, () => over = true);
          let seed = 7;
          const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
          while (!over) {
            for (let k = 0; k < 64; k++) {
              const r = rand();
              const near = (i: number) => (words[i]! + ((r >> 8) % 1024) * 8 - 4096) | 0;
              switch (r % 6) {
                case 0: // a head or tail near the real one, anywhere from capacity back to ahead
                  words[HEAD] = near(HEAD);
                  break;
                case 1:
                  words[TAIL] = near(TAIL);
                  break;
                case 2: // a record header: a length in or near range, or a padding record
                  words[DATA / 4 + 2 * ((r >>> 4) % 512)] = (r >>> 20) % 3 === 0
                    ? -1
                    : (r >>> 12) % 2100;
                  break;
                case 3: // any word of the data area
                  words[DATA / 4 + ((r >>> 4) % 1024)] = rand();
                  break;
                default: // an odd or wild index
                  words[r & 1 ? HEAD : TAIL] = rand();
              }
            }
            await sleep(1);
          }
          const done = await child;
          assert.equal(done.signal, null, "no signal");
          assert.equal(done.status, 0);
          const got = lastJson<{
            rounds: number;
            corrupt: number;
            read: number;
            outside: number;
            unexpected: string[];
          }>(done.stdout);
          assert.deepEqual(got.unexpected, []);
          assert.equal(got.outside, 0, "every run given lay inside the data area");
          assert.ok(got.corrupt > 0 && got.read > 0, JSON.stringify(got));
          assert.ok(after.every((x) => x === 0xee), "nothing after the ring was written");
        });
      },
    );
  }

  for (const which of [thisRuntime, otherRuntime]) {
    it(
      `${which}: with the engine's methods patched to throw, batches at every wrap position`,
      SLOW,
      async () => {
        const done = await startChild(which, "patched");
        assert.equal(done.signal, null);
        assert.equal(done.status, 0);
        assert.deepEqual(lastJson(done.stdout), {
          result: "ok",
          inForce: 2,
          rounds: 200,
          right: 200,
        });
      },
    );
  }
});
