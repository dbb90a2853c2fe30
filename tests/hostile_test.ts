/**
 * A program that patches the engine's own methods (a typed array's iterator,
 * `Array.prototype.includes`, `Math.min`...) for a moment and calls the
 * library meanwhile: the library answers as it would without the patch.
 * Each case restores what it patched before it asserts; none of them can
 * kill the process (the safety net below the library refuses any range
 * outside a map), so they run here, not in a child.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { MMap, Ring } from "../mod.ts";
import { tempDir } from "./_helpers.ts";

/** Runs `fn` with `obj[key]` replaced by `value`, then puts the original back. */
function patched<T>(obj: object, key: PropertyKey, value: unknown, fn: () => T): T {
  const saved = Object.getOwnPropertyDescriptor(obj, key);
  Object.defineProperty(obj, key, { value, writable: true, configurable: true });
  try {
    return fn();
  } finally {
    if (saved) Object.defineProperty(obj, key, saved);
    else delete (obj as Record<PropertyKey, unknown>)[key];
  }
}

/** Two files "abc" and "def", and their concatenation's cleanup. */
function twoFiles(): { paths: string[]; cleanup(): void } {
  const t = tempDir();
  const paths = [t.path("a"), t.path("b")];
  writeFileSync(paths[0]!, "abc");
  writeFileSync(paths[1]!, "def");
  return { paths, cleanup: t.cleanup };
}

describe("patched engine methods decide nothing", () => {
  it("MMapConcat's iteration yields the files' bytes whatever the array iterator says", () => {
    const f = twoFiles();
    try {
      using m = MMap.concat(f.paths);
      // Before: for...of over each chunk ran these, and yielded [0x58] or nothing.
      const lying = function* () {
        yield 0x58;
      };
      const seen = patched(Uint8Array.prototype, Symbol.iterator, lying, () => {
        const out: number[] = [];
        const it = m[Symbol.iterator]();
        for (let r = it.next(); !r.done; r = it.next()) out.push(r.value);
        return out;
      });
      assert.deepEqual(seen, [0x61, 0x62, 0x63, 0x64, 0x65, 0x66]);
      const arrayIterator = Object.getPrototypeOf([][Symbol.iterator]());
      const done = () => ({ done: true, value: undefined });
      const seenNoNext = patched(arrayIterator, "next", done, () => {
        const out: number[] = [];
        const it = m[Symbol.iterator]();
        for (let r = it.next(); !r.done; r = it.next()) out.push(r.value);
        return out;
      });
      assert.deepEqual(seenNoNext, [0x61, 0x62, 0x63, 0x64, 0x65, 0x66]);
    } finally {
      f.cleanup();
    }
  });

  it("a patched Array.prototype.includes lets no unknown option or wait strategy through", () => {
    using m = MMap.anonymous(4096);
    const yes = () => true;
    const no = () => false;
    const opened = patched(Array.prototype, "includes", yes, () => [
      tryName(() => MMap.anonymous(16, { bogus: 1 } as never)),
      tryName(() => new Ring(m, 0, 4096, { wait: "forever" as never })),
    ]);
    // Before: both were taken, the unknown option ignored and the strategy
    // an unknown name.
    assert.deepEqual(opened, ["TypeError", "TypeError"]);
    // And answering false turns no good option away.
    const kept = patched(Array.prototype, "includes", no, () => [
      tryName(() => MMap.anonymous(16, { shared: false }).close()),
      tryName(() => new Ring(m, 0, 4096, { wait: "spin" })),
    ]);
    assert.deepEqual(kept, ["ok", "ok"]);
  });
});

function tryName(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (e) {
    return (e as Error).name;
  }
}
