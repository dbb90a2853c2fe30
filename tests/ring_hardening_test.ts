/**
 * The Ring against its own users: views it hands out that are moved away,
 * arguments whose `length` lies, user code that calls back into the ring
 * from inside one of its calls, and a map closed under it. Every case ends
 * in the ring still working, or in the library's own error of the
 * documented class; never in the engine's TypeError, a false
 * RingCorruptError, a lost or a duplicated message.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MMap, Ring } from "../mod.ts";
import { withRegion } from "./sync_helpers.ts";
import { needsKernel } from "./_emulation.ts";

const SZ = 4096;

function fresh(): { m: MMap; r: Ring } {
  const m = MMap.anonymous(SZ);
  return { m, r: new Ring(m, 0, SZ) };
}

function lie(bytes: Uint8Array, length: number): Uint8Array {
  Object.defineProperty(bytes, "length", { value: length });
  return bytes;
}

describe("Ring views moved away", () => {
  it("transferring a peek() view's buffer leaves the ring working, and close() frees the roles", () => {
    const { m, r } = fresh();
    try {
      r.push(Uint8Array.of(1, 2, 3));
      const v = r.peek(0)!;
      structuredClone(v, { transfer: [v.buffer as ArrayBuffer] });
      assert.equal(v.length, 0);
      r.release();
      assert.equal(r.push(Uint8Array.of(4)), true);
      assert.deepEqual(r.pop(0), Uint8Array.of(4));
      assert.deepEqual([...r.peek(0) ?? []], [], "nothing left");
      r.push(Uint8Array.of(5));
      assert.deepEqual([...r.peek(0)!], [5], "a new peek view is live");
      r.release();
      assert.notEqual(r.consumer, 0);
      r.close();
      assert.equal(r.consumer, 0);
      assert.equal(r.producer, 0);
    } finally {
      m.close();
    }
  });

  it("transferring a reserve() view's buffer, or the map's bytes, leaves the ring working", () => {
    const { m, r } = fresh();
    try {
      const slot = r.reserve(4)!;
      slot.set([9, 8, 7, 6]);
      (slot.buffer as ArrayBuffer).transfer();
      r.commit();
      (m.bytes.buffer as ArrayBuffer).transfer();
      (m.view(Uint8Array, 0, 4).buffer as ArrayBuffer).transfer();
      assert.deepEqual(r.pop(0), Uint8Array.of(9, 8, 7, 6));
      r.close();
      assert.equal(r.producer, 0);
      assert.equal(r.consumer, 0);
    } finally {
      m.close();
    }
  });
});

describe("Ring arguments that lie", () => {
  it("popInto measures its target in bytes (an own length is ignored; the message stays)", () => {
    const { m, r } = fresh();
    try {
      r.push(new Uint8Array(20).fill(7));
      const t = lie(new Uint8Array(4), 100);
      assert.throws(() => r.popInto(t), /message is 20 bytes, the target only 4/);
      assert.deepEqual([...t], [0, 0, 0, 0]);
      assert.equal(r.pop(0)!.length, 20, "the message is still there");
      const f = new Float64Array(8);
      Object.setPrototypeOf(f, Uint8Array.prototype);
      r.push(new Uint8Array(40).fill(9));
      assert.throws(() => r.popInto(f as unknown as Uint8Array), {
        name: "TypeError",
        message:
          /target must be a Uint8Array \(or an Int8Array or Uint8ClampedArray\), not Float64Array/,
      });
      assert.equal(r.pop(0)!.length, 40);
    } finally {
      m.close();
    }
  });

  it("popManyInto measures its target in bytes and loses no message", () => {
    const { m, r } = fresh();
    try {
      r.push(new Uint8Array(10).fill(1));
      r.push(new Uint8Array(10).fill(2));
      const lengths = new Uint32Array(4);
      assert.throws(() => r.popManyInto(lie(new Uint8Array(4), 100), lengths), RangeError);
      const big = lie(new Uint8Array(15), 100);
      assert.equal(r.popManyInto(big, lengths), 1);
      assert.deepEqual(r.popMany(), [new Uint8Array(10).fill(2)]);
    } finally {
      m.close();
    }
  });

  it("push and pushManyFrom size messages by their bytes", () => {
    const { m, r } = fresh();
    try {
      r.push(lie(new Uint8Array(4).fill(5), 30));
      assert.deepEqual(r.pop(0), Uint8Array.of(5, 5, 5, 5));
      r.push(lie(new Uint8Array(100).fill(5), 0));
      assert.equal(r.pop(0)!.length, 100);
      const floats = new Float64Array(2);
      Object.setPrototypeOf(floats, Uint8Array.prototype);
      r.push(floats as unknown as Uint8Array);
      assert.equal(r.pop(0)!.length, 16, "a Float64Array is its 16 bytes, not 2 elements");
      const data = lie(new Uint8Array(4).fill(3), 300);
      assert.throws(() => r.pushManyFrom(data, Uint32Array.of(300)), /data holds 4/);
      assert.equal(r.pop(0), null, "nothing was pushed");
    } finally {
      m.close();
    }
  });
});

describe("Ring re-entrance", () => {
  it("an element getter that closes the ring during pushMany cannot corrupt it", () => {
    const { m, r } = fresh();
    try {
      for (let i = 0; i < 10; i++) r.push(Uint8Array.of(i)), r.pop(0);
      const batch = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)];
      Object.defineProperty(batch, 1, {
        get() {
          r.close();
          return Uint8Array.of(2);
        },
      });
      assert.equal(r.pushMany(batch, 0), 3);
      const c = new Ring(m, 0, SZ);
      assert.deepEqual(c.popMany(10, 0).map((x) => [...x]), [[1], [2], [3]]);
    } finally {
      m.close();
    }
  });

  it("popMany calls no Array.prototype.push, and no index setter sees its messages", () => {
    const { m, r } = fresh();
    const push = Array.prototype.push;
    const proto = Array.prototype as unknown as Record<string, unknown>;
    let pushes = 0;
    // Plain variables: storing into an array would call the setter itself.
    let popped: unknown = "not called", closed: unknown = "not called";
    try {
      r.push(Uint8Array.of(1));
      r.push(Uint8Array.of(2));
      r.push(Uint8Array.of(3));
      let out: Uint8Array[];
      Array.prototype.push = function (this: unknown[], ...xs: unknown[]) {
        pushes++;
        return push.apply(this, xs);
      };
      Object.defineProperty(Array.prototype, "0", {
        configurable: true,
        set(this: Record<string, unknown>, v: unknown) {
          try {
            popped = r.pop(0);
          } catch (e) {
            popped = e;
          }
          try {
            closed = r.close();
          } catch (e) {
            closed = e;
          }
          Object.defineProperty(this, "0", { value: v, writable: true, enumerable: true });
        },
      });
      try {
        out = r.popMany(10, 0);
      } finally {
        delete proto["0"];
        Array.prototype.push = push;
      }
      assert.equal(pushes, 0);
      // The result is filled as own elements: the setter never runs.
      assert.deepEqual([popped, closed], ["not called", "not called"]);
      assert.equal(Object.getPrototypeOf(out), Array.prototype);
      assert.ok(Array.isArray(out) && Object.hasOwn(out, 0));
      assert.deepEqual(out.map((x) => x[0]), [1, 2, 3]);
      assert.equal(r.pop(0), null, "no message is delivered twice");
    } finally {
      delete proto["0"];
      Array.prototype.push = push;
      m.close();
    }
  });
  it("pushMany: no Array.prototype index accessor swaps a message after its check", () => {
    const { m, r } = fresh();
    const proto = Array.prototype as unknown as Record<string, unknown>;
    const fake = new Float64Array(64);
    try {
      Object.defineProperty(Array.prototype, "1", {
        configurable: true,
        get: () => fake,
        set() {},
      });
      let pushed: number;
      try {
        pushed = r.pushMany([Uint8Array.of(1), Uint8Array.of(2)], 0);
      } finally {
        delete proto["1"];
      }
      assert.equal(pushed, 2);
      assert.deepEqual(r.popMany(10, 0).map((x) => [...x]), [[1], [2]]);
    } finally {
      delete proto["1"];
      m.close();
    }
  });
});

describe("Ring errors", () => {
  it("a ring on a closed map throws the library's TypeError, sync and async", async () => {
    const { m, r } = fresh();
    r.push(Uint8Array.of(1));
    m.close();
    const closed = { name: "TypeError", message: "mmap closed or invalid" };
    assert.throws(() => r.push(Uint8Array.of(1)), closed);
    assert.throws(() => r.pop(0), closed);
    assert.throws(() => r.popInto(new Uint8Array(4), 0), closed);
    await assert.rejects(r.popAsync(0), closed);
    await assert.rejects(r.pushAsync(Uint8Array.of(1), 0), closed);
    r.close(); // no throw
  });

  it("a map closed under a pending popAsync or pushAsync rejects with the library's TypeError", async () => {
    const closed = { name: "TypeError", message: "mmap closed or invalid" };
    {
      const { m, r } = fresh();
      const p = r.popAsync(5000);
      setTimeout(() => m.close(), 20);
      await assert.rejects(p, closed);
    }
    {
      const { m, r } = fresh();
      while (r.tryPush(new Uint8Array(100)));
      const p = r.pushAsync(new Uint8Array(100), 5000);
      setTimeout(() => m.close(), 20);
      await assert.rejects(p, closed);
    }
  });

  it("wrong types get the library's TypeError naming what is expected", () => {
    const { m, r } = fresh();
    try {
      assert.throws(() => r.push(new Proxy(new Uint8Array(4), {})), {
        name: "TypeError",
        message: /Ring.push: a message must be a Uint8Array .*Proxy/,
      });
      const ab = new ArrayBuffer(8);
      const gone = new Uint8Array(ab);
      ab.transfer();
      r.push(Uint8Array.of(1, 2));
      assert.throws(() => r.popInto(gone), {
        name: "TypeError",
        message: /target's buffer is detached/,
      });
      assert.deepEqual(r.pop(0), Uint8Array.of(1, 2));
      assert.throws(() => new Ring(new Proxy(m, {}), 0, SZ), {
        name: "TypeError",
        message: /map must be an MMap/,
      });
    } finally {
      m.close();
    }
  });
});

describe("Ring and the program's globals", () => {
  it("a patched Atomics runs no user code inside any Ring call, waits included", async () => {
    const names = ["load", "store", "exchange", "compareExchange", "add", "sub"] as const;
    const saved = names.map((k) => Atomics[k]);
    const calls: string[] = [];
    const A = Atomics as unknown as Record<string, unknown>;
    for (const k of names) {
      const original = Atomics[k] as (...a: unknown[]) => unknown;
      A[k] = (...a: unknown[]) => (calls.push(k), original(...a));
    }
    const maps: MMap[] = [];
    try {
      for (const wait of ["spin", "yield", "sleep"] as const) {
        const m = MMap.anonymous(SZ);
        maps.push(m);
        const r = new Ring(m, 0, SZ, { wait, spins: 10 });
        r.push(Uint8Array.of(1, 2));
        assert.deepEqual(r.pop(0), Uint8Array.of(1, 2));
        assert.equal(r.pop(5), null, "a wait that times out");
        r.reserve(1)![0] = 3;
        r.commit();
        assert.equal(r.popInto(new Uint8Array(4), 5), 1);
        assert.equal(r.pushManyFrom(new Uint8Array(8), Uint32Array.of(4, 4), 5), 2);
        assert.equal(r.popManyInto(new Uint8Array(8), new Uint32Array(4), 5), 2);
        r.pushMany([Uint8Array.of(4)]);
        assert.equal(r.peek(0)!.length, 1);
        r.release();
        assert.equal(await r.popAsync(5), null, "an async wait that times out");
        while (r.tryPush(new Uint8Array(100)));
        assert.equal(r.push(new Uint8Array(100), 5), false, "a full ring's wait");
        r.close();
        void r.producer, r.consumer;
      }
    } finally {
      names.forEach((k, i) => A[k] = saved[i]);
      for (const m of maps) m.close();
    }
    assert.deepEqual(calls, []);
  });
});

describe("Ring roles when the map goes first", () => {
  it("closing the map before ring.close() gives this thread's roles back", async () => {
    await withRegion(SZ, (name) => {
      const m1 = MMap.shared(name);
      const m2 = MMap.shared(name);
      try {
        const r1 = new Ring(m1, 0, SZ);
        r1.push(Uint8Array.of(1));
        assert.deepEqual(r1.pop(0), Uint8Array.of(1));
        const r2 = new Ring(m2, 0, SZ);
        assert.notEqual(r2.producer, 0);
        assert.notEqual(r2.consumer, 0);
        m1.close(); // r1.close() never runs
        assert.equal(r2.producer, 0, "the producer role is free");
        assert.equal(r2.consumer, 0, "the consumer role is free");
        r1.close(); // no throw, and nothing to give back
        // A new claim, then the ring closed first: the map's close has nothing to do.
        r2.push(Uint8Array.of(2));
        r2.close();
        assert.equal(r2.producer, 0);
        const r3 = new Ring(m2, 0, SZ);
        r3.push(Uint8Array.of(3));
        m2.close();
        const m3 = MMap.shared(name);
        try {
          assert.equal(new Ring(m3, 0, SZ).producer, 0);
        } finally {
          m3.close();
        }
      } finally {
        m1.close();
        m2.close();
      }
    });
  });

  it("resizing the map under a ring gives its roles back too", async () => {
    await withRegion(SZ, (name) => {
      const m1 = MMap.shared(name);
      const m2 = MMap.shared(name);
      try {
        const r1 = new Ring(m1, 0, SZ);
        r1.push(Uint8Array.of(1));
        assert.notEqual(new Ring(m2, 0, SZ).producer, 0);
        m1.resize(SZ);
        assert.equal(new Ring(m2, 0, SZ).producer, 0);
        assert.throws(() => r1.push(Uint8Array.of(2)), /resized under the ring/);
      } finally {
        m1.close();
        m2.close();
      }
    });
  });
});

describe("Ring targets of one-byte elements", () => {
  it("popInto, popManyInto and pushManyFrom take Uint8Array, Int8Array and Uint8ClampedArray", () => {
    const { m, r } = fresh();
    try {
      const all = new Uint8Array(256).map((_, i) => i);
      for (const Kind of [Uint8Array, Int8Array, Uint8ClampedArray]) {
        r.push(all);
        const t = new Kind(256);
        assert.equal(r.popInto(t, 0), 256);
        assert.deepEqual(new Uint8Array(t.buffer), all, `popInto ${Kind.name}`);
        r.push(all.subarray(0, 20));
        r.push(all.subarray(200, 220));
        const many = new Kind(64);
        assert.equal(r.popManyInto(many, new Uint32Array(4), 0), 2);
        assert.deepEqual(
          new Uint8Array(many.buffer, 0, 40),
          Uint8Array.of(...all.subarray(0, 20), ...all.subarray(200, 220)),
          `popManyInto ${Kind.name}`,
        );
        const data = new Kind(all.buffer.slice(0));
        assert.equal(r.pushManyFrom(data, Uint32Array.of(100, 156), 0), 2);
        assert.deepEqual(r.pop(0), all.subarray(0, 100), `pushManyFrom ${Kind.name}`);
        assert.deepEqual(r.pop(0), all.subarray(100), `pushManyFrom ${Kind.name}`);
      }
      r.push(Uint8Array.of(1));
      assert.throws(() => r.popInto(new Uint16Array(4) as unknown as Uint8Array, 0), {
        name: "TypeError",
        message:
          /target must be a Uint8Array \(or an Int8Array or Uint8ClampedArray\), not Uint16Array/,
      });
    } finally {
      m.close();
    }
  });
});

describe("Ring arguments measured again", () => {
  // Each call site keeps the array it measured last: a resize or a transfer
  // of that array's buffer between two calls must be seen at the next one.
  it(
    "push and popInto see a resized or transferred buffer of the array they measured before",
    needsKernel("resizableBuffer"),
    () => {
      const { m, r } = fresh();
      try {
        const rab = new ArrayBuffer(4, { maxByteLength: 64 });
        const msg = new Uint8Array(rab).fill(1);
        r.push(msg);
        rab.resize(8);
        msg.fill(2);
        r.push(msg);
        rab.resize(2);
        r.push(msg);
        assert.deepEqual([r.pop(0), r.pop(0), r.pop(0)], [
          new Uint8Array(4).fill(1),
          new Uint8Array(8).fill(2),
          new Uint8Array(2).fill(2),
        ]);
        const tab = new ArrayBuffer(8, { maxByteLength: 64 });
        const target = new Uint8Array(tab);
        r.push(new Uint8Array(6).fill(3));
        assert.equal(r.popInto(target, 0), 6);
        tab.resize(4);
        r.push(new Uint8Array(6).fill(4));
        assert.throws(() => r.popInto(target, 0), /message is 6 bytes, the target only 4/);
        tab.resize(8);
        assert.equal(r.popInto(target, 0), 6);
        assert.deepEqual([...target], [4, 4, 4, 4, 4, 4, 0, 0]);
        r.push(Uint8Array.of(5));
        structuredClone(target, { transfer: [tab] });
        assert.throws(() => r.popInto(target, 0), { name: "TypeError", message: /detached/ });
        assert.deepEqual(r.pop(0), Uint8Array.of(5), "the message stayed");
        const gone = new Uint8Array(3).fill(6);
        r.push(gone);
        structuredClone(gone, { transfer: [gone.buffer] });
        // No bytes left is no empty message (it was one, pushed as if sent).
        assert.throws(() => r.push(gone), { name: "TypeError", message: /no bytes.*detached/ });
        assert.deepEqual([r.pop(0), r.pop(0)], [new Uint8Array(3).fill(6), null]);
      } finally {
        m.close();
      }
    },
  );

  it(
    "pushManyFrom and popManyInto copy through views of the buffer as it is now",
    needsKernel("resizableBuffer"),
    () => {
      const { m, r } = fresh();
      try {
        const rab = new ArrayBuffer(16, { maxByteLength: 64 });
        const data = new Uint8Array(rab);
        const out = new Uint8Array(new ArrayBuffer(16, { maxByteLength: 64 }));
        const lengths = new Uint32Array(4);
        data.fill(1);
        assert.equal(r.pushManyFrom(data, Uint32Array.of(8, 8)), 2);
        assert.equal(r.popManyInto(out, lengths, 0), 2);
        assert.deepEqual([...out], new Array(16).fill(1));
        data.fill(2); // the same array, the same length: its bytes as they are now
        assert.equal(r.pushManyFrom(data, Uint32Array.of(16)), 1);
        (out.buffer as ArrayBuffer).resize(8);
        assert.throws(
          () => r.popManyInto(out, lengths, 0),
          /message is 16 bytes, the target only 8/,
        );
        (out.buffer as ArrayBuffer).resize(24);
        assert.equal(r.popManyInto(out, lengths, 0), 1);
        assert.deepEqual([...out], [...new Array(16).fill(2), 0, 0, 0, 0, 0, 0, 0, 0]);
        rab.resize(32);
        data.fill(3);
        assert.equal(r.pushManyFrom(data, Uint32Array.of(12, 20)), 2);
        assert.equal(r.popManyInto(out, lengths, 0), 1, "the 20-byte one does not fit after 12");
        assert.deepEqual([lengths[0], ...out.subarray(0, 12)], [12, ...new Array(12).fill(3)]);
        assert.deepEqual(r.pop(0), new Uint8Array(20).fill(3));
        rab.resize(4);
        assert.throws(() => r.pushManyFrom(data, Uint32Array.of(8)), /data holds 4/);
      } finally {
        m.close();
      }
    },
  );
});

describe("Ring fast paths refuse what the general path refuses", () => {
  // push and popInto given the array of their last call take a short path
  // (src/sync/ring.ts): each case here warms that path first, so that what
  // it must refuse reaches it, not the general checks.
  function warm(): { m: MMap; r: Ring; msg: Uint8Array; tgt: Uint8Array } {
    const m = MMap.anonymous(SZ);
    const r = new Ring(m, 0, SZ);
    const msg = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), tgt = new Uint8Array(16);
    for (let i = 0; i < 3; i++) {
      assert.equal(r.push(msg), true);
      assert.equal(r.popInto(tgt, 0), 8);
    }
    return { m, r, msg, tgt };
  }

  it("a bad timeout, a pending reservation or peek, a closed map", () => {
    let { m, r, msg, tgt } = warm();
    try {
      assert.throws(() => r.push(msg, -1), { name: "RangeError", message: /timeoutMs/ });
      assert.throws(() => r.push(msg, "1" as never), { name: "TypeError", message: /timeoutMs/ });
      assert.equal(r.push(msg), true);
      assert.throws(() => r.popInto(tgt, NaN), { name: "RangeError", message: /timeoutMs/ });
      assert.equal(r.popInto(tgt, 0), 8, "the message stayed");
      r.reserve(4)!.fill(9);
      assert.throws(() => r.push(msg), /commit\(\) the reserved messages first/);
      r.commit();
      assert.equal(r.push(msg), true);
      assert.deepEqual([...r.peek(0)!], [9, 9, 9, 9]);
      assert.throws(() => r.popInto(tgt, 0), /release\(\) the peeked messages first/);
      r.release();
      assert.equal(r.popInto(tgt, 0), 8);
      assert.deepEqual([...tgt.subarray(0, 8)], [...msg]);
      assert.equal(r.popInto(tgt, 0), null);
    } finally {
      m.close();
    }
    ({ m, r, msg, tgt } = warm());
    m.close();
    const closed = { name: "TypeError", message: "mmap closed or invalid" };
    assert.throws(() => r.push(msg), closed);
    assert.throws(() => r.popInto(tgt, 0), closed);
  });

  it("a message longer than the target stays", () => {
    const { m, r, msg } = warm();
    const small = new Uint8Array(4);
    try {
      assert.equal(r.push(Uint8Array.of(1)), true);
      assert.equal(r.popInto(small, 0), 1);
      assert.equal(r.push(msg), true);
      assert.throws(() => r.popInto(small, 0), /message is 8 bytes, the target only 4/);
      assert.deepEqual(r.pop(0), msg, "the message stayed");
    } finally {
      m.close();
    }
  });

  it("head or tail moved elsewhere: no message overwritten or delivered twice", () => {
    const { m, r, msg, tgt } = warm();
    try {
      // Another Ring object of this thread may not take r's roles (the role
      // words name threads: both were the producer once, each writing where
      // the other did).
      const other = new Ring(m, 0, SZ);
      assert.throws(() => other.push(Uint8Array.of(1)), /EBUSY.*another Ring object/);
      assert.throws(() => other.pop(0), /EBUSY.*another Ring object/);
      // A producer elsewhere, by hand: a 1-byte record at head, head past it
      // (warm() left head at 48, far from the data area's end).
      const w = m.view(Int32Array, 0, SZ / 4);
      const head = w[16]!, at = 64 + ((head & (r.capacity - 1)) >> 2);
      w[at] = 1, w[at + 1] = 0, w[at + 2] = 7;
      w[16] = head + 16;
      assert.equal(r.push(msg), true);
      assert.equal(r.popInto(tgt, 0), 1, "the other's message, not overwritten");
      assert.equal(tgt[0], 7);
      // A consumer elsewhere takes r's message: tail past it, by hand.
      w[32] = w[32]! + 16;
      assert.equal(r.popInto(tgt, 0), null, "the message taken elsewhere is not delivered again");
      // Closed, r hands its roles to the other object.
      r.close();
      assert.equal(other.push(Uint8Array.of(2)), true);
      assert.deepEqual(other.pop(0), Uint8Array.of(2));
    } finally {
      m.close();
    }
  });

  it("indices and records overwritten under a warm ring are RingCorruptError", () => {
    // HEAD is word 16 of the header, TAIL word 32; the data area starts at byte 256.
    const cases: Array<[string, (w: Int32Array, head: number) => void, RegExp]> = [
      ["head not a multiple of 8", (w, head) => w[16] = head + 4, /head index/],
      ["head beyond the data area", (w, head) => w[16] = head + 4096, /head index/],
      ["a record longer than what is published", (w, head) => {
        w[64 + ((head & 2047) >> 2)] = 16;
        w[16] = head + 16;
      }, /a record at/],
      ["a record beyond maxMessage", (w, head) => {
        w[64 + ((head & 2047) >> 2)] = 2000;
        w[16] = head + 16;
      }, /a record at/],
    ];
    for (const [name, overwrite, error] of cases) {
      const { m, r, tgt } = warm();
      try {
        const w = m.view(Int32Array, 0, 64 + 512);
        overwrite(w, w[16]!);
        assert.throws(() => r.popInto(tgt, 0), { name: "RingCorruptError", message: error }, name);
      } finally {
        m.close();
      }
    }
    // A record beyond maxMessage (24 in a data area of 64) that the target would hold.
    using m = MMap.anonymous(Ring.bytesFor(64));
    const r = new Ring(m, 0, Ring.bytesFor(64)), msg = new Uint8Array(8), tgt = new Uint8Array(64);
    for (let i = 0; i < 4; i++) r.push(msg), r.popInto(tgt, 0);
    const w = m.view(Int32Array, 0, 80);
    assert.equal(w[32], 64, "tail at the data area's start again");
    w[64] = 28;
    w[16] = 64 + 40;
    assert.throws(() => r.popInto(tgt, 0), { name: "RingCorruptError", message: /a record at 0/ });
  });
});
