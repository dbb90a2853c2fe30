// Strings the library takes apart itself (C paths, shared memory names,
// /proc/<pid>/stat) are read through String methods captured at load. Before
// the fix: a patched String.prototype.charCodeAt, or a Uint8Array species,
// made libc open another file than the path given (and checked against
// Deno's permissions); a patched includes let "a/b" through as a shared
// memory name; a patched TextDecoder decode made this live
// process look like a zombie, which is how a lock is taken from a dead owner.
// No case can kill the process: they run in-process, each patch undone
// before the case yields.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import process from "node:process";
import { dataValue, tempDir, withPatches } from "./_helpers.ts";
import { MMap } from "../mod.ts";
import { processAlive, threadIdentity } from "../ffi/futex.ts";

/** `withPatches` with a value for each property. */
const patched = <T>(patches: [object, PropertyKey, unknown][], fn: () => T): T =>
  withPatches(patches.map(([o, k, v]) => [o, k, dataValue(v)]), fn);

const firstByte = (path: string) => {
  const m = MMap.open(path);
  try {
    return String.fromCharCode(m.at(0));
  } finally {
    m.close();
  }
};

describe("patched String methods never change what the library reads a string as", () => {
  it("a patched charCodeAt or Uint8Array species never changes the path libc opens", () => {
    const t = tempDir("mmap-strings-");
    try {
      writeFileSync(t.path("a.bin"), "A");
      writeFileSync(t.path("b.bin"), "B");
      writeFileSync(t.path("é.bin"), "E");
      const charCodeAt = String.prototype.charCodeAt;
      const seen = patched([
        [String.prototype, "charCodeAt", function (this: string, i: number) {
          const c = charCodeAt.call(this, i);
          return c === 0x61 ? 0x62 : c; // a -> b
        }],
      ], () => firstByte(t.path("a.bin")));
      assert.equal(seen, "A");
      // ASCII leaves the path buffer holding b.bin; a species then kept the
      // non-ASCII path out of it, and b.bin was opened again.
      firstByte(t.path("b.bin"));
      class Elsewhere extends Uint8Array {
        constructor(_b: ArrayBufferLike, _o: number, n: number) {
          super(n);
        }
      }
      const species = patched(
        [[Uint8Array, Symbol.species, Elsewhere]],
        () => firstByte(t.path("é.bin")),
      );
      assert.equal(species, "E");
    } finally {
      t.cleanup();
    }
  });

  it("a patched includes or startsWith never lets a '/' into a shared memory name", () => {
    const err = patched([
      [String.prototype, "includes", () => false],
      [String.prototype, "startsWith", () => false],
      [String.prototype, "slice", () => "x"],
    ], () => {
      try {
        MMap.shared(`a/b-${process.pid}`, 4096, { create: true }).close();
        return "created";
      } catch (e) {
        return (e as Error).name;
      }
    });
    assert.equal(err, "TypeError");
  });

  it("a patched TextDecoder decode never makes this live process look dead", () => {
    const me = threadIdentity();
    const zombie = "1 (x) Z 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0";
    const alive = patched([
      [TextDecoder.prototype, "decode", () => zombie],
    ], () => processAlive(me.pid, me.start));
    assert.equal(alive, true);
  });
});
