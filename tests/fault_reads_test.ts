/**
 * A read that meets a page the fault guard replaced (the file was cut under
 * the map) errors instead of handing out the zeros it read: here the chunks
 * of `stream()`, which used to deliver one chunk of zeros as if it were the
 * file before the next pull threw. The cases run in child processes: those
 * that change no global share one (a crash there fails each of them, with
 * the cases that had finished named); the one that patches
 * Array.prototype.push has its own.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MMap, PAGESIZE } from "../mod.ts";
import { sharedCases } from "./_helpers.ts";

const child = new URL("./_fault_reads_child.ts", import.meta.url).pathname;
const guarded = MMap.faultGuard.active;

const flags = ["--allow-all", "--no-check"];
const plain = sharedCases(
  child,
  ["stream", "byob", "ring", "ring-wait", "ring-warm", "helper"],
  [],
  flags,
);
const alone = sharedCases(child, ["push"], [], flags);

/** What case `how` saw, in the shared child unless it patches a global. */
function run(how: string): unknown {
  return how === "push" ? alone(how) : plain(how);
}

describe(
  "reads that meet a cut file",
  { skip: !guarded && "the fault guard is not active here" },
  () => {
    for (const how of ["stream", "byob"]) {
      it(`${how}: the page that is gone errors the stream (EIO), no chunk of zeros`, () => {
        assert.deepEqual(run(how), {
          chunks: [[PAGESIZE, 1, 1]],
          error: "EIO",
          faulted: true,
        });
      });
    }

    it("a Ring whose file is cut: every call is the map's EIO, none says empty or sent", () => {
      const eio = { error: "EIO" };
      assert.deepEqual(run("ring"), {
        tryPop: eio,
        tryPush: eio,
        peek: eio,
        popMany: eio,
        popInto: eio,
        popManyInto: eio,
        tryPushMany: eio,
        pushManyFrom: eio,
        reserve: eio,
        faulted: true,
      });
    });

    it("a Ring's fast paths (the arrays of their last call again) on a cut file: EIO", () => {
      const eio = { error: "EIO" };
      assert.deepEqual(run("ring-warm"), { popInto: eio, push: eio, faulted: true });
    });

    it("a Ring waiting for a message when its file is cut: EIO, not RingCorruptError", () => {
      assert.deepEqual(run("ring-wait"), { seen: { error: "EIO" }, faulted: true });
    });

    it("a file cut under a search the helper thread shares: EIO, from its thread too", () => {
      const eio = { error: "EIO" };
      assert.deepEqual(run("helper"), { seen: [eio, eio, eio], helped: true, faulted: true });
    });

    it("a replaced Array.prototype.push does not hide a fault (the map still says EIO)", () => {
      assert.deepEqual(run("push"), { seen: { error: "EIO" }, faulted: true });
    });
  },
);
