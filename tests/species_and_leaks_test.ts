/**
 * `Symbol.species` and patched typed-array methods never reach the map's
 * memory: the library cuts sub-views with the captured constructor, so a
 * species constructor that lies about its length cannot make a write touch
 * other bytes, and no patched `subarray`/`set`/`slice` or species
 * constructor is ever handed the map's internal buffer (moving it away
 * would leave the map silently dropping writes).
 */
import { describe, it } from "node:test";
import * as nodeFs from "node:fs";
import assert from "node:assert/strict";
import { MMap, Ring } from "../mod.ts";
import { ViewSet } from "../src/views.ts";
import { Mapping } from "../ffi/mapping.ts";
import { fileBytes, tempDir, text } from "./_helpers.ts";

const Real = Uint8Array;
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);

/**
 * Runs `fn` with `Uint8Array[Symbol.species]` (and Node's `Buffer`'s, where
 * there is one) answering `Evil`, restored afterwards.
 */
function withSpecies<T>(Evil: unknown, fn: () => T): T {
  const B = (globalThis as { Buffer?: unknown }).Buffer as object | undefined;
  const spec = { get: () => Evil, configurable: true };
  Object.defineProperty(Real, Symbol.species, spec);
  if (B) Object.defineProperty(B, Symbol.species, spec);
  try {
    return fn();
  } finally {
    delete (Real as unknown as Record<symbol, unknown>)[Symbol.species];
    if (B) delete (B as Record<symbol, unknown>)[Symbol.species];
  }
}

/** A species constructor that returns 30 bytes of "X" for a (buffer, offset, length) call. */
function liar(): { Evil: unknown; calls: number[] } {
  const seen = { Evil: null as unknown, calls: [] as number[] };
  class Evil extends Real {
    constructor(...a: unknown[]) {
      super(...(a as []));
      seen.calls.push(a.length);
      if (a.length === 3) return new Real(30).fill(0x58) as Evil;
    }
  }
  seen.Evil = Evil;
  return seen;
}

describe("Symbol.species", () => {
  it("MMap writes, sets, moves, slices and reads exactly their bytes", () => {
    const t = tempDir();
    try {
      const f = t.path("s.bin");
      nodeFs.writeFileSync(f, ".".repeat(40));
      const m = MMap.open(f, { access: "write" });
      const spy = liar();
      const [s, rd, rl] = withSpecies(spy.Evil, () => {
        m.seek(5);
        m.write(Real.of(0x41, 0x42));
        m.set(10, 0x43);
        m.move(20, 5, 2);
        m.seek(30);
        m.write("ZZ");
        const s = m.slice(0, 10);
        m.seek(0);
        const rd = m.read(10);
        m.seek(0);
        return [s, rd, m.readline()];
      });
      m.close();
      assert.equal(text(fileBytes(f)), ".....AB...C.........AB........ZZ........");
      assert.equal(text(s), ".....AB...");
      assert.equal(text(rd), ".....AB...");
      assert.equal(rl.length, 40);
      assert.deepEqual(spy.calls, [], "the species constructor was called");
    } finally {
      t.cleanup();
    }
  });

  it("MMapConcat.write writes exactly the bytes given", () => {
    const t = tempDir();
    try {
      nodeFs.writeFileSync(t.path("a"), ".".repeat(40));
      nodeFs.writeFileSync(t.path("b"), ".".repeat(40));
      const c = MMap.concat([t.path("a"), t.path("b")], { access: "write" });
      const spy = liar();
      const n = withSpecies(spy.Evil, () => {
        c.seek(38);
        return c.write(Real.of(0x41, 0x42, 0x43, 0x44));
      });
      c.flush();
      c.close();
      assert.equal(n, 4);
      assert.equal(text(fileBytes(t.path("a"))), ".".repeat(38) + "AB");
      assert.equal(text(fileBytes(t.path("b"))), "CD" + ".".repeat(38));
      assert.deepEqual(spy.calls, []);
    } finally {
      t.cleanup();
    }
  });

  it("Ring.pushManyFrom copies only its record (an unread one stays whole)", () => {
    using m = MMap.anonymous(4096);
    const r = new Ring(m, 0, 4096);
    for (let i = 0; i < 6; i++) r.push(new Real(300).fill(10 + i));
    for (let i = 0; i < 5; i++) r.pop(0);
    class Evil extends Real {
      constructor(...a: unknown[]) {
        super(...(a as []));
        if (a.length === 3 && a[2] === 300) return new Real(1700).fill(0xee) as Evil;
      }
    }
    const pushed = withSpecies(
      Evil,
      () => r.pushManyFrom(new Real(300).fill(1), Uint32Array.of(300)),
    );
    assert.equal(pushed, 1);
    const old = r.pop(0)!;
    assert.equal(old.length, 300);
    assert.ok(old.every((x) => x === 15), "the unread message was overwritten");
    const fresh = r.pop(0)!;
    assert.equal(fresh.length, 300);
    assert.ok(fresh.every((x) => x === 1));
  });
});

describe("the map's internal buffer stays inside", () => {
  it("no patched typed-array method or species constructor is handed the map's memory", async () => {
    const t = tempDir();
    const size = 1 << 20;
    const f = t.path("big.bin");
    nodeFs.writeFileSync(f, new Uint8Array(size).fill(120));
    const m = MMap.open(f);
    const caught: ArrayBufferLike[] = [];
    const names = ["subarray", "set", "slice", "fill", "copyWithin", "indexOf", "lastIndexOf"];
    const saved = names.map((k) => TypedArrayPrototype[k]);
    class Evil extends Real {
      constructor(...a: unknown[]) {
        super(...(a as []));
        if (a[0] instanceof ArrayBuffer) caught.push(a[0]);
      }
    }
    try {
      names.forEach((k, i) => {
        TypedArrayPrototype[k] = function (this: Uint8Array, ...a: unknown[]) {
          if (this.buffer.byteLength === size) caught.push(this.buffer);
          return saved[i].apply(this, a);
        };
      });
      await withSpecies(Evil, async () => {
        m.rfind("y");
        m.find("xy");
        m.count("xxxxxxxx", 0, 100);
        m.slice(0, 10);
        m.seek(0);
        m.read(100);
        m.seek(0);
        m.readline();
        [...m.lines(0, 100)];
        m.seek(0);
        m.readInto(new Uint8Array(2000));
        m.at(5);
        const reader = m.stream(0, 5000).getReader();
        for (;;) if ((await reader.read()).done) break;
        const byob = m.stream(0, 3000).getReader({ mode: "byob" });
        await byob.read(new Uint8Array(1000));
        byob.releaseLock();
      });
    } finally {
      names.forEach((k, i) => TypedArrayPrototype[k] = saved[i]);
      m.close();
      t.cleanup();
    }
    assert.deepEqual(caught.map((b) => b.byteLength), []);
  });

  it("a map whose internal buffer was moved away makes it again (no write is dropped)", () => {
    const memory = new ArrayBuffer(64);
    const views = new ViewSet({}, 1 << 30);
    views.attach(Mapping.borrow(memory));
    const main = views.main!;
    (main.buffer as ArrayBuffer).transfer(); // as if user code had reached it
    const again = views.main!;
    assert.equal(again.length, 64);
    again[3] = 7;
    assert.equal(new Uint8Array(memory)[3], 7);
    assert.equal(views.detachAll(), true, "memory moved away may still be reachable");
  });
});
