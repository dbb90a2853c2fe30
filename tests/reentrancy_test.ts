/**
 * User code that runs in the middle of a method (a getter of an options bag,
 * a typed-array constructor given to `view()`) and closes or resizes the map
 * it was called on: the method then throws the closed-map `TypeError` or
 * works on the map as it is now, never on memory it no longer has.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { statSync, writeFileSync } from "node:fs";
import { MMap, Ring } from "../mod.ts";
import { tempDir } from "./_helpers.ts";

const CLOSED = /mmap closed or invalid/;

describe("a map closed by user code in the middle of a call", () => {
  it("resize() whose options getter closed the map throws, and maps nothing", () => {
    const t = tempDir();
    try {
      const path = t.path("r.bin");
      writeFileSync(path, new Uint8Array(8192));
      const file = MMap.open(path, { access: "write" });
      const closing = (m: MMap) => ({
        get sparse() {
          m.close();
          return false;
        },
      });
      // Before: the closed map went on as if anonymous, and got new memory
      // that nothing would ever unmap.
      assert.throws(() => file.resize(4096, closing(file)), { name: "TypeError", message: CLOSED });
      assert.equal(statSync(path).size, 8192);
      const anon = MMap.anonymous(4096, { shared: false });
      assert.throws(() => anon.resize(8192, closing(anon)), { name: "TypeError", message: CLOSED });
      assert.equal(anon.closed, true);
      assert.throws(() => anon.length, { name: "TypeError", message: CLOSED });
    } finally {
      t.cleanup();
    }
  });

  it("a view() constructor that closes the map gets a buffer that is detached at once", () => {
    const m = MMap.anonymous(4096);
    let seen: ArrayBuffer | undefined;
    class Closing extends Uint8Array {
      constructor(buffer: ArrayBuffer, offset?: number, length?: number) {
        super(buffer, offset, length);
        seen = buffer;
        m.close();
      }
    }
    const v = m.view(Closing, 0);
    assert.equal(v.length, 0);
    assert.equal(seen!.byteLength, 0);
  });

  it("a Ring whose map user code closed (after reserve, in popMany) says so, not the engine", () => {
    const ring = (m: MMap) => new Ring(m, 0, 8192);
    // commit() of a reservation whose map was closed since.
    const a = MMap.anonymous(8192);
    const ra = ring(a);
    ra.reserve(16, 0);
    a.close();
    assert.throws(() => ra.commit(8), { name: "TypeError", message: CLOSED });
    // An index setter (on Array.prototype) that would close the map never
    // runs: popMany fills its result as own elements.
    const b = MMap.anonymous(8192);
    const rb = ring(b);
    rb.push(Uint8Array.of(1));
    rb.push(Uint8Array.of(2));
    Object.defineProperty(Array.prototype, 0, { set: () => b.close(), configurable: true });
    try {
      assert.deepEqual(rb.popMany(5, 0).map((x) => x[0]), [1, 2]);
      assert.equal(b.closed, false);
    } finally {
      delete (Array.prototype as unknown as Record<number, unknown>)[0];
      b.close();
    }
  });
});
