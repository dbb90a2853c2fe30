// Ports of CPython's Lib/test/test_mmap.py (3.13/3.14), MmapTests: searching.
// Where CPython compares with `bytes.find`, the expected values come from
// CPython itself (the `python()` oracle), computed once per test.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MAP_ANONYMOUS, MAP_PRIVATE, MMap, PAGESIZE, PROT_READ } from "../mod.ts";
import { Mapping } from "../ffi/mapping.ts";
import { python } from "./_helpers.ts";
import { latin1, mapFile, testFile, writeFile } from "./_conformance.ts";

describe("CPython test_mmap.py: MmapTests (searching)", () => {
  it("test_tougher_find", () => {
    // CPython SF bug 515943: searching for data with embedded NUL bytes.
    const data = "aabaac\x00deef\x00\x00aa\x00";
    const n = data.length;
    const expected = python(`
import json
data = b'aabaac\\x00deef\\x00\\x00aa\\x00'
n = len(data)
print(json.dumps([[data.find(data[s:f]) for f in range(s, n + 1)] for s in range(n + 1)]))
`) as number[][];
    const f = testFile();
    try {
      writeFile(f.path, latin1(data));
      using m = mapFile(f.path, "r+", n);
      for (let start = 0; start <= n; start++) {
        for (let finish = start; finish <= n; finish++) {
          const slice = latin1(data.slice(start, finish));
          assert.equal(m.find(slice), expected[start][finish - start], `${start}:${finish}`);
          assert.equal(m.find(Uint8Array.of(...slice, 0x78)), -1);
        }
      }
    } finally {
      f.cleanup();
    }
  });

  it("test_find_end", () => {
    const data = "one two ones";
    const n = data.length;
    const needles = ["o", "on", "two", "ones", "s"];
    const expected = python(`
import json
data = b'one two ones'
n = len(data)
print(json.dumps([[[data.find(p, i, j) for p in [b"o", b"on", b"two", b"ones", b"s"]]
                   for j in range(-n - 1, n + 1)] for i in range(-n - 1, n + 1)]))
`) as number[][][];
    const f = testFile();
    try {
      writeFile(f.path, data);
      using m = mapFile(f.path, "r+", n);
      assert.equal(m.find("one"), 0);
      assert.equal(m.find("ones"), 8);
      assert.equal(m.find("one", 0, -1), 0);
      assert.equal(m.find("one", 1), 8);
      assert.equal(m.find("one", 1, -1), 8);
      assert.equal(m.find("one", 1, -2), -1);
      assert.equal(m.find(new TextEncoder().encode("one")), 0); // bytearray(b'one')
      for (let i = -n - 1; i <= n; i++) {
        for (let j = -n - 1; j <= n; j++) {
          for (const [k, p] of needles.entries()) {
            assert.equal(m.find(p, i, j), expected[i + n + 1][j + n + 1][k], `${p} ${i} ${j}`);
          }
        }
      }
    } finally {
      f.cleanup();
    }
  });

  it("test_find_does_not_access_beyond_buffer", () => {
    // gh-105235: find() near the end of a map must not read past it. The
    // guard is reserved through ffi/ (PROT_NONE): MMap never maps PROT_NONE
    // pages, as a store through a view into one would kill the process.
    const flags = MAP_PRIVATE | MAP_ANONYMOUS;
    for (let i = 0; i < 2049; i++) {
      const guard = Mapping.reserve(PAGESIZE * (i + 1));
      try {
        using fm = new MMap(-1, PAGESIZE * (i + 2048), { flags, prot: PROT_READ });
        assert.equal(fm.find("fo", -2), -1);
      } finally {
        guard.unmap();
      }
    }
  });

  it("test_rfind", () => {
    const data = "one two ones";
    const f = testFile();
    try {
      writeFile(f.path, data);
      using m = mapFile(f.path, "r+", data.length);
      assert.equal(m.rfind("one"), 8);
      assert.equal(m.rfind("one "), 0);
      assert.equal(m.rfind("one", 0, -1), 8);
      assert.equal(m.rfind("one", 0, -2), 0);
      assert.equal(m.rfind("one", 1, -1), 8);
      assert.equal(m.rfind("one", 1, -2), -1);
      assert.equal(m.rfind(new TextEncoder().encode("one")), 8); // bytearray(b'one')
    } finally {
      f.cleanup();
    }
  });
});
