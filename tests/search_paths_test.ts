// The fast paths behind find/rfind/count/read: each is checked against a
// plain JavaScript scan on data that crosses their thresholds (engine search
// from 4 KiB, rfind's 64 KiB blocks, the count kernel's 256 KiB chunks) and
// on needles placed across block edges.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MMap } from "../mod.ts";
import { plainFind, plainRfind, tempFile } from "./_helpers.ts";
import { scaled } from "./_emulation.ts";

function randomBytes(n: number, alphabet: number[], seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = alphabet[(s >>> 16) % alphabet.length];
  }
  return out;
}

function jsCountByte(hay: Uint8Array, byte: number, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (hay[i] === byte) n++;
  return n;
}

function mapOf(data: Uint8Array): MMap {
  const m = MMap.anonymous(data.length);
  m.write(data);
  return m;
}

describe("search fast paths", () => {
  it("count() of one byte matches a plain count across chunk edges and odd ranges", () => {
    const size = (1 << 18) * 2 + 777;
    const data = randomBytes(size, [10, 97, 98, 99, 32], 7);
    using m = mapOf(data);
    const ranges: [number, number][] = [
      [0, size],
      [1, size - 1],
      [13, (1 << 18) + 5],
      [(1 << 18) - 3, (1 << 18) + 3],
      [4095, 4096 + 64 * 63 + 17],
      [size - 5000, size],
    ];
    for (const [a, b] of ranges) {
      assert.equal(m.count(10, a, b), jsCountByte(data, 10, a, b), `[${a}, ${b})`);
      assert.equal(m.count("a", a, b), jsCountByte(data, 97, a, b), `a in [${a}, ${b})`);
    }
    assert.equal(m.count(0xff, 0), 0);
  });

  it("count() of bytes beyond 255 per lane and of a map that is all one byte", () => {
    // Each "\n\n" found is a call of its own: fewer under emulation, still
    // thousands of bytes a lane.
    const size = scaled(1 << 20, 1 << 17);
    using m = MMap.anonymous(size);
    m.bytes.fill(10);
    assert.equal(m.count("\n", 0), size);
    assert.equal(m.count("\n\n", 0), size / 2);
    assert.equal(m.count("\n", 3, -3), size - 6);
  });

  it("find() and rfind() agree with a plain scan for needles across block edges", () => {
    const size = 300_000;
    const data = randomBytes(size, [97, 98, 99, 100], 3);
    const needle = new TextEncoder().encode("needle-xyz");
    // Planted around the 4 KiB and 64 KiB block edges rfind uses, and near the ends.
    for (const at of [0, 4090, 65530, size - (1 << 16) - 4, size - 131072 - 3, size - 10]) {
      data.set(needle, at);
    }
    using m = mapOf(data);
    const ranges: [number, number][] = [
      [0, size],
      [1, size],
      [0, size - 1],
      [4091, 65539],
      [5000, 6000],
      [size - 70000, size - 65000],
    ];
    for (const [a, b] of ranges) {
      assert.equal(m.find(needle, a, b), plainFind(data, needle, a, b), `find [${a}, ${b})`);
      assert.equal(m.rfind(needle, a, b), plainRfind(data, needle, a, b), `rfind [${a}, ${b})`);
      const common = data.subarray(100, 104); // occurs all over
      assert.equal(m.find(common, a, b), plainFind(data, common, a, b));
      assert.equal(m.rfind(common, a, b), plainRfind(data, common, a, b));
    }
  });

  it("rfind() finds a needle longer than its first block", () => {
    const size = 600_000;
    const data = randomBytes(size, [97, 98], 11);
    const needle = data.slice(100_000, 100_000 + 200_000);
    using m = mapOf(data);
    assert.equal(m.rfind(needle, 0), plainRfind(data, needle, 0, size));
    assert.equal(m.find(needle, 0), plainFind(data, needle, 0, size));
  });

  it("results of read(), readline() and slice() are independent copies", () => {
    using m = mapOf(new TextEncoder().encode("ab\ncd\nef"));
    m.seek(0);
    const first = m.readline();
    const second = m.readline();
    const third = m.read(1);
    const all = m.slice(0, 8);
    first[0] = 0;
    assert.deepEqual([...second], [99, 100, 10]);
    assert.deepEqual([...third], [101]);
    assert.equal(all[0], 97);
    assert.equal(m.at(0), 97);
    // Each result starts 8-byte aligned, so typed arrays fit over it.
    for (const r of [first, second, third, all]) assert.equal(r.byteOffset % 8, 0);
  });

  it("count() sees stores through views of a read-only map, and writes to shared maps", () => {
    const lines = "x\n".repeat(50_000);
    const path = tempFile(lines);
    {
      using ro = MMap.open(path);
      assert.equal(ro.count("\n", 0), 50_000); // the file's own pages
      ro.bytes[0] = 10; // a private store: this process's copy only
      assert.equal(ro.count("\n", 0), 50_001);
      assert.equal(ro.count("\n", 1), 50_000);
    }
    {
      using rw = MMap.open(path, { access: "write" });
      using other = MMap.open(path, { access: "write" });
      assert.equal(rw.count("\n", 0), 50_000);
      other.bytes[0] = 10; // the same file pages
      assert.equal(rw.count("\n", 0), 50_001);
      rw.resize(100_001);
      rw.set(100_000, 10);
      assert.equal(rw.count("\n", 0), 50_002);
      assert.equal(other.count("\n", 0), 50_001); // its map is shorter
      rw.resize(50_000);
      assert.equal(rw.count("\n", 0), 25_001);
    }
    {
      using copy = MMap.open(path, { access: "copy" });
      copy.seek(2);
      copy.write("\n\n"); // "x\n" becomes "\n\n" in this process only
      assert.equal(copy.count("\n", 0), 25_002);
    }
    using a = MMap.anonymous(1 << 16);
    using b2 = MMap.anonymous(1 << 16, { shared: false });
    a.bytes.fill(10, 0, 100);
    b2.bytes.fill(10, 0, 200);
    for (let i = 0; i < 3; i++) {
      assert.equal(a.count(10, 0), 100);
      assert.equal(b2.count(10, 0), 200);
    }
  });

  it("find() over long ranges agrees with a plain scan, across the kernel's 16 MiB windows", () => {
    const size = (17 << 20) + 123;
    using m = MMap.anonymous(size);
    const bytes = m.bytes;
    const data = randomBytes(1 << 16, [97, 98, 32, 101, 126], 5);
    for (let o = 0; o < size; o += data.length) {
      bytes.set(data.subarray(0, Math.min(data.length, size - o)), o);
    }
    const needle = new TextEncoder().encode(" ~needle~ ");
    const edge = 16 << 20;
    for (const at of [edge - 5, size - needle.length]) bytes.set(needle, at);
    const hay = bytes;
    for (const [a, b] of [[0, size], [edge - 4, size], [1 << 20, edge + 4], [0, size - 1]]) {
      assert.equal(m.find(needle, a, b), plainFind(hay, needle, a, b), `[${a}, ${b})`);
    }
    const short = hay.slice(3 << 20, (3 << 20) + 7); // occurs many times
    assert.equal(m.find(short, 1 << 20), plainFind(hay, short, 1 << 20, size));
    assert.equal(m.find(hay.slice(size - 4000, size), 0), size - 4000);
  });

  it("find() in a read-only file map sees stores made through its views", () => {
    const path = tempFile(new Uint8Array(3 << 20).fill(97));
    using ro = MMap.open(path);
    const needle = new TextEncoder().encode("needle");
    assert.equal(ro.find(needle, 0), -1);
    ro.bytes.set(needle, 2 << 20); // this process's copy only
    assert.equal(ro.find(needle, 0), 2 << 20);
    using again = MMap.open(path);
    assert.equal(again.find(needle, 0), -1); // the file never changed
  });
});
