/**
 * The Ring within one process: construction rules, every form of push and
 * pop, wrap-around with every length, timeouts, async forms, and what a
 * ring whose memory was overwritten does (a RingCorruptError, never a read
 * outside the map).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MMap, MMapOSError, Ring, RingCorruptError } from "../mod.ts";
import { withRegion } from "./sync_helpers.ts";
import { needsKernel } from "./_emulation.ts";
import { collectGarbage } from "./_helpers.ts";

const BYTES = Ring.bytesFor(4096);
const HEAD = 16;
const TAIL = 32;

function ringOf(m: MMap, offset = 0, length = BYTES): Ring {
  return new Ring(m, offset, length);
}

/** A message of `n` bytes whose contents depend on `seed`. */
function message(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

function osError(code: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof MMapOSError, `expected MMapOSError, got ${e}`);
    assert.equal(e.code, code);
    return true;
  };
}

describe("Ring construction", () => {
  it("takes a shared map; zeroed memory is an empty ring with a header", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    assert.equal(ring.capacity, 4096);
    assert.equal(ring.maxMessage, 2040);
    assert.equal(ring.tryPop(), null);
    const h = m.view(Int32Array, 0, 4);
    assert.deepEqual([...h], [0x474e4952, 1, 4096, 256]);
    // A second Ring over the same bytes accepts the header.
    assert.equal(ringOf(m).capacity, 4096);
  });

  it("refuses private, copy-on-write and read-only maps with a TypeError", async () => {
    using priv = MMap.anonymous(BYTES, { shared: false });
    assert.throws(() => ringOf(priv), TypeError);
    await withRegion(BYTES, (name) => {
      const path = `/dev/shm/${name}`;
      using copy = MMap.open(path, { access: "copy" });
      assert.throws(() => ringOf(copy), /shared and writable/);
      using ro = MMap.open(path, { access: "read" });
      assert.throws(() => ringOf(ro), TypeError);
      using rw = MMap.open(path, { access: "write" });
      assert.equal(ringOf(rw).capacity, 4096);
    });
    assert.throws(() => new Ring({} as MMap, 0, BYTES), TypeError);
    const closed = MMap.anonymous(BYTES);
    closed.close();
    assert.throws(() => ringOf(closed), TypeError);
  });

  it("checks offset, length and options", () => {
    using m = MMap.anonymous(8192);
    assert.throws(() => ringOf(m, 8), /multiple of 64/);
    assert.throws(() => ringOf(m, 0, 100), RangeError);
    assert.throws(() => ringOf(m, 4096, 8192), /outside the map/);
    assert.throws(() => new Ring(m, 0, BYTES, { wait: "nap" as "spin" }), TypeError);
    assert.throws(() => new Ring(m, 0, BYTES, { spins: -1 }), RangeError);
    assert.throws(() => Ring.bytesFor(1000), RangeError);
    // Any length of 320 or more: the data area is the largest power of two.
    assert.equal(ringOf(m, 0, 5000).capacity, 4096);
  });

  it("a ring set up with another size is refused: every process must pass the same arguments", () => {
    using m = MMap.anonymous(16384);
    ringOf(m, 0, Ring.bytesFor(8192));
    assert.throws(() => ringOf(m, 0, Ring.bytesFor(4096)), RingCorruptError);
  });

  it("memory that holds something else is refused", () => {
    using m = MMap.anonymous(BYTES);
    m.view(Int32Array, 0, 1)[0] = 0x12345678;
    assert.throws(
      () => ringOf(m),
      (e) => e instanceof RingCorruptError && /no ring here/.test(e.message),
    );
    m.view(Int32Array, 0, 2).set([0x474e4952, 2]);
    assert.throws(() => ringOf(m), /version 2/);
  });
});

describe("Ring messages in one process", () => {
  it("push/pop keep order and content; tryPop is null on empty", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    for (let i = 0; i < 10; i++) assert.equal(ring.push(message(i * 3, i)), true);
    for (let i = 0; i < 10; i++) assert.deepEqual(ring.pop(), message(i * 3, i));
    assert.equal(ring.tryPop(), null);
  });

  it("takes any bytes: typed arrays, DataView, ArrayBuffer, strings", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    ring.push(new Uint16Array([0x0201]) as unknown as Uint8Array);
    ring.push(new DataView(Uint8Array.of(3, 4).buffer) as unknown as Uint8Array);
    ring.push(Uint8Array.of(5, 6).buffer as unknown as Uint8Array);
    ring.push("é" as unknown as Uint8Array);
    assert.deepEqual(ring.popMany(), [
      Uint8Array.of(1, 2),
      Uint8Array.of(3, 4),
      Uint8Array.of(5, 6),
      Uint8Array.of(0xc3, 0xa9),
    ]);
    assert.throws(() => ring.push(42 as unknown as Uint8Array), TypeError);
    assert.throws(() => ring.push([1, 2] as unknown as Uint8Array), TypeError);
  });

  it("wraps around with every message length from 0 to 2040 (maxMessage)", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    const target = new Uint8Array(ring.maxMessage);
    let pads = 0;
    for (let n = 0; n <= ring.maxMessage; n++) {
      // Two in flight where two fit: the second often wraps behind a padding record.
      const head = m.view(Int32Array, 0, 64)[HEAD] % 4096;
      assert.equal(ring.tryPush(message(n, n)), true, `push ${n}`);
      if (head + 8 + n > 4096) pads++;
      const two = n < 1000;
      if (two) assert.equal(ring.tryPush(message(n, n + 1)), true, `push ${n} twice`);
      assert.deepEqual(ring.tryPop(), message(n, n), `pop ${n}`);
      if (two) {
        assert.equal(ring.popInto(target, 0), n);
        assert.deepEqual(target.subarray(0, n), message(n, n + 1));
      }
    }
    assert.ok(pads > 100, `${pads} padding records`);
    assert.throws(() => ring.push(new Uint8Array(ring.maxMessage + 1)), /maxMessage/);
  });

  it("a full ring: tryPush false, push(timeout) false after the timeout", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    let n = 0;
    while (ring.tryPush(message(100, n))) n++;
    assert.equal(n, 4096 / 112 | 0);
    const t0 = performance.now();
    assert.equal(ring.push(message(100, 0), 50), false);
    assert.ok(performance.now() - t0 >= 45);
    ring.pop();
    assert.equal(ring.tryPush(message(100, 0)), true);
  });

  it("pop(timeout) on an empty ring returns null after the timeout; bad timeouts are refused", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    const t0 = performance.now();
    assert.equal(ring.pop(50), null);
    assert.ok(performance.now() - t0 >= 45);
    assert.equal(ring.popInto(new Uint8Array(8), 10), null);
    assert.throws(() => ring.pop(-1), RangeError);
    assert.throws(() => ring.pop(NaN), RangeError);
    assert.throws(() => ring.push(new Uint8Array(1), "1" as unknown as number), TypeError);
  });

  it("each strategy times out, delivers, and sees a header overwritten while it waits", () => {
    using m = MMap.anonymous(BYTES);
    const header = m.view(Int32Array, 0, 64);
    for (const wait of ["spin", "yield", "sleep"] as const) {
      for (const spins of [0, 10, 5000]) {
        const ring = new Ring(m, 0, BYTES, { wait, spins });
        assert.equal(ring.wait, wait);
        let t0 = performance.now();
        assert.equal(ring.pop(20), null);
        assert.ok(performance.now() - t0 >= 19, `${wait}, ${spins} spins: pop waited 20 ms`);
        ring.push(Uint8Array.of(1));
        assert.deepEqual(ring.pop(20), Uint8Array.of(1));
        while (ring.tryPush(new Uint8Array(500)));
        t0 = performance.now();
        assert.equal(ring.push(new Uint8Array(500), 20), false);
        assert.ok(performance.now() - t0 >= 19, `${wait}, ${spins} spins: push waited 20 ms`);
        while (ring.tryPop());
        header[2] = 8192; // the capacity word: checked every 200 ms of a wait
        assert.throws(() => ring.pop(2000), RingCorruptError);
        header[2] = 4096;
        ring.close();
      }
    }
  });

  it("popInto: a target too short is a RangeError and the message stays", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    ring.push(message(40, 1));
    assert.throws(() => ring.popInto(new Uint8Array(39)), /40 bytes/);
    assert.throws(() => ring.popInto(new Uint16Array(64) as unknown as Uint8Array), TypeError);
    const big = new Uint8Array(64);
    assert.equal(ring.popInto(big), 40);
    assert.deepEqual(big.subarray(0, 40), message(40, 1));
  });

  it("reserve/commit write in place; several reservations publish with one commit", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    const head = m.view(Int32Array, 0, 64);
    const a = ring.reserve(3)!;
    a.set([1, 2, 3]);
    const b = ring.reserve(100)!;
    b[0] = 9;
    assert.equal(Atomics.load(head, HEAD), 0, "nothing is published before commit");
    assert.equal(ring.tryPop(), null);
    assert.throws(() => ring.push(Uint8Array.of(1)), /commit/);
    ring.commit(1); // the last one is 1 byte after all
    assert.equal(Atomics.load(head, HEAD), 16 + 16);
    assert.deepEqual(ring.tryPop(), Uint8Array.of(1, 2, 3));
    assert.deepEqual(ring.tryPop(), Uint8Array.of(9));
    assert.throws(() => ring.commit(), TypeError);
    ring.reserve(4);
    assert.throws(() => ring.commit(5), RangeError);
    ring.commit();
    assert.equal(ring.tryPop()!.length, 4);
  });

  it("reserve with reservations pending does not wait for room it can never get", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    while (ring.reserve(1000, 0)) { /* fill */ }
    const t0 = performance.now();
    assert.equal(ring.reserve(1000, 5000), null);
    assert.ok(performance.now() - t0 < 1000);
    ring.commit();
    assert.equal(ring.popMany().length, 4);
  });

  it("peek/release read in place; several peeks free with one release", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    ring.pushMany([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
    const tail = m.view(Int32Array, 0, 64);
    assert.deepEqual(ring.peek(0), Uint8Array.of(1));
    assert.deepEqual(ring.peek(0), Uint8Array.of(2));
    assert.equal(Atomics.load(tail, TAIL), 0);
    assert.throws(() => ring.pop(), /release/);
    ring.release();
    assert.equal(Atomics.load(tail, TAIL), 32);
    assert.throws(() => ring.release(), TypeError);
    assert.deepEqual(ring.pop(), Uint8Array.of(3));
  });

  it("pushMany publishes with one store; popMany and popManyInto take many", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    const batch = Array.from({ length: 300 }, (_, i) => message(1 + i % 8, i));
    // 300 records of 16 bytes do not fit in 4096: pushMany waits for room,
    // so push what fits, pop in between.
    assert.equal(ring.tryPushMany(batch), 256);
    assert.equal(ring.popMany(100).length, 100);
    assert.equal(ring.tryPushMany(batch.slice(256)), 44);
    const data = new Uint8Array(64);
    const lengths = new Uint32Array(100);
    let got = ring.popMany(56);
    let k = ring.popManyInto(data, lengths);
    assert.ok(k > 0 && k < 100, "bounded by the target's 64 bytes");
    let at = 0;
    for (let j = 0; j < k; j++) {
      got.push(data.slice(at, at + lengths[j]));
      at += lengths[j];
    }
    while ((k = ring.popManyInto(data, lengths, 0)) > 0) {
      at = 0;
      for (let j = 0; j < k; j++) got.push(data.slice(at, at += lengths[j]));
    }
    got = [...batch.slice(0, 100).map((b) => b), ...got];
    assert.equal(got.length, 300);
    for (let i = 0; i < 300; i++) assert.deepEqual(got[i], batch[i], `message ${i}`);
    assert.throws(() => ring.pushMany("x" as unknown as Uint8Array[]), TypeError);
  });

  it("a message whose buffer was transferred away is a TypeError, not an empty message", async () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    const gone = new Uint8Array(8).fill(1);
    const goneView = new DataView(new ArrayBuffer(8));
    structuredClone(gone.buffer, { transfer: [gone.buffer] });
    structuredClone(goneView.buffer, { transfer: [goneView.buffer] });
    for (const message of [gone, goneView]) {
      assert.throws(() => ring.push(message as Uint8Array), /Ring.push: .*no bytes/);
      assert.throws(() => ring.pushMany([message as Uint8Array]), /Ring.pushMany: .*no bytes/);
      await assert.rejects(ring.pushAsync(message as Uint8Array), TypeError);
    }
    assert.throws(() => ring.push(gone.buffer as unknown as Uint8Array), TypeError);
    assert.equal(ring.tryPop(), null, "nothing was pushed");
    // A real empty message still is one.
    assert.equal(ring.push(new Uint8Array(0)), true);
    assert.equal(ring.tryPop()!.length, 0);
  });

  it(
    "a view its resizable buffer shrank below is no empty message either",
    needsKernel("resizableBuffer"),
    () => {
      using m = MMap.anonymous(BYTES);
      const ring = ringOf(m);
      const resizable = new ArrayBuffer(16, { maxByteLength: 64 });
      const outside = new Uint8Array(resizable, 8, 8);
      resizable.resize(4);
      assert.throws(() => ring.push(outside), /Ring.push: .*no bytes.*out of bounds/);
      assert.throws(() => ring.pushMany([outside]), /Ring.pushMany: .*no bytes/);
      assert.equal(ring.tryPop(), null, "nothing was pushed");
    },
  );

  it("pushManyFrom/popManyInto move packed messages, aligned or not, word by word or byte by byte", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    // First a run of every whole-word length the word-by-word loops copy (1 to 8 words).
    const sizes = [4, 8, 12, 16, 20, 24, 28, 32, 0, 1, 3, 4, 7, 8, 9, 12, 13, 16, 31, 40, 300];
    for (const shift of [0, 1, 2, 3, 4]) {
      const total = sizes.reduce((a, b) => a + b, 0);
      const backing = new Uint8Array(total + 8);
      const data = backing.subarray(shift, shift + total);
      for (let i = 0; i < total; i++) data[i] = (i * 13 + shift) & 0xff;
      assert.equal(ring.pushManyFrom(data, Uint32Array.from(sizes), 100), sizes.length);
      const out = new Uint8Array(total + 8).subarray(3 - (shift % 4));
      const lengths = new Uint32Array(sizes.length);
      assert.equal(ring.popManyInto(out, lengths, 100), sizes.length);
      assert.deepEqual([...lengths], sizes);
      assert.deepEqual(out.subarray(0, total), data, `shift ${shift}`);
    }
    assert.throws(() => ring.pushManyFrom(new Uint8Array(4), Uint32Array.of(3, 2)), /add up/);
    assert.throws(
      () => ring.pushManyFrom(new Uint8Array(9000), Uint32Array.of(5000)),
      /maxMessage/,
    );
    assert.throws(
      () => ring.pushManyFrom(new Uint8Array(4), [1] as unknown as Uint32Array),
      TypeError,
    );
    assert.equal(ring.tryPop(), null, "nothing pushed by a refused call");
    // More than the ring holds, with timeout 0: what fits (256 records of
    // 16 bytes, less one where the wrap leaves a padding record).
    const k = ring.pushManyFrom(new Uint8Array(8 * 300), new Uint32Array(300).fill(8), 0);
    assert.ok(k === 255 || k === 256, `${k}`);
    assert.equal(ring.popMany().length, k);
    // A batch of more lengths than the ring keeps a copy buffer for (4096).
    const many = ring.pushManyFrom(new Uint8Array(0), new Uint32Array(5000), 0);
    assert.ok(many === 511 || many === 512, `${many}`);
    assert.equal(ring.popMany().length, many);
  });

  it("pushManyFrom/popManyInto wrap around with every message length from 0 to 2040", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    const max = ring.maxMessage;
    const target = new Uint8Array(2 * max + 3);
    const lengths = new Uint32Array(3);
    let pads = 0;
    for (let n = 0; n <= max; n++) {
      // Three messages packed back to back (so odd lengths leave the later
      // ones unaligned), into a ring that holds two or three of them at a time.
      const sizes = Uint32Array.of(n, (n * 7) % 13, max - n);
      const msgs = [...sizes].map((k, i) => message(k, n * 3 + i));
      const data = new Uint8Array(sizes.reduce((a, b) => a + b, 0) + (n & 3)).subarray(n & 3);
      let at = 0;
      for (const b of msgs) data.set(b, at), at += b.length;
      const got: Uint8Array[] = [];
      let pushed = 0;
      let from = 0;
      const before = m.view(Int32Array, 0, 64)[HEAD];
      while (got.length < 3) {
        if (pushed < 3) {
          const k = ring.pushManyFrom(data.subarray(from), sizes.subarray(pushed), 0);
          for (let i = pushed; i < pushed + k; i++) from += sizes[i];
          pushed += k;
        }
        // A target that holds one to three of them; a lengths array of one to three.
        const out = target.subarray(n % 3, n % 3 + max + (n % 5) * 200);
        const k = ring.popManyInto(out, lengths.subarray(0, 1 + (n % 3)), 0);
        assert.ok(k > 0, `length ${n}: nothing to pop after ${got.length}`);
        let o = 0;
        for (let i = 0; i < k; i++) got.push(out.slice(o, o += lengths[i]));
      }
      const after = m.view(Int32Array, 0, 64)[HEAD];
      const records = [...sizes].reduce((a, k) => a + ((8 + k + 7) & ~7), 0);
      if (((after - before) >>> 0) > records) pads++;
      for (let i = 0; i < 3; i++) assert.deepEqual(got[i], msgs[i], `length ${n}, message ${i}`);
    }
    assert.ok(pads > 500, `${pads} batches wrapped behind a padding record`);
    assert.equal(ring.tryPop(), null);
  });

  it("popManyInto checks each record of a batch: a lie in the middle throws, nothing read outside", () => {
    const lies: [string, number][] = [
      ["a length beyond maxMessage", 1 << 30],
      ["a negative length", -7],
      ["a length beyond what is published", 100],
      ["a padding record past head", -1],
    ];
    for (const [what, lie] of lies) {
      using m = MMap.anonymous(BYTES);
      const ring = ringOf(m);
      const data = new Uint8Array(40).map((_, i) => i);
      assert.equal(ring.pushManyFrom(data, new Uint32Array(5).fill(8)), 5);
      m.view(Int32Array, 256, 1024)[2 * 4] = lie; // the third record's length word
      const target = new Uint8Array(64 + 16).fill(0xee);
      const lengths = new Uint32Array(5);
      assert.throws(
        () => ring.popManyInto(target.subarray(0, 64), lengths),
        RingCorruptError,
        what,
      );
      assert.deepEqual([...lengths], [8, 8, 0, 0, 0], `${what}: the two before it were copied`);
      assert.deepEqual(target.subarray(0, 16), data.subarray(0, 16));
      assert.ok(target.subarray(16).every((x) => x === 0xee), `${what}: nothing more written`);
      assert.equal(m.view(Int32Array, 0, 64)[TAIL], 32, `${what}: those two were freed`);
      assert.throws(() => ring.popManyInto(target, lengths), RingCorruptError);
    }
  });

  it("popManyInto's word-by-word run checks small records too: past head, beyond maxMessage", () => {
    // Lies the run of small whole-word records (src/sync/ring_records.ts)
    // must catch itself: lengths of at most 32 bytes, a multiple of 4.
    const cases: [string, number, number, number][] = [
      // what, capacity, which record, its lie
      ["a 12-byte record where 8 are published", 4096, 4, 12],
      ["a 28-byte record where maxMessage is 24", 64, 1, 28],
    ];
    for (const [what, capacity, which, lie] of cases) {
      using m = MMap.anonymous(Ring.bytesFor(capacity));
      const ring = new Ring(m, 0, Ring.bytesFor(capacity));
      const count = capacity === 64 ? 4 : 5;
      const data = new Uint8Array(8 * count).map((_, i) => i + 1);
      assert.equal(ring.pushManyFrom(data, new Uint32Array(count).fill(8)), count, what);
      m.view(Int32Array, 256, capacity / 4)[which * 4] = lie;
      const target = new Uint8Array(8 * count + 64).fill(0xee);
      const lengths = new Uint32Array(count);
      assert.throws(() => ring.popManyInto(target, lengths), RingCorruptError, what);
      const before = [...lengths].slice(0, which);
      assert.deepEqual(before, new Array(which).fill(8), `${what}: those before it were copied`);
      assert.deepEqual(target.subarray(0, 8 * which), data.subarray(0, 8 * which), what);
      assert.ok(target.subarray(8 * which).every((x) => x === 0xee), `${what}: nothing more`);
    }
  });

  it("pushManyFrom refuses a tail that lies, also in the middle of a batch", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    // Fill most of the ring, then make the tail jump ahead of head.
    assert.equal(ring.pushManyFrom(new Uint8Array(8 * 250), new Uint32Array(250).fill(8)), 250);
    m.view(Int32Array, 0, 64)[TAIL] = 1 << 24;
    assert.throws(
      () => ring.pushManyFrom(new Uint8Array(8 * 10), new Uint32Array(10).fill(8), 0),
      RingCorruptError,
    );
  });

  it("pushMany: a message too long throws after those before it are published", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    assert.throws(() => ring.pushMany([Uint8Array.of(1), new Uint8Array(5000)]), RangeError);
    assert.deepEqual(ring.popMany(), [Uint8Array.of(1)]);
  });

  it("popAsync and pushAsync leave the event loop free", async () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      setTimeout(() => ring.push(Uint8Array.of(7)), 30);
      assert.deepEqual(await ring.popAsync(5000), Uint8Array.of(7));
      assert.ok(ticks > 0, "the event loop ran while popAsync waited");
      assert.equal(await ring.popAsync(20), null);
      while (ring.tryPush(new Uint8Array(500)));
      setTimeout(() => ring.popMany(), 30);
      ticks = 0;
      assert.equal(await ring.pushAsync(new Uint8Array(500), 5000), true);
      assert.ok(ticks > 0);
      while (ring.tryPush(new Uint8Array(500)));
      assert.equal(await ring.pushAsync(new Uint8Array(500), 20), false);
      await assert.rejects(ring.popAsync(-5), RangeError);
    } finally {
      clearInterval(timer);
    }
  });

  it("two async pops at once each get their own message", async () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    const both = Promise.all([ring.popAsync(5000), ring.popAsync(5000)]);
    setTimeout(() => ring.pushMany([Uint8Array.of(1), Uint8Array.of(2)]), 20);
    const got = (await both).map((b) => b![0]).sort();
    assert.deepEqual(got, [1, 2]);
  });

  it("a lying length neither sizes the message nor the copy (the bytes do)", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    const liar = new Uint8Array(100).fill(7);
    Object.defineProperty(liar, "length", { value: 4 });
    ring.push(liar);
    ring.push(Uint8Array.of(1));
    assert.deepEqual(ring.pop(), new Uint8Array(100).fill(7));
    assert.deepEqual(ring.pop(), Uint8Array.of(1));
    const fake = Object.setPrototypeOf({ length: 3, 0: 1 }, Uint8Array.prototype);
    assert.throws(() => ring.push(fake), TypeError);
  });

  it("close() hands the roles over", () => {
    using m = MMap.anonymous(BYTES);
    const a = ringOf(m);
    a.push(Uint8Array.of(1));
    assert.notEqual(a.producer, 0);
    a.close();
    assert.equal(a.producer, 0);
    const b = ringOf(m);
    b.push(Uint8Array.of(2));
    assert.deepEqual(b.popMany(), [Uint8Array.of(1), Uint8Array.of(2)]);
    // While B holds the roles, A may not take them back in this thread.
    assert.throws(() => a.push(Uint8Array.of(3)), /EBUSY.*another Ring object/);
    b.close();
    // A's next use sees where B left the indices.
    a.push(Uint8Array.of(3));
    assert.deepEqual(a.pop(), Uint8Array.of(3));
  });

  it("a Ring and its map dropped unclosed are collected (the role registry holds neither)", async () => {
    let lost: WeakRef<MMap>;
    (() => {
      const m = MMap.anonymous(BYTES);
      ringOf(m).push(Uint8Array.of(1));
      lost = new WeakRef(m);
    })();
    for (let i = 0; i < 10 && lost!.deref() !== undefined; i++) await collectGarbage();
    assert.equal(lost!.deref(), undefined, "the map was collected (and so unmapped)");
  });

  it("a closed map: TypeError, not a crash", () => {
    const m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    ring.push(Uint8Array.of(1));
    m.close();
    assert.throws(() => ring.push(Uint8Array.of(1)), TypeError);
    assert.throws(() => ring.pop(), TypeError);
    ring.close();
  });
});

describe("Ring over memory another process overwrote", () => {
  /** Each way of lying, on a ring holding two messages. */
  const lies: [string, (w: Int32Array) => void][] = [
    ["head beyond the data area", (w) => w[HEAD] = 1 << 20],
    ["head not a multiple of 8", (w) => w[HEAD] = 20],
    ["head behind tail", (w) => w[HEAD] = -8],
    ["a record length beyond maxMessage", (w) => w[64] = 1 << 30],
    ["a negative record length", (w) => w[64] = -7],
    ["a record longer than what is published", (w) => w[64] = 100],
    ["a padding record past head", (w) => w[64] = -1],
  ];
  for (const [what, lie] of lies) {
    it(`${what}: RingCorruptError`, () => {
      using m = MMap.anonymous(BYTES);
      const ring = ringOf(m);
      ring.pushMany([Uint8Array.of(1), Uint8Array.of(2)]);
      lie(m.view(Int32Array));
      assert.throws(() => ring.popMany(), RingCorruptError);
    });
  }

  it("a tail beyond head: the producer's RingCorruptError", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    ring.push(Uint8Array.of(1));
    while (ring.tryPush(new Uint8Array(500)));
    m.view(Int32Array)[TAIL] = 1 << 24;
    assert.throws(() => ring.push(new Uint8Array(500)), RingCorruptError);
  });

  it("a header overwritten while a side waits", () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    setTimeout(() => {}, 0);
    m.view(Int32Array)[2] = 12;
    assert.throws(() => ring.pop(1000), RingCorruptError);
  });

  it("random garbage never makes a pop read outside the ring", () => {
    using m = MMap.anonymous(BYTES + 4096);
    const ring = ringOf(m);
    const after = m.view(Uint8Array, BYTES, 4096);
    after.fill(0xee);
    const words = m.view(Int32Array, 0, BYTES / 4);
    let seed = 12345;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    let corrupt = 0;
    for (let round = 0; round < 2000; round++) {
      ring.tryPushMany([message(rand() % 200, round), message(rand() % 50, round)]);
      for (let k = rand() % 4; k >= 0; k--) words[16 + (rand() % (words.length - 16))] = rand();
      if (rand() % 2) words[HEAD] = rand() & ~7 & 0x1ff8;
      try {
        for (const b of ring.popMany(8)) for (const x of b) assert.notEqual(x, undefined);
      } catch (e) {
        if (!(e instanceof RingCorruptError)) throw e;
        corrupt++;
        // Start again on a clean ring.
        words.fill(0);
        ring.close();
      }
    }
    assert.ok(corrupt > 0);
    assert.ok(after.every((x) => x === 0xee), "nothing outside the ring was written");
  });
});

describe("Ring roles", () => {
  it("a dead producer's claim is taken over; producer and consumer report thread ids", async () => {
    using m = MMap.anonymous(BYTES);
    const ring = ringOf(m);
    assert.equal(ring.producer, 0);
    ring.push(Uint8Array.of(1));
    assert.ok(ring.producer > 0);
    ring.pop();
    assert.equal(ring.consumer, ring.producer);
    ring.close();
    // A claim by a process that has exited is free.
    const { deadPid } = await import("./sync_helpers.ts");
    m.view(Int32Array)[4] = await deadPid();
    assert.equal(ringOf(m).push(Uint8Array.of(1)), true);
  });

  it("a live producer elsewhere: EBUSY", () => {
    using m = MMap.anonymous(BYTES);
    m.view(Int32Array)[4] = 1; // init: alive, and not this thread
    assert.throws(() => ringOf(m).push(Uint8Array.of(1)), osError("EBUSY"));
  });
});
