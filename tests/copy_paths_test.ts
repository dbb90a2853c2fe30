// The engine-specific copy paths of read, slice, readline and readInto (in Bun
// the native Buffer.prototype.copy from the internal view, captured at load;
// elsewhere set() and FFI memmove) at the sizes where the paths change, and
// the lines() fast path at the ends of its ranges.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MMap } from "../mod.ts";
import { typedArrayLastIndexOf } from "../ffi/primordials.ts";
import { SCAN_CHUNK } from "../src/lines_kernel.ts";
import { text } from "./_helpers.ts";

const SIZES = [0, 1, 63, 64, 65, 1023, 1024, 1025, 4096, 70000];

function patterned(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
}

function filledMap(data: Uint8Array): MMap {
  const m = MMap.anonymous(data.length);
  m.write(data);
  m.seek(0);
  return m;
}

describe("copy paths", () => {
  it("read, slice and readInto give the bytes at every size, near the end too", () => {
    const data = patterned(200_000);
    using m = filledMap(data);
    for (const n of SIZES) {
      for (const at of [0, 5, data.length - n, data.length - Math.floor(n / 2)]) {
        const want = data.slice(at, at + n);
        m.seek(at);
        const r = m.read(n);
        assert.deepEqual(r, want, `read(${n}) at ${at}`);
        assert.equal(m.tell(), at + want.length);
        assert.deepEqual(m.slice(at, at + n), want, `slice at ${at}`);
        // A target with room to spare, at an offset in its buffer.
        const room = new Uint8Array(n + 16).fill(0xee);
        const target = room.subarray(8, 8 + n);
        m.seek(at);
        assert.equal(m.readInto(target), want.length);
        assert.deepEqual(target.subarray(0, want.length), want);
        assert.ok(room.subarray(0, 8).every((x) => x === 0xee), "nothing before the target");
        assert.ok(room.subarray(8 + want.length).every((x) => x === 0xee), "nothing after");
      }
    }
  });

  it("results are fresh arrays: changing one changes neither the map nor the next", () => {
    using m = filledMap(patterned(10_000));
    for (const n of SIZES.filter((k) => k > 0 && k <= 10_000)) {
      const a = m.slice(0, n);
      const before = m.bytes[0];
      a[0] = (a[0]! + 1) & 0xff;
      assert.equal(m.bytes[0], before);
      assert.notEqual(m.slice(0, n)[0], a[0]);
    }
  });

  it("readInto counts any typed array, at any offset in its buffer, in bytes", () => {
    const data = patterned(4096 + 64);
    using m = filledMap(data);
    const kinds = [
      Uint8Array,
      Int8Array,
      Uint8ClampedArray,
      Uint16Array,
      Int32Array,
      Float32Array,
      Float64Array,
      BigInt64Array,
    ];
    for (const Kind of kinds) {
      for (const count of [1, 8, 512]) {
        const size = Kind.BYTES_PER_ELEMENT;
        const buffer = new ArrayBuffer(size * (count + 2));
        const target = new Kind(buffer, size, count);
        m.seek(3);
        assert.equal(m.readInto(target), size * count, Kind.name);
        assert.deepEqual(
          new Uint8Array(buffer, size, size * count),
          data.slice(3, 3 + size * count),
        );
        assert.ok(new Uint8Array(buffer, 0, size).every((x) => x === 0), `${Kind.name}: before`);
      }
    }
  });

  it("a target over the map's own memory overlapping either way, below 1 KiB and above", () => {
    for (const n of [64, 700, 2048]) {
      const data = patterned(3 * n);
      for (const [from, to] of [[0, 10], [10, 0], [n, n - 1], [n - 1, n]]) {
        using m = filledMap(data);
        const expected = data.slice();
        expected.copyWithin(to, from, from + n);
        m.seek(from);
        assert.equal(m.readInto(m.bytes.subarray(to, to + n)), n);
        assert.deepEqual(m.bytes.slice(), expected, `n ${n}, ${from} -> ${to}`);
      }
    }
  });

  it("a patched Buffer.prototype.copy or TypedArray.prototype.set changes nothing", () => {
    const data = patterned(5000);
    using m = filledMap(data);
    const g = globalThis as { Buffer?: { prototype: { copy: unknown } } };
    const TypedArray = Object.getPrototypeOf(Uint8Array.prototype);
    const savedSet = Object.getOwnPropertyDescriptor(TypedArray, "set")!;
    const savedCopy = g.Buffer?.prototype.copy;
    const boom = () => {
      throw new Error("user code ran");
    };
    try {
      if (g.Buffer) g.Buffer.prototype.copy = boom;
      Object.defineProperty(TypedArray, "set", { value: boom, configurable: true });
      for (const n of [10, 2000]) {
        m.seek(100);
        assert.deepEqual(m.read(n), data.slice(100, 100 + n));
        assert.deepEqual(m.slice(7, 7 + n), data.slice(7, 7 + n));
        const target = new Uint8Array(n);
        m.seek(1);
        assert.equal(m.readInto(target), n);
        assert.deepEqual(target, data.slice(1, 1 + n));
      }
    } finally {
      Object.defineProperty(TypedArray, "set", savedSet);
      if (g.Buffer) g.Buffer.prototype.copy = savedCopy;
    }
  });

  it("readInto refuses a Proxy of a typed array and a detached one, copies into none", () => {
    using m = filledMap(patterned(100));
    assert.throws(() => m.readInto(new Proxy(new Uint8Array(4), {})), TypeError);
    const gone = new Uint8Array(8);
    structuredClone(gone.buffer, { transfer: [gone.buffer] });
    assert.throws(() => m.readInto(gone), TypeError);
    assert.equal(m.tell(), 0);
  });

  it("at a position past the end (after a resize down) every read gives nothing", () => {
    using m = filledMap(patterned(8192));
    m.seek(6000);
    m.resize(4096);
    assert.equal(m.read().length, 0);
    assert.equal(m.read(10).length, 0);
    assert.equal(m.readline().length, 0);
    assert.equal(m.readInto(new Uint8Array(10)), 0);
    assert.equal(m.slice(5000, 6000).length, 0);
    assert.equal(m.tell(), 6000);
  });

  it("typedArrayLastIndexOf searches the whole array", () => {
    assert.equal(typedArrayLastIndexOf(new Uint8Array([1, 10, 10, 3]), 10), 2);
    assert.equal(typedArrayLastIndexOf(new Uint8Array([10]), 10), 0);
    assert.equal(typedArrayLastIndexOf(new Uint8Array([1, 2]), 10), -1);
    assert.equal(typedArrayLastIndexOf(new Uint8Array(0), 10), -1);
  });
});

describe("lines() at the ends of its ranges", () => {
  // Dense newlines, so that a scan lists many past the end of the range.
  const data = Uint8Array.from({ length: 3 * SCAN_CHUNK + 123 }, (_, i) => i % 5 === 4 ? 10 : 97);
  const expected = (a: number, e: number): string[] => {
    const out: string[] = [];
    for (let at = a; at < e;) {
      const nl = data.indexOf(10, at);
      const stop = nl < 0 || nl >= e ? e : nl + 1;
      out.push(text(data.subarray(at, stop)));
      at = stop;
    }
    return out;
  };

  it("stops at an end inside a scan's chunk, mid-line or just after a newline", () => {
    using m = filledMap(data);
    for (
      const end of [
        3,
        5,
        6,
        SCAN_CHUNK - 1,
        SCAN_CHUNK,
        SCAN_CHUNK + 1,
        SCAN_CHUNK + 2,
        2 * SCAN_CHUNK + 7,
      ]
    ) {
      for (const start of [0, 1, 4, end - 1]) {
        assert.deepEqual(
          Array.from(m.lines(start, end), text),
          expected(start, end),
          `${start}..${end}`,
        );
      }
    }
  });

  it("every view is its own object over the map, detached after close", () => {
    const m = filledMap(data);
    const lines = Array.from(m.lines(0, 2 * SCAN_CHUNK + 3));
    assert.equal(new Set(lines).size, lines.length);
    assert.ok(lines.every((l) => l.buffer === lines[0]!.buffer));
    m.close();
    assert.ok(lines.every((l) => l.byteLength === 0));
  });

  it("an iterator part-way through a chunk, after a resize, gives the new memory's lines", () => {
    using m = filledMap(data);
    const it = m.lines();
    const first = it.next().value!;
    it.next();
    m.resize(SCAN_CHUNK + 10);
    assert.equal(first.byteLength, 0);
    const rest = Array.from(it, text);
    assert.deepEqual(rest, expected(10, SCAN_CHUNK + 10));
  });
});
