import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { MMap, MMapConcat, MMapOSError, PAGESIZE } from "../mod.ts";
import {
  b,
  collectGarbage,
  concatBytes,
  fileBytes,
  hex,
  openFdCount,
  tempDir,
  text,
} from "./_helpers.ts";

/** Writes each part to its own file in a fresh directory; returns the paths and all bytes. */
function files(parts: (string | Uint8Array)[]): {
  paths: string[];
  all: Uint8Array;
  cleanup(): void;
} {
  const t = tempDir("mmap-concat-");
  const paths = parts.map((part, i) => {
    const path = t.path(`part-${String(i).padStart(4, "0")}`);
    writeFileSync(path, part);
    return path;
  });
  const bytes = parts.map((p) => (typeof p === "string" ? b(p) : p));
  return { paths, all: concatBytes(bytes), cleanup: t.cleanup };
}

/** A deterministic pseudo-random generator (xorshift32). */
function rng(seed: number): (n: number) => number {
  let x = seed | 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/** Bytes from a small alphabet, so that needles repeat. */
function randomBytes(next: (n: number) => number, n: number, alphabet = "ab\n"): Uint8Array {
  return Uint8Array.from({ length: n }, () => alphabet.charCodeAt(next(alphabet.length)));
}

/** Reference search on a plain array: first/last match in `[start, end)`. */
function refFind(all: Uint8Array, needle: Uint8Array, start: number, end: number, last = false) {
  let found = -1;
  for (let i = start; i + needle.length <= end; i++) {
    let k = 0;
    while (k < needle.length && all[i + k] === needle[k]) k++;
    if (k === needle.length) {
      if (!last) return i;
      found = i;
    }
  }
  return found;
}

function refCount(all: Uint8Array, needle: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (
    let i = refFind(all, needle, start, end);
    i >= 0;
    i = refFind(all, needle, i + needle.length, end)
  ) n++;
  return n;
}

/** Checks find/rfind/count of every needle of `all` of length 1..maxLen at boundary-centred starts. */
function checkSearches(m: MMapConcat, all: Uint8Array, boundaries: number[], maxLen: number): void {
  for (const edge of boundaries) {
    for (let len = 1; len <= maxLen; len++) {
      for (let off = -len + 1; off <= 0; off++) {
        const at = edge + off;
        if (at < 0 || at + len > all.length) continue;
        const needle = all.slice(at, at + len);
        const where = `needle ${JSON.stringify(text(needle))} at ${at}`;
        assert.equal(m.find(needle, 0), refFind(all, needle, 0, all.length), `find ${where}`);
        assert.equal(m.find(needle, at), at, `find from its start, ${where}`);
        assert.equal(
          m.find(needle, at + 1),
          refFind(all, needle, at + 1, all.length),
          `find after, ${where}`,
        );
        assert.equal(
          m.rfind(needle, 0),
          refFind(all, needle, 0, all.length, true),
          `rfind ${where}`,
        );
        assert.equal(
          m.rfind(needle, 0, at + len),
          refFind(all, needle, 0, at + len, true),
          `rfind up to, ${where}`,
        );
        assert.equal(m.count(needle, 0), refCount(all, needle, 0, all.length), `count ${where}`);
      }
    }
  }
}

type Target = MMap | MMapConcat;
type Call = [string, (t: Target) => unknown];

/** What a call gave, as plain data: views as `{ Type: hex }`, errors as "Class: message". */
function outcome(t: Target, op: (t: Target) => unknown): unknown {
  try {
    const x = op(t);
    if (!ArrayBuffer.isView(x)) return x;
    return { [x.constructor.name]: hex(new Uint8Array(x.buffer, x.byteOffset, x.byteLength)) };
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

/** An argument as a test name shows it. */
function show(x: unknown): string {
  if (typeof x === "bigint") return `${x}n`;
  if (typeof x === "string") return JSON.stringify(x);
  if (typeof x === "function") return x.name || "function";
  if (Object.is(x, -0)) return "-0";
  if (x instanceof ArrayBuffer || ArrayBuffer.isView(x)) {
    return `${x.constructor.name}(${x.byteLength})`;
  }
  if (typeof x === "object" && x !== null) return JSON.stringify(x);
  return String(x);
}

/** Values of a wrong type for any argument. */
const WRONG_TYPES: readonly unknown[] = ["1", "", true, null, undefined, {}, []];

/** Values no integer argument takes, and integers beyond every map. */
const NOT_INTS: readonly unknown[] = [
  ...[1.5, -0.5, NaN, Infinity, -Infinity, -0, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 63],
  ...[-(2 ** 63), 2 ** 64, 1e300, 0n, 1n, -1n, 2n ** 63n - 1n, 2n ** 63n, -(2n ** 63n), 2n ** 64n],
  ...[-(2n ** 63n) - 1n, ...WRONG_TYPES],
];

/** Needles: bytes in every form, byte values in and out of range, wrong types. */
const NEEDLES: readonly unknown[] = [
  ...["x\n", "zz", "y", "\nx", "xyz\nz", "", "", b("zy"), new Uint8Array(0), b("\nz").buffer],
  ...[new Uint16Array([0x7a79]), new DataView(b("x\n").buffer), 120, 10, 0, 255, 256, -1, 1.5],
  ...[NaN, 120n, 300n, -1n, ...WRONG_TYPES],
];

const WHENCES: readonly unknown[] = [
  ...[0, 1, 2, 0, 1, 2, 3, -1, 2 ** 31, 2 ** 32, -(2 ** 31) - 1, 1.5, NaN, 1n, 2n, 2n ** 64n],
  ...WRONG_TYPES,
];

const STEPS: readonly unknown[] = [
  ...[1, 2, -1, -3, 0, 7, -PAGESIZE, 1.5, NaN, 2n, -1n, 2 ** 63, 2n ** 64n, ...WRONG_TYPES],
];

/** Byte values for `writeByte` and `set`. */
const BYTES: readonly unknown[] = [
  ...[0, 65, 255, 256, -1, 1.5, NaN, Infinity, 65n, 256n, -1n, 2n ** 64n, 2 ** 63, 2 ** 64],
  ...[-(2 ** 63), ...WRONG_TYPES],
];

/**
 * `madvise` advice: harmless valid values, invalid ones the kernel refuses,
 * values beyond a C int, wrong types (never MADV_HWPOISON and the like).
 */
const ADVICE: readonly unknown[] = [
  ...[0, 1, 2, 3, 999, -1, 2 ** 31, 2 ** 32, -(2 ** 31) - 1, 1.5, NaN, 1n, ...WRONG_TYPES],
];

const FLUSH_OPTIONS: readonly unknown[] = [
  ...[undefined, null, {}, { async: true }, { invalidate: true }, { async: 1 }, { bogus: true }],
  ...[{ async: true, invalidate: true }, "x", [], 5],
];

/** A subclass whose element size is 0: `view()` must refuse it, never divide by it. */
class ZeroSized extends Uint8Array {}
Object.defineProperty(ZeroSized, "BYTES_PER_ELEMENT", { value: 0 });

/** `view()` types: typed arrays, and things that are not one. */
const VIEW_TYPES: readonly unknown[] = [
  ...[Uint8Array, Uint8Array, Uint16Array, Int32Array, Float64Array, BigInt64Array, DataView],
  ...[ZeroSized, { BYTES_PER_ELEMENT: 1 }, 1.5, () => 0, ...WRONG_TYPES],
];

/**
 * Random calls of every method that takes arguments, most of them hostile:
 * fractions, NaN, huge Numbers and BigInts, wrong types, null, negatives,
 * unknown `whence` and advice values, empty needles past the end. Integers
 * that reach `msync`/`madvise` as offsets are page-aligned, because a
 * concatenation flushes and advises each file from its page boundary (see
 * `flush()`), where `MMap` hands the kernel the unaligned address.
 */
function hostileCalls(next: (n: number) => number, len: number, write: boolean) {
  const pick = <T>(items: readonly T[]): T => items[next(items.length)];
  const int = (): unknown => {
    const k = next(10);
    if (k < 5) return next(len + 41) - 20 - (next(4) === 0 ? len : 0);
    if (k < 8) return pick([0, 1, -1, 2, len, len - 1, len + 1, -len, -len - 1, PAGESIZE]);
    return pick(NOT_INTS);
  };
  /** An offset the kernel sees: page-aligned when it is an integer in range. */
  const aligned = (): unknown => {
    const x = next(3) ? pick([0, PAGESIZE, 2 * PAGESIZE, BigInt(PAGESIZE), -PAGESIZE]) : int();
    const n = typeof x === "bigint" ? Number(x) : x;
    const fits = typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= len;
    return fits && n % PAGESIZE !== 0 ? 0 : x;
  };
  const bytesOf = (n: number): unknown => {
    const data = randomBytes(next, n, "XY\n");
    switch (next(5)) {
      case 0:
        return text(data);
      case 1:
        return data.buffer;
      case 2:
        return new DataView(data.buffer);
      case 3:
        return n % 2 ? data : new Uint16Array(data.buffer);
      default:
        return data;
    }
  };
  const data = (n: number): unknown => (next(8) ? bytesOf(n) : pick([42, 1n, ...WRONG_TYPES]));
  /** A count/offset pair that fits, for calls whose interesting part is past the checks. */
  const fitting = (): [number, number] => {
    const n = next(Math.min(len, 40) + 1);
    return [n, next(len - n + 1)];
  };
  return {
    call(m: MMap): Call {
      // deno-lint-ignore no-explicit-any
      type Any = any;
      const k = next(26);
      switch (k) {
        case 0: {
          const n = int();
          return [`read(${show(n)})`, (t) => t.read(n as Any)];
        }
        case 1:
          return ["readline()", (t) => t.readline()];
        case 2:
          return ["readByte()", (t) => t.readByte()];
        case 3: {
          const d = data(next(3) ? next(6) : len - m.tell() + next(3) - 1);
          return [`write(${show(d)})`, (t) => t.write(d as Any)];
        }
        case 4: {
          const v = pick(BYTES);
          return [`writeByte(${show(v)})`, (t) => t.writeByte(v as Any)];
        }
        case 5: {
          const [p, w] = [int(), pick(WHENCES)];
          return [`seek(${show(p)}, ${show(w)})`, (t) => t.seek(p as Any, w as Any)];
        }
        case 6: {
          const i = int();
          return [`at(${show(i)})`, (t) => t.at(i as Any)];
        }
        case 7: {
          const [i, v] = [int(), pick(BYTES)];
          return [`set(${show(i)}, ${show(v)})`, (t) => t.set(i as Any, v as Any)];
        }
        case 8:
        case 9: {
          const [a, z, s] = [int(), int(), pick(STEPS)];
          return [
            `slice(${show(a)}, ${show(z)}, ${show(s)})`,
            (t) => t.slice(a as Any, z as Any, s as Any),
          ];
        }
        case 10:
        case 11: {
          const [a, z, s] = [int(), int(), pick(STEPS)];
          let n = next(5);
          try {
            // Mostly data of the slice's own length, so that the write happens.
            if (next(5)) n = m.slice(a as Any, z as Any, s as Any).length;
          } catch { /* the arguments are wrong anyway */ }
          const d = data(n);
          return [
            `setSlice(${show(a)}, ${show(z)}, ${show(d)}, ${show(s)})`,
            (t) => t.setSlice(a as Any, z as Any, d as Any, s as Any),
          ];
        }
        case 12:
        case 13: {
          const [sub, a, z] = [pick(NEEDLES), int(), int()];
          const how = pick(["find", "rfind", "count"] as const);
          const args = pick([[], [a], [a, z], [undefined, z]]);
          return [
            `${how}(${[sub, ...args].map(show).join(", ")})`,
            (t) => (t[how] as (...x: unknown[]) => number)(sub, ...args),
          ];
        }
        case 14: {
          const sub = pick(NEEDLES);
          return [`includes(${show(sub)})`, (t) => t.includes(sub as Any)];
        }
        case 15: {
          const [n, at] = fitting();
          const [d, s, c] = next(2) ? [at, next(len - n + 1), n] : [int(), int(), int()];
          return [
            `move(${show(d)}, ${show(s)}, ${show(c)})`,
            (t) => t.move(d as Any, s as Any, c as Any),
          ];
        }
        case 16: {
          // Read and copy maps flush nothing: any offset gets past the checks.
          const o = write ? aligned() : int();
          const [n, opts] = [next(2) ? int() : undefined, pick(FLUSH_OPTIONS)];
          return [
            `flush(${show(o)}, ${show(n)}, ${show(opts)})`,
            (t) => t.flush(o as Any, n as Any, opts as Any),
          ];
        }
        case 17:
        case 18: {
          const [a, s, n] = [pick(ADVICE), aligned(), pick([undefined, 0, int(), int()])];
          return [
            `madvise(${show(a)}, ${show(s)}, ${show(n)})`,
            (t) => t.madvise(a as Any, s as Any, n as Any),
          ];
        }
        case 19:
        case 20: {
          const type = pick(VIEW_TYPES);
          const o = next(2) ? 8 * next(len / 8 + 2) : int();
          const n = next(3) ? next(64) : int();
          const args = pick([[], [o], [o, n]]);
          return [
            `view(${[type, ...args].map(show).join(", ")})`,
            (t) => (t.view as (...x: unknown[]) => unknown)(type, ...args),
          ];
        }
        case 21: {
          const [o, n] = [int(), next(2) ? next(64) : int()];
          return [`dataView(${show(o)}, ${show(n)})`, (t) => t.dataView(o as Any, n as Any)];
        }
        case 22:
        case 23: {
          // Empty needles from the end and past it: bytes.count does not clamp.
          const sub = pick(["", new Uint8Array(0), new ArrayBuffer(0)]);
          const a = pick([
            len,
            len + 1,
            len + 7,
            -1,
            -len,
            -len - 1,
            2 ** 53,
            2n ** 63n - 1n,
            2n ** 70n,
          ]);
          const z = pick([undefined, len, len + 1, 0, -1]);
          const how = pick(["find", "rfind", "count"] as const);
          return [
            `${how}(${show(sub)}, ${show(a)}, ${show(z)})`,
            (t) => (t[how] as (...x: unknown[]) => number)(sub, a, z),
          ];
        }
        case 24:
          return ["tell()", (t) => t.tell()];
        default:
          return ["length", (t) => t.length];
      }
    },
  };
}

/** The offsets where one file ends and the next begins. */
function edges(m: MMapConcat): number[] {
  return m.segments.slice(1).map((s) => s.start);
}

describe("MMap.concat", () => {
  it("maps page-multiple files into one range with one zero-copy bytes view", () => {
    const f = files([
      new Uint8Array(PAGESIZE).fill(0x61),
      new Uint8Array(2 * PAGESIZE).fill(0x62),
      "the tail",
    ]);
    try {
      using m = MMap.concat(f.paths, { access: "write" });
      assert.ok(m instanceof MMapConcat);
      assert.equal(m.contiguous, true);
      assert.equal(m.length, 3 * PAGESIZE + 8);
      assert.deepEqual(m.bytes, f.all);
      assert.equal(m.bytes, m.bytes, "the same view each time");
      // A store through the view reaches the file that holds the byte.
      m.bytes[3 * PAGESIZE] = 0x54;
      m.bytes[PAGESIZE - 1] = 0x21;
      m.flush();
      assert.equal(readFileSync(f.paths[2], "utf8"), "The tail");
      assert.equal(readFileSync(f.paths[0])[PAGESIZE - 1], 0x21);
      // Views over the one range may cross files.
      const cross = m.view(Uint8Array, PAGESIZE - 2, 4);
      assert.deepEqual([...cross], [0x61, 0x21, 0x62, 0x62]);
      assert.equal(cross.buffer, m.bytes.buffer);
    } finally {
      f.cleanup();
    }
  });

  it("describes which file holds which bytes, empty files included", () => {
    const f = files(["", "abc", "", "", "de", ""]);
    try {
      using m = MMap.concat(f.paths);
      assert.deepEqual(
        m.segments.map((s) => [s.start, s.end]),
        [[0, 0], [0, 3], [3, 3], [3, 3], [3, 5], [5, 5]],
      );
      assert.deepEqual(m.segments.map((s) => s.path), f.paths);
      assert.deepEqual([0, 1, 2, 3, 4].map((i) => m.segmentAt(i)), [1, 1, 1, 4, 4]);
      assert.throws(() => m.segmentAt(5), {
        name: "RangeError",
        message: "segmentAt offset 5 is outside the concatenation (0 to 4)",
      });
      assert.throws(() => (m.segments as unknown as { path: string }[])[0].path = "x", TypeError);
      assert.equal(text(m.read()), "abcde");
      assert.equal(m.find("cd", 0), 2);
    } finally {
      f.cleanup();
    }
  });

  it("refuses bytes over files of odd sizes and says which file and why", () => {
    const f = files(["abc", "defg", "h"]);
    try {
      using m = MMap.concat(f.paths);
      assert.equal(m.contiguous, false);
      assert.throws(() => m.bytes, (e: Error) => {
        assert.ok(e instanceof RangeError);
        assert.match(e.message, /bytes is unavailable/);
        assert.ok(e.message.includes(f.paths[0]), e.message);
        assert.ok(e.message.includes(`multiple of PAGESIZE (${PAGESIZE})`), e.message);
        return true;
      });
      assert.equal(text(m.read()), "abcdefgh");
      assert.equal(text(m.view(Uint8Array, 3, 4)), "defg", "a view inside one file works");
      assert.throws(
        () => m.view(Uint8Array, 2, 2),
        RangeError,
        "a view across files cannot be one range",
      );
      assert.equal(text(m.slice(-3)), "fgh");
      assert.equal(m.at(-1), 0x68);
    } finally {
      f.cleanup();
    }
  });

  it("groups page-multiple runs between odd files into shared ranges", () => {
    const page = (c: string) => new Uint8Array(PAGESIZE).fill(c.charCodeAt(0));
    const f = files([page("a"), "odd", page("b"), page("c"), "end"]);
    try {
      using m = MMap.concat(f.paths);
      assert.equal(m.contiguous, false);
      // "a"-page + "odd" share a range, as do the "b" and "c" pages + "end".
      assert.equal(m.view(Uint8Array, PAGESIZE - 1, 4)[1], 0x6f);
      const second = PAGESIZE + 3;
      assert.equal(m.view(Uint8Array, second + PAGESIZE - 1, 2)[1], 0x63);
      assert.throws(() => m.view(Uint8Array, PAGESIZE + 2, 2), RangeError);
      assert.deepEqual(m.slice(), f.all);
      checkSearches(m, f.all, edges(m), 5);
    } finally {
      f.cleanup();
    }
  });

  it("finds needles straddling every boundary of page-multiple files", () => {
    const next = rng(7);
    const parts = [1, 1, 2, 1].map((pages) => randomBytes(next, pages * PAGESIZE));
    parts.push(randomBytes(next, 77));
    const f = files(parts);
    try {
      using m = MMap.concat(f.paths);
      assert.equal(m.contiguous, true);
      checkSearches(m, f.all, edges(m), 9);
    } finally {
      f.cleanup();
    }
  });

  it("finds needles straddling every boundary of odd-sized files, through several tiny ones", () => {
    const next = rng(11);
    const sizes = [5, 1, 1, 0, 1, 3, 2, 1, 1, 1, 0, 7, 4, 1, 9];
    const f = files(sizes.map((n) => randomBytes(next, n)));
    try {
      using m = MMap.concat(f.paths);
      assert.equal(m.contiguous, false);
      checkSearches(m, f.all, edges(m), 12);
      // A needle spanning eight files.
      const needle = f.all.slice(4, 16);
      assert.equal(m.find(needle, 4), 4);
      assert.equal(m.rfind(needle, 0, 16), refFind(f.all, needle, 0, 16, true));
    } finally {
      f.cleanup();
    }
  });

  it("searches hundreds of small files as one, with start/end anywhere", () => {
    const next = rng(1234);
    const parts = Array.from({ length: 300 }, () => randomBytes(next, next(12), "abc\n"));
    const f = files(parts);
    try {
      const before = openFdCount();
      using m = MMap.concat(f.paths);
      assert.equal(openFdCount(), before, "no descriptor stays open");
      assert.equal(m.segments.length, 300);
      assert.deepEqual(m.slice(), f.all);
      const all = f.all;
      for (let trial = 0; trial < 400; trial++) {
        const at = next(all.length);
        const len = 1 + next(6);
        const needle = at + len <= all.length ? all.slice(at, at + len) : b("abca");
        const s = next(all.length + 20) - 10;
        const e = next(all.length + 20) - 10;
        const [cs, ce] = [s, e].map((i) =>
          Math.min(all.length, Math.max(0, i < 0 ? i + all.length : i))
        );
        assert.equal(m.find(needle, s, e), refFind(all, needle, cs, ce), `find ${s} ${e}`);
        assert.equal(m.rfind(needle, s, e), refFind(all, needle, cs, ce, true), `rfind ${s} ${e}`);
        assert.equal(m.count(needle, s, e), refCount(all, needle, cs, ce), `count ${s} ${e}`);
      }
      assert.equal(m.count("\n", 0), all.filter((x) => x === 10).length);
      m.seek(0);
      const lines: string[] = [];
      for (let line = m.readline(); line.length; line = m.readline()) lines.push(text(line));
      assert.equal(lines.join(""), text(all));
      assert.deepEqual(lines, text(all).split(/(?<=\n)/).filter(Boolean));
    } finally {
      f.cleanup();
    }
  });

  it("behaves as MMap over one file holding the same bytes, call for call", () => {
    const next = rng(99);
    const parts = [PAGESIZE, 13, 0, PAGESIZE + 5, 1, 2, 300].map((n) =>
      randomBytes(next, n, "xy\nz")
    );
    const f = files(parts);
    const whole = files([f.all]);
    try {
      for (const split of [f.paths, [f.paths[0], f.paths[2]]]) {
        // Second round: a single file (and an empty one) against the same single file.
        const joined = split === f.paths ? whole.paths[0] : f.paths[0];
        using c = MMap.concat(split);
        using m = MMap.open(joined);
        const len = m.length;
        assert.equal(c.length, len);
        type Target = MMap | MMapConcat;
        const ops: [string, (t: Target) => unknown][] = [];
        for (let i = 0; i < 300; i++) {
          const x = next(len + 40) - 20;
          const y = next(len + 40) - 20;
          const needle = ["x\n", "zz", "y", "\nx", "xyz\nz", ""][next(6)];
          const step = [1, 2, -1, -3, 0][next(5)];
          const whence = next(3) as 0 | 1 | 2;
          const choices: [string, (t: Target) => unknown][] = [
            [`read(${x})`, (t) => t.read(x)],
            ["readline()", (t) => t.readline()],
            [`seek(${x}, ${whence})`, (t) => t.seek(x, whence)],
            [`find(${needle}, ${x}, ${y})`, (t) => t.find(needle, x, y)],
            [`rfind(${needle}, ${x}, ${y})`, (t) => t.rfind(needle, x, y)],
            [`count(${needle}, ${x})`, (t) => t.count(needle, x)],
            [`at(${x})`, (t) => t.at(x)],
            [`slice(${x}, ${y}, ${step})`, (t) => t.slice(x, y, step)],
            ["readByte()", (t) => t.readByte()],
            [`find(${needle})`, (t) => t.find(needle)],
          ];
          ops.push(choices[next(choices.length)]);
        }
        for (const [name, op] of ops) {
          assert.deepEqual(outcome(c, op), outcome(m, op), name);
          assert.equal(c.tell(), m.tell(), `position after ${name}`);
        }
      }
    } finally {
      f.cleanup();
      whole.cleanup();
    }
  });

  it("gives MMap's results and errors for hostile arguments, over one file and over several", () => {
    // Each layout against MMap over one file holding the same bytes, in every
    // access mode, on fresh files each time (writes change them).
    const layouts: [string, number[]][] = [
      ["several files in one range", [PAGESIZE, 2 * PAGESIZE, 0, 77]],
      ["several files in several ranges", [PAGESIZE, 13, 0, PAGESIZE + 5, 1, 2, 300]],
      ["one file", [PAGESIZE + 99]],
    ];
    const next = rng(2024);
    let compared = 0;
    for (const [layout, sizes] of layouts) {
      for (const access of ["read", "write", "copy"] as const) {
        const f = files(sizes.map((n) => randomBytes(next, n, "xy\nz")));
        const whole = files([f.all]);
        try {
          {
            using c = MMap.concat(f.paths, { access });
            using m = MMap.open(whole.paths[0], { access });
            const calls = hostileCalls(next, m.length, access === "write");
            for (let i = 0; i < 400; i++) {
              const [name, op] = calls.call(m);
              const where = `${layout}, ${access}, call ${i}: ${name}`;
              const got = outcome(c, op);
              const want = outcome(m, op);
              // Not an argument rule: a view may not cross from one address
              // range into the next, where MMap's memory is one range.
              const crossing = typeof got === "string" &&
                got.includes("not in one address range") && typeof want !== "string";
              if (!crossing) {
                assert.deepEqual(got, want, where);
                compared++;
              }
              assert.equal(c.tell(), m.tell(), `position after ${where}`);
            }
            assert.deepEqual(c.slice(), m.slice(), `${layout}, ${access}: the bytes at the end`);
          }
          // Closed: what reached the files is the same (nothing unless access is write).
          const joined = new Uint8Array(f.all.length);
          f.paths.reduce(
            (at, path) => (joined.set(fileBytes(path), at), at + fileBytes(path).length),
            0,
          );
          assert.deepEqual(joined, fileBytes(whole.paths[0]), `${layout}, ${access}: the files`);
          if (access !== "write") {
            assert.deepEqual(joined, f.all, `${layout}, ${access}: unchanged`);
          }
        } finally {
          f.cleanup();
          whole.cleanup();
        }
      }
    }
    assert.ok(compared > 3000, `${compared} calls compared`);
  });

  it("sees the map closed by a getter that ran mid-call, as MMap does", () => {
    // User code runs mid-call only through getters (of flush's options, of a
    // typed-array constructor): the rest of the call must then find the map
    // closed, never touch the unmapped memory. A bytes-like object's own
    // getters never run: its bytes are read through the engine's intrinsics.
    const View = DataView as unknown as new (buffer: ArrayBuffer) => DataView<ArrayBuffer>;
    class ClosingView extends View {
      #close: () => void;
      constructor(close: () => void) {
        super(new ArrayBuffer(2));
        this.#close = close;
      }
      override get buffer(): ArrayBuffer {
        this.#close();
        return super.buffer;
      }
    }
    const closingType = (close: () => void) =>
      class extends Uint8Array {
        static override get BYTES_PER_ELEMENT(): number {
          close();
          return 1;
        }
      };
    const calls: [string, (t: Target, close: () => void) => unknown][] = [
      ["write", (t, close) => t.write(new ClosingView(close))],
      ["setSlice", (t, close) => t.setSlice(0, 2, new ClosingView(close))],
      ["find", (t, close) => t.find(new ClosingView(close))],
      ["rfind", (t, close) => t.rfind(new ClosingView(close))],
      ["count", (t, close) => t.count(new ClosingView(close))],
      ["includes", (t, close) => t.includes(new ClosingView(close))],
      [
        "flush",
        (t, close) =>
          t.flush(0, 2, {
            get async() {
              close();
              return false;
            },
          }),
      ],
      ["view", (t, close) => t.view(closingType(close), 0, 2)],
      ["view with its defaults", (t, close) => t.view(closingType(close))],
    ];
    const f = files([new Uint8Array(PAGESIZE), "abcdef"]);
    try {
      for (const [name, call] of calls) {
        for (
          const make of [
            () => MMap.concat(f.paths, { access: "write" }),
            () => MMap.open(f.paths[0], { access: "write" }),
          ]
        ) {
          const t = make();
          if (name === "view" || name === "view with its defaults" || name === "flush") {
            assert.throws(
              () => call(t, () => t.close()),
              { name: "TypeError", message: "mmap closed or invalid" },
              `${t.constructor.name} ${name}`,
            );
            assert.equal(t.closed, true);
          } else {
            call(t, () => assert.fail(`${t.constructor.name} ${name} ran the view's getter`));
            assert.equal(t.closed, false);
            t.close();
          }
        }
      }
    } finally {
      f.cleanup();
    }
  });

  it("throws the same errors as MMap for bad arguments", () => {
    const f = files(["abc", "def"]);
    try {
      using c = MMap.concat(f.paths);
      const calls: [string, (m: MMap | MMapConcat) => unknown][] = [
        ["seek out of range", (m) => m.seek(7)],
        ["seek whence", (m) => m.seek(0, 3 as 0)],
        ["at", (m) => m.at(6)],
        ["at type", (m) => m.at("1" as unknown as number)],
        ["read type", (m) => m.read("1" as unknown as number)],
        ["slice step", (m) => m.slice(0, 1, 0)],
        ["find str type", (m) => m.find({} as unknown as string)],
        ["find byte", (m) => m.find(256)],
        ["flush range", (m) => m.flush(0, 7)],
        ["madvise start", (m) => m.madvise(0, 6)],
        ["move", (m) => m.move(0, 5, 2)],
        ["view misaligned", (m) => m.view(Uint16Array, 1)],
        ["write readonly", (m) => m.write("x")],
        ["set readonly", (m) => m.set(0, 1)],
      ];
      const whole = files([f.all]);
      try {
        using m = MMap.open(whole.paths[0]);
        for (const [name, call] of calls) {
          let want: Error | undefined;
          try {
            call(m);
          } catch (e) {
            want = e as Error;
          }
          assert.ok(want, `MMap threw for ${name}`);
          assert.throws(() => call(c), { name: want.name, message: want.message }, name);
        }
      } finally {
        whole.cleanup();
      }
    } finally {
      f.cleanup();
    }
  });

  it("writes that cross a boundary land in both files, in both layouts", () => {
    for (const contiguous of [true, false]) {
      const mid = contiguous ? ".".repeat(PAGESIZE) : "...";
      const f = files([".".repeat(PAGESIZE), "", mid, "....."]);
      const model = f.all.slice();
      try {
        using m = MMap.concat(f.paths, { access: "write" });
        assert.equal(m.contiguous, contiguous);
        const e1 = PAGESIZE;
        const e2 = e1 + mid.length;
        // Each write, applied to the map and to a plain copy of the bytes.
        const writes: [number, string][] = [[e1 - 2, "ABCD"], [e2 - 3, "EFGHIJ"], [e1 - 1, "k"]];
        for (const [at, data] of writes) {
          m.seek(at);
          assert.equal(m.write(data), data.length);
          model.set(b(data), at);
        }
        m.setSlice(e2 - 1, e2 + 2, "xyz");
        model.set(b("xyz"), e2 - 1);
        m.set(-1, 0x21);
        model[model.length - 1] = 0x21;
        m.seek(-2, 2);
        m.writeByte(0x3f);
        model[model.length - 2] = 0x3f;
        m.setSlice(e2 + 3, e2 - 3, "123", -2);
        model.set([0x31], e2 + 3), model.set([0x32], e2 + 1), model.set([0x33], e2 - 1);
        // move across files, overlapping, both directions.
        m.move(e1 - 2, e1, 4);
        model.copyWithin(e1 - 2, e1, e1 + 4);
        m.move(e2, e2 - 2, 5);
        model.copyWithin(e2, e2 - 2, e2 + 3);
        assert.throws(() => m.write("x".repeat(model.length)), {
          name: "RangeError",
          message: "data out of range",
        });
        m.flush(e1 - 1, 3); // an unaligned range is fine: each file from its page start
        m.flush();
        assert.deepEqual(m.slice(), model);
        for (const s of m.segments) {
          assert.deepEqual(fileBytes(s.path), model.slice(s.start, s.end), s.path);
        }
      } finally {
        f.cleanup();
      }
    }
  });

  it("copy access changes this process's view only; read access refuses writes", () => {
    for (const first of ["abc", "a".repeat(PAGESIZE - 2) + "bc"]) {
      const f = files([first, "def"]);
      const edge = first.length;
      try {
        {
          using m = MMap.concat(f.paths, { access: "copy" });
          assert.equal(m.contiguous, edge === PAGESIZE);
          m.setSlice(edge - 1, edge + 1, "XY");
          assert.equal(text(m.slice(edge - 2)), "bXYef");
          if (m.contiguous) assert.equal(text(m.bytes.subarray(edge - 2)), "bXYef");
          m.flush();
        }
        {
          using m = MMap.concat(f.paths);
          for (
            const write of [() => m.write("x"), () => m.writeByte(1), () => m.move(0, 1, 1)]
          ) {
            assert.throws(write, {
              name: "TypeError",
              message: "mmap can't modify a readonly memory map.",
            });
          }
        }
        assert.equal(
          readFileSync(f.paths[0], "utf8") + readFileSync(f.paths[1], "utf8"),
          first + "def",
        );
      } finally {
        f.cleanup();
      }
    }
  });

  it("a single file, only empty files, and no files at all", () => {
    const f = files(["just one\n", "", ""]);
    try {
      {
        using m = MMap.concat([f.paths[0]]);
        assert.equal(m.contiguous, true);
        assert.equal(text(m.bytes), "just one\n");
        assert.equal(text(m.readline()), "just one\n");
        assert.equal(m.count("n", 0), 1);
      }
      for (const paths of [[f.paths[1], f.paths[2]], []]) {
        using m = MMap.concat(paths);
        assert.equal(m.length, 0);
        assert.equal(m.contiguous, true);
        assert.equal(m.bytes.length, 0);
        assert.equal(m.read().length, 0);
        assert.equal(m.readline().length, 0);
        assert.equal(m.find("x"), -1);
        assert.equal(m.find(""), 0);
        assert.equal(m.rfind(""), 0);
        assert.equal(m.count(""), 1);
        assert.equal(m.count("a"), 0);
        assert.deepEqual([...m], []);
        assert.throws(() => m.at(0), RangeError);
        m.flush();
      }
    } finally {
      f.cleanup();
    }
  });

  it("iterates over every byte in order", () => {
    const f = files(["ab", "", "c", new Uint8Array(70000).fill(0x64)]);
    try {
      using m = MMap.concat(f.paths);
      const seen = [...m];
      assert.equal(seen.length, f.all.length);
      assert.deepEqual(Uint8Array.from(seen), f.all);
    } finally {
      f.cleanup();
    }
  });

  it("close() detaches every view, and every method then throws", () => {
    const f = files([new Uint8Array(PAGESIZE), "xyz"]);
    try {
      const m = MMap.concat(f.paths);
      const all = m.bytes;
      const part = m.view(Uint8Array, PAGESIZE, 3);
      const dv = m.dataView(0, 8);
      m.close();
      m.close();
      assert.equal(m.closed, true);
      assert.equal(all.length, 0);
      assert.equal(part.length, 0);
      assert.equal(dv.buffer.byteLength, 0);
      assert.equal(String(m), "<MMapConcat closed=true>");
      assert.equal(m.seekable(), true);
      for (
        const call of [
          () => m.bytes,
          () => m.length,
          () => m.segments,
          () => m.read(),
          () => m.find("x"),
          () => m.at(0),
          () => m.seek(0),
          () => [...m],
          () => m.flush(),
          () => m.view(Uint8Array),
        ]
      ) {
        assert.throws(call, { name: "TypeError", message: "mmap closed or invalid" });
      }
    } finally {
      f.cleanup();
    }
  });

  it("using unmaps the files at the end of the block", () => {
    const f = files(["abc", "def"]);
    const mapped = () =>
      readFileSync("/proc/self/maps", "utf8").split("\n").filter((l) => l.endsWith(f.paths[1]))
        .length;
    try {
      let outer: MMapConcat;
      {
        using m = MMap.concat(f.paths);
        outer = m;
        assert.equal(mapped(), 1);
      }
      assert.equal(outer.closed, true);
      assert.equal(mapped(), 0);
    } finally {
      f.cleanup();
    }
  });

  it("a concat nobody closes is unmapped after garbage collection", async () => {
    const f = files(["abc", "de"]);
    const mapped = () =>
      readFileSync("/proc/self/maps", "utf8").split("\n").filter((l) => l.endsWith(f.paths[0]))
        .length;
    try {
      (() => {
        const m = MMap.concat(f.paths);
        assert.equal(m.find("cd", 0), 2);
      })();
      for (let i = 0; i < 20 && mapped() > 0; i++) await collectGarbage();
      assert.equal(mapped(), 0);
    } finally {
      f.cleanup();
    }
  });

  it("checks its arguments before opening anything, and undoes a half-done open", () => {
    const f = files(["abc", "def"]);
    const t = tempDir("mmap-concat-dir-");
    try {
      const before = openFdCount();
      assert.throws(() => MMap.concat("abc" as unknown as string[]), TypeError);
      assert.throws(() => MMap.concat(null as unknown as string[]), TypeError);
      assert.throws(() => MMap.concat([f.paths[0], 42 as unknown as string]), TypeError);
      assert.throws(() => MMap.concat(f.paths, { access: "nope" as "read" }), RangeError);
      assert.throws(
        () => MMap.concat(f.paths, { mode: "r" } as unknown as { access: "read" }),
        TypeError,
      );
      assert.throws(() => MMap.concat([...f.paths, t.path("missing")]), (e: unknown) => {
        assert.ok(e instanceof MMapOSError);
        assert.equal(e.code, "ENOENT");
        assert.equal(e.path, t.path("missing"));
        return true;
      });
      mkdirSync(t.path("sub"));
      assert.throws(() => MMap.concat([f.paths[0], t.path("sub")]), {
        name: "MMapOSError",
        code: "EISDIR",
      });
      assert.throws(() => MMap.concat([f.paths[0], "/dev/null"]), {
        name: "MMapOSError",
        code: "EINVAL",
      });
      assert.equal(openFdCount(), before);
      const maps = readFileSync("/proc/self/maps", "utf8");
      assert.ok(!maps.includes(f.paths[0]), "nothing stays mapped");
      using m = MMap.concat(f.paths.map((p) => new URL(`file://${p}`)));
      assert.equal(text(m.read()), "abcdef");
    } finally {
      f.cleanup();
      t.cleanup();
    }
  });

  it("toString() and console.log describe the layout", () => {
    const f = files(["abc", "de"]);
    try {
      using m = MMap.concat(f.paths);
      m.read(1);
      assert.equal(
        String(m),
        "<MMapConcat closed=false, access=ACCESS_READ, length=5, pos=1, files=2, contiguous=false>",
      );
    } finally {
      f.cleanup();
    }
  });
});
