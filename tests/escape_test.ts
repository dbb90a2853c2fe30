// No buffer of the library's outlives its pages (issue 11, cases 1-3): every
// way standard JavaScript has to move a buffer away, then close(), resize()
// or collection of the map. Each case runs in a child process, so that a
// crash (SIGSEGV, exit 139) is an exit status asserted on here.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PAGESIZE } from "../mod.ts";
import { runtime, sharedCases, tempDirUntilExit } from "./_helpers.ts";

const child = decodeURIComponent(new URL("./_escape_child.ts", import.meta.url).pathname);
const SLOW = { timeout: 60_000 };

const flags = runtime === "deno" ? ["--allow-all", "--v8-flags=--expose-gc"] : [];
/** The children's folder: each case makes a folder of its own in it. */
const dir = tempDirUntilExit("mmap-escape-");

/**
 * The cases that change no global and need no collection or Worker share
 * one child (a child costs ~13 s under emulated Deno): a crash there fails
 * each of them, with the cases that had finished named.
 */
const PLAIN = [
  "close_bytes",
  "close_fixed",
  "close_clone",
  "close_view",
  "close_dataview",
  "resize",
  "resize_file",
  "concat",
  "big",
];
const plain = sharedCases(child, PLAIN, [dir], flags);

/** What case `how` saw, in a child of its own unless it is one of {@link PLAIN}. */
function run(how: string): unknown {
  return PLAIN.includes(how) ? plain(how) : sharedCases(child, [how], [dir], flags)(how);
}

/** What a moved buffer reads after its map is gone: zeros, stores go nowhere. */
const RETIRED = { length: PAGESIZE, before: [0, 0], after: 99, file: 7, mapped: false };

describe("buffers moved out of a map (issue 11, case 1)", () => {
  for (
    const [how, what] of [
      ["close_bytes", "bytes.buffer.transfer()"],
      ["close_fixed", "bytes.buffer.transferToFixedLength()"],
      ["close_clone", "structuredClone(bytes.buffer, { transfer })"],
      ["close_view", "the buffer of a view(), transferred"],
      ["close_dataview", "the buffer of a dataView(), structured-cloned"],
    ]
  ) {
    it(
      `${what}, then close(): the moved buffer reads zeros and never reaches the file`,
      SLOW,
      () => {
        assert.deepEqual(run(how), RETIRED);
      },
    );
  }

  it("postMessage(buffer, [buffer]) to a Worker, then close() in the sender", SLOW, () => {
    assert.deepEqual(run("worker"), { length: PAGESIZE, before: 0, after: 99, file: 7 });
  });

  it("a moved buffer outlives a map nobody closed, collected by the GC", SLOW, () => {
    assert.deepEqual(run("finalized"), RETIRED);
  });

  it(
    "resize() after a move keeps the map's bytes and leaves the moved buffer on zero pages",
    SLOW,
    () => {
      assert.deepEqual(run("resize"), { kept: [5, 5, 0], moved: [PAGESIZE, 0, 1] });
      assert.deepEqual(run("resize_file"), { kept: [7, 0, 2 * PAGESIZE], ...RETIRED });
    },
  );

  it("the bytes of a concatenation, moved, then close()", SLOW, () => {
    assert.deepEqual(run("concat"), { ...RETIRED, length: 2 * PAGESIZE });
  });

  it(
    "a map larger than one ArrayBuffer in Bun: a window moved, a lying length written",
    SLOW,
    () => {
      const seen = run("big") as { written: number; moved: number[] };
      assert.equal(seen.written, 2);
      // Deno cuts view() from one buffer over the whole map; Bun makes a window.
      const length = runtime === "bun" ? 2 * PAGESIZE : 2 ** 32 + PAGESIZE;
      assert.deepEqual(seen.moved, [length, 0]);
    },
  );
});

describe("prototype tampering (issue 11, case 2)", () => {
  it("a replaced transfer, detached getter and buffer getter do not keep views alive", SLOW, () => {
    assert.deepEqual(run("tamper_transfer"), { lengths: [0, 0], dataView: "TypeError" });
  });
});

describe("engine APIs patched after import", () => {
  it(
    "TypedArray methods, Buffer, Deno.UnsafePointerView, TextEncoder and Uint8Array spied on",
    SLOW,
    () => {
      assert.deepEqual(run("patched_apis"), {
        results: [4, 8, 3, 3, 1, 4, 1, 111],
        reads: true,
        file: 111,
      });
    },
  );
});

describe("lengths that lie (issue 11, case 3)", () => {
  it("own length properties, subclasses, Proxies and patched getters decide nothing", SLOW, () => {
    assert.deepEqual(run("lying"), {
      written: 3,
      tell: 3,
      found: [1, 1, 1],
      more: [2, 1, 3, 0],
      proxyError: "TypeError",
      patched: [2, 1],
    });
  });
});
