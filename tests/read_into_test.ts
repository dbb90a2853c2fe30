// readInto(target): CPython's readinto of file objects, on MMap and MMapConcat.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { MMap, PAGESIZE } from "../mod.ts";
import { b, python, runtime, tempDir, text, withFile } from "./_helpers.ts";
import { needsKernel } from "./_emulation.ts";

const MESSAGE = /^readInto\(\) argument must be read-write bytes-like object, not /;

function filled(s: string): MMap {
  const m = MMap.anonymous(s.length);
  m.write(s);
  m.seek(0);
  return m;
}

describe("readInto", () => {
  it("copies from the position, moves past the bytes and returns the count", () => {
    using m = filled("0123456789");
    const buf = new Uint8Array(4);
    assert.equal(m.readInto(buf), 4);
    assert.equal(text(buf), "0123");
    assert.equal(m.tell(), 4);
    assert.equal(m.readInto(buf), 4);
    assert.equal(text(buf), "4567");
    // Less left than the target holds: the rest, and the target's tail is untouched.
    assert.equal(m.readInto(buf), 2);
    assert.equal(text(buf), "8967");
    assert.equal(m.tell(), 10);
    // At the end: 0, and nothing moves.
    assert.equal(m.readInto(buf), 0);
    assert.equal(m.tell(), 10);
    m.seek(3);
    assert.equal(m.readInto(new Uint8Array(0)), 0);
    assert.equal(m.tell(), 3);
    const big = new Uint8Array(100).fill(0xee);
    assert.equal(m.readInto(big), 7);
    assert.equal(text(big.subarray(0, 7)), "3456789");
    assert.equal(big[7], 0xee);
  });

  it("gives CPython's counts and bytes (BufferedReader.readinto) for a sequence of sizes", () => {
    const data = "the quick brown fox jumps over the lazy dog\n".repeat(7);
    const sizes = [0, 1, 3, 7, 64, 0, 100, 1000, 5];
    const expected = python(`
import io, json
r = io.BufferedReader(io.BytesIO(${JSON.stringify(data)}.encode()))
out = []
for n in ${JSON.stringify(sizes)}:
    buf = bytearray(n)
    k = r.readinto(buf)
    out.append([k, buf[:k].decode()])
print(json.dumps(out))
`) as [number, string][];
    using m = filled(data);
    const got = sizes.map((n) => {
      const buf = new Uint8Array(n);
      const k = m.readInto(buf);
      return [k, text(buf.subarray(0, k))];
    });
    assert.deepEqual(got, expected);
  });

  it("counts any target in bytes: typed arrays of every type, DataView, ArrayBuffer, SharedArrayBuffer", () => {
    using m = filled("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    const f64 = new Float64Array(2);
    assert.equal(m.readInto(f64), 16);
    assert.equal(text(new Uint8Array(f64.buffer)), "ABCDEFGHIJKLMNOP");
    m.seek(0);
    // A DataView in the middle of a larger buffer: only its bytes change.
    const backing = new Uint8Array(12).fill(0x2e);
    assert.equal(m.readInto(new DataView(backing.buffer, 4, 3)), 3);
    assert.equal(text(backing), "....ABC.....");
    // A Uint16Array at an offset.
    const u16 = new Uint16Array(new ArrayBuffer(10), 2, 2);
    assert.equal(m.readInto(u16), 4);
    assert.equal(text(new Uint8Array(u16.buffer)), "\0\0DEFG\0\0\0\0");
    const ab = new ArrayBuffer(3);
    assert.equal(m.readInto(ab), 3);
    assert.equal(text(new Uint8Array(ab)), "HIJ");
    const sab = new SharedArrayBuffer(2);
    assert.equal(m.readInto(sab), 2);
    assert.equal(text(new Uint8Array(sab)), "KL");
    const big = new BigInt64Array(1);
    assert.equal(m.readInto(big), 8);
    assert.equal(text(new Uint8Array(big.buffer)), "MNOPQRST");
    const clamped = new Uint8ClampedArray(3);
    assert.equal(m.readInto(clamped), 3);
    assert.equal(text(new Uint8Array(clamped.buffer)), "UVW");
    const f32 = new Float32Array(1);
    assert.equal(m.readInto(f32), 3); // only 3 bytes left
    assert.equal(text(new Uint8Array(f32.buffer, 0, 3)), "XYZ");
  });

  it("reads from a read-only map (only the target is written)", () => {
    withFile("read only", (path) => {
      using m = MMap.open(path);
      const buf = new Uint8Array(4);
      assert.equal(m.readInto(buf), 4);
      assert.equal(text(buf), "read");
    });
  });

  it("refuses what is not a writable buffer with CPython's TypeError, and does not move", () => {
    using m = filled("abcdef");
    m.seek(1);
    const proxy = new Proxy(new Uint8Array(4), {});
    const fake = { byteLength: 4, buffer: new ArrayBuffer(4), byteOffset: 0, length: 4 };
    for (
      const bad of ["abc", 3, null, undefined, [1, 2, 3], fake, proxy, Symbol("x"), 10n, () => 1]
    ) {
      assert.throws(() => m.readInto(bad as never), { name: "TypeError", message: MESSAGE });
    }
    assert.throws(() => m.readInto("abc" as never), { message: /not string$/ });
    assert.throws(() => m.readInto(null as never), { message: /not null$/ });
    assert.equal(m.tell(), 1);
  });

  it("refuses a detached target: a view of a closed map, a transferred buffer", () => {
    using m = filled("abcdef");
    const other = MMap.anonymous(16);
    const view = other.bytes;
    const dv = other.dataView(0, 4);
    other.close();
    assert.throws(() => m.readInto(view), { name: "TypeError", message: /detached/ });
    assert.throws(() => m.readInto(dv), { name: "TypeError", message: /detached/ });
    const buffer = new ArrayBuffer(8);
    const u32 = new Uint32Array(buffer);
    buffer.transfer();
    assert.throws(() => m.readInto(buffer), { name: "TypeError", message: /detached/ });
    assert.throws(() => m.readInto(u32), { name: "TypeError", message: /detached/ });
    assert.equal(m.tell(), 0);
    // An empty target that is not detached reads 0 bytes.
    assert.equal(m.readInto(new Float64Array(0)), 0);
  });

  it("raises the closed-map error on a closed map, before looking at the target", () => {
    const m = filled("abc");
    m.close();
    assert.throws(() => m.readInto(new Uint8Array(1)), {
      name: "TypeError",
      message: "mmap closed or invalid",
    });
    assert.throws(() => m.readInto("x" as never), { message: "mmap closed or invalid" });
  });

  it("takes the byte count from the engine, not from the target's properties", () => {
    using m = filled("0123456789");
    const liar = new Uint8Array(2);
    Object.defineProperty(liar, "length", { value: 1e9 });
    Object.defineProperty(liar, "byteLength", { value: 1e9 });
    Object.defineProperty(liar, "byteOffset", { value: 1e6 });
    assert.equal(m.readInto(liar), 2);
    class Big extends Uint8Array {
      override get byteLength(): number {
        return 2 ** 40;
      }
      override get length(): number {
        return 2 ** 40;
      }
    }
    const sub = new Big(3);
    assert.equal(m.readInto(sub), 3);
    assert.equal(text(new Uint8Array(sub.buffer)), "234");
    const dv = new DataView(new ArrayBuffer(2));
    Object.defineProperty(dv, "byteLength", { value: 1e9 });
    assert.equal(m.readInto(dv), 2);
    const ab = new ArrayBuffer(1);
    Object.defineProperty(ab, "byteLength", { value: 1e9 });
    assert.equal(m.readInto(ab), 1);
    assert.equal(m.tell(), 8);
    // Other views dressed as a Uint8Array are still counted in bytes.
    m.seek(0);
    const f64 = Object.setPrototypeOf(new Float64Array(1), Uint8Array.prototype);
    assert.equal(m.readInto(f64), 8);
    assert.equal(text(new Uint8Array((f64 as Float64Array).buffer)), "01234567");
    const dressed = Object.setPrototypeOf(new DataView(new ArrayBuffer(3)), Uint8Array.prototype);
    assert.equal(m.readInto(dressed), 2); // A Uint8Array dressed as another kind is still a Uint8Array: its bytes.
    m.seek(0);
    const u8 = Object.setPrototypeOf(new Uint8Array(3), Float64Array.prototype);
    assert.equal(m.readInto(u8), 3);
    assert.equal(text(new Uint8Array((u8 as Uint8Array).buffer)), "012");
  });

  it("a target over the map's own memory at 1 KiB and more (memmove and set alike)", () => {
    const n = 3 * 1024;
    const data = Uint8Array.from({ length: 2 * n }, (_, i) => 32 + (i * 7) % 90);
    using m = MMap.anonymous(data.length);
    m.write(data);
    const expected = data.slice();
    // Forward (the target starts after the source) and backward, as memmove does.
    expected.set(data.subarray(0, n), 100);
    m.seek(0);
    assert.equal(m.readInto(m.bytes.subarray(100, 100 + n)), n);
    assert.deepEqual(m.bytes.slice(), expected);
    const again = expected.slice();
    again.set(expected.subarray(200, 200 + n), 50);
    m.seek(200);
    assert.equal(m.readInto(m.view(Uint8Array, 50, n)), n);
    assert.deepEqual(m.bytes.slice(), again);
  });

  it("ignores patched prototypes, species hooks and a replaced global Uint8Array", () => {
    using m = filled("0123456789");
    const TypedArray = Object.getPrototypeOf(Uint8Array.prototype);
    const saved = {
      byteLength: Object.getOwnPropertyDescriptor(TypedArray, "byteLength")!,
      set: Object.getOwnPropertyDescriptor(TypedArray, "set")!,
      subarray: Object.getOwnPropertyDescriptor(TypedArray, "subarray")!,
      abLength: Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength")!,
      global: globalThis.Uint8Array,
    };
    const boom = () => {
      throw new Error("user code ran");
    };
    try {
      Object.defineProperty(TypedArray, "byteLength", { get: () => 2 ** 40, configurable: true });
      Object.defineProperty(TypedArray, "set", { value: boom, configurable: true });
      Object.defineProperty(TypedArray, "subarray", { value: boom, configurable: true });
      Object.defineProperty(Uint8Array, Symbol.species, { get: boom, configurable: true });
      Object.defineProperty(ArrayBuffer.prototype, "byteLength", {
        get: () => 2 ** 40,
        configurable: true,
      });
      (globalThis as { Uint8Array: unknown }).Uint8Array = boom;
      const buf = new saved.global(3);
      assert.equal(m.readInto(buf), 3);
      assert.equal(m.readInto(new Float64Array(1)), 7); // only 7 left
      m.seek(0);
      assert.equal(m.readInto(new ArrayBuffer(2)), 2);
    } finally {
      globalThis.Uint8Array = saved.global;
      Object.defineProperty(TypedArray, "byteLength", saved.byteLength);
      Object.defineProperty(TypedArray, "set", saved.set);
      Object.defineProperty(TypedArray, "subarray", saved.subarray);
      delete (Uint8Array as { [Symbol.species]?: unknown })[Symbol.species];
      Object.defineProperty(ArrayBuffer.prototype, "byteLength", saved.abLength);
    }
  });

  it("a target over the map itself gets memmove semantics", () => {
    using m = filled("0123456789");
    m.seek(2);
    assert.equal(m.readInto(m.bytes.subarray(4)), 6);
    assert.equal(text(m.bytes), "0123234567");
    m.seek(4);
    assert.equal(m.readInto(m.view(Uint8Array, 0, 4)), 4);
    assert.equal(text(m.bytes), "2345234567");
  });

  it("sees a resizable buffer's current length", needsKernel("resizableBuffer"), () => {
    using m = filled("0123456789");
    const rab = new ArrayBuffer(4, { maxByteLength: 16 });
    const tracking = new Uint8Array(rab);
    rab.resize(2);
    assert.equal(m.readInto(tracking), 2);
    rab.resize(6);
    assert.equal(m.readInto(tracking), 6);
    assert.equal(text(tracking), "234567");
  });

  it(
    "refuses a view that a resizable buffer shrank out of bounds (it read 0, as at the end)",
    needsKernel("resizableBuffer"),
    () => {
      using m = filled("0123456789");
      const rab = new ArrayBuffer(16, { maxByteLength: 16 });
      const fixed = new Uint8Array(rab, 8, 8);
      const wide = new Float64Array(rab, 8, 1);
      rab.resize(4);
      const OOB = { name: "TypeError", message: /resized below it: the view is out of bounds/ };
      assert.throws(() => m.readInto(fixed), OOB);
      assert.throws(() => m.readInto(wide), OOB);
      assert.equal(m.tell(), 0);
      rab.resize(16);
      assert.equal(m.readInto(fixed), 8);
      assert.equal(text(fixed), "01234567");
    },
  );

  it("reads across the files of a concatenation, with the same rules", () => {
    const t = tempDir("mmap-readinto-");
    try {
      writeFileSync(t.path("a"), "abc");
      writeFileSync(t.path("b"), "");
      writeFileSync(t.path("c"), "defgh");
      const m = MMap.concat([t.path("a"), t.path("b"), t.path("c")]);
      assert.equal(m.contiguous, false);
      const buf = new Uint8Array(5);
      assert.equal(m.readInto(buf), 5);
      assert.equal(text(buf), "abcde");
      const liar = new Uint8Array(2);
      Object.defineProperty(liar, "length", { value: 1e9 });
      assert.equal(m.readInto(liar), 2);
      assert.equal(text(liar), "fg");
      assert.equal(m.readInto(new Float64Array(1)), 1);
      assert.equal(m.readInto(buf), 0);
      assert.equal(m.tell(), 8);
      m.seek(0);
      assert.throws(() => m.readInto("abc" as never), { name: "TypeError", message: MESSAGE });
      assert.throws(() => m.readInto(m.bytes as never), RangeError); // not contiguous: no bytes
      m.close();
      assert.throws(() => m.readInto(buf), { message: "mmap closed or invalid" });
    } finally {
      t.cleanup();
    }
  });

  it("a page-aligned concatenation reads through its one view", () => {
    const t = tempDir("mmap-readinto-");
    try {
      writeFileSync(t.path("a"), new Uint8Array(PAGESIZE).fill(0x61));
      writeFileSync(t.path("b"), "tail");
      using m = MMap.concat([t.path("a"), t.path("b")]);
      m.seek(PAGESIZE - 2);
      const buf = new Uint8Array(6);
      assert.equal(m.readInto(buf), 6);
      assert.equal(text(buf), "aatail");
    } finally {
      t.cleanup();
    }
  });

  it("reads past 4 GiB, where Bun's map has no single view (sparse file)", () => {
    const t = tempDir("mmap-readinto-");
    try {
      const path = t.path("big.bin");
      const size = 2 ** 32 + 2 * PAGESIZE;
      const fd = openSync(path, "w+");
      try {
        writeSync(fd, b("over four GiB"), 0, 13, 2 ** 32 + 5);
        writeSync(fd, b("!"), 0, 1, size - 1);
      } finally {
        closeSync(fd);
      }
      using m = MMap.open(path);
      if (runtime === "bun") assert.throws(() => m.bytes, RangeError);
      m.seek(2 ** 32 + 5);
      const buf = new Uint8Array(13);
      assert.equal(m.readInto(buf), 13);
      assert.equal(text(buf), "over four GiB");
      m.seek(-1, 2);
      assert.equal(m.readInto(buf), 1);
      assert.equal(buf[0], 0x21);
    } finally {
      t.cleanup();
    }
  });
});
