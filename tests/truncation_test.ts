// What the README's "Lifetime and safety" says about files changed under a
// map by someone else, checked in a child process (a truncated file kills it).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PAGESIZE } from "../mod.ts";
import { runScript, tempDir } from "./_helpers.ts";

const child = decodeURIComponent(new URL("./_truncate_child.ts", import.meta.url).pathname);

function run(how: string): ReturnType<typeof runScript> & { lines: unknown[] } {
  const t = tempDir("mmap-trunc-");
  try {
    const res = runScript(child, [t.path("f.bin"), how]);
    const lines = res.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    return { ...res, lines };
  } finally {
    t.cleanup();
  }
}

describe("a file changed under its map by someone else", () => {
  it("truncated: size() reports it, length does not change, and touching a lost page (a lock word too) is the fault error", () => {
    const res = run("truncate");
    // The fault guard (ffi/guard/) keeps the process alive; fault_guard_test.ts has the rest.
    assert.equal(res.status, 0, `${res.status} ${res.signal} ${res.stderr}`);
    assert.deepEqual(res.lines, [
      { size: PAGESIZE, length: 3 * PAGESIZE, first: 7 },
      { error: "EIO", faulted: true, closed: false },
      // Mutex and Semaphore over a file cut to nothing: EIO, never a lock on a lost page.
      { lock: "EIO", tryLock: "EIO", acquire: "EIO", tryAcquire: "EIO", unlock: "EIO" },
    ], res.stderr);
  });

  it("replaced by rename: the map keeps reading the old file", () => {
    const res = run("replace");
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(res.lines, [{ size: 3 * PAGESIZE, length: 3 * PAGESIZE, first: 7 }, {
      last: 7,
    }]);
  });

  it("appended to: the map keeps its length and stays valid", () => {
    const res = run("append");
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(res.lines, [{ size: 4 * PAGESIZE, length: 3 * PAGESIZE, first: 7 }, {
      last: 7,
    }]);
  });
});
