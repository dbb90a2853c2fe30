// Ports of CPython's Lib/test/test_mmap.py (3.13/3.14), LargeMmapTests, on
// sparse files: the gigabytes are holes, and only the pages the tests read
// are ever touched.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync, writeSync } from "node:fs";
import { ACCESS_READ, MMap } from "../mod.ts";
import { latin1, testFile } from "./_conformance.ts";

const _2G = 2 ** 31;
const _4G = 2 ** 32;

/** CPython's _make_test_file: `num_zeroes` bytes of holes, then `tail`. Returns an open fd. */
function makeTestFile(path: string, numZeroes: number, tail: Uint8Array): number {
  const fd = openSync(path, "w+");
  writeSync(fd, tail, 0, tail.length, numZeroes);
  return fd;
}

describe("CPython test_mmap.py: LargeMmapTests (sparse files)", () => {
  it("test_large_offset", () => {
    const f = testFile();
    const fd = makeTestFile(f.path, 0x14FFFFFFF, latin1(" "));
    try {
      using m = new MMap(fd, 0, { offset: 0x140000000, access: ACCESS_READ });
      assert.equal(m.length, 0x10000000);
      assert.equal(m.at(0xFFFFFFF), 32);
    } finally {
      closeSync(fd);
      f.cleanup();
    }
  });

  it("test_large_filesize", () => {
    const f = testFile();
    const fd = makeTestFile(f.path, 0x17FFFFFFF, latin1(" "));
    try {
      using m = new MMap(fd, 0x10000, { access: ACCESS_READ });
      assert.equal(m.size(), 0x180000000);
    } finally {
      closeSync(fd);
      f.cleanup();
    }
  });

  // CPython issue 11277: mmap() with large (~4 GiB) sparse files crashed on OS X.
  for (const [name, boundary] of [["test_around_2GB", _2G], ["test_around_4GB", _4G]] as const) {
    it(name, () => {
      const tail = latin1("  DEARdear  ");
      const start = boundary - tail.length / 2;
      const end = start + tail.length;
      const f = testFile();
      const fd = makeTestFile(f.path, start, tail);
      try {
        using m = new MMap(fd, 0, { access: ACCESS_READ });
        assert.equal(m.length, end);
        assert.deepEqual(m.slice(start, end), tail);
      } finally {
        closeSync(fd);
        f.cleanup();
      }
    });
  }
});
