// MMap.open(path, { populate: true }): the file's pages are mapped at open.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { MMap } from "../mod.ts";
import { tempDir } from "./_helpers.ts";
import { needsKernel } from "./_emulation.ts";

/** Memory this process has mapped in, in KiB: file pages (RssFile) or anonymous (RssAnon). */
function rssKiB(kind: "File" | "Anon"): number {
  const line = new RegExp(`Rss${kind}:\\s+(\\d+) kB`).exec(
    readFileSync("/proc/self/status", "utf8"),
  );
  assert.ok(line, `no Rss${kind} in /proc/self/status`);
  return Number(line[1]);
}

/** What opening the same 32 MiB file plainly and with populate maps in and copies, per access. */
function opened(): Record<
  "read" | "write" | "copy",
  { plain: number; full: number; copied: number }
> {
  const t = tempDir("mmap-populate-");
  try {
    const size = 32 << 20;
    const path = t.path("data.bin");
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) data[i] = i >> 12 & 255;
    writeFileSync(path, data);
    const out = {} as ReturnType<typeof opened>;
    for (const access of ["read", "write", "copy"] as const) {
      const before = rssKiB("File");
      const anon = rssKiB("Anon");
      using plain = MMap.open(path, { access });
      const afterPlain = rssKiB("File");
      using full = MMap.open(path, { access, populate: true });
      const afterFull = rssKiB("File");
      // A private map populated with MAP_POPULATE would have copied every page.
      const copied = rssKiB("Anon") - anon;
      out[access] = { plain: afterPlain - before, full: afterFull - afterPlain, copied };
      assert.equal(full.at(4096 * 7), 7);
      assert.equal(plain.at(4096 * 9), 9);
    }
    using off = MMap.open(path, { populate: false });
    assert.equal(off.length, size);
    return out;
  } finally {
    t.cleanup();
  }
}

describe("MMap.open populate", () => {
  it(
    "maps every page of the file at open, where a plain open maps none",
    needsKernel("populate"),
    () => {
      for (const [access, kib] of Object.entries(opened())) {
        assert.ok(kib.plain < 8 << 10, `${access}: plain open mapped ${kib.plain} KiB`);
        assert.ok(kib.full >= 24 << 10, `${access}: populate mapped ${kib.full} KiB`);
      }
    },
  );

  it("copies no page of a private map, and both maps read the file", () => {
    for (const [access, kib] of Object.entries(opened())) {
      assert.ok(kib.plain < 8 << 10, `${access}: plain open mapped ${kib.plain} KiB`);
      assert.ok(kib.copied < 8 << 10, `${access}: populate copied ${kib.copied} KiB`);
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
