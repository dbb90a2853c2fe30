import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { MADV_NORMAL, MMap } from "../mod.ts";
import { collectGarbage, openFdCount, tempFile, text } from "./_helpers.ts";
import { scaled } from "./_emulation.ts";

/** Lines of /proc/self/maps, or those that map `path`. */
function mappingCount(path?: string): number {
  const lines = readFileSync("/proc/self/maps", "utf8").split("\n");
  return path ? lines.filter((l) => l.endsWith(path)).length : lines.length;
}

describe("lifetime", () => {
  it("close() twice is a no-op, and closed says so", () => {
    const m = MMap.anonymous(16);
    assert.equal(m.closed, false);
    m.close();
    m.close();
    assert.equal(m.closed, true);
    assert.equal(m.seekable(), true);
    assert.equal(String(m), "<MMap closed=true>");
  });

  it("every method of a closed map throws TypeError('mmap closed or invalid')", () => {
    const m = MMap.anonymous(16);
    m.close();
    const calls: [string, () => unknown][] = [
      ["read", () => m.read()],
      ["readByte", () => m.readByte()],
      ["readline", () => m.readline()],
      ["write", () => m.write("x")],
      ["writeByte", () => m.writeByte(1)],
      ["seek", () => m.seek(0)],
      ["tell", () => m.tell()],
      ["size", () => m.size()],
      ["length", () => m.length],
      ["flush", () => m.flush()],
      ["at", () => m.at(0)],
      ["set", () => m.set(0, 1)],
      ["slice", () => m.slice()],
      ["setSlice", () => m.setSlice(0, 1, "x")],
      ["find", () => m.find("x")],
      ["rfind", () => m.rfind("x")],
      ["count", () => m.count("x")],
      ["includes", () => m.includes("x")],
      ["move", () => m.move(0, 1, 1)],
      ["madvise", () => m.madvise(MADV_NORMAL)],
      ["resize", () => m.resize(32)],
      ["bytes", () => m.bytes],
      ["view", () => m.view(Uint8Array)],
      ["dataView", () => m.dataView()],
      ["iterator", () => [...m]],
    ];
    for (const [name, call] of calls) {
      assert.throws(call, { name: "TypeError", message: "mmap closed or invalid" }, name);
    }
  });

  it("using closes the map at the end of the block", () => {
    let outer: MMap;
    {
      using m = MMap.anonymous(16);
      outer = m;
      assert.equal(m.closed, false);
    }
    assert.equal(outer.closed, true);
  });

  it("using closes the map when the block throws", () => {
    let outer: MMap | undefined;
    assert.throws(() => {
      using m = MMap.anonymous(16);
      outer = m;
      throw new Error("boom");
    }, /boom/);
    assert.equal(outer?.closed, true);
  });

  // Fewer under emulation, where each map costs ~10 times more.
  const files = scaled(10_000, 1_000);
  const anonymous = scaled(1_000, 500);
  it(`${files.toLocaleString("en-US")} maps opened and closed leak no descriptor and no mapping`, () => {
    const path = tempFile("leak check");
    const fds = openFdCount();
    const maps = mappingCount();
    for (let i = 0; i < files; i++) {
      const m = MMap.open(path);
      if (m.at(0) !== 0x6c) throw new Error("bad byte");
      m.close();
    }
    for (let i = 0; i < anonymous; i++) MMap.anonymous(4096).close();
    assert.equal(openFdCount(), fds);
    assert.equal(mappingCount(path), 0);
    // The leaked anonymous maps would show; the runtime's own heap may grow a little.
    const slack = anonymous / 5;
    assert.ok(mappingCount() < maps + slack, `mappings grew from ${maps} to ${mappingCount()}`);
  });

  it("a map nobody closed is unmapped and its descriptor closed after GC", async () => {
    const path = tempFile("finalize");
    const fds = openFdCount();
    (() => {
      for (let i = 0; i < 200; i++) MMap.open(path).at(0);
    })();
    assert.equal(openFdCount(), fds + 200);
    for (let i = 0; i < 50 && openFdCount() > fds; i++) await collectGarbage();
    assert.equal(openFdCount(), fds);
  });

  it("a view keeps its map alive: GC never unmaps memory still in view", async () => {
    const view = (() => {
      const m = MMap.anonymous(4096);
      m.write("still here");
      return m.bytes;
    })();
    // A full collection takes seconds under emulation: fewer rounds there.
    for (let i = 0; i < scaled(5, 2); i++) await collectGarbage();
    assert.equal(text(view.subarray(0, 10)), "still here");
  });
});
