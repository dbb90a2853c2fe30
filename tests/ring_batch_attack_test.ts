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
import { MMap, Ring, RingCorruptError } from "../mod.ts";

const BYTES = Ring.bytesFor(4096);
/** Int32 word indices of head and tail in the ring's header. */
const HEAD = 16;
const TAIL = 32;
/** Byte offset of the data area in the map (the ring starts at 0). */
const DATA = Ring.HEADER_BYTES;

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
