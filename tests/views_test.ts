import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MMap, PAGESIZE } from "../mod.ts";
import { fileBytes, tempFile, text } from "./_helpers.ts";

describe("zero-copy views", () => {
  it("bytes is a live view of the mapped memory", () => {
    const path = tempFile("abcdef");
    using m = MMap.open(path, { access: "write" });
    const bytes = m.bytes;
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(bytes.length, 6);
    assert.equal(m.bytes, bytes);
    bytes[0] = 0x41;
    assert.equal(m.at(0), 0x41);
    m.write("Z");
    assert.equal(bytes[0], 0x5a);
    m.flush();
    assert.equal(text(fileBytes(path)), "Zbcdef");
  });

  it("view() builds any typed array over the same memory", () => {
    using m = MMap.anonymous(PAGESIZE);
    const f64 = m.view(Float64Array);
    assert.equal(f64.length, PAGESIZE / 8);
    f64[1] = 1.5;
    const dv = m.dataView();
    assert.equal(dv.getFloat64(8, true), 1.5);
    const u32 = m.view(Uint32Array, 16, 2);
    u32[0] = 0x01020304;
    assert.deepEqual([...m.slice(16, 20)], [4, 3, 2, 1]);
    const big = m.view(BigInt64Array, 24, 1);
    big[0] = -2n;
    assert.equal(m.dataView(24, 8).getBigInt64(0, true), -2n);
    assert.equal(m.view(Uint8Array, PAGESIZE).length, 0);
    assert.equal(m.view(Int16Array, 2, 0).length, 0);
  });

  it("view() checks alignment and range with clear RangeErrors", () => {
    using m = MMap.anonymous(64);
    assert.throws(() => m.view(Float64Array, 4), { name: "RangeError", message: /multiple of 8/ });
    assert.throws(() => m.view(Uint32Array, 2, 1), /multiple of 4/);
    assert.throws(() => m.view(Uint8Array, 65), RangeError);
    assert.throws(() => m.view(Uint8Array, -1), RangeError);
    assert.throws(() => m.view(Float64Array, 0, 9), {
      name: "RangeError",
      message: /past the end/,
    });
    assert.throws(() => m.view(Uint8Array, 0, -1), RangeError);
    assert.throws(() => m.dataView(60, 8), RangeError);
    assert.throws(() => m.view(Array as never), TypeError);
    assert.throws(() => m.view(undefined as never), TypeError);
    assert.throws(() => m.view(Uint8Array, 1.5), TypeError);
  });

  it("close() detaches every view handed out", () => {
    const m = MMap.anonymous(PAGESIZE);
    const views = [
      m.bytes,
      m.bytes.subarray(10, 20),
      m.view(Float64Array, 8),
      m.dataView(0, 16),
      new Uint8Array(m.bytes.buffer),
    ];
    m.close();
    for (const v of views) {
      assert.equal((v.buffer as ArrayBuffer).detached, true);
      if (!(v instanceof DataView)) assert.equal(v.byteLength, 0);
    }
    const u8 = views[0] as Uint8Array;
    assert.equal(u8[0], undefined);
    u8[0] = 1; // a store into a detached view is dropped, not a crash
    assert.throws(() => (views[3] as DataView).getUint8(0), TypeError);
    assert.throws(() => m.bytes, { name: "TypeError", message: "mmap closed or invalid" });
    assert.throws(() => m.view(Uint8Array), TypeError);
  });

  it("resize() detaches old views and the new ones see the new memory", () => {
    const path = tempFile("0123456789");
    using m = MMap.open(path, { access: "write" });
    const old = m.bytes;
    const oldF = m.view(Uint16Array);
    m.resize(3 * PAGESIZE);
    assert.equal(old.length, 0);
    assert.equal(oldF.length, 0);
    const now = m.bytes;
    assert.equal(now.length, 3 * PAGESIZE);
    assert.equal(text(now.subarray(0, 10)), "0123456789");
    now[3 * PAGESIZE - 1] = 7;
    m.flush();
    assert.equal(fileBytes(path)[3 * PAGESIZE - 1], 7);
  });
});
