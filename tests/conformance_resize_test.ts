// Ports of CPython's Lib/test/test_mmap.py (3.13 and 3.14), MmapTests:
// resize. Then what CPython leaves untested: resize(0), whose map must never
// crash, and the views that resize() detaches and rebuilds.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ACCESS_COPY,
  ACCESS_READ,
  ACCESS_WRITE,
  MADV_NORMAL,
  MAP_PRIVATE,
  MMap,
  PAGESIZE,
} from "../mod.ts";
import { platform } from "../ffi/load.ts";
import { readFileSync } from "node:fs";
import { text } from "./_helpers.ts";
import { fileSize, mapFile, testFile, writeFile } from "./_conformance.ts";

const linux = platform.os === "linux";
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

describe("CPython test_mmap.py: MmapTests (resize)", () => {
  it("test_resize_past_pos", () => {
    using m = new MMap(-1, 8192);
    m.read(5000);
    m.resize(4096);
    assert.deepEqual(m.read(14), new Uint8Array(0));
    assert.throws(() => m.readByte(), RangeError);
    assert.throws(() => m.writeByte(42), RangeError);
    assert.throws(() => m.write("abc"), RangeError);
  });

  it("test_resize_up_anonymous_mapping (3.14)", () => {
    const startSize = PAGESIZE;
    const newSize = 2 * startSize;
    const data = randomBytes(startSize);
    using m = new MMap(-1, startSize);
    m.setSlice(null, null, data);
    if (linux) {
      // Linux cannot grow shared anonymous memory: the new pages would SIGBUS.
      assert.throws(() => m.resize(newSize), {
        name: "RangeError",
        message: "mmap: can't expand a shared anonymous mapping on Linux",
      });
      assert.equal(m.length, startSize);
    } else {
      m.resize(newSize);
      assert.equal(m.length, newSize);
      assert.deepEqual(m.slice(0, startSize), data);
      assert.deepEqual(m.slice(startSize), new Uint8Array(newSize - startSize));
    }
  });

  it("test_resize_up_private_anonymous_mapping (3.14)", () => {
    const startSize = PAGESIZE;
    const newSize = 2 * startSize;
    const data = randomBytes(startSize);
    using m = new MMap(-1, startSize, { flags: MAP_PRIVATE });
    m.setSlice(null, null, data);
    m.resize(newSize);
    assert.equal(m.length, newSize);
    assert.deepEqual(m.slice(0, startSize), data);
    assert.deepEqual(m.slice(startSize), new Uint8Array(newSize - startSize));
  });

  it("test_resize_down_anonymous_mapping (3.14)", () => {
    const startSize = 2 * PAGESIZE;
    const newSize = startSize / 2;
    const data = randomBytes(startSize);
    using m = new MMap(-1, startSize);
    m.setSlice(null, null, data);
    m.resize(newSize);
    assert.equal(m.length, newSize);
    assert.deepEqual(m.slice(), data.slice(0, newSize));
    if (linux) assert.throws(() => m.resize(startSize), RangeError);
  });
});

describe("resize() edge cases", () => {
  it("refuses read and copy maps with TypeError, and a negative size with RangeError", () => {
    const f = testFile();
    try {
      writeFile(f.path, "0123456789");
      for (const access of [ACCESS_READ, ACCESS_COPY] as const) {
        using m = mapFile(f.path, "r+", 0, { access });
        assert.throws(() => m.resize(5), {
          name: "TypeError",
          message: "mmap can't resize a readonly or copy-on-write memory map.",
        });
      }
      using w = mapFile(f.path, "r+", 0, { access: ACCESS_WRITE });
      assert.throws(() => w.resize(-1), { name: "RangeError", message: "new size out of range" });
      assert.throws(() => w.resize(2 ** 64), RangeError);
      assert.equal(fileSize(f.path), 10);
    } finally {
      f.cleanup();
    }
  });

  it("detaches every view and rebuilds bytes over the new memory", () => {
    const f = testFile();
    try {
      writeFile(f.path, "0123456789");
      using m = mapFile(f.path, "r+", 0);
      const before = m.bytes;
      const window = m.view(Uint8Array, 2, 4);
      const dv = m.dataView(0, 8);
      m.resize(PAGESIZE + 10);
      assert.equal(before.length, 0);
      assert.equal(window.length, 0);
      assert.equal(dv.buffer.byteLength, 0);
      assert.equal(m.bytes.length, PAGESIZE + 10);
      assert.equal(text(m.bytes.subarray(0, 10)), "0123456789");
      m.bytes[PAGESIZE] = 0x41;
      m.flush();
      assert.equal(fileSize(f.path), PAGESIZE + 10);
      m.resize(4);
      assert.equal(text(m.bytes), "0123");
    } finally {
      f.cleanup();
    }
  });

  it("keeps the map and its views usable when the kernel refuses the new size", () => {
    using m = new MMap(-1, 100, { flags: MAP_PRIVATE });
    m.write("kept");
    // mremap refuses sizes beyond the address space (EINVAL or ENOMEM).
    assert.throws(
      () => m.resize(2 ** 60),
      (e: unknown) => e instanceof Error && e.name === "MMapOSError",
    );
    assert.equal(m.length, 100);
    assert.equal(text(m.bytes.subarray(0, 4)), "kept");
    assert.equal(text(m.slice(0, 4)), "kept");
  });

  for (const kind of ["file", "private anonymous", "shared anonymous"] as const) {
    it(`resize(0) of a ${kind} map leaves an empty map whose every method works`, () => {
      const f = testFile();
      try {
        writeFile(f.path, "x".repeat(3 * PAGESIZE));
        const m = kind === "file"
          ? mapFile(f.path, "r+", PAGESIZE, { offset: PAGESIZE })
          : new MMap(-1, PAGESIZE, {
            flags: kind === "private anonymous" ? MAP_PRIVATE : undefined,
          });
        const old = m.bytes;
        m.seek(10);
        m.resize(0);
        assert.equal(old.length, 0);
        if (kind === "file") assert.equal(fileSize(f.path), PAGESIZE);
        assert.equal(m.length, 0);
        assert.equal(m.tell(), 10);
        assert.deepEqual(m.read(), new Uint8Array(0));
        assert.equal(m.seek(0), 0);
        assert.deepEqual(m.read(5), new Uint8Array(0));
        assert.throws(() => m.readByte(), {
          name: "RangeError",
          message: "read byte out of range",
        });
        assert.deepEqual(m.readline(), new Uint8Array(0));
        assert.equal(m.write(""), 0);
        assert.throws(() => m.write("x"), { name: "RangeError", message: "data out of range" });
        assert.throws(() => m.writeByte(1), {
          name: "RangeError",
          message: "write byte out of range",
        });
        assert.throws(() => m.seek(1), { name: "RangeError", message: "seek out of range" });
        assert.equal(m.find("x"), -1);
        assert.equal(m.find(""), 0);
        assert.equal(m.rfind("x"), -1);
        assert.equal(m.rfind(""), 0);
        assert.equal(m.count("x"), 0);
        assert.equal(m.count(""), 1);
        assert.equal(m.includes(""), true);
        assert.equal(m.includes("x"), false);
        assert.throws(() => m.at(0), { name: "RangeError", message: "mmap index out of range" });
        assert.throws(() => m.at(-1), RangeError);
        assert.throws(() => m.set(0, 1), RangeError);
        assert.deepEqual(m.slice(), new Uint8Array(0));
        assert.deepEqual(m.slice(null, null, -1), new Uint8Array(0));
        m.setSlice(0, 0, "");
        assert.throws(() => m.setSlice(0, 1, "x"), {
          name: "RangeError",
          message: "mmap slice assignment is wrong size",
        });
        m.move(0, 0, 0);
        assert.throws(() => m.move(0, 0, 1), RangeError);
        m.flush();
        m.flush(0, 0);
        assert.throws(() => m.flush(0, 1), RangeError);
        assert.throws(() => m.madvise(MADV_NORMAL), {
          name: "RangeError",
          message: "madvise start out of bounds",
        });
        assert.equal(m.bytes.length, 0);
        assert.equal(m.view(Uint8Array).length, 0);
        assert.equal(m.dataView().byteLength, 0);
        assert.deepEqual([...m], []);
        assert.match(String(m), /length=0, pos=0/);
        if (kind === "file") assert.equal(m.size(), PAGESIZE);
        if (kind !== "shared anonymous") {
          // And it grows again.
          m.resize(5);
          assert.equal(m.length, 5);
          m.write("again");
          assert.equal(text(m.slice()), "again");
          if (kind === "file") assert.equal(fileSize(f.path), PAGESIZE + 5);
        } else {
          assert.throws(() => m.resize(5), RangeError);
        }
        m.close();
        assert.equal(m.closed, true);
        if (kind === "file") {
          assert.equal(readFileSync(f.path, "latin1"), "x".repeat(PAGESIZE) + "again");
        }
      } finally {
        f.cleanup();
      }
    });
  }
});
