// MMap.open(path, { populate: true }): the file's pages are mapped at open.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { MMap } from "../mod.ts";
import { tempDir } from "./_helpers.ts";

/** Memory this process has mapped in, in KiB: file pages (RssFile) or anonymous (RssAnon). */
function rssKiB(kind: "File" | "Anon"): number {
  const line = new RegExp(`Rss${kind}:\\s+(\\d+) kB`).exec(
    readFileSync("/proc/self/status", "utf8"),
  );
  assert.ok(line, `no Rss${kind} in /proc/self/status`);
  return Number(line[1]);
}

describe("MMap.open populate", () => {
  it("maps every page of the file at open, where a plain open maps none, and copies none", () => {
    const t = tempDir("mmap-populate-");
    try {
      const size = 32 << 20;
      const path = t.path("data.bin");
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i += 4096) data[i] = i >> 12 & 255;
      writeFileSync(path, data);
      for (const access of ["read", "write", "copy"] as const) {
        const before = rssKiB("File");
        const anon = rssKiB("Anon");
        using plain = MMap.open(path, { access });
        const afterPlain = rssKiB("File");
        using full = MMap.open(path, { access, populate: true });
        const afterFull = rssKiB("File");
        // A private map populated with MAP_POPULATE would have copied every page.
        const copied = rssKiB("Anon") - anon;
        assert.ok(
          afterPlain - before < 8 << 10,
          `${access}: plain open mapped ${afterPlain - before} KiB`,
        );
        assert.ok(
          afterFull - afterPlain >= 24 << 10,
          `${access}: populate mapped ${afterFull - afterPlain} KiB`,
        );
        assert.ok(copied < 8 << 10, `${access}: populate copied ${copied} KiB`);
        assert.equal(full.at(4096 * 7), 7);
        assert.equal(plain.at(4096 * 9), 9);
      }
      using off = MMap.open(path, { populate: false });
      assert.equal(off.length, size);
    } finally {
      t.cleanup();
    }
  });

  it("is a boolean option, checked before the file is touched", () => {
    assert.throws(() => MMap.open("/nonexistent/file", { populate: 1 as never }), {
      name: "TypeError",
      message: /populate must be a boolean/,
    });
  });

  it("works with write access, and for a copy map", () => {
    const t = tempDir("mmap-populate-");
    try {
      const path = t.path("w.bin");
      writeFileSync(path, "hello");
      {
        using m = MMap.open(path, { access: "write", populate: true });
        m.write("J");
      }
      assert.equal(readFileSync(path, "utf8"), "Jello");
      using c = MMap.open(path, { access: "copy", populate: true });
      c.write("Y");
      assert.equal(readFileSync(path, "utf8"), "Jello");
    } finally {
      t.cleanup();
    }
  });
});
