// What the README's "Lifetime and safety" says about files changed under a
// map by someone else, checked in a child process (a truncated file kills
// it). The three cases change no global and share one child: a crash there
// fails each of them, with the cases that had finished named.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { PAGESIZE } from "../mod.ts";
import { sharedCases, tempDir } from "./_helpers.ts";

const child = decodeURIComponent(new URL("./_truncate_child.ts", import.meta.url).pathname);
const t = tempDir("mmap-trunc-");
const run = sharedCases(child, ["truncate", "replace", "append"], [t.dir]);

describe("a file changed under its map by someone else", () => {
  after(() => t.cleanup());

  it("truncated: size() reports it, length does not change, and touching a lost page (a lock word too) is the fault error", () => {
    // The fault guard (ffi/guard/) keeps the process alive; fault_guard_test.ts has the rest.
    assert.deepEqual(run("truncate"), [
      { size: PAGESIZE, length: 3 * PAGESIZE, first: 7 },
      { error: "EIO", faulted: true, closed: false },
      // Mutex and Semaphore over a file cut to nothing: EIO, never a lock on a lost page.
      { lock: "EIO", tryLock: "EIO", acquire: "EIO", tryAcquire: "EIO", unlock: "EIO" },
    ]);
  });

  it("replaced by rename: the map keeps reading the old file", () => {
    assert.deepEqual(run("replace"), [{ size: 3 * PAGESIZE, length: 3 * PAGESIZE, first: 7 }, {
      last: 7,
    }]);
  });

  it("appended to: the map keeps its length and stays valid", () => {
    assert.deepEqual(run("append"), [{ size: 4 * PAGESIZE, length: 3 * PAGESIZE, first: 7 }, {
      last: 7,
    }]);
  });
});
