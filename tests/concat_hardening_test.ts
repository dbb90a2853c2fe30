/**
 * MMapConcat against moves and overlaps: `readInto` a view of the same
 * concat behaves like memmove (as MMap's does), a line whose buffer was
 * transferred away leaves the concat working (as MMap recovers), and
 * `stream()` serves the files as one byte stream.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { MMap, type MMapConcat, PAGESIZE } from "../mod.ts";
import { tempDir, text } from "./_helpers.ts";

/** Two files of `size` bytes, every byte different from its neighbours. */
function twoFiles(size: number): { a: string; b: string; cleanup(): void } {
  const t = tempDir();
  const a = t.path("a.bin"), b = t.path("b.bin");
  fs.writeFileSync(a, new Uint8Array(size).map((_, i) => (i * 7 + 1) & 0xff));
  fs.writeFileSync(b, new Uint8Array(size).map((_, i) => (i * 3 + 101) & 0xff));
  return { a, b, cleanup: t.cleanup };
}

describe("MMapConcat.readInto into a view of itself", () => {
  for (const size of [100, PAGESIZE]) {
    it(`reads as memmove across files (${size}-byte files)`, () => {
      const f = twoFiles(size);
      try {
        for (const [src, dst, n] of [[size - 20, size + 10, 50], [size - 30, size - 25, 10]]) {
          using m = MMap.concat([f.a, f.b], { access: "write" });
          const before = m.slice();
          const target = m.view(Uint8Array, dst, n);
          m.seek(src);
          assert.equal(m.readInto(target), n);
          assert.deepEqual(m.slice(dst, dst + n), before.slice(src, src + n));
          assert.deepEqual(m.slice(0, dst), before.slice(0, dst), "bytes before the target kept");
          m.flush();
        }
        // Into a line (a view of the same memory), as well.
        using m = MMap.concat([f.a, f.b], { access: "write" });
        const before = m.slice();
        const line = m.lines(size + 10, size + 60).next().value!;
        m.seek(size - 20);
        const n = m.readInto(line);
        assert.deepEqual(line, before.slice(size - 20, size - 20 + n));
      } finally {
        f.cleanup();
      }
    });
  }
});

describe("MMapConcat after a line's buffer was transferred", () => {
  for (const contiguous of [false, true]) {
    it(`readInto and lines() keep working (${contiguous ? "" : "not "}contiguous)`, () => {
      const t = tempDir();
      try {
        const first = contiguous ? "x".repeat(PAGESIZE - 4) + "one\n" : "one\ntwo\nthr";
        fs.writeFileSync(t.path("a.txt"), first);
        fs.writeFileSync(t.path("b.txt"), "ee\nfour\n");
        using m = MMap.concat([t.path("a.txt"), t.path("b.txt")]);
        assert.equal(m.contiguous, contiguous);
        const all = [...m.lines()].map(text);
        const line = m.lines().next().value!;
        const moved = (line.buffer as ArrayBuffer).transfer();
        assert.ok(moved.byteLength > 0);
        m.seek(0);
        const into = new Uint8Array(5);
        assert.equal(m.readInto(into), 5);
        assert.equal(text(into), first.slice(0, 5));
        assert.deepEqual([...m.lines()].map(text), all);
        assert.equal(m.find("four"), first.length + 3);
      } finally {
        t.cleanup();
      }
    });
  }
});

describe("MMapConcat.stream", () => {
  it("streams [start, end) across files, by default reader and BYOB, without moving the position", async () => {
    const t = tempDir();
    try {
      fs.writeFileSync(t.path("a"), "Hello, ");
      fs.writeFileSync(t.path("b"), "world");
      using m = MMap.concat([t.path("a"), t.path("b")]);
      m.seek(3);
      assert.equal(await new Response(m.stream()).text(), "Hello, world");
      assert.equal(await new Response(m.stream(5, -2, { chunkSize: 2 })).text(), ", wor");
      const chunks: number[] = [];
      for await (const c of m.stream(0, null, { chunkSize: 5 })) chunks.push(c.length);
      assert.deepEqual(chunks, [5, 5, 2]);
      const byob = m.stream(4).getReader({ mode: "byob" });
      const r = await byob.read(new Uint8Array(4));
      assert.equal(text(r.value!), "o, w");
      byob.releaseLock();
      assert.equal(m.tell(), 3);
      assert.throws(() => m.stream(0, null, { chunkSize: 0 }), RangeError);
    } finally {
      t.cleanup();
    }
  });

  it("a concat closed while its stream is read errors the stream with a TypeError", async () => {
    const t = tempDir();
    try {
      fs.writeFileSync(t.path("a"), new Uint8Array(10));
      fs.writeFileSync(t.path("b"), new Uint8Array(10));
      const m = MMap.concat([t.path("a"), t.path("b")]);
      const reader = m.stream(0, null, { chunkSize: 4 }).getReader();
      assert.equal((await reader.read()).value!.length, 4);
      m.close();
      await assert.rejects(reader.read(), TypeError);
      assert.throws(() => m.stream(), TypeError);
    } finally {
      t.cleanup();
    }
  });
});

describe("MMap.concat and the program's globals", () => {
  it("a replaced Array.from or Object.freeze changes neither the files nor the segments", () => {
    const t = tempDir();
    const a = t.path("a.txt"), b = t.path("b.txt");
    fs.writeFileSync(a, "abc");
    fs.writeFileSync(b, "defg");
    const from = Array.from, freeze = Object.freeze;
    let m: MMapConcat | undefined;
    try {
      // A list of its own choosing, with a path whose toString names another file.
      Array.from = (() => [{ toString: () => b }]) as never;
      Object.freeze = ((o: unknown) => o) as never;
      m = MMap.concat([a]);
    } finally {
      Array.from = from;
      Object.freeze = freeze;
    }
    try {
      assert.equal(m.length, 3);
      assert.equal(text(m.read()), "abc");
      assert.equal(m.segments[0]!.path, a);
      assert.ok(Object.isFrozen(m.segments), "the segment list is frozen");
      assert.ok(Object.isFrozen(m.segments[0]), "each segment is frozen");
    } finally {
      m.close();
      t.cleanup();
    }
  });
});
