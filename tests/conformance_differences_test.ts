// The deliberate differences from CPython that README lists, each shown next
// to what CPython does on this machine (the `python()` oracle).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  MADV_POPULATE_READ,
  MADV_POPULATE_WRITE,
  MADV_REMOVE,
  MADV_WIPEONFORK,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MAP_SYNC,
  MMap,
  MMapOSError,
  PAGESIZE,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from "../mod.ts";
import { python, text } from "./_helpers.ts";
import { mapFile, testFile, writeFile } from "./_conformance.ts";
import { needsKernel } from "./_emulation.ts";

const errno = (code: string) => (e: unknown) => e instanceof MMapOSError && e.code === code;

describe("deliberate differences from CPython", () => {
  it("null means an omitted argument (CPython 3.11-3.13: TypeError for None)", () => {
    const cpython = python(`
import json, mmap
m = mmap.mmap(-1, 8)
out = []
for call in (lambda: m.find(b"a", None), lambda: m.flush(None), lambda: m.madvise(0, 0, None)):
    try:
        call(); out.append("ok")
    except TypeError:
        out.append("TypeError")
print(json.dumps(out))
`);
    using m = MMap.anonymous(8);
    m.write("xxa");
    assert.equal(m.find("a", null, null), -1); // start: the position (3)
    assert.equal(m.find("a", 0, null), 2);
    m.flush(null, null);
    m.madvise(0, 0, null);
    assert.deepEqual(cpython, ["TypeError", "TypeError", "TypeError"]);
  });

  it("strings are UTF-8 and a number 0-255 is a one-byte needle (CPython: TypeError)", () => {
    using m = MMap.anonymous(8);
    assert.equal(m.write("é"), 2);
    assert.equal(m.find(0xa9, 0), 1);
    assert.equal(m.find(0xa9n as never, 0), 1);
    assert.throws(() => m.find(256, 0), RangeError);
    assert.equal(m.includes("é"), true);
  });

  it("booleans and objects with valueOf() are not integers (Python: True is 1, __index__ runs)", () => {
    using m = MMap.anonymous(8);
    let called = false;
    const x = {
      valueOf() {
        called = true;
        return 1;
      },
    };
    assert.throws(() => m.read(true as never), TypeError);
    assert.throws(() => m.at(x as never), TypeError);
    assert.throws(() => new MMap(-1, 8, { trackfd: 1 as never }), TypeError);
    assert.equal(called, false);
  });

  it("a slice assignment from the map's own memory reads it whole first (CPython's memoryview: a mixture)", () => {
    // [m[::-1] = memoryview(m), m[::-1] = m[:], m[::2] = memoryview(m)[:32], m[::2] = m[:32]]
    const cpython = python(`
import json, mmap
data = bytes(range(64))
m = mmap.mmap(-1, 64)
out = []
m[:] = data; m[::-1] = memoryview(m); out.append(m[:] == data[::-1])
m[:] = data; m[::-1] = m[:]; out.append(m[:] == data[::-1])
want = bytearray(data); want[::2] = data[:32]
m[:] = data; m[::2] = memoryview(m)[:32]; out.append(m[:] == bytes(want))
m[:] = data; m[::2] = m[:32]; out.append(m[:] == bytes(want))
print(json.dumps(out))
`);
    assert.deepEqual(cpython, [false, true, false, true]);
    const data = Uint8Array.from({ length: 64 }, (_, i) => i);
    using m = MMap.anonymous(64);
    m.bytes.set(data);
    m.setSlice(null, null, m.bytes, -1);
    assert.deepEqual(m.slice(), data.slice().reverse());
    m.bytes.set(data);
    m.setSlice(null, null, m.bytes.subarray(0, 32), 2);
    const want = data.slice();
    for (let k = 0; k < 32; k++) want[2 * k] = data[k]!;
    assert.deepEqual(m.slice(), want);
  });

  it("an unaligned offset is a RangeError before any system call (CPython: EINVAL from mmap)", () => {
    const cpython = python(`
import json, mmap
try:
    mmap.mmap(-1, 4096, offset=100)
except OSError as e:
    print(json.dumps(e.errno))
`);
    assert.equal(cpython, 22);
    assert.throws(() => new MMap(-1, 4096, { offset: 100 }), {
      name: "RangeError",
      message: /multiple of ALLOCATIONGRANULARITY/,
    });
  });

  it("MAP_FIXED and MAP_FIXED_NOREPLACE are refused (they would ask for address 0)", () => {
    for (const flags of [MAP_SHARED | MAP_FIXED, MAP_PRIVATE | MAP_FIXED_NOREPLACE]) {
      assert.throws(() => new MMap(-1, PAGESIZE, { flags }), RangeError);
    }
  });

  it("a map without PROT_READ reads instead of dying of SIGSEGV", () => {
    const f = testFile();
    try {
      writeFile(f.path, "readable");
      for (const prot of [PROT_NONE, PROT_EXEC]) {
        using m = mapFile(f.path, "r", 0, { prot });
        assert.equal(text(m.read()), "readable");
        assert.throws(() => m.write("x"), TypeError);
      }
      using w = mapFile(f.path, "r+", 0, { prot: PROT_WRITE });
      assert.equal(text(w.slice(0, 4)), "read");
      w.madvise(MADV_POPULATE_READ); // CPython's write-only map: EINVAL
    } finally {
      f.cleanup();
    }
  });

  it(
    "madvise on a read-only map answers as on the private writable map underneath",
    needsKernel("madviseAdvice"),
    () => {
      // CPython's read-only anonymous map is shared: MADV_REMOVE works there,
      // MADV_WIPEONFORK and MADV_POPULATE_WRITE are EINVAL.
      const cpython = python(`
import json, mmap
out = []
for advice in (mmap.MADV_REMOVE, 18, 23):
    m = mmap.mmap(-1, 8192, prot=mmap.PROT_READ)
    try:
        m.madvise(advice); out.append(0)
    except OSError as e:
        out.append(e.errno)
print(json.dumps(out))
`);
      assert.deepEqual(cpython, [0, 22, 22]);
      const outcome = (advice: number): number => {
        using m = new MMap(-1, 8192, { prot: PROT_READ });
        try {
          m.madvise(advice);
          return 0;
        } catch (e) {
          return (e as MMapOSError).errno;
        }
      };
      assert.deepEqual([MADV_REMOVE, MADV_WIPEONFORK, MADV_POPULATE_WRITE].map(outcome), [
        22,
        0,
        0,
      ]);
    },
  );

  it("flags without a sharing type, and MAP_SHARED_VALIDATE's checks, still reach the kernel", () => {
    const f = testFile();
    try {
      writeFile(f.path, "x".repeat(PAGESIZE));
      assert.throws(() => mapFile(f.path, "r", 0, { flags: 0, prot: PROT_READ }), errno("EINVAL"));
      // The same verdict as a map made exactly as asked (CPython's).
      let direct = "ok";
      try {
        mapFile(f.path, "r+", 0, { flags: MAP_SHARED_VALIDATE | MAP_SYNC }).close();
      } catch (e) {
        direct = (e as MMapOSError).code;
      }
      let readOnly = "ok";
      try {
        mapFile(f.path, "r", 0, { flags: MAP_SHARED_VALIDATE | MAP_SYNC, prot: PROT_READ }).close();
      } catch (e) {
        readOnly = (e as MMapOSError).code;
      }
      assert.equal(readOnly, direct);
    } finally {
      f.cleanup();
    }
  });
});
