// Every argument and option is read once, before anything is opened, and a
// call that throws leaves the file system as it found it (issue 11, cases 4
// and 7). The FIFO case runs in a child process with a deadline, since the
// old behaviour blocked forever in open(2).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import process from "node:process";
import { MMap, PAGESIZE } from "../mod.ts";
import { runtime, tempDir } from "./_helpers.ts";

/** An options object whose `key` getter answers `answers` in turn, counting reads. */
function twoFaced(
  base: object,
  key: string,
  ...answers: unknown[]
): { o: object; reads(): number } {
  let n = 0;
  const o = { ...base };
  Object.defineProperty(o, key, {
    enumerable: true,
    get: () => answers[Math.min(n++, answers.length - 1)],
  });
  return { o, reads: () => n };
}

describe("options read once (issue 11, case 4)", () => {
  it("MMap.open reads length once: a getter that turns bad later changes nothing", () => {
    const t = tempDir("mmap-once-");
    try {
      const path = t.path("new.bin");
      const bad = twoFaced({ create: true }, "length", "x", 1 << 20);
      assert.throws(() => MMap.open(path, bad.o), TypeError);
      assert.equal(bad.reads(), 1);
      assert.equal(existsSync(path), false, "a call that throws made no file");
      const good = twoFaced({ create: true, access: "write" }, "length", 1 << 20, "x");
      using m = MMap.open(path, good.o);
      assert.equal(good.reads(), 1);
      assert.equal(m.length, 1 << 20);
      assert.equal(statSync(path).size, 1 << 20);
    } finally {
      t.cleanup();
    }
  });

  it("every option of every call is read exactly once", () => {
    const t = tempDir("mmap-once-");
    try {
      const path = t.path("f.bin");
      writeFileSync(path, new Uint8Array(PAGESIZE));
      const reads: Record<string, number> = {};
      const counted = (values: Record<string, unknown>) => {
        const o = {};
        for (const [k, v] of Object.entries(values)) {
          Object.defineProperty(o, k, {
            enumerable: true,
            get: () => ((reads[k] = (reads[k] ?? 0) + 1), v),
          });
        }
        return o;
      };
      MMap.open(path, counted({ access: "write", length: 0, offset: 0, create: false })).close();
      MMap.anonymous(PAGESIZE, counted({ shared: false })).close();
      using m = MMap.open(path, { access: "write" });
      m.flush(0, PAGESIZE, counted({ async: false, invalidate: false }));
      assert.deepEqual(reads, {
        access: 1,
        length: 1,
        offset: 1,
        create: 1,
        shared: 1,
        async: 1,
        invalidate: 1,
      });
    } finally {
      t.cleanup();
    }
  });

  it("a create that fails leaves no new file: no length for a new file, or EFBIG", () => {
    const t = tempDir("mmap-once-");
    try {
      const path = t.path("new.bin");
      assert.throws(() => MMap.open(path, { create: true }), {
        name: "RangeError",
        message: /^cannot mmap an empty file; .*create: true, length/, // CPython's, then the hint
      });
      assert.equal(existsSync(path), false);
      assert.throws(() => MMap.open(path, { create: true, length: 2 ** 62 }), { code: "EFBIG" });
      assert.equal(existsSync(path), false);
    } finally {
      t.cleanup();
    }
  });
});

describe("smaller ones (issue 11, case 7)", () => {
  it("MMap.open on a FIFO answers at once with ENODEV instead of blocking", () => {
    const t = tempDir("mmap-fifo-");
    try {
      const fifo = t.path("fifo");
      assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
      const code = `import { MMap } from ${
        JSON.stringify(new URL("../mod.ts", import.meta.url).href)
      };
        for (const access of ["read", "write"]) {
          try { MMap.open(${JSON.stringify(fifo)}, { access }); console.log("mapped"); }
          catch (e) { console.log(e.code, e.message.includes("FIFO")); }
        }
        try { MMap.concat([${JSON.stringify(fifo)}]); } catch (e) { console.log(e.code); }`;
      const script = t.path("fifo.ts");
      writeFileSync(script, code);
      const args = runtime === "deno" ? ["run", "--allow-all", script] : [script];
      const res = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 30_000 });
      assert.equal(res.signal, null, "did not block");
      assert.equal(res.stdout, "ENODEV true\nENODEV true\nEINVAL\n", res.stderr);
    } finally {
      t.cleanup();
    }
  });

  it("character devices CPython maps still map: /dev/zero", () => {
    const fd = MMap.open("/dev/zero", { access: "copy", length: PAGESIZE });
    assert.equal(fd.at(PAGESIZE - 1), 0);
    fd.close();
  });

  it("segmentAt outside [0, length) is a RangeError, -1 from a failed find included", () => {
    const t = tempDir("mmap-seg-");
    try {
      writeFileSync(t.path("a"), "abc");
      writeFileSync(t.path("b"), "de");
      using c = MMap.concat([t.path("a"), t.path("b")]);
      assert.equal(c.segmentAt(4), 1);
      for (const bad of [-1, 5, -5]) assert.throws(() => c.segmentAt(bad), RangeError);
      assert.throws(() => c.segmentAt(c.find("absent")), /find\(\) returns -1/);
    } finally {
      t.cleanup();
    }
  });

  it("a length getter that closes the map during write() gives the closed-map TypeError", () => {
    const m = MMap.anonymous(16);
    const data = new Uint8Array(4);
    Object.defineProperty(data, "length", {
      get: () => (m.close(), 4),
    });
    // The getter is never asked (lengths come from the engine), so nothing closes.
    assert.equal(m.write(data), 4);
    assert.equal(m.closed, false);
    // A getter the library does run (an option's) that closes: the closed-map error.
    assert.throws(
      () =>
        m.flush(0, 16, {
          get async() {
            m.close();
            return false;
          },
        }),
      { name: "TypeError", message: "mmap closed or invalid" },
    );
  });
});
