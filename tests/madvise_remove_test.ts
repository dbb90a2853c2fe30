// madvise(MADV_REMOVE) punches a hole in the FILE behind the map, and the
// kernel frees whole pages: a range that starts inside a page (an
// `align: true` map's was rounded down to the page boundary below it, before
// the map's own first byte), or that ends inside one, zeroed bytes of the
// file nobody named. Such a range is now EINVAL before any madvise(2), unless
// it ends at the end of the file, inside its last page: the kernel frees that
// page only up to the file's size (checked below on tmpfs and on this
// machine's tmpdir, ext4 or overlay). Every other advice acts as it did.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  MADV_DONTNEED,
  MADV_NORMAL,
  MADV_REMOVE,
  MADV_WILLNEED,
  MMap,
  MMapOSError,
  PAGESIZE as P,
} from "../mod.ts";
import { errnoValue } from "../ffi/errors.ts";
import type { Mapping } from "../ffi/mapping.ts";
import { type Piece, Pieces } from "../src/pieces.ts";
import { needsKernel } from "./_emulation.ts";

const EINVAL = errnoValue("EINVAL");
const linux = MADV_REMOVE !== -1;
const ONLY_LINUX = linux ? {} : { skip: "MADV_REMOVE is Linux's" };
/** Cases whose MADV_REMOVE reaches the kernel, which must really punch the hole. */
const PUNCHES = linux ? needsKernel("madviseAdvice") : ONLY_LINUX;

/** Byte i of a file is (i + seed) % 251 + 1: never 0, so a hole shows. */
function pattern(size: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => ((i + seed) % 251) + 1);
}

/** The zero bytes of `bytes` as [first, end) runs. */
function zeroRuns(bytes: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === i) last[1] = i + 1;
    else runs.push([i, i + 1]);
  }
  return runs;
}

/** The MMapOSError EINVAL the rule gives, before the kernel sees the call. */
function refused(what: "starts" | "ends", note?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof MMapOSError, `not an MMapOSError: ${e}`);
    assert.equal(e.errno, EINVAL);
    assert.equal(e.code, "EINVAL");
    assert.equal(e.syscall, "madvise");
    assert.equal(e.path, undefined);
    assert.match(e.message, /^\[Errno \d+\] Invalid argument \(EINVAL, madvise\): /);
    assert.match(e.message, /MADV_REMOVE frees whole pages of the file .* must be page-aligned/);
    assert.match(e.message, what === "starts" ? /starts inside a page/ : /ends inside a page/);
    if (note) assert.match(e.message, note);
    return true;
  };
}

/** The file systems to try: the tmpdir (ext4 or overlay here) and tmpfs (/dev/shm). */
const PLACES: [string, string][] = [["tmpdir", tmpdir()]];
if (existsSync("/dev/shm")) PLACES.push(["tmpfs", "/dev/shm"]);

for (const [fsName, base] of PLACES) {
  /** Calls `fn` with a path (no file yet) in a fresh folder on this file system, removed after. */
  const inFolder = (fn: (path: string) => void) => {
    const dir = mkdtempSync(join(base, "mmap-remove-"));
    try {
      fn(join(dir, "f.bin"));
    } finally {
      rmSync(dir, { recursive: true });
    }
  };

  describe(`MMap.madvise(MADV_REMOVE) on ${fsName}`, () => {
    it(
      "refuses a range that ends inside a page before the file's end; the file is unchanged",
      ONLY_LINUX,
      () => {
        inFolder((path) => {
          const data = pattern(3 * P);
          writeFileSync(path, data);
          const blocks = statSync(path).blocks;
          {
            using m = MMap.open(path, { access: "write" });
            // CPython zeroes bytes 0 to PAGESIZE of the file for the first of these.
            for (const [start, length] of [[0, 100], [P, P + 100], [0, 3 * P - 1], [2 * P, 1]]) {
              assert.throws(() => m.madvise(MADV_REMOVE, start, length), refused("ends"));
            }
            assert.deepEqual(m.slice(), data);
          }
          assert.deepEqual(new Uint8Array(readFileSync(path)), data);
          assert.equal(statSync(path).blocks, blocks);
        });
      },
    );

    it("refuses a range that starts inside a page, also an empty one", ONLY_LINUX, () => {
      inFolder((path) => {
        const data = pattern(3 * P);
        writeFileSync(path, data);
        {
          using m = MMap.open(path, { access: "write" });
          const ranges: [number, number | null][] = [[10, P - 10], [10, P], [P + 1, 0], [
            P - 1,
            null,
          ]];
          for (const [start, length] of ranges) {
            assert.throws(() => m.madvise(MADV_REMOVE, start!, length), refused("starts"));
          }
        }
        assert.deepEqual(new Uint8Array(readFileSync(path)), data);
      });
    });

    it("punches aligned ranges: zeros read back, the rest stays, st_blocks drops", PUNCHES, () => {
      inFolder((path) => {
        const data = pattern(4 * P);
        writeFileSync(path, data);
        const blocks = statSync(path).blocks;
        {
          using m = MMap.open(path, { access: "write" });
          m.madvise(MADV_REMOVE, P, P);
          m.madvise(MADV_REMOVE, 3 * P, 0); // empty and aligned: nothing happens
          // Before any read through the map: on tmpfs a read fault on a hole takes a page.
          if (blocks > 0) assert.ok(statSync(path).blocks < blocks, `${statSync(path).blocks}`);
          assert.deepEqual(zeroRuns(m.slice()), [[P, 2 * P]]);
        }
        const now = new Uint8Array(readFileSync(path));
        assert.equal(now.length, 4 * P);
        assert.deepEqual(zeroRuns(now), [[P, 2 * P]]);
        assert.deepEqual(now.subarray(0, P), data.subarray(0, P));
        assert.deepEqual(now.subarray(2 * P), data.subarray(2 * P));
      });
    });

    it("takes a range that ends at the end of the file, inside its last page", PUNCHES, () => {
      inFolder((path) => {
        const size = 2 * P + 100;
        const data = pattern(size);
        writeFileSync(path, data);
        const blocks = statSync(path).blocks;
        {
          using m = MMap.open(path, { access: "write" });
          m.madvise(MADV_REMOVE, P); // to the end of the map, which is the file's
          if (blocks > 0) assert.ok(statSync(path).blocks < blocks, `${statSync(path).blocks}`);
          assert.deepEqual(zeroRuns(m.slice()), [[P, size]]);
        }
        const now = new Uint8Array(readFileSync(path));
        assert.equal(now.length, size, "the file keeps its size");
        assert.deepEqual(zeroRuns(now), [[P, size]]);
        assert.deepEqual(now.subarray(0, P), data.subarray(0, P));
        // The whole file, by default; and a map shorter than a page.
        writeFileSync(path, data);
        {
          using m = MMap.open(path, { access: "write" });
          m.madvise(MADV_REMOVE);
        }
        assert.deepEqual(zeroRuns(new Uint8Array(readFileSync(path))), [[0, size]]);
        writeFileSync(path, pattern(10));
        {
          using m = MMap.open(path, { access: "write" });
          m.madvise(MADV_REMOVE, 0, 10);
        }
        assert.deepEqual(zeroRuns(new Uint8Array(readFileSync(path))), [[0, 10]]);
      });
    });

    it(
      "refuses the map's end when it is no longer the file's: the file grew, or is longer",
      ONLY_LINUX,
      () => {
        inFolder((path) => {
          const size = 2 * P + 100;
          writeFileSync(path, pattern(size));
          {
            using m = MMap.open(path, { access: "write" });
            appendFileSync(path, "appended after the map was made");
            // The kernel would punch [P, 3P) of the file: the new bytes too.
            assert.throws(
              () => m.madvise(MADV_REMOVE, P),
              refused("ends", new RegExp(`the file is ${size + 31} bytes now`)),
            );
          }
          assert.equal(readFileSync(path, "latin1").slice(size), "appended after the map was made");
          assert.deepEqual(zeroRuns(new Uint8Array(readFileSync(path))), []);
          // A map that ends before the file does, inside a page.
          writeFileSync(path, pattern(3 * P));
          {
            using m = MMap.open(path, { access: "write", length: P + 5 });
            assert.throws(() => m.madvise(MADV_REMOVE), refused("ends"));
          }
          assert.deepEqual(zeroRuns(new Uint8Array(readFileSync(path))), []);
        });
      },
    );

    it(
      "refuses an end inside the last page of a trackfd: false map: no descriptor to ask",
      ONLY_LINUX,
      () => {
        inFolder((path) => {
          writeFileSync(path, pattern(P + 100));
          const fd = openSync(path, "r+");
          try {
            using m = new MMap(fd, 0, { trackfd: false });
            assert.throws(() => m.madvise(MADV_REMOVE), refused("ends", /trackfd: false/));
          } finally {
            closeSync(fd);
          }
          assert.deepEqual(zeroRuns(new Uint8Array(readFileSync(path))), []);
        });
      },
    );

    it(
      "align: true maps: never from the page boundary below the map's first byte",
      ONLY_LINUX,
      () => {
        inFolder((path) => {
          const data = pattern(3 * P);
          writeFileSync(path, data);
          {
            // Before: the whole file went, bytes 0-9 (before the map) included.
            using m = MMap.open(path, { access: "write", offset: 10, align: true });
            assert.throws(() => m.madvise(MADV_REMOVE), refused("starts"));
            assert.throws(() => m.madvise(MADV_REMOVE, 0, 0), refused("starts"));
            // Before: an empty range at 5 punched the first page.
            assert.throws(() => m.madvise(MADV_REMOVE, 5, 0), refused("starts"));
            assert.throws(() => m.madvise(MADV_REMOVE, P - 10, 100), refused("ends"));
            // Other advice still acts from the page boundary below, as it did.
            m.madvise(MADV_DONTNEED, 3, 5);
            m.madvise(MADV_NORMAL, 1);
            m.madvise(MADV_WILLNEED, 7, 0);
            assert.deepEqual(m.slice(), data.subarray(10));
          }
          assert.deepEqual(new Uint8Array(readFileSync(path)), data);
        });
      },
    );

    it("align: true maps punch a range that starts on a page boundary of the file", PUNCHES, () => {
      inFolder((path) => {
        const size = 3 * P + 100;
        const data = pattern(size);
        writeFileSync(path, data);
        {
          using m = MMap.open(path, { access: "write", offset: P - 10, align: true });
          m.madvise(MADV_REMOVE, 10, P); // file bytes [P, 2P)
          m.madvise(MADV_REMOVE, P + 10); // [2P, end of file): its last page, to its end
          assert.deepEqual(zeroRuns(m.slice()), [[10, size - P + 10]]);
        }
        const now = new Uint8Array(readFileSync(path));
        assert.deepEqual(zeroRuns(now), [[P, size]]);
        assert.deepEqual(now.subarray(0, P), data.subarray(0, P));
      });
    });
  });
}

describe("MMap.madvise(MADV_REMOVE) on anonymous memory", () => {
  it("refuses an end inside a page before the map's end, and the bytes stay", ONLY_LINUX, () => {
    using m = MMap.anonymous(2 * P);
    m.write(pattern(2 * P));
    assert.throws(() => m.madvise(MADV_REMOVE, 0, 100), refused("ends"));
    assert.throws(() => m.madvise(MADV_REMOVE, 1, P - 1), refused("starts"));
    assert.deepEqual(m.slice(), pattern(2 * P));
  });

  it("takes the map's end, inside its last page: the memory ends there", PUNCHES, () => {
    using m = MMap.anonymous(P + 100);
    m.write(pattern(P + 100));
    m.madvise(MADV_REMOVE, P);
    assert.deepEqual(zeroRuns(m.slice()), [[P, P + 100]]);
    m.madvise(MADV_REMOVE);
    assert.deepEqual(zeroRuns(m.slice()), [[0, P + 100]]);
  });
});

/** Files a (one page), b (a page and 100 bytes), c (50 bytes): pieces [a, b] and [c]. */
function threeFiles(base = tmpdir()) {
  const dir = mkdtempSync(join(base, "mmap-remove-concat-"));
  const sizes = [P, P + 100, 50];
  const paths = ["a", "b", "c"].map((n) => join(dir, n));
  const data = sizes.map((n, i) => pattern(n, 7 * i));
  const write = () => paths.forEach((p, i) => writeFileSync(p, data[i]!));
  write();
  return {
    paths,
    data,
    write,
    /** Each file's zero runs. */
    holes: () => paths.map((p) => zeroRuns(new Uint8Array(readFileSync(p)))),
    unchanged: () =>
      paths.forEach((p, i) => assert.deepEqual(new Uint8Array(readFileSync(p)), data[i])),
    cleanup: () => rmSync(dir, { recursive: true }),
  };
}

describe("MMapConcat.madvise(MADV_REMOVE), file by file", () => {
  it(
    "refuses, before any file is touched, a range that breaks the rule in any file",
    ONLY_LINUX,
    () => {
      const f = threeFiles();
      try {
        {
          using m = MMap.concat(f.paths, { access: "write" });
          const b0 = P, c0 = 2 * P + 100;
          assert.throws(() => m.madvise(MADV_REMOVE, 0, 100), refused("ends"));
          assert.throws(() => m.madvise(MADV_REMOVE, b0, P + 50), refused("ends"));
          // b's part may go (it ends at b's end); c's part ends inside c's page: none goes.
          assert.throws(() => m.madvise(MADV_REMOVE, 2 * P, 120), refused("ends"));
          assert.throws(() => m.madvise(MADV_REMOVE, c0 + 1), refused("starts"));
          assert.throws(() => m.madvise(MADV_REMOVE, 5, 0), refused("starts"));
          assert.throws(() => m.madvise(MADV_REMOVE, c0 + 5, 0), refused("starts"));
          // Other advice still acts from each file's page boundary, as it did.
          m.madvise(MADV_DONTNEED, 5, 2 * P);
          m.madvise(MADV_NORMAL, c0 + 1, 0);
        }
        f.unchanged();
      } finally {
        f.cleanup();
      }
    },
  );

  it("punches each file's part to the end of the file, inside its last page", PUNCHES, () => {
    const f = threeFiles();
    try {
      {
        using m = MMap.concat(f.paths, { access: "write" });
        m.madvise(MADV_REMOVE, 2 * P); // b's second page, to b's end, and all of c
        assert.deepEqual(zeroRuns(m.slice()), [[2 * P, m.length]]);
      }
      assert.deepEqual(f.holes(), [[], [[P, P + 100]], [[0, 50]]]);
      assert.deepEqual(readFileSync(f.paths[1]!).length, P + 100);
      f.write();
      {
        using m = MMap.concat(f.paths, { access: "write" });
        m.madvise(MADV_REMOVE, 0, 2 * P + 100); // a and b, whole
        m.madvise(MADV_REMOVE, 2 * P + 100, 0); // empty, at c's start
      }
      assert.deepEqual(f.holes(), [[[0, P]], [[0, P + 100]], []]);
      f.write();
      {
        using m = MMap.concat(f.paths, { access: "write" });
        m.madvise(MADV_REMOVE);
      }
      assert.deepEqual(f.holes(), [[[0, P]], [[0, P + 100]], [[0, 50]]]);
    } finally {
      f.cleanup();
    }
  });

  it("refuses a file's end once the file grew or its path names another file", ONLY_LINUX, () => {
    for (const [fsName, base] of PLACES) {
      const f = threeFiles(base);
      try {
        {
          using m = MMap.concat(f.paths, { access: "write" });
          appendFileSync(f.paths[2]!, "new");
          assert.throws(
            () => m.madvise(MADV_REMOVE),
            refused("ends", /"[^"]*\/c" is 53 bytes now, not the 50 mapped/),
            fsName,
          );
        }
        assert.equal(readFileSync(f.paths[2]!, "latin1").slice(50), "new");
        f.write();
        {
          using m = MMap.concat(f.paths, { access: "write" });
          // b moves away (the map still holds it) and another file takes its name.
          renameSync(f.paths[1]!, f.paths[1]! + ".old");
          writeFileSync(f.paths[1]!, f.data[1]!);
          assert.throws(
            () => m.madvise(MADV_REMOVE, 0, 2 * P + 100),
            refused("ends", /names another file now/),
          );
          rmSync(f.paths[1]!);
          assert.throws(
            () => m.madvise(MADV_REMOVE, 0, 2 * P + 100),
            refused("ends", /cannot be asked/),
          );
          renameSync(f.paths[1]! + ".old", f.paths[1]!);
        }
        f.unchanged();
      } finally {
        f.cleanup();
      }
    }
  });
});

describe("Pieces.advise(MADV_REMOVE) with each platform's page size", () => {
  for (const page of [4096, 16384, 65536]) {
    it(`checks every piece before advising any (${page / 1024} KiB pages)`, ONLY_LINUX, () => {
      const calls: string[] = [];
      const recorder = (name: string) =>
        ({
          advise: (from: number, n: number, advice: number, endsFile: boolean) =>
            calls.push(
              `${name} ${from} ${n} ${advice === MADV_REMOVE ? "remove" : advice} ${endsFile}`,
            ),
        }) as unknown as Mapping;
      let bGrew = false;
      const list: Piece[] = [
        { start: 0, end: 2 * page, mapping: recorder("a") },
        {
          start: 2 * page,
          end: 3 * page + 10,
          mapping: recorder("b"),
          endCheck: () => bGrew ? "grew" : null,
        },
        { start: 3 * page + 10, end: 3 * page + 20, mapping: recorder("c") },
      ];
      const pieces = new Pieces(list, 0, page);
      pieces.advise(page, 2 * page + 10, MADV_REMOVE);
      assert.deepEqual(calls.splice(0), [
        `a ${page} ${page} remove true`,
        `b 0 ${page + 10} remove true`,
      ]);
      bGrew = true;
      assert.throws(() => pieces.advise(0, 3 * page + 10, MADV_REMOVE), refused("ends", /grew/));
      // c has no endCheck: its end cannot be shown to be its file's.
      bGrew = false;
      assert.throws(
        () => pieces.advise(0, 3 * page + 20, MADV_REMOVE),
        refused("ends", /cannot be checked/),
      );
      assert.throws(() => pieces.advise(2 * page + 1, page, MADV_REMOVE), refused("starts"));
      assert.deepEqual(calls, [], "no piece was advised");
      // Other advice: from each piece's page boundary, as before.
      pieces.advise(page + 1, page, MADV_DONTNEED);
      assert.deepEqual(calls, [
        `a ${page} ${page} ${MADV_DONTNEED} false`,
        `b 0 1 ${MADV_DONTNEED} false`,
      ]);
    });
  }
});
