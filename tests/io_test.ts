import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MMap, MMapOSError, PAGESIZE } from "../mod.ts";
import { b, fileBytes, python, tempFile, text } from "./_helpers.ts";

function filled(s: string): MMap {
  const m = MMap.anonymous(s.length || 1);
  m.write(s);
  m.seek(0);
  return m;
}

describe("reading and writing at the position", () => {
  it("read() follows CPython: n, all, None, negative, at the end", () => {
    using m = filled("0123456789");
    assert.equal(text(m.read(3)), "012");
    assert.equal(m.tell(), 3);
    assert.equal(text(m.read(-1)), "3456789");
    assert.equal(m.read().length, 0);
    m.seek(5);
    assert.equal(text(m.read(null)), "56789");
    m.seek(2);
    assert.equal(text(m.read(100)), "23456789");
    m.seek(0);
    assert.equal(text(m.read()), "0123456789");
    assert.throws(() => m.read("3" as never), TypeError);
    assert.throws(() => m.read(5.5), TypeError);
    assert.throws(() => m.read([1] as never), TypeError);
  });

  it("readByte() and writeByte() move the position and stop at the end", () => {
    using m = MMap.anonymous(3);
    m.writeByte(129);
    m.writeByte(200);
    m.writeByte(255);
    assert.throws(() => m.writeByte(1), { name: "RangeError", message: "write byte out of range" });
    m.seek(0);
    assert.deepEqual([m.readByte(), m.readByte(), m.readByte()], [129, 200, 255]);
    assert.throws(() => m.readByte(), { name: "RangeError", message: "read byte out of range" });
    m.seek(0);
    assert.throws(() => m.writeByte(256), {
      name: "RangeError",
      message: "unsigned byte integer is greater than maximum",
    });
    assert.throws(() => m.writeByte(-1), {
      name: "RangeError",
      message: "unsigned byte integer is less than minimum",
    });
    assert.throws(() => m.writeByte("a" as never), TypeError);
    assert.equal(m.tell(), 0);
  });

  it("write() returns the count, accepts every bytes-like and strings as UTF-8", () => {
    using m = MMap.anonymous(64);
    assert.equal(m.write(""), 0);
    assert.equal(m.write("é"), 2);
    assert.equal(m.write(new Uint8Array([1, 2, 3])), 3);
    assert.equal(m.write(new Uint16Array([0x4142])), 2);
    assert.equal(m.write(new ArrayBuffer(4)), 4);
    assert.equal(m.write(new DataView(new ArrayBuffer(8), 2, 3)), 3);
    assert.equal(m.write(new Uint8Array([9, 8, 7, 6]).subarray(1, 3)), 2);
    assert.equal(m.tell(), 16);
    assert.deepEqual([...m.slice(0, 9)], [0xc3, 0xa9, 1, 2, 3, 0x42, 0x41, 0, 0]);
    assert.deepEqual([...m.slice(14, 16)], [8, 7]);
    assert.throws(() => m.write(42 as never), TypeError);
    assert.throws(() => m.write(null as never), TypeError);
  });

  it("write() past the end raises 'data out of range' and leaves the position", () => {
    using m = filled("abcdef");
    m.seek(4);
    assert.throws(() => m.write("xyz"), { name: "RangeError", message: "data out of range" });
    assert.equal(m.tell(), 4);
    assert.equal(text(m.slice()), "abcdef");
    assert.equal(m.write("xy"), 2);
    assert.equal(text(m.slice()), "abcdxy");
  });

  it("seek() returns the new position and checks the range", () => {
    using m = MMap.anonymous(10);
    assert.equal(m.seek(0), 0);
    assert.equal(m.seek(4), 4);
    assert.equal(m.seek(2, 1), 6);
    assert.equal(m.seek(-1, 1), 5);
    assert.equal(m.seek(0, 2), 10);
    assert.equal(m.seek(-10, 2), 0);
    assert.throws(() => m.seek(-1), { name: "RangeError", message: "seek out of range" });
    assert.throws(() => m.seek(11), { name: "RangeError", message: "seek out of range" });
    assert.throws(() => m.seek(1, 2), RangeError);
    assert.throws(() => m.seek(-11, 2), RangeError);
    assert.throws(() => m.seek(0, 3 as never), {
      name: "RangeError",
      message: "unknown seek type",
    });
    assert.throws(() => m.seek("1" as never), TypeError);
    assert.equal(m.tell(), 0);
    assert.equal(m.seekable(), true);
  });

  it("readline() returns lines with their newline, the rest, then nothing", () => {
    using m = filled("one\ntwo\n\nlast");
    const lines: string[] = [];
    for (let line = m.readline(); line.length; line = m.readline()) lines.push(text(line));
    assert.deepEqual(lines, ["one\n", "two\n", "\n", "last"]);
    assert.equal(m.tell(), m.length);
  });

  it("at() and set() index like CPython's m[i]", () => {
    using m = filled("abc");
    assert.equal(m.at(0), 97);
    assert.equal(m.at(-1), 99);
    assert.equal(m.at(-3), 97);
    assert.throws(() => m.at(3), { name: "RangeError", message: "mmap index out of range" });
    assert.throws(() => m.at(-4), RangeError);
    assert.throws(() => m.at("0" as never), {
      name: "TypeError",
      message: "mmap indices must be integers",
    });
    m.set(-1, 0x5a);
    assert.equal(m.at(2), 0x5a);
    assert.throws(() => m.set(0, 256), {
      name: "RangeError",
      message: "mmap item value must be in range(0, 256)",
    });
    assert.throws(() => m.set(0, -1), RangeError);
    assert.throws(() => m.set(0, b("a") as never), {
      name: "TypeError",
      message: "mmap item value must be an int",
    });
    assert.throws(() => m.set(5, 1), RangeError);
  });

  it("size() is the file's size, not the map's", () => {
    const path = tempFile(new Uint8Array(2 * PAGESIZE + 3));
    using m = MMap.open(path, { offset: 2 * PAGESIZE });
    assert.equal(m.length, 3);
    assert.equal(m.size(), 2 * PAGESIZE + 3);
    using anon = MMap.anonymous(16);
    assert.throws(
      () => anon.size(),
      (e: unknown) => e instanceof MMapOSError && e.code === "EBADF",
    );
  });

  it("flush() checks CPython's ranges and syncs to the file", () => {
    const path = tempFile(new Uint8Array(2 * PAGESIZE));
    using m = MMap.open(path, { access: "write" });
    m.setSlice(PAGESIZE, PAGESIZE + 2, "hi");
    assert.equal(m.flush(), undefined);
    m.flush(PAGESIZE);
    m.flush(PAGESIZE, 2, { async: true });
    m.flush(0, m.length, { invalidate: true });
    m.flush(0, 0);
    assert.equal(text(fileBytes(path).subarray(PAGESIZE, PAGESIZE + 2)), "hi");
    for (const [o, s] of [[-1, 1], [0, -1], [0, 2 * PAGESIZE + 1], [2 * PAGESIZE + 1, 0]]) {
      assert.throws(() => m.flush(o, s), {
        name: "RangeError",
        message: "flush values out of range",
      });
    }
    assert.throws(
      () => m.flush(1, 6),
      (e: unknown) => e instanceof MMapOSError && e.code === "EINVAL",
    );
    assert.throws(() => m.flush(0, 1, { sync: true } as never), TypeError);
    // Read and copy maps: a range check, then nothing.
    using r = MMap.open(path);
    r.flush(1, 6);
    assert.throws(() => r.flush(0, 3 * PAGESIZE), RangeError);
  });

  it("matches CPython on one mixed sequence", () => {
    const expected = python(`
import mmap, json
m = mmap.mmap(-1, 32)
out = []
out.append(m.write(b"hello\\nworld\\n"))
out.append(m.tell())
m.seek(0)
out.append(list(m.readline()))
out.append(m.read_byte())
out.append(m.find(b"l"))
out.append(m.find(b"l", 0))
out.append(m.rfind(b"o"))
out.append(m.rfind(b"o", 0, 5))
m.move(20, 0, 5)
out.append(list(m[18:26]))
out.append(list(m[::-7]))
out.append(m[-12])
print(json.dumps(out))
`);
    using m = MMap.anonymous(32);
    const out: unknown[] = [];
    out.push(m.write("hello\nworld\n"));
    out.push(m.tell());
    m.seek(0);
    out.push([...m.readline()]);
    out.push(m.readByte());
    out.push(m.find("l"));
    out.push(m.find("l", 0));
    out.push(m.rfind("o"));
    out.push(m.rfind("o", 0, 5));
    m.move(20, 0, 5);
    out.push([...m.slice(18, 26)]);
    out.push([...m.slice(null, null, -7)]);
    out.push(m.at(-12));
    assert.deepEqual(out, expected);
  });
});
