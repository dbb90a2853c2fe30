import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync, writeSync } from "node:fs";
import { MMap } from "../mod.ts";
import { runtime, tempDir, text } from "./_helpers.ts";

const GiB = 2 ** 30;
const SIZE = 6 * GiB;

function put(fd: number, s: string, position: number): void {
  const bytes = new TextEncoder().encode(s);
  writeSync(fd, bytes, 0, bytes.length, position);
}

/** A sparse 6 GiB file with markers around the 2 GiB and 4 GiB boundaries and near the end. */
function sparseFile(path: string): void {
  const fd = openSync(path, "w+");
  try {
    put(fd, "two-GiB!", 2 * GiB - 4);
    put(fd, "four-GiB", 4 * GiB - 4);
    put(fd, "needle", 5 * GiB + 123);
    put(fd, "END", SIZE - 3);
  } finally {
    closeSync(fd);
  }
}

describe("maps larger than 4 GiB (sparse files)", () => {
  it("work through every method, and windows where one buffer cannot hold them", () => {
    const t = tempDir();
    try {
      const path = t.path("big.bin");
      sparseFile(path);
      using m = MMap.open(path, { access: "write" });
      assert.equal(m.length, SIZE);
      assert.equal(m.size(), SIZE);
      if (runtime === "bun") {
        // JavaScriptCore caps an ArrayBuffer at 4 GiB.
        assert.throws(() => m.bytes, {
          name: "RangeError",
          message: /larger than the largest ArrayBuffer/,
        });
      } else {
        assert.equal(m.bytes.length, SIZE);
      }
      m.seek(2 * GiB - 4);
      assert.equal(text(m.read(8)), "two-GiB!");
      m.seek(4 * GiB - 4);
      assert.equal(text(m.read(8)), "four-GiB");
      assert.equal(text(m.slice(-3)), "END");
      assert.equal(m.at(-1), "D".charCodeAt(0));
      // Bounded searches: scanning gigabytes of holes would only test the disk.
      assert.equal(m.find("needle", 5 * GiB - 100, 5 * GiB + 200), 5 * GiB + 123);
      assert.equal(m.rfind("GiB", 4 * GiB - 100, 4 * GiB + 100), 4 * GiB + 1);
      assert.equal(m.count("GiB", 2 * GiB - 100, 2 * GiB + 100), 1);
      const window = m.view(Uint8Array, 5 * GiB, 4096);
      assert.equal(text(window.subarray(123, 129)), "needle");
      window[0] = 42;
      assert.equal(m.at(5 * GiB), 42);
      const dv = m.dataView(4 * GiB, 8);
      assert.equal(dv.getUint8(1), "G".charCodeAt(0));
      m.seek(5 * GiB + 1000);
      m.write("written far away");
      m.flush(5 * GiB, 4096);
      m.close();
      assert.equal(window.length, 0);
      using again = MMap.open(path, { offset: 5 * GiB });
      assert.equal(again.length, GiB);
      assert.equal(again.at(0), 42);
      assert.equal(text(again.slice(1000, 1016)), "written far away");
    } finally {
      t.cleanup();
    }
  });

  it("maps from an offset past 4 GiB", () => {
    const t = tempDir();
    try {
      const path = t.path("big.bin");
      sparseFile(path);
      using m = MMap.open(path, { offset: 0x140000000, length: 0x10000000 });
      assert.equal(m.length, 0x10000000);
      assert.equal(m.at(0xfffffff), 0);
      assert.equal(m.find("needle", 0, 200), 5 * GiB + 123 - 0x140000000);
    } finally {
      t.cleanup();
    }
  });
});
