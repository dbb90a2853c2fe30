// Copies whose source (or readInto target) is memory of the destination
// itself: a view of the same map, of the same concatenation, or of a second
// map of the same file (MAP_SHARED: the same pages at another address). The
// rule: the result is as if the whole source were read before any byte is
// written (memmove), whatever the step. Every expectation is computed on a
// plain copy of the bytes taken before the operation.
//
// CPython differs for a memoryview of the map: `m[::-1] = memoryview(m)` and
// `m[::2] = memoryview(m)[:n]` copy byte by byte from the live memory and give
// a mixture (a bytes source, `m[5:15]`, is a copy and is right).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { MMap, type MMapConcat, PAGESIZE } from "../mod.ts";
import { tempDir, withFile } from "./_helpers.ts";
import { uniqueName } from "./sync_helpers.ts";

const P = PAGESIZE;

/** Bytes that differ from their neighbours at every distance tried here. */
function patterned(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >> 8) + (i >> 16) * 7 + seed) & 0xff;
  return out;
}

/** `target[first], target[first + step], ...` = `src`, on a plain array. */
function assign(target: Uint8Array, first: number, step: number, src: Uint8Array): Uint8Array {
  for (let k = 0, i = first; k < src.length; k++, i += step) target[i] = src[k]!;
  return target;
}

/** `want` with `src` assigned at `first` by `step`; `src` is taken from `before`. */
function expected(before: Uint8Array, first: number, step: number, src: Uint8Array): Uint8Array {
  return assign(before.slice(), first, step, src.slice());
}

/** Equal bytes, or a message that names the first difference (not a dump of a MiB). */
function assertBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      assert.fail(`${what}: byte ${i} is ${got[i]}, expected ${want[i]}`);
    }
  }
}

/** Files of `parts` in a fresh directory, removed afterwards. */
function withFiles(parts: Uint8Array[], fn: (paths: string[]) => void): void {
  const t = tempDir("mmap-alias-concat-");
  try {
    const paths = parts.map((part, i) => {
      const path = t.path(`part-${i}`);
      writeFileSync(path, part);
      return path;
    });
    fn(paths);
  } finally {
    t.cleanup();
  }
}

/** The offsets of a copy of `n` bytes: source and destination overlapping every way. */
function moves(n: number): [number, number][] {
  const half = n >> 1;
  return [[0, 1], [1, 0], [0, half], [half, 0], [5, 5], [0, n], [n, 0]];
}

const SIZES = [64, 4096, 1 << 20];

describe("aliased copies: a source over the same map", () => {
  for (const shared of [true, false]) {
    it(`write() and setSlice() from a view of the map itself (anonymous, shared: ${shared})`, () => {
      for (const n of SIZES) {
        using m = MMap.anonymous(2 * n + 64, { shared });
        for (const [from, to] of moves(n)) {
          const before = patterned(m.length, n + from);
          m.bytes.set(before);
          m.seek(to);
          assert.equal(m.write(m.bytes.subarray(from, from + n)), n);
          assert.equal(m.tell(), to + n);
          const want = expected(before, to, 1, before.subarray(from, from + n));
          assertBytes(m.bytes, want, `write n ${n}: ${from} -> ${to}`);

          m.bytes.set(before);
          m.setSlice(to, to + n, m.bytes.subarray(from, from + n));
          assertBytes(m.bytes, want, `setSlice n ${n}: ${from} -> ${to}`);
        }
      }
    });
  }

  it("write() from other kinds of views of the map: a Uint16Array, a DataView, its ArrayBuffer", () => {
    const n = 8192;
    using m = MMap.anonymous(2 * n);
    const before = patterned(2 * n);
    m.bytes.set(before);
    m.seek(2);
    m.write(m.view(Uint16Array, 0, n / 2));
    let want = expected(before, 2, 1, before.subarray(0, n));
    assertBytes(m.bytes, want, "Uint16Array view");

    m.bytes.set(before);
    m.seek(100);
    m.write(m.dataView(0, n));
    want = expected(before, 100, 1, before.subarray(0, n));
    assertBytes(m.bytes, want, "DataView");

    // The whole buffer, written at 0: a copy onto itself changes nothing.
    m.bytes.set(before);
    m.seek(0);
    m.write(m.bytes.buffer);
    assertBytes(m.bytes, before, "its ArrayBuffer");
  });

  it("stepped setSlice() from a view of the map itself: step 2, 3, -1, -2", () => {
    for (const n of [64, 4096, 100_000]) {
      using m = MMap.anonymous(3 * n + 16);
      const len = m.length;
      const cases: [string, () => void, () => Uint8Array][] = [];
      const before = patterned(len, n);
      // m[0:2n:2] = m[0:n]
      cases.push([
        "m[0:2n:2] = m[0:n]",
        () => m.setSlice(0, 2 * n, m.bytes.subarray(0, n), 2),
        () => expected(before, 0, 2, before.subarray(0, n)),
      ]);
      // m[1:2n:2] = m[n/2 : n/2 + n]
      cases.push([
        "m[1:2n:2] = m[n/2:n/2+n]",
        () => m.setSlice(1, 2 * n, m.bytes.subarray(n / 2, n / 2 + n), 2),
        () => expected(before, 1, 2, before.subarray(n / 2, n / 2 + n)),
      ]);
      // m[::3] from the map's first bytes
      const thirds = Math.ceil(len / 3);
      cases.push([
        "m[::3] = m[0:len/3]",
        () => m.setSlice(null, null, m.bytes.subarray(0, thirds), 3),
        () => expected(before, 0, 3, before.subarray(0, thirds)),
      ]);
      // m[::-1] = m: the whole map reversed
      cases.push([
        "m[::-1] = m",
        () => m.setSlice(null, null, m.bytes, -1),
        () => before.slice().reverse(),
      ]);
      // m[n+9:9:-1] = m[0:n]: a reversed copy onto an overlapping range
      cases.push([
        "m[n+9:9:-1] = m[0:n]",
        () => m.setSlice(n + 9, 9, m.bytes.subarray(0, n), -1),
        () => expected(before, n + 9, -1, before.subarray(0, n)),
      ]);
      // m[2n:0:-2] = m[1:n+1]
      cases.push([
        "m[2n:0:-2] = m[1:n+1]",
        () => m.setSlice(2 * n, 0, m.bytes.subarray(1, n + 1), -2),
        () => expected(before, 2 * n, -2, before.subarray(1, n + 1)),
      ]);
      for (const [what, run, want] of cases) {
        m.bytes.set(before);
        run();
        assertBytes(m.bytes, want(), `n ${n}: ${what}`);
      }
    }
  });

  it("readInto() a view of the map itself, overlapping the range read, either way", () => {
    for (const n of SIZES) {
      using m = MMap.anonymous(2 * n + 64);
      for (const [from, to] of moves(n)) {
        const before = patterned(m.length, n);
        m.bytes.set(before);
        m.seek(from);
        assert.equal(m.readInto(m.bytes.subarray(to, to + n)), n);
        assert.equal(m.tell(), from + n);
        assertBytes(
          m.bytes,
          expected(before, to, 1, before.subarray(from, from + n)),
          `n ${n}: ${from} -> ${to}`,
        );
      }
    }
  });

  it("a file map: write() and setSlice(step -1) from its own view reach the file so", () => {
    const n = 3 * P;
    withFile(patterned(2 * n), (path) => {
      const before = patterned(2 * n);
      {
        using m = MMap.open(path, { access: "write" });
        m.seek(P + 1);
        m.write(m.bytes.subarray(P, P + n));
        m.setSlice(n - 1, null, m.bytes.subarray(0, n), -1); // m[n-1::-1] = m[0:n]
        m.flush();
      }
      const want = expected(before, P + 1, 1, before.subarray(P, P + n));
      assign(want, n - 1, -1, want.slice(0, n));
      using check = MMap.open(path);
      assertBytes(check.bytes, want, "the file");
    });
  });
});

describe("aliased copies: two maps of one file", () => {
  // Two MAP_SHARED maps of one file are the same pages at two addresses:
  // memmove cannot see that they overlap, and copied forward over bytes it
  // had yet to read (from 4 KiB on, here).
  for (const firstOpened of ["the destination", "the source"]) {
    it(`write(), setSlice() and readInto() from a view of the other map (${firstOpened} mapped first)`, () => {
      for (const n of [64, 4096, 1 << 20]) {
        const size = 2 * n + 2 * P;
        withFile(patterned(size, 1), (path) => {
          const a = firstOpened === "the destination" ? MMap.open(path, { access: "write" }) : null;
          using src = MMap.open(path, { access: "write" });
          using dst = a ?? MMap.open(path, { access: "write" });
          for (const [from, to] of moves(n)) {
            const before = patterned(size, from + to);
            dst.bytes.set(before);
            const want = expected(before, to, 1, before.subarray(from, from + n));
            dst.seek(to);
            dst.write(src.bytes.subarray(from, from + n));
            assertBytes(dst.bytes, want, `write n ${n}: ${from} -> ${to}`);

            dst.bytes.set(before);
            dst.setSlice(to, to + n, src.bytes.subarray(from, from + n));
            assertBytes(dst.bytes, want, `setSlice n ${n}: ${from} -> ${to}`);

            dst.bytes.set(before);
            dst.setSlice(
              to + n - 1,
              to === 0 ? null : to - 1,
              src.bytes.subarray(from, from + n),
              -1,
            );
            assertBytes(
              dst.bytes,
              expected(before, to + n - 1, -1, before.subarray(from, from + n)),
              `setSlice step -1 n ${n}: ${from} -> ${to}`,
            );

            dst.bytes.set(before);
            dst.seek(from);
            assert.equal(dst.readInto(src.bytes.subarray(to, to + n)), n);
            assertBytes(dst.bytes, want, `readInto n ${n}: ${from} -> ${to}`);
          }
        });
      }
    });
  }

  it("maps at different offsets of the file, and a read-only map as the source", () => {
    const n = 4 * P;
    withFile(patterned(3 * n, 2), (path) => {
      using dst = MMap.open(path, { access: "write" });
      using later = MMap.open(path, { access: "write", offset: P }); // file byte P is its byte 0
      using reader = MMap.open(path); // private, unwritten: the file's pages
      const before = patterned(3 * n, 3);
      dst.bytes.set(before);
      dst.seek(P + 10);
      dst.write(later.bytes.subarray(0, n)); // file [P, P + n) -> [P + 10, ...)
      let want = expected(before, P + 10, 1, before.subarray(P, P + n));
      assertBytes(dst.bytes, want, "a map from PAGESIZE");

      dst.bytes.set(before);
      dst.seek(3);
      dst.write(reader.bytes.subarray(0, n));
      want = expected(before, 3, 1, before.subarray(0, n));
      assertBytes(dst.bytes, want, "a read-only map");

      dst.bytes.set(before);
      dst.seek(0);
      dst.readInto(later.bytes.subarray(P, P + n)); // file [0, n) -> [2P, 2P + n)
      want = expected(before, 2 * P, 1, before.subarray(0, n));
      assertBytes(dst.bytes, want, "readInto a map from PAGESIZE");
    });
  });

  it("two MMap.shared maps of one name", () => {
    const name = uniqueName("mmap-alias");
    const n = 64 * 1024;
    try {
      using a = MMap.shared(name, 2 * n, { create: true });
      using b = MMap.shared(name);
      const before = patterned(2 * n, 4);
      a.bytes.set(before);
      a.seek(7);
      a.write(b.bytes.subarray(0, n));
      assertBytes(a.bytes, expected(before, 7, 1, before.subarray(0, n)), "write");
      a.bytes.set(before);
      a.setSlice(null, null, b.bytes, -1);
      assertBytes(a.bytes, before.slice().reverse(), "setSlice step -1");
    } finally {
      MMap.unlinkShared(name);
    }
  });

  it("ordinary sources are unchanged while a file is mapped twice", () => {
    const n = 4096;
    withFile(patterned(3 * n), (path) => {
      using a = MMap.open(path, { access: "write" });
      using _b = MMap.open(path, { access: "write" });
      const data = patterned(n, 9);
      a.seek(5);
      a.write(data);
      a.write(data.buffer);
      a.write("text");
      assertBytes(
        a.slice(5, 5 + 2 * n + 4),
        new Uint8Array([...data, ...data, 116, 101, 120, 116]),
        "bytes",
      );
      const into = new Uint8Array(n);
      a.seek(5);
      a.readInto(into);
      assertBytes(into, data, "readInto");
    });
  });
});

describe("aliased copies: MMapConcat", () => {
  /**
   * Every copy of `c` onto itself: `view(at, n)` is a view of `n` bytes at
   * the concatenation's offset `at` (of the concatenation, or of another map
   * of its files). `copies` are `[from, to, n]` with the source a view at
   * `from`; `reads` the same for readInto, with the target a view at `to`.
   */
  function concatCases(
    c: MMapConcat,
    before: Uint8Array,
    view: (at: number, n: number) => Uint8Array,
    copies: [number, number, number][],
    reads: [number, number, number][],
    label: string,
  ): void {
    for (const [from, to, n] of copies) {
      const want = expected(before, to, 1, before.subarray(from, from + n));
      c.setSlice(null, null, before);
      c.seek(to);
      assert.equal(c.write(view(from, n)), n);
      assertBytes(c.slice(), want, `${label} write ${from} -> ${to} (${n})`);

      c.setSlice(null, null, before);
      c.setSlice(to, to + n, view(from, n));
      assertBytes(c.slice(), want, `${label} setSlice ${from} -> ${to} (${n})`);

      c.setSlice(null, null, before);
      c.setSlice(to + n - 1, to === 0 ? null : to - 1, view(from, n), -1);
      assertBytes(
        c.slice(),
        expected(before, to + n - 1, -1, before.subarray(from, from + n)),
        `${label} setSlice step -1 ${from} -> ${to} (${n})`,
      );
    }
    for (const [from, to, n] of reads) {
      c.setSlice(null, null, before);
      c.seek(from);
      assert.equal(c.readInto(view(to, n)), n);
      assertBytes(
        c.slice(),
        expected(before, to, 1, before.subarray(from, from + n)),
        `${label} readInto ${from} -> ${to} (${n})`,
      );
    }
  }

  it("files in one address range: a view of the concatenation across two files", () => {
    withFiles([patterned(2 * P), patterned(2 * P, 1), patterned(P, 2)], (paths) => {
      using c = MMap.concat(paths, { access: "write" });
      const before = patterned(c.length, 5);
      concatCases(c, before, (from, n) => c.bytes.subarray(from, from + n), [
        [P, P + 100, 2 * P],
        [P + 100, P, 2 * P],
        [0, 1, 4 * P],
        [1, 0, 4 * P],
        [2 * P - 10, 2 * P + 10, 20],
      ], [
        [P, P + 100, 2 * P],
        [P + 100, P, 2 * P],
        [0, 1, 4 * P],
      ], "one range");
      // The whole concatenation reversed onto itself.
      c.setSlice(null, null, before);
      c.setSlice(null, null, c.bytes, -1);
      assertBytes(c.slice(), before.slice().reverse(), "m[::-1] = m");
    });
  });

  it("files in several ranges: a view inside one file copied across into the next", () => {
    // 5000-byte files end inside a page: each is its own range.
    withFiles([patterned(5000), patterned(5000, 1), patterned(5000, 2)], (paths) => {
      using c = MMap.concat(paths, { access: "write" });
      const before = patterned(c.length, 6);
      concatCases(c, before, (from, n) => c.view(Uint8Array, from, n), [
        [0, 3000, 4000],
        [1000, 0, 4000],
        [5000, 7000, 4000],
        [5000, 4000, 4000],
        [0, 1, 5000],
      ], [
        // Read across two files into a view inside one of them.
        [3000, 5000, 4000],
        [4000, 500, 4000],
        [9000, 10_100, 4000],
      ], "several ranges");
    });
  });

  for (const size of [2 * P, 5000]) {
    it(`a view of a separate MMap of one of its files (files of ${size} bytes)`, () => {
      withFiles([patterned(size), patterned(size, 1)], (paths) => {
        using c = MMap.concat(paths, { access: "write" });
        using second = MMap.open(paths[1]!, { access: "write" });
        const before = patterned(c.length, 7);
        const n = size - 200;
        // second's byte k is the concatenation's byte size + k.
        const view = (from: number, count: number) =>
          second.bytes.subarray(from - size, from - size + count);
        concatCases(c, before, view, [
          [size, size + 100, n],
          [size + 100, size, n],
          [size, size - 100, n],
          [size + 100, size + 99, n],
        ], [
          [size + 100, size, n],
          [size, size + 100, n],
          [size - 100, size + 50, n],
        ], "a separate map");
      });
    });
  }

  it("the same file twice: move() and write() between its two places", () => {
    withFiles([patterned(2 * P, 3)], (paths) => {
      using c = MMap.concat([paths[0]!, paths[0]!], { access: "write" });
      const file = patterned(2 * P, 8);
      c.setSlice(0, 2 * P, file);
      // Logical [0, 4000) is file [0, 4000); logical [2P + 100, ...) is file [100, ...).
      c.move(2 * P + 100, 0, 4000);
      let want = expected(file, 100, 1, file.subarray(0, 4000));
      assertBytes(c.slice(0, 2 * P), want, "move: the file");
      assertBytes(c.slice(2 * P), want, "move: the file, again");

      c.setSlice(0, 2 * P, file);
      c.move(0, 2 * P + 100, 4000);
      want = expected(file, 0, 1, file.subarray(100, 4100));
      assertBytes(c.slice(0, 2 * P), want, "move back");

      c.setSlice(0, 2 * P, file);
      c.seek(2 * P + 100);
      c.write(c.bytes.subarray(0, 4000));
      want = expected(file, 100, 1, file.subarray(0, 4000));
      assertBytes(c.slice(0, 2 * P), want, "write");
    });
  });
});
