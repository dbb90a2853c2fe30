// The search kernel's helper thread (src/search_helper.ts): find and rfind
// over ranges long enough to be shared between this thread and the helper,
// with matches in any chunk, in several, across two and at the ends,
// checked against a plain scan of the places that can hold a match; the
// helper must have taken part, and must not keep a process alive.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { writeFileSync } from "node:fs";
import { ACCESS_WRITE, MMap } from "../mod.ts";
import {
  HELPED_MIN,
  KERNEL_WINDOW,
  searchHelperReady,
  searchHelperWakes,
} from "../src/search_kernel.ts";
import { EMULATION_TIME } from "./_emulation.ts";
import { runScript, tempDir } from "./_helpers.ts";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 8;
}

/** The first or last match in [start, end), looking only around the planted places. */
function expected(
  planted: number[],
  hay: Uint8Array,
  needle: Uint8Array,
  start: number,
  end: number,
  last: boolean,
): number {
  const fits = planted.filter((p) => p >= start && p + needle.length <= end)
    .filter((p) => needle.every((b, i) => hay[p + i] === b));
  if (!fits.length) return -1;
  return last ? Math.max(...fits) : Math.min(...fits);
}

/** Searches `m` (whose file `hay` writes to) with needles planted in every chunk and edge. */
function shareAndCheck(hay: Uint8Array, m: MMap, before: number): void {
  const size = hay.length;
  const rand = lcg(4);
  const block = Uint8Array.from({ length: 1 << 16 }, () => 97 + (rand() % 3)); // a-c
  for (let i = 0; i < size; i += block.length) hay.set(block.subarray(0, size - i), i);
  const needle = new TextEncoder().encode("ab~the-needle~ca");
  const n = needle.length;
  const W = KERNEL_WINDOW; // the chunks the two threads take, from the start or the end
  const places = [0, 5000, W - n, W - 3, W - 1, W, 2 * W + 7, 5 * W - 1, size - W - 2, size - n];
  const ranges: [number, number][] = [[0, size], [1, size - 1], [3, size - 5], [W + 17, size]];
  let searched = 0;
  const run = (planted: number[]) => {
    for (const p of planted) hay.set(needle, p);
    for (const [s, e] of ranges) {
      if (e - s < HELPED_MIN) continue;
      searched++;
      const where = `[${s}, ${e}) with ${planted}`;
      assert.equal(
        m.find(needle, s, e),
        expected(planted, hay, needle, s, e, false),
        `find ${where}`,
      );
      assert.equal(
        m.rfind(needle, s, e),
        expected(planted, hay, needle, s, e, true),
        `rfind ${where}`,
      );
    }
    for (const p of planted) hay.set(Uint8Array.from({ length: n }, () => 98), p);
  };
  run([]);
  for (const p of places) run([p]); // one match, in any chunk or across two
  run([5000, size - 70_000]);
  run([W - 3, 2 * W + 7, 5 * W - 1]); // in several chunks
  run(places.filter((_, i) => i % 3 === 0));
  const helped = searchHelperReady(0) - before;
  assert.equal(helped, 2 * searched, "the helper took part in every search");
}

describe("the search helper thread", () => {
  it("shares long searches and finds what a plain scan finds", EMULATION_TIME, () => {
    const before = searchHelperReady(60_000);
    assert.ok(before >= 0, "no helper thread started");
    const size = HELPED_MIN + 3 * KERNEL_WINDOW + 4096 * 5 + 13;
    // Written through a shared map, searched through a read-only one: the kernel maps the
    // file's pages (qemu-user cannot double a shared map's pages with mremap).
    const t = tempDir("mmap-helper-");
    writeFileSync(t.path("hay.bin"), new Uint8Array(size));
    try {
      using w = MMap.open(t.path("hay.bin"), { access: ACCESS_WRITE });
      using m = MMap.open(t.path("hay.bin"));
      shareAndCheck(w.bytes, m, before);
    } finally {
      t.cleanup();
    }
  });

  it("never makes a search wait for a helper that has not started on it", EMULATION_TIME, () => {
    assert.ok(searchHelperReady(60_000) >= 0, "no helper thread started");
    const size = HELPED_MIN + 2 * KERNEL_WINDOW;
    const needle = new TextEncoder().encode("~late-helper~");
    const hay = new Uint8Array(size);
    hay.set(needle, size - 100);
    const t = tempDir("mmap-helper-late-");
    writeFileSync(t.path("hay.bin"), hay);
    try {
      using m = MMap.open(t.path("hay.bin"));
      // A helped search just before: the helper now sleeps with its whole idle wait (10 s)
      // ahead of it, which a search that waited for it to wake would sit out.
      let start = performance.now();
      assert.equal(m.find(needle), size - 100);
      const woken = performance.now() - start;
      const takenBack = searchHelperWakes(false);
      start = performance.now();
      let found: number;
      try {
        found = m.find(needle);
      } finally {
        searchHelperWakes(true);
      }
      const asleep = performance.now() - start;
      assert.equal(found, size - 100);
      assert.equal(searchHelperWakes(true), takenBack + 1, "the search was taken back");
      assert.ok(
        asleep < 3 * woken + 2_000,
        `a search with the helper asleep took ${asleep.toFixed(0)} ms (${woken.toFixed(0)} woken)`,
      );
      // And the helper still works afterwards.
      const before = searchHelperReady(60_000);
      assert.equal(m.rfind(needle), size - 100);
      assert.equal(searchHelperReady(0), before + 1);
    } finally {
      t.cleanup();
    }
  });

  it("sleeps when idle and does not keep a process alive", EMULATION_TIME, () => {
    const child = fileURLToPath(new URL("./_search_helper_child.ts", import.meta.url));
    const r = runScript(child);
    const ended = Date.now();
    assert.equal(r.status, 0, r.stderr);
    const { doneAt, idleCpuMs, ...out } = JSON.parse(r.stdout);
    const at = (32 << 20) - 1000;
    // The first search starts the helper; the next two have it.
    assert.deepEqual(out, { first: at, second: at, last: at, helped: 2 });
    // A helper stays awake at most 2 ms after a search: one that spun on would have used up
    // to 500 ms of CPU in the child's 500 ms asleep (210 and 300 of 400 on a busy machine).
    assert.ok(idleCpuMs < 100, `${idleCpuMs} ms of CPU in 500 ms asleep`);
    // An idle helper waits 10 s for work before it ends by itself: had it kept the process
    // alive, the process would have ended 10 s or more after its last line.
    assert.ok(ended - doneAt < 8_000, `the process ended ${ended - doneAt} ms after its program`);
  });
});
