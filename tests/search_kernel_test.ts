// The search kernel's find and rfind (src/search_kernel.wat), called directly
// on a shared map's pages and through MMap: every alignment of a match to the
// kernel's 16-byte vectors and 128-candidate steps, needles of 1 to 300
// bytes, near misses that differ from the needle in one byte, overlapping
// partial matches, start and end bounds, the 1 MiB windows the kernel is
// called on, pages and the 1 MiB threshold, and a map closed or resized
// between calls. Every answer is checked against a plain JavaScript scan.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { ACCESS_WRITE, MMap } from "../mod.ts";
import { Mapping } from "../ffi/mapping.ts";
import { findInPlace, KERNEL_WINDOW, type PagesSource } from "../src/search_kernel.ts";
import { MAP_SHARED, PAGESIZE, PROT_READ, PROT_WRITE } from "../src/constants.ts";
import { EMULATION_TIME } from "./_emulation.ts";
import { plainFind, plainRfind, tempDir } from "./_helpers.ts";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 8;
}

/** A shared map of a new file holding `data`, searched by the kernel over the file's pages. */
interface Hay {
  m: Mapping;
  source: PagesSource;
  done(): void;
}

/**
 * `data` in a temporary file, mapped shared. The kernel maps the file's
 * pages (as for a read-only map), not the map's own: qemu-user cannot double
 * a map with mremap, so the kernel searches under emulation too. Stores
 * through `m` reach those pages through the page cache.
 */
function fileHay(data: Uint8Array): Hay {
  const t = tempDir("mmap-kernel-");
  const path = t.path("hay.bin");
  writeFileSync(path, data);
  const fd = openSync(path, "r+");
  const m = Mapping.map(data.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, path);
  return {
    m,
    source: { fd, offset: 0 },
    done() {
      m.unmap();
      closeSync(fd);
      t.cleanup();
    },
  };
}

/**
 * The scans over the places that can hold a match only: around each byte
 * equal to `rare`, a byte of the needle that the caller made absent
 * everywhere else (checked here), so that megabytes are scanned in a few ms.
 */
function sparseScans(hay: Uint8Array, rare: number) {
  const marks: number[] = [];
  for (let i = hay.indexOf(rare); i >= 0; i = hay.indexOf(rare, i + 1)) marks.push(i);
  assert.ok(marks.length < 1000, "the rare byte is not rare");
  const near = (needle: Uint8Array, start: number, end: number, dir: 1 | -1) => {
    assert.ok(needle.includes(rare));
    const order = dir === 1 ? marks : [...marks].reverse();
    for (const t of order) {
      const lo = Math.max(start, t - needle.length + 1), hi = Math.min(end, t + needle.length);
      const at = dir === 1 ? plainFind(hay, needle, lo, hi) : plainRfind(hay, needle, lo, hi);
      if (at >= 0) return at;
    }
    return -1;
  };
  return {
    find: (needle: Uint8Array, start: number, end: number) => near(needle, start, end, 1),
    rfind: (needle: Uint8Array, start: number, end: number) => near(needle, start, end, -1),
  };
}

/** First and last match of a needle in [start, end) of the haystack. */
interface Scans {
  find(needle: Uint8Array, start: number, end: number): number;
  rfind(needle: Uint8Array, start: number, end: number): number;
}

/** Kernel answers, checked against the scan; asserts the kernel did run. */
function check(
  { m, source }: Hay,
  hay: Uint8Array,
  needle: Uint8Array,
  start: number,
  end: number,
  scans?: Scans,
) {
  const f = findInPlace(m, needle, start, end, source, PAGESIZE);
  const r = findInPlace(m, needle, start, end, source, PAGESIZE, true);
  assert.notEqual(f, undefined, "the kernel did not search");
  const where = `needle of ${needle.length} in [${start}, ${end})`;
  const want = scans ?? {
    find: (n: Uint8Array, s: number, e: number) => plainFind(hay, n, s, e),
    rfind: (n: Uint8Array, s: number, e: number) => plainRfind(hay, n, s, e),
  };
  assert.equal(f, want.find(needle, start, end), `find: ${where}`);
  assert.equal(r, want.rfind(needle, start, end), `rfind: ${where}`);
}

/** Each needle of 1 to 300 bytes near the end, written through `w`, searched through `m`. */
function searchEach(w: MMap, m: MMap, hay: Uint8Array, size: number): void {
  const lengths = [1, 2, 3, 7, 15, 16, 17, 31, 63, 64, 65, 127, 128, 129, 200, 255, 256, 299, 300];
  for (const n of lengths) {
    const needle = Uint8Array.from(
      { length: n },
      (_, i) => (i % 5 === 2 ? 126 : 120 + (i % 3)),
    );
    const at = size - 4096 - n - (n % 17);
    const saved = hay.slice(at, at + n);
    hay.set(needle, at);
    w.seek(at);
    w.write(needle);
    for (
      const [s, e] of [[0, size], [0, at + n], [0, at + n - 1], [at + 1, size], [5, at + n]]
    ) {
      assert.equal(
        m.find(needle, s, e),
        plainFind(hay, needle, s, e),
        `find ${n} in [${s}, ${e})`,
      );
      assert.equal(
        m.rfind(needle, s, e),
        plainRfind(hay, needle, s, e),
        `rfind ${n} in [${s}, ${e})`,
      );
    }
    hay.set(saved, at);
    w.seek(at);
    w.write(saved);
  }
}

describe("the search kernel's find and rfind", () => {
  it(
    "find every needle of 2 to 300 bytes at every alignment, among near misses",
    EMULATION_TIME,
    () => {
      // One window per needle: copies of the needle with one byte changed
      // (each passes the two-byte filter or fails it late), then the needle
      // at each offset from 0 to 130 after a vector-aligned base, with both
      // bounds at, before and after the match.
      const size = 1 << 16;
      const hay = new Uint8Array(size);
      const h = fileHay(hay);
      const m = h.m;
      try {
        const rand = lcg(3);
        for (let n = 2; n <= 300; n++) {
          const alphabet = n % 3 === 0 ? "ab~" : n % 3 === 1 ? "xyz " : "q%e";
          const needle = Uint8Array.from(
            { length: n },
            () => alphabet.charCodeAt(rand() % alphabet.length),
          );
          const base = 256 + (n % 7) * 16;
          const span = 2 * n + 512;
          for (let i = 0; i < span; i += n) {
            const miss = needle.slice();
            const j = rand() % n;
            miss[j] = miss[j] ^ 1;
            hay.set(miss.subarray(0, Math.min(n, span - i)), base + i);
          }
          const offsets = n <= 40 ? 131 : 18; // every offset for short needles, 16-byte steps after
          for (let k = 0; k < offsets; k++) {
            const d = n <= 40 ? k : k * 8 + (k & 1);
            const saved = hay.slice(base + d, base + d + n);
            hay.set(needle, base + d);
            m.copyIn(base, hay.subarray(base, base + span + n));
            const at = base + d;
            for (
              const [s, e] of [
                [base - 200, base + span + n],
                [at, at + n],
                [at, at + n - 1],
                [at + 1, base + span + n],
                [base - 3, at + n + 1],
              ]
            ) check(h, hay, needle, s, e);
            hay.set(saved, base + d);
          }
          hay.fill(0, base - 200, base + span + n + 300);
          m.copyIn(0, hay);
        }
      } finally {
        h.done();
      }
    },
  );

  it("finds the first and last of overlapping and periodic matches", () => {
    const cases: [string, string][] = [
      ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "aab"],
      ["abababababababababababababababababab", "abab"],
      ["abcabcabcabcabcabdabcabcabcabcabcabd", "abcabcabd"],
      ["~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~", "~~"],
      ["xx%x%%x%x%%x%%%x%x%x%%%x", "%x%%"],
    ];
    for (const [text, sub] of cases) {
      for (const pad of [0, 1, 15, 16, 127, 128, 129, 4093]) {
        const hay = new Uint8Array(pad + text.length * 40 + 7);
        const enc = new TextEncoder().encode(text);
        for (let i = 0; i < 40; i++) hay.set(enc, pad + i * text.length);
        const h = fileHay(hay);
        try {
          const needle = new TextEncoder().encode(sub);
          check(h, hay, needle, 0, hay.length);
          check(h, hay, needle, pad + 1, hay.length - 3);
          check(h, hay, needle, pad + 5, pad + 5 + sub.length + 2);
        } finally {
          h.done();
        }
      }
    }
  });

  it(
    "matches across pages, at the ends of the map, and across its 1 MiB windows",
    EMULATION_TIME,
    () => {
      const size = 3 * KERNEL_WINDOW + 3 * PAGESIZE + 77;
      const hay = new Uint8Array(size);
      const rand = lcg(9);
      for (let i = 0; i < size; i++) hay[i] = 97 + (rand() % 4); // a-d
      const needle = new TextEncoder().encode("abcd~needle~dcba");
      const edges = [
        0,
        PAGESIZE - 5,
        KERNEL_WINDOW - 8,
        KERNEL_WINDOW - 1,
        KERNEL_WINDOW,
        2 * KERNEL_WINDOW - 15,
        size - KERNEL_WINDOW - 3, // a window edge counted from the end (rfind's)
        size - needle.length,
      ];
      const h = fileHay(hay);
      const m = h.m;
      try {
        for (const at of edges) {
          const saved = hay.slice(at, at + needle.length);
          hay.set(needle, at);
          m.copyIn(at, needle);
          const scans = sparseScans(hay, 126);
          for (
            const [s, e] of [[0, size], [at, size], [0, at + needle.length], [at + 1, size], [
              0,
              at + 15,
            ]]
          ) {
            check(h, hay, needle, s, e, scans);
          }
          hay.set(saved, at);
          m.copyIn(at, saved);
        }
        // Every edge at once: find gives the first, rfind the last, and each in turn from the others.
        for (const at of edges) hay.set(needle, at), m.copyIn(at, needle);
        const scans = sparseScans(hay, 126);
        check(h, hay, needle, 0, size, scans);
        check(h, hay, needle, 1, size - 1, scans);
        check(h, hay, needle, KERNEL_WINDOW - 7, size - needle.length + 15, scans);
        for (const at of edges) {
          check(h, hay, needle, at + 1, size, scans);
          check(h, hay, needle, 0, at + needle.length - 1, scans);
        }
        const common = hay.slice(1000, 1009); // occurs often
        check(h, hay, common, 0, size);
        check(h, hay, common, KERNEL_WINDOW - 3, KERNEL_WINDOW + 4096);
      } finally {
        h.done();
      }
    },
  );

  it(
    "through MMap: 1 to 300 bytes on long ranges, the same as on short ones",
    EMULATION_TIME,
    () => {
      const size = (1 << 20) + 4096 * 3 + 11;
      const rand = lcg(21);
      const hay = Uint8Array.from({ length: size }, () => 120 + (rand() % 3)); // x y z
      // Written through one map, searched through a read-only one (the kernel maps the
      // file's pages, also under qemu-user).
      const t = tempDir("mmap-kernel-");
      writeFileSync(t.path("hay.bin"), hay);
      try {
        using w = MMap.open(t.path("hay.bin"), { access: ACCESS_WRITE });
        using m = MMap.open(t.path("hay.bin"));
        searchEach(w, m, hay, size);
      } finally {
        t.cleanup();
      }
    },
  );

  it("a map closed or resized between searches is searched as it is now", () => {
    const needle = new TextEncoder().encode("~find-me~");
    const size = 2 << 20;
    const a = MMap.anonymous(size);
    a.seek(size - 100);
    a.write(needle);
    assert.equal(a.find(needle, 0), size - 100);
    assert.equal(a.rfind(needle, 0), size - 100);
    a.close();
    assert.throws(() => a.find(needle, 0), TypeError);
    assert.throws(() => a.rfind(needle, 0), TypeError);
    // A new map, perhaps at the same address, shows its own bytes, not the old ones.
    using b = MMap.anonymous(size);
    assert.equal(b.find(needle, 0), -1);
    assert.equal(b.rfind(needle, 0), -1);
    b.seek(5000);
    b.write(needle);
    assert.equal(b.find(needle, 0), 5000);
    assert.equal(b.rfind(needle, 0), 5000);

    const t = tempDir("mmap-kernel-");
    try {
      // A read-only file map: the kernel maps the file's pages (under qemu-user too).
      const path = t.path("resized.bin");
      writeFileSync(path, new Uint8Array(size).fill(97));
      {
        using ro = MMap.open(path);
        assert.equal(ro.find(needle, 0), -1);
        assert.equal(ro.rfind(needle, 0), -1);
      }
      // Resized (a shared file map; Linux cannot grow shared anonymous memory):
      // the kernel's copy of the pages follows the map.
      using f = MMap.open(path, { access: ACCESS_WRITE });
      f.seek(size - needle.length);
      f.write(needle);
      assert.equal(f.find(needle, 0), size - needle.length);
      {
        using ro = MMap.open(path); // a new map of the file sees the store
        assert.equal(ro.rfind(needle, 0), size - needle.length);
        assert.equal(ro.find(needle, 0, size - 1), -1);
      }
      f.resize(size * 2);
      f.seek(size * 2 - needle.length - 1);
      f.write(needle);
      assert.equal(f.rfind(needle, 0), size * 2 - needle.length - 1);
      assert.equal(f.find(needle, size - needle.length + 1), size * 2 - needle.length - 1);
      f.resize(size);
      assert.equal(f.rfind(needle, 0), size - needle.length);
      assert.equal(f.find(needle, size - needle.length + 1), -1);
      f.resize(size - 1); // the needle now runs past the end
      assert.equal(f.find(needle, 0), -1);
      assert.equal(f.rfind(needle, 0), -1);
      {
        using ro = MMap.open(path);
        assert.equal(ro.find(needle, 0), -1);
        assert.equal(ro.rfind(needle, 0), -1);
      }
    } finally {
      t.cleanup();
    }
  });
});
