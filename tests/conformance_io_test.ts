// Ports of CPython's Lib/test/test_mmap.py (3.13/3.14), MmapTests: reading,
// writing, moving, flushing and advising.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MADV_NORMAL, MMap, MMapOSError, PAGESIZE } from "../mod.ts";
import { b, text } from "./_helpers.ts";
import { mapFile, MAXSIZE, testFile, writeFile } from "./_conformance.ts";

const range = (a: number, z: number) => Uint8Array.from({ length: z - a }, (_, i) => a + i);

describe("CPython test_mmap.py: MmapTests (reading, writing, moving)", () => {
  it("test_move", () => {
    const f = testFile();
    try {
      writeFile(f.path, "ABCDEabcde");
      const mf = mapFile(f.path, "r+", 10);
      mf.move(5, 0, 5);
      assert.equal(text(mf.slice()), "ABCDEABCDE", "Map move should have duplicated front 5");
      mf.close();
    } finally {
      f.cleanup();
    }
    // The exhaustive test.
    const data = "0123456789";
    for (let dest = 0; dest < data.length; dest++) {
      for (let src = 0; src < data.length; src++) {
        for (let count = 0; count < data.length - Math.max(dest, src); count++) {
          const expected = data.slice(0, dest) + data.slice(src, src + count) +
            data.slice(dest + count);
          using m = new MMap(-1, data.length);
          m.setSlice(null, null, data);
          m.move(dest, src, count);
          assert.equal(text(m.slice()), expected);
        }
      }
    }
    // The segfault test (CPython issue 5387).
    using m = new MMap(-1, 100);
    const offsets = [-100, -1, 0, 1, 100];
    for (const source of offsets) {
      for (const dest of offsets) {
        for (const size of offsets) {
          try {
            m.move(source, dest, size);
          } catch (e) {
            assert.ok(e instanceof RangeError);
          }
        }
      }
    }
    const bad = [[-1, -1, -1], [-1, -1, 0], [-1, 0, -1], [0, -1, -1], [-1, 0, 0], [0, -1, 0], [
      0,
      0,
      -1,
    ]];
    for (const [source, dest, size] of bad) {
      assert.throws(() => m.move(source, dest, size), RangeError);
    }
    using one = new MMap(-1, 1); // a single byte
    assert.throws(() => one.move(0, 0, 2), RangeError);
    assert.throws(() => one.move(1, 0, 1), RangeError);
    assert.throws(() => one.move(0, 1, 1), RangeError);
    one.move(0, 0, 1);
    one.move(0, 0, 0);
  });

  it("test_anonymous", () => {
    using m = new MMap(-1, PAGESIZE);
    for (let x = 0; x < PAGESIZE; x++) {
      assert.equal(m.at(x), 0, "anonymously mmap'ed contents should be zero");
    }
    for (let x = 0; x < PAGESIZE; x++) {
      m.set(x, x & 0xff);
      assert.equal(m.at(x), x & 0xff);
    }
  });

  it("test_read_all", () => {
    using m = new MMap(-1, 16);
    // With no argument, null or a negative one, read() reads everything.
    m.write(range(0, 16));
    m.seek(0);
    assert.deepEqual(m.read(), range(0, 16));
    m.seek(8);
    assert.deepEqual(m.read(), range(8, 16));
    m.seek(16);
    assert.deepEqual(m.read(), new Uint8Array(0));
    m.seek(3);
    assert.deepEqual(m.read(null), range(3, 16));
    m.seek(4);
    assert.deepEqual(m.read(-1), range(4, 16));
    m.seek(5);
    assert.deepEqual(m.read(-2), range(5, 16));
    m.seek(9);
    assert.deepEqual(m.read(-42), range(9, 16));
  });

  it("test_read_invalid_arg", () => {
    using m = new MMap(-1, 16);
    assert.throws(() => m.read("foo" as never), TypeError);
    assert.throws(() => m.read(5.5), TypeError);
    assert.throws(() => m.read([1, 2, 3] as never), TypeError);
  });

  it("test_io_methods", () => {
    const data = "0123456789";
    const f = testFile();
    try {
      writeFile(f.path, "x".repeat(data.length));
      using m = mapFile(f.path, "r+", data.length);
      for (let i = 0; i < data.length; i++) {
        assert.equal(m.tell(), i);
        m.writeByte(data.charCodeAt(i));
        assert.equal(m.tell(), i + 1);
      }
      assert.throws(() => m.writeByte(b("x")[0]), RangeError);
      assert.equal(text(m.slice()), data);
      m.seek(0);
      for (let i = 0; i < data.length; i++) {
        assert.equal(m.tell(), i);
        assert.equal(m.readByte(), data.charCodeAt(i));
        assert.equal(m.tell(), i + 1);
      }
      assert.throws(() => m.readByte(), RangeError);
      m.seek(3);
      assert.equal(text(m.read(3)), "345");
      assert.equal(m.tell(), 6);
      m.seek(3);
      m.write("bar");
      assert.equal(m.tell(), 6);
      assert.equal(text(m.slice()), "012bar6789");
      m.write(new Uint8Array(b("baz"))); // bytearray(b"baz")
      assert.equal(m.tell(), 9);
      assert.equal(text(m.slice()), "012barbaz9");
      assert.throws(() => m.write("ba"), RangeError);
    } finally {
      f.cleanup();
    }
  });

  it("test_non_ascii_byte", () => {
    for (const x of [129, 200, 255]) {
      using m = new MMap(-1, 1);
      m.writeByte(x);
      assert.equal(m.at(0), x);
      m.seek(0);
      assert.equal(m.readByte(), x);
    }
  });

  it("test_write_returning_the_number_of_bytes_written", () => {
    using mm = new MMap(-1, 16);
    assert.equal(mm.write(""), 0);
    assert.equal(mm.write("x"), 1);
    assert.equal(mm.write("yz"), 2);
    assert.equal(mm.write("python"), 6);
  });

  it("test_flush_return_value", () => {
    using mm = new MMap(-1, 16);
    mm.write("python");
    assert.equal(mm.flush(), undefined);
    // On Linux the offset must be a multiple of PAGESIZE (bpo-34754).
    assert.throws(
      () => mm.flush(1, 6),
      (e: unknown) => e instanceof MMapOSError && e.code === "EINVAL",
    );
  });

  it("test_madvise", () => {
    const size = 2 * PAGESIZE;
    using m = new MMap(-1, size);
    assert.throws(() => m.madvise(MADV_NORMAL, size), {
      name: "RangeError",
      message: /madvise start out of bounds/,
    });
    assert.throws(() => m.madvise(MADV_NORMAL, -1), {
      name: "RangeError",
      message: /madvise start out of bounds/,
    });
    assert.throws(() => m.madvise(MADV_NORMAL, 0, -1), {
      name: "RangeError",
      message: /madvise length invalid/,
    });
    assert.throws(() => m.madvise(MADV_NORMAL, PAGESIZE, MAXSIZE as never), {
      name: "RangeError",
      message: /madvise length too large/,
    });
    assert.equal(m.madvise(MADV_NORMAL), undefined);
    assert.equal(m.madvise(MADV_NORMAL, PAGESIZE), undefined);
    assert.equal(m.madvise(MADV_NORMAL, PAGESIZE, size), undefined);
    assert.equal(m.madvise(MADV_NORMAL, 0, 2), undefined);
    assert.equal(m.madvise(MADV_NORMAL, 0, size), undefined);
  });
});
