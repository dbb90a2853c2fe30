// The ffi/ layer's own primitives, below the MMap facade: reserved address
// ranges, MAP_FIXED placement and borrowed memory (used by MMap.concat and
// by WebAssembly memories).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync } from "node:fs";
import { Mapping } from "../ffi/mapping.ts";
import { MAP_PRIVATE, MAP_SHARED, PAGESIZE, PROT_READ, PROT_WRITE } from "../mod.ts";
import { tempFile, text } from "./_helpers.ts";

describe("ffi Mapping", () => {
  it("places two files side by side in one reserved range", () => {
    const a = tempFile("A".repeat(PAGESIZE));
    const bPath = tempFile("B".repeat(10));
    const fa = openSync(a, "r");
    const fb = openSync(bPath, "r");
    const range = Mapping.reserve(2 * PAGESIZE);
    try {
      range.mapFixed(0, PAGESIZE, PROT_READ, MAP_SHARED, fa, 0);
      range.mapFixed(PAGESIZE, PAGESIZE, PROT_READ, MAP_SHARED, fb, 0);
      const bytes = new Uint8Array(range.buffer(0, PAGESIZE + 10));
      assert.equal(text(bytes.subarray(PAGESIZE - 2, PAGESIZE + 3)), "AABBB");
      assert.equal(range.indexOf(new TextEncoder().encode("AB"), 0, PAGESIZE + 10), PAGESIZE - 1);
    } finally {
      range.unmap();
      closeSync(fa);
      closeSync(fb);
    }
  });

  it("maps into borrowed memory and refuses to unmap it", () => {
    const memory = new WebAssembly.Memory({ initial: 2 });
    const path = tempFile("file pages!");
    const fd = openSync(path, "r");
    try {
      const borrowed = Mapping.borrow(memory.buffer as ArrayBuffer);
      borrowed.mapFixed(65536, PAGESIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
      const view = new Uint8Array(memory.buffer, 65536, 11);
      assert.equal(text(view), "file pages!");
      assert.throws(() => borrowed.unmap(), TypeError);
      // Put zero pages back before the engine reuses the memory.
      borrowed.mapFixed(65536, PAGESIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, -1, 0);
      assert.equal(view[0], 0);
    } finally {
      closeSync(fd);
    }
  });
});
