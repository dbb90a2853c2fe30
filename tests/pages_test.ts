// The page arithmetic with the page sizes of every platform served: 4 KiB
// (x86_64), 16 KiB (Apple arm64, some aarch64 Linux kernels) and 64 KiB
// (other aarch64 Linux kernels). This machine's kernel has 4 KiB pages, so a
// layout made for larger pages is still valid here: its boundaries are
// multiples of 4 KiB too, and the maps below are real.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { MAP_SHARED, MS_SYNC, PAGESIZE, PROT_READ } from "../mod.ts";
import {
  alignedOffset,
  contiguousRuns,
  isPageMultiple,
  pageFloor,
  roundUpToPage,
} from "../src/pages.ts";
import { mapFiles } from "../src/concat_layout.ts";
import { type Piece, Pieces } from "../src/pieces.ts";
import type { Mapping } from "../ffi/mapping.ts";
import { concatBytes, tempDir } from "./_helpers.ts";

const KiB = 1024;
const PAGE_SIZES = [4 * KiB, 16 * KiB, 64 * KiB];

for (const page of PAGE_SIZES) {
  describe(`with ${page / KiB} KiB pages`, () => {
    it("rounds up, down and checks multiples by that page", () => {
      assert.deepEqual([0, 1, page - 1, page, page + 1].map((n) => roundUpToPage(n, page)), [
        0,
        page,
        page,
        page,
        2 * page,
      ]);
      assert.deepEqual([0, 1, page - 1, page, 2 * page + 5].map((n) => pageFloor(n, page)), [
        0,
        0,
        0,
        page,
        2 * page,
      ]);
      assert.equal(isPageMultiple(3 * page, page), true);
      // 4 KiB is a page on x86_64, but not on a 16 or 64 KiB kernel.
      assert.equal(isPageMultiple(4 * KiB, page), page === 4 * KiB);
    });

    it("accepts offsets that are multiples of the page, and names the page in the error", () => {
      assert.equal(alignedOffset(3 * page, page), 3 * page);
      assert.equal(alignedOffset(2n ** 40n, page), 2 ** 40);
      const off = page === 4 * KiB ? 2 * KiB : 4 * KiB;
      assert.throws(() => alignedOffset(off, page), {
        name: "RangeError",
        message: `offset must be a multiple of ALLOCATIONGRANULARITY (${page}), not ${off}`,
      });
      assert.throws(() => alignedOffset(BigInt(page + 1024), page), RangeError);
    });

    it("ends a run of concatenated files at each file that is not a multiple of the page", () => {
      const sizes = [page, 4 * KiB, 0, 2 * page, page + 1, page];
      const runs = contiguousRuns(sizes.map((size, i) => ({ size, i })), page);
      const expected = page === 4 * KiB ? [[0, 1, 3, 4], [5]] : [[0, 1], [3, 4], [5]];
      assert.deepEqual(runs.map((r) => r.map((f) => f.i)), expected);
    });

    it("lays out and maps MMap.concat's files by that page", () => {
      const t = tempDir("mmap-pages-");
      try {
        // 4 KiB and one page: contiguous with 4 KiB pages only.
        const parts = [4 * KiB, page, page + 3].map((n, k) =>
          new Uint8Array(n).map((_, i) => (i * 7 + k) & 0xff)
        );
        const paths = parts.map((p, k) => {
          writeFileSync(t.path(`f${k}`), p);
          return t.path(`f${k}`);
        });
        const layout = mapFiles(paths, false, PROT_READ, MAP_SHARED, page);
        const pieces = new Pieces(layout.pieces, 2 ** 32, page);
        try {
          assert.equal(layout.pieces.length, page === 4 * KiB ? 1 : 2);
          if (page === 4 * KiB) assert.equal(layout.split, null);
          else {
            assert.match(
              layout.split!,
              new RegExp(`is 4096 bytes, not a multiple of PAGESIZE \\(${page}\\)`),
            );
          }
          const all = concatBytes(parts);
          assert.deepEqual(pieces.copy(0, all.length), all);
          // A flush from inside a piece starts on the page boundary before it.
          pieces.sync(4 * KiB + 5, 10, MS_SYNC);
        } finally {
          pieces.release();
        }
      } finally {
        t.cleanup();
      }
    });

    it("starts msync and madvise ranges of a concatenation on that page's boundaries", () => {
      const calls: string[] = [];
      const recorder = (name: string) =>
        ({
          sync: (from: number, n: number) => calls.push(`${name} sync ${from} ${n}`),
          advise: (from: number, n: number) => calls.push(`${name} advise ${from} ${n}`),
        }) as unknown as Mapping;
      const list: Piece[] = [
        { start: 0, end: 3 * page, mapping: recorder("a") },
        { start: 3 * page, end: 5 * page + 10, mapping: recorder("b") },
      ];
      const pieces = new Pieces(list, 0, page);
      pieces.sync(page + 100, 2 * page, MS_SYNC);
      pieces.advise(4 * page + 1, 0, 0);
      assert.deepEqual(calls, [
        `a sync ${page} ${2 * page}`,
        `b sync 0 ${100}`,
        `b advise ${page} 0`,
      ]);
    });
  });
}

describe("this machine's page size", () => {
  it("is one of the page sizes tested here", () => {
    assert.ok(PAGE_SIZES.includes(PAGESIZE), `PAGESIZE ${PAGESIZE}`);
  });
});
