// MMap.open and mapIntoMemory take what users hold (a node:fs FileHandle, a
// descriptor) and refuse, with what to pass instead, the file objects that
// hide their descriptor; `align` maps from an unaligned offset with every
// offset counting from the requested byte; errors a user's mistake is the
// likely cause of say what to do next, after CPython's message.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { closeSync, fstatSync, openSync, promises, readFileSync, writeFileSync } from "node:fs";
import { ALLOCATIONGRANULARITY, MMap, MMapOSError, PAGESIZE } from "../mod.ts";
import { mapIntoMemory } from "../wasm/mod.ts";
import { casesOf, runtime, tempDir, tempDirUntilExit, text } from "./_helpers.ts";

/** A file whose byte i is i % 251, so every offset is recognisable. */
function patterned(path: string, size: number): Uint8Array {
  const data = Uint8Array.from({ length: size }, (_, i) => i % 251);
  writeFileSync(path, data);
  return data;
}

describe("MMap.open with file objects", () => {
  it("maps a node:fs FileHandle and leaves it open and the caller's", async () => {
    const t = tempDir();
    try {
      writeFileSync(t.path("a.txt"), "hello, handle");
      const fh = await promises.open(t.path("a.txt"), "r+");
      try {
        {
          using m = MMap.open(fh);
          assert.equal(text(m.read()), "hello, handle");
        }
        {
          using m = MMap.open(fh, { access: "write" });
          m.write("HELLO");
        }
        // The handle still works after the maps are gone.
        const { bytesRead, buffer } = await fh.read(new Uint8Array(5), 0, 5, 0);
        assert.equal(bytesRead, 5);
        assert.equal(text(buffer), "HELLO");
      } finally {
        await fh.close();
      }
      assert.throws(() => MMap.open(fh), { name: "TypeError", message: /FileHandle is closed/ });
    } finally {
      t.cleanup();
    }
  });

  it("maps a numeric descriptor, keeping its own duplicate", () => {
    const t = tempDir();
    try {
      writeFileSync(t.path("a.txt"), "0123456789");
      const fd = openSync(t.path("a.txt"), "r");
      let m: MMap;
      try {
        m = MMap.open(fd, { length: 4, offset: 0 });
      } finally {
        closeSync(fd);
      }
      // The caller closed theirs; the map's duplicate still serves size().
      assert.equal(m.size(), 10);
      assert.equal(text(m.read()), "0123");
      m.close();
      assert.throws(
        () => MMap.open(fd),
        (e: unknown) => e instanceof MMapOSError && e.code === "EBADF",
      );
    } finally {
      t.cleanup();
    }
  });

  it("refuses a write map of a read-only descriptor with EACCES and a hint naming access", () => {
    const t = tempDir();
    try {
      writeFileSync(t.path("a.txt"), "data");
      const fd = openSync(t.path("a.txt"), "r");
      try {
        for (const open of [() => MMap.open(fd, { access: "write" }), () => new MMap(fd, 0)]) {
          assert.throws(
            open,
            (e: unknown) =>
              e instanceof MMapOSError && e.code === "EACCES" && e.syscall === "mmap" &&
              e.message.startsWith("[Errno 13] Permission denied") &&
              e.message.includes('{ access: "read" }'),
          );
        }
        using m = new MMap(fd, 0, { access: "read" });
        assert.equal(text(m.read()), "data");
      } finally {
        closeSync(fd);
      }
    } finally {
      t.cleanup();
    }
  });

  it("refuses Deno.FsFile and Bun.file() with what to pass instead", () => {
    const t = tempDir();
    try {
      writeFileSync(t.path("a.txt"), "data");
      const g = globalThis as unknown as {
        Deno?: { openSync(path: string): { close(): void } };
        Bun?: { file(path: string): Blob };
      };
      if (runtime === "deno") {
        const f = g.Deno!.openSync(t.path("a.txt"));
        try {
          assert.throws(() => MMap.open(f as never), {
            name: "TypeError",
            message: /cannot map a Deno\.FsFile.*pass the path/,
          });
          const memory = new WebAssembly.Memory({ initial: 1 });
          assert.throws(
            () => mapIntoMemory(memory, f as never),
            /mapIntoMemory cannot map a Deno\.FsFile/,
          );
        } finally {
          f.close();
        }
      } else {
        const path = t.path("a.txt");
        assert.throws(() => MMap.open(g.Bun!.file(path) as never), {
          name: "TypeError",
          message: `MMap.open cannot map a Blob (such as Bun.file()): it has no file descriptor; ` +
            `pass its path instead: MMap.open(${JSON.stringify(path)})`,
        });
      }
      assert.throws(() => MMap.open(new Blob(["x"]) as never), /cannot map a Blob/);
      assert.throws(
        () => MMap.open({} as never),
        /path must be a string, a file: URL, a descriptor or a FileHandle/,
      );
      assert.throws(() => MMap.open({ fd: 1.5 } as never), { name: "TypeError" });
      assert.throws(() => MMap.open(-3 as never), { name: "RangeError" });
    } finally {
      t.cleanup();
    }
  });

  it("reads a FileHandle's fd once", () => {
    const t = tempDir();
    try {
      writeFileSync(t.path("a.txt"), "data");
      const fd = openSync(t.path("a.txt"), "r");
      try {
        let reads = 0;
        const liar = {
          get fd() {
            reads++;
            return reads === 1 ? fd : 0;
          },
        };
        using m = MMap.open(liar);
        assert.equal(reads, 1);
        assert.equal(text(m.read()), "data");
      } finally {
        closeSync(fd);
      }
    } finally {
      t.cleanup();
    }
  });

  it("mapIntoMemory takes a FileHandle too", async () => {
    const t = tempDir();
    try {
      writeFileSync(t.path("a.bin"), new Uint8Array([1, 2, 3, 4]));
      const fh = await promises.open(t.path("a.bin"));
      try {
        const memory = new WebAssembly.Memory({ initial: 1 });
        using mapped = mapIntoMemory(memory, fh);
        assert.deepEqual([...new Uint8Array(memory.buffer, mapped.address, 4)], [1, 2, 3, 4]);
      } finally {
        await fh.close();
      }
    } finally {
      t.cleanup();
    }
  });
});

describe("align: an unaligned offset, every offset counting from the requested byte", () => {
  const G = ALLOCATIONGRANULARITY;

  it("is a RangeError without align, with a hint naming it", () => {
    const t = tempDir();
    try {
      patterned(t.path("a.bin"), 3 * G);
      assert.throws(() => MMap.open(t.path("a.bin"), { offset: 100 }), {
        name: "RangeError",
        message: `offset must be a multiple of ALLOCATIONGRANULARITY (${G}), not 100; ` +
          "pass align: true to map from the page below it",
      });
    } finally {
      t.cleanup();
    }
  });

  it("length, bytes, read, find, tell and seek count from the requested byte", () => {
    const t = tempDir();
    try {
      const data = patterned(t.path("a.bin"), 3 * G);
      for (const offset of [1, 100, G - 1, G + 7, 2 * G]) {
        using m = MMap.open(t.path("a.bin"), { offset, align: true });
        assert.equal(m.length, 3 * G - offset);
        assert.deepEqual(m.bytes.subarray(0, 8), data.subarray(offset, offset + 8));
        assert.equal(m.at(0), data[offset]);
        assert.equal(m.at(-1), data[3 * G - 1]);
        assert.deepEqual(m.read(5), data.slice(offset, offset + 5));
        assert.equal(m.tell(), 5);
        assert.equal(m.seek(0, 2), m.length);
        m.seek(0);
        // The pattern repeats every 251 bytes: the needle taken 300 bytes into
        // the map is first found at 49 and next at 300, counted from the map.
        const needle = data.slice(offset + 300, offset + 308);
        assert.equal(m.find(needle), 49);
        assert.equal(m.find(needle, 50), 300);
        assert.equal(m.rfind(needle, 0, 400), 300);
        assert.ok(m.count(needle, 0) >= 1);
        assert.deepEqual(m.slice(10, 20), data.slice(offset + 10, offset + 20));
      }
    } finally {
      t.cleanup();
    }
  });

  it("a length from the requested byte, checked against the file", () => {
    const t = tempDir();
    try {
      const data = patterned(t.path("a.bin"), 2 * G);
      using m = MMap.open(t.path("a.bin"), { offset: 10, length: 20, align: true });
      assert.equal(m.length, 20);
      assert.deepEqual(m.read(), data.slice(10, 30));
      assert.throws(
        () => MMap.open(t.path("a.bin"), { offset: 10, length: 2 * G, align: true }),
        { name: "RangeError", message: "mmap length is greater than file size" },
      );
    } finally {
      t.cleanup();
    }
  });

  it("writes, flush(), flush(offset, size) and madvise work from any offset", () => {
    const t = tempDir();
    try {
      const data = patterned(t.path("a.bin"), 3 * G);
      const offset = G + 123;
      {
        using m = MMap.open(t.path("a.bin"), { offset, align: true, access: "write" });
        m.write("abc");
        m.set(G, 0x5a);
        m.flush();
        m.flush(1, 10); // no EINVAL: from the page boundary below
        m.flush(G, 1);
        m.madvise(0, 5, 10);
      }
      const after = readFileSync(t.path("a.bin"));
      assert.equal(text(after.subarray(offset, offset + 3)), "abc");
      assert.equal(after[offset + G], 0x5a);
      assert.equal(after[offset - 1], data[offset - 1]);
      assert.equal(after[offset + 3], data[offset + 3]);
    } finally {
      t.cleanup();
    }
  });

  it("views are at the requested byte; resize keeps it", () => {
    const t = tempDir();
    try {
      patterned(t.path("a.bin"), 2 * G);
      const offset = 8 * 3;
      {
        using m = MMap.open(t.path("a.bin"), { offset, align: true, access: "write" });
        const f = m.view(Float64Array, 0, 2);
        f[0] = 1.5;
        m.resize(4 * G);
        assert.equal(m.length, 4 * G);
        assert.equal(m.size(), offset + 4 * G);
        assert.equal(m.view(Float64Array, 0, 1)[0], 1.5);
        m.resize(16);
        assert.equal(m.size(), offset + 16);
      }
      const bytes = readFileSync(t.path("a.bin"));
      assert.equal(bytes.length, offset + 16);
      assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getFloat64(offset, true), 1.5);
    } finally {
      t.cleanup();
    }
  });

  it("the constructor takes it too, and an aligned offset is unchanged", () => {
    const t = tempDir();
    try {
      const data = patterned(t.path("a.bin"), 2 * G);
      const fd = openSync(t.path("a.bin"), "r");
      try {
        using a = new MMap(fd, 0, { offset: 5, align: true, access: "read" });
        assert.equal(a.at(0), data[5]);
        using b = new MMap(fd, 0, { offset: G, align: true, access: "read" });
        assert.equal(b.length, G);
        assert.equal(b.at(0), data[G]);
        assert.equal(fstatSync(fd).size, 2 * G);
      } finally {
        closeSync(fd);
      }
    } finally {
      t.cleanup();
    }
  });
});

describe("errors that say what to do next", () => {
  it("an empty file names create: true and length, after CPython's message", () => {
    const t = tempDir();
    try {
      writeFileSync(t.path("empty"), "");
      assert.throws(
        () => MMap.open(t.path("empty")),
        (e: unknown) =>
          e instanceof RangeError && e.message.startsWith("cannot mmap an empty file; ") &&
          e.message.includes("create: true, length"),
      );
    } finally {
      t.cleanup();
    }
  });

  it("flush from an unaligned offset explains alignment, after EINVAL", () => {
    using m = MMap.anonymous(2 * PAGESIZE);
    assert.throws(
      () => m.flush(1, 10),
      (e: unknown) =>
        e instanceof MMapOSError && e.code === "EINVAL" &&
        e.message.startsWith("[Errno 22] Invalid argument") &&
        e.message.includes(`multiple of PAGESIZE (${PAGESIZE}), not 1`),
    );
    m.flush(PAGESIZE, 10);
  });
});

describe("descriptor -0", () => {
  // -0 is descriptor 0, as in CPython (mmap.mmap(-0, 5) maps stdin). Deno's
  // FFI refused it for an i32: MMap.open(-0) and a FileHandle whose fd is -0
  // were "TypeError: Invalid FFI i32 type, expected integer" there, and
  // worked under Bun. In a child whose stdin is a file, so that 0 maps.
  const CASES = [
    "open_number",
    "open_handle",
    "constructor",
    "memory_number",
    "memory_handle",
    "wasi_stdin",
  ];
  const child = casesOf(CASES, () => {
    const input = `${tempDirUntilExit("mmap-stdin-")}/stdin.txt`;
    writeFileSync(input, "hello from stdin");
    const file = decodeURIComponent(new URL("./_stdin_child.ts", import.meta.url).pathname);
    const args = runtime === "deno" ? ["run", "--allow-all", file] : [file];
    // By the shell: Deno's spawnSync gives the child /dev/null for a
    // descriptor in `stdio` (Bun's passes it), and `input` is a pipe.
    const res = spawnSync(
      "sh",
      ["-c", 'exec "$@" < "$0"', input, process.execPath, ...args, CASES.join(",")],
      { encoding: "utf8" },
    );
    return { status: res.status, signal: res.signal, stdout: res.stdout, stderr: res.stderr };
  });

  it("MMap.open(-0) and a FileHandle-like { fd: -0 } map descriptor 0", () => {
    assert.equal(child("open_number"), "hello from stdin");
    assert.equal(child("open_handle"), "hello");
  });

  it("so do new MMap(-0, n) and mapIntoMemory's two descriptor forms", () => {
    assert.equal(child("constructor"), "hello");
    assert.equal(child("memory_number"), "hello from stdin");
    assert.equal(child("memory_handle"), "hello from stdin");
  });

  it("WASI's stdin: -0 is the host's descriptor 0", () => {
    assert.equal(child("wasi_stdin"), "stdin: 16 [hello from stdin]");
  });
});
