import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import {
  ACCESS_COPY,
  ACCESS_DEFAULT,
  ACCESS_READ,
  ACCESS_WRITE,
  ALLOCATIONGRANULARITY,
  MMap,
  MMapOSError,
  PAGESIZE,
} from "../mod.ts";
import { fileBytes, tempDir, tempFile, text } from "./_helpers.ts";

describe("MMap.open()", () => {
  it("maps the whole file read-only by default", () => {
    const path = tempFile("hello world");
    using m = MMap.open(path);
    assert.equal(m.length, 11);
    assert.equal(text(m.read()), "hello world");
    assert.throws(() => m.write("x"), {
      name: "TypeError",
      message: "mmap can't modify a readonly memory map.",
    });
    assert.equal(String(m).includes("ACCESS_READ"), true);
  });

  it("accepts a file: URL", () => {
    const path = tempFile("url bytes");
    using m = MMap.open(pathToFileURL(path));
    assert.equal(text(m.read()), "url bytes");
  });

  it("accepts access names and constants alike", () => {
    const path = tempFile("abcd");
    for (
      const access of [
        "read",
        ACCESS_READ,
        "write",
        ACCESS_WRITE,
        "copy",
        ACCESS_COPY,
        "default",
        ACCESS_DEFAULT,
      ] as const
    ) {
      using m = MMap.open(path, { access });
      assert.equal(m.at(0), 97);
    }
  });

  it("persists ACCESS_WRITE changes to the file after flush()", () => {
    const path = tempFile("0123456789");
    {
      using m = MMap.open(path, { access: "write" });
      m.write("ab");
      m.bytes[9] = "Z".charCodeAt(0);
      m.flush();
      // Read back through the file system, not through the map.
      assert.equal(text(fileBytes(path)), "ab2345678Z");
    }
    assert.equal(text(fileBytes(path)), "ab2345678Z");
  });

  it("never touches the file with ACCESS_COPY", () => {
    const path = tempFile("0123456789");
    using m = MMap.open(path, { access: "copy" });
    m.write("ab");
    m.set(5, 0);
    m.bytes[9] = 0;
    m.flush();
    assert.equal(m.at(0), 97);
    assert.equal(text(fileBytes(path)), "0123456789");
    assert.throws(() => m.resize(20), TypeError);
  });

  it("maps a window with length and offset", () => {
    const data = new Uint8Array(3 * PAGESIZE).map((_, i) => i % 251);
    const path = tempFile(data);
    using m = MMap.open(path, { offset: PAGESIZE, length: 100 });
    assert.equal(m.length, 100);
    assert.deepEqual(m.read(), data.slice(PAGESIZE, PAGESIZE + 100));
    assert.equal(m.size(), 3 * PAGESIZE);
    using rest = MMap.open(path, { offset: 2 * ALLOCATIONGRANULARITY });
    assert.equal(rest.length, PAGESIZE);
  });

  it("creates a missing file and extends a short one with create", () => {
    const t = tempDir();
    try {
      const path = t.path("new.bin");
      {
        using m = MMap.open(path, { access: "write", create: true, length: 8192 });
        assert.equal(m.length, 8192);
        m.write("created");
      }
      assert.equal(statSync(path).size, 8192);
      assert.equal(text(fileBytes(path).subarray(0, 7)), "created");
      writeFileSync(path, "short");
      {
        using m = MMap.open(path, { access: "write", create: true, length: 10 });
        assert.equal(text(m.read(5)), "short");
      }
      assert.equal(statSync(path).size, 10);
      // A longer file is left as it is.
      using m = MMap.open(path, { create: true, length: 3 });
      assert.equal(m.length, 3);
      assert.equal(statSync(path).size, 10);
    } finally {
      t.cleanup();
    }
  });

  it("reports a missing file as MMapOSError ENOENT with the path", () => {
    const t = tempDir();
    const path = t.path("missing.bin");
    try {
      MMap.open(path);
      assert.fail("no error");
    } catch (e) {
      assert.ok(e instanceof MMapOSError);
      assert.equal(e.errno, 2);
      assert.equal(e.code, "ENOENT");
      assert.equal(e.syscall, "open");
      assert.equal(e.path, path);
      assert.match(e.message, /No such file or directory/);
    } finally {
      t.cleanup();
    }
  });

  it("reports a directory as EISDIR", () => {
    const t = tempDir();
    try {
      mkdirSync(t.path("d"));
      for (const access of ["read", "write"] as const) {
        assert.throws(
          () => MMap.open(t.path("d"), { access }),
          (e: unknown) => e instanceof MMapOSError && e.code === "EISDIR",
        );
      }
    } finally {
      t.cleanup();
    }
  });

  it("refuses an empty file like CPython", () => {
    const path = tempFile("");
    for (const access of ["read", "write", "copy"] as const) {
      assert.throws(() => MMap.open(path, { access }), {
        name: "RangeError",
        message:
          'cannot mmap an empty file; to make a new file or grow an empty one, pass MMap.open(path, { create: true, length, access: "write" })',
      });
    }
  });

  it("refuses a length or offset beyond the file, changing nothing", () => {
    const path = tempFile("0123456789");
    assert.throws(() => MMap.open(path, { length: 11 }), {
      name: "RangeError",
      message: "mmap length is greater than file size",
    });
    assert.throws(() => MMap.open(path, { access: "copy", length: 11 }), RangeError);
    assert.throws(() => MMap.open(path, { access: "write", length: 11 }), RangeError);
    assert.throws(() => MMap.open(path, { offset: PAGESIZE }), {
      name: "RangeError",
      message: "mmap offset is greater than file size",
    });
    assert.throws(() => MMap.open(path, { offset: PAGESIZE, length: 1 }), {
      message: "mmap length is greater than file size",
    });
    assert.equal(text(fileBytes(path)), "0123456789");
  });

  it("refuses bad numbers and options before touching the disk", () => {
    const t = tempDir();
    try {
      const path = t.path("never.bin");
      const bad: [unknown, string][] = [
        [{ length: -1 }, "RangeError"],
        [{ offset: -4096 }, "RangeError"],
        [{ offset: 100 }, "RangeError"],
        [{ length: NaN }, "TypeError"],
        [{ length: 1.5 }, "TypeError"],
        [{ length: Infinity }, "TypeError"],
        [{ length: 2 ** 64 }, "RangeError"],
        [{ offset: 2 ** 63 }, "RangeError"],
        [{ length: "10" }, "TypeError"],
        [{ offset: null, length: {} }, "TypeError"],
        [{ access: 4 }, "RangeError"],
        [{ access: -1 }, "RangeError"],
        [{ access: "readonly" }, "RangeError"],
        [{ access: true }, "TypeError"],
        [{ create: "yes" }, "TypeError"],
        [{ lenght: 10 }, "TypeError"],
        ["write", "TypeError"],
      ];
      for (const [options, name] of bad) {
        const withCreate = typeof options === "object"
          ? { create: true, length: 4096, ...options }
          : options;
        assert.throws(
          () => MMap.open(path, withCreate as never),
          { name },
          JSON.stringify(options),
        );
      }
      assert.throws(() => statSync(path), /ENOENT/);
    } finally {
      t.cleanup();
    }
  });

  it("refuses paths that are not strings, file: URLs, descriptors or FileHandles", () => {
    assert.throws(() => MMap.open(true as never), TypeError);
    assert.throws(() => MMap.open(42.5 as never), TypeError);
    assert.throws(() => MMap.open(new URL("https://example.com/x") as never), TypeError);
    assert.throws(() => MMap.open("a\0b"), TypeError);
    assert.throws(() => MMap.open(""), TypeError);
  });

  it("refuses every kind of write on a read-only map", () => {
    const path = tempFile("locked");
    using m = MMap.open(path, { access: "read" });
    assert.equal(text(m.read()), "locked");
    assert.throws(() => m.set(0, 1), TypeError);
    assert.throws(() => m.writeByte(1), TypeError);
    assert.throws(() => m.move(0, 1, 1), TypeError);
    assert.throws(() => m.setSlice(0, 1, "x"), TypeError);
    assert.throws(() => m.resize(10), TypeError);
  });

  it("keeps stores through a read-only view out of the file", () => {
    const path = tempFile("abc");
    using m = MMap.open(path);
    m.bytes[0] = 0x7a;
    assert.equal(text(fileBytes(path)), "abc");
    using again = MMap.open(path);
    assert.equal(text(again.read()), "abc");
  });
});
