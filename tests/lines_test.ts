// lines(start?, end?): zero-copy views of each line, on MMap and MMapConcat.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { MMap, PAGESIZE } from "../mod.ts";
import { LineIterator } from "../src/lines.ts";
import type { ByteWindow, WindowSource } from "../src/windows.ts";
import { b, concatBytes, python, runScript, runtime, tempDir, text } from "./_helpers.ts";
import { scaled } from "./_emulation.ts";

function texts(lines: Iterable<Uint8Array>): string[] {
  return Array.from(lines, text);
}

function filled(s: string | Uint8Array): MMap {
  const bytes = typeof s === "string" ? b(s) : s;
  const m = MMap.anonymous(bytes.length, { shared: false });
  m.write(bytes);
  m.seek(0);
  return m;
}

/** What CPython's readline() gives for data[start:end], the reference for lines(start, end). */
function reference(data: Uint8Array, start?: number, end?: number): Uint8Array[] {
  const n = data.length;
  const fix = (i: number) => Math.min(n, Math.max(0, i < 0 ? i + n : i));
  const a = fix(start ?? 0);
  const e = fix(end ?? n);
  const out: Uint8Array[] = [];
  for (let at = a; at < e;) {
    const nl = data.indexOf(10, at);
    const stop = nl < 0 || nl >= e ? e : nl + 1;
    out.push(data.slice(at, stop));
    at = stop;
  }
  return out;
}

/** Deterministic bytes with lines of every length: empty, short, and longer than a 64 KiB scan. */
function mixed(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let s = seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < size;) {
    const r = next() % 100;
    const len = r < 5 ? 0 : r < 80 ? next() % 120 : r < 97 ? next() % 5000 : 70000 + next() % 70000;
    for (let k = 0; k < len && i < size; k++) out[i++] = 97 + (next() % 26);
    if (i < size) out[i++] = r % 7 === 0 ? 13 : 10; // some lines end "\r", not a newline
    if (i < size && r % 7 === 0) out[i++] = 10;
  }
  return out;
}

describe("lines", () => {
  it("gives each line with its newline, the last without one, and joins back to the bytes", () => {
    using m = filled("one\ntwo\r\n\nthree");
    assert.deepEqual(texts(m.lines()), ["one\n", "two\r\n", "\n", "three"]);
    using n = filled("a\nb\n");
    assert.deepEqual(texts(n.lines()), ["a\n", "b\n"]);
    using nl = filled("\n");
    assert.deepEqual(texts(nl.lines()), ["\n"]);
    using none = filled("no newline at all");
    assert.deepEqual(texts(none.lines()), ["no newline at all"]);
  });

  it("matches CPython's iter(m.readline, b'') line for line", () => {
    const t = tempDir("mmap-lines-");
    try {
      const data = mixed(600_000, 7);
      const path = t.path("mixed.bin");
      writeFileSync(path, data);
      const expected = python(`
import mmap, json, hashlib
f = open(${JSON.stringify(path)}, "rb")
m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
print(json.dumps([[len(l), hashlib.sha1(l).hexdigest()[:12]] for l in iter(m.readline, b"")]))
`) as [number, string][];
      using m = MMap.open(path);
      const got = Array.from(m.lines(), (l) => l.length);
      assert.deepEqual(got, expected.map(([n]) => n));
      assert.deepEqual(concatBytes([...m.lines()]), data);
    } finally {
      t.cleanup();
    }
  });

  it("finds every line of long runs and of dense newlines (more than one scan holds)", () => {
    const dense = new Uint8Array(200_000).fill(10); // 200,000 empty lines
    dense.set(b("x"), 70_000);
    using m = filled(dense);
    const lines = [...m.lines()];
    assert.deepEqual(lines.map((l) => l.length), reference(dense).map((l) => l.length));
    assert.deepEqual(concatBytes(lines), dense);
    const data = mixed(scaled(1_000_000, 300_000), 3);
    using big = filled(data);
    const got = [...big.lines()];
    assert.deepEqual(got.map((l) => l.length), reference(data).map((l) => l.length));
    assert.deepEqual(concatBytes(got), data);
  });

  it("takes start and end with slice rules, as find does; does not use or move the position", () => {
    const data = "alpha\nbeta\ngamma\ndelta";
    using m = filled(data);
    m.seek(7);
    const bytes = b(data);
    const cases: [number | null | undefined, number | null | undefined][] = [
      [undefined, undefined],
      [null, null],
      [2, undefined],
      [6, 11],
      [6, 10],
      [-5, undefined],
      [-100, 3],
      [3, -3],
      [15, 3],
      [100, 200],
      [0, 0],
      [-1, -1],
      [2, 2 ** 53],
    ];
    for (const [s, e] of cases) {
      assert.deepEqual(
        texts(m.lines(s, e)),
        texts(reference(bytes, s ?? undefined, e ?? undefined)),
        `lines(${s}, ${e})`,
      );
    }
    assert.deepEqual(texts(m.lines(6n as never, 11n as never)), ["beta\n"]);
    assert.equal(m.tell(), 7);
    assert.throws(() => m.lines("1" as never), { name: "TypeError", message: /start/ });
    assert.throws(() => m.lines(0, 1.5), { name: "TypeError", message: /end/ });
    assert.throws(() => m.lines(2n ** 64n as never), RangeError);
  });

  it("agrees with CPython's slices for start/end", () => {
    const data = "ab\ncd\n\nef\ngh";
    const pairs = [[0, 5], [-4, 20], [3, -1], [-20, -8], [5, 2]];
    const expected = python(`
import io, json
d = ${JSON.stringify(data)}.encode()
print(json.dumps([[l.decode() for l in io.BytesIO(d[a:e]).readlines()] for a, e in ${
      JSON.stringify(pairs)
    }]))
`) as string[][];
    using m = filled(data);
    assert.deepEqual(pairs.map(([s, e]) => texts(m.lines(s, e))), expected);
  });

  it("yields views of the map's memory, not copies", () => {
    using m = filled("abc\ndef\n");
    const [first, second] = m.lines();
    assert.equal(first.buffer, m.bytes.buffer);
    assert.equal(second.byteOffset, 4);
    m.bytes[4] = 0x44;
    assert.equal(text(second), "Def\n");
  });

  it("views are detached on close; next() and lines() then throw the closed-map error", () => {
    const m = filled("a\nb\nc\n");
    const it = m.lines();
    const first = it.next().value!;
    const all = [...m.lines()];
    m.close();
    assert.equal(first.length, 0);
    assert.deepEqual(all.map((l) => l.length), [0, 0, 0]);
    assert.throws(() => it.next(), { name: "TypeError", message: "mmap closed or invalid" });
    assert.throws(() => m.lines(), { name: "TypeError", message: "mmap closed or invalid" });
  });

  it("an exhausted iterator stays done, even after close", () => {
    const m = filled("x\n");
    const it = m.lines();
    assert.equal(it.next().done, false);
    assert.equal(it.next().done, true);
    m.close();
    assert.equal(it.next().done, true);
  });

  it("after a resize, old views are detached and iteration goes on over the new memory", () => {
    using m = MMap.anonymous(12, { shared: false });
    m.write("aa\nbb\ncc\ndd\n");
    const it = m.lines();
    const first = it.next().value!;
    assert.equal(text(first), "aa\n");
    m.resize(9); // drops "dd\n"
    assert.equal(first.length, 0);
    assert.deepEqual(texts(it), ["bb\n", "cc\n"]);
    const again = m.lines();
    m.resize(20);
    m.seek(9);
    m.write("ee\n");
    // The range was fixed when lines() was called: 9 bytes.
    assert.deepEqual(texts(again), ["aa\n", "bb\n", "cc\n"]);
  });

  it("a map of 0 bytes has no lines", () => {
    using m = MMap.anonymous(8, { shared: false });
    m.resize(0);
    assert.deepEqual([...m.lines()], []);
    const t = tempDir("mmap-lines-");
    try {
      writeFileSync(t.path("empty"), "");
      using c = MMap.concat([t.path("empty")]);
      assert.deepEqual([...c.lines()], []);
    } finally {
      t.cleanup();
    }
  });

  it("iterators interleaved give each its own lines", () => {
    const data = mixed(300_000, 11);
    using m = filled(data);
    const a = m.lines();
    const c = m.lines(100_000);
    const fromA: Uint8Array[] = [];
    const fromC: Uint8Array[] = [];
    for (;;) {
      const x = a.next();
      const y = c.next();
      if (!x.done) fromA.push(x.value);
      if (!y.done) fromC.push(y.value);
      if (x.done && y.done) break;
    }
    assert.deepEqual(fromA.map((l) => l.length), reference(data).map((l) => l.length));
    assert.deepEqual(fromC.map((l) => l.length), reference(data, 100_000).map((l) => l.length));
  });

  it("has the Iterator helpers", () => {
    using m = filled("a\nbb\nccc\n");
    assert.deepEqual(m.lines().map((l) => l.length).toArray(), [2, 3, 4]);
    assert.deepEqual(texts(m.lines().drop(1).take(1)), ["bb\n"]);
  });

  it("a store through a line's view of a read-only map is seen by count() and find()", () => {
    const t = tempDir("mmap-lines-");
    try {
      const path = t.path("ro.txt");
      writeFileSync(path, "x".repeat(1 << 20));
      using m = MMap.open(path);
      const [line] = m.lines();
      line[5] = 10; // changes this process's private copy of the page
      assert.equal(m.count("\n", 0), 1);
      assert.equal(m.find("\n", 0), 5);
    } finally {
      t.cleanup();
    }
  });

  it("ignores patched prototypes and a replaced global Uint8Array", () => {
    using m = filled("ab\ncd\n");
    const TypedArray = Object.getPrototypeOf(Uint8Array.prototype);
    const saved = {
      set: Object.getOwnPropertyDescriptor(TypedArray, "set")!,
      subarray: Object.getOwnPropertyDescriptor(TypedArray, "subarray")!,
      indexOf: Object.getOwnPropertyDescriptor(TypedArray, "indexOf")!,
      buffer: Object.getOwnPropertyDescriptor(TypedArray, "buffer")!,
      global: globalThis.Uint8Array,
    };
    const boom = () => {
      throw new Error("user code ran");
    };
    try {
      for (const key of ["set", "subarray", "indexOf"]) {
        Object.defineProperty(TypedArray, key, { value: boom, configurable: true });
      }
      Object.defineProperty(TypedArray, "buffer", { get: boom, configurable: true });
      (globalThis as { Uint8Array: unknown }).Uint8Array = boom;
      const lengths = Array.from(m.lines(), (l) => l.byteLength);
      assert.deepEqual(lengths, [3, 3]);
    } finally {
      globalThis.Uint8Array = saved.global;
      for (const key of ["set", "subarray", "indexOf", "buffer"] as const) {
        Object.defineProperty(TypedArray, key, saved[key]);
      }
    }
  });
});

describe("lines without WebAssembly", () => {
  it("finds each newline with the view's indexOf and gives the same lines", () => {
    const t = tempDir("mmap-lines-");
    try {
      const data = mixed(400_000, 13);
      const path = t.path("mixed.bin");
      writeFileSync(path, data);
      const child = decodeURIComponent(
        new URL("./_lines_no_wasm_child.ts", import.meta.url).pathname,
      );
      const res = runScript(child, [path]);
      assert.equal(res.status, 0, res.stderr);
      assert.deepEqual(JSON.parse(res.stdout), reference(data).map((l) => l.length));
    } finally {
      t.cleanup();
    }
  });
});

describe("MMapConcat.lines", () => {
  it("copies only the lines that run from one file into another mapped elsewhere", () => {
    const t = tempDir("mmap-lines-");
    try {
      writeFileSync(t.path("a"), "one\ntw");
      writeFileSync(t.path("b"), "");
      writeFileSync(t.path("c"), "o\nthr");
      writeFileSync(t.path("d"), "ee");
      writeFileSync(t.path("e"), "\nfour");
      const m = MMap.concat(["a", "b", "c", "d", "e"].map(t.path));
      assert.equal(m.contiguous, false);
      const lines = [...m.lines()];
      assert.deepEqual(texts(lines), ["one\n", "two\n", "three\n", "four"]);
      assert.deepEqual(texts(m.lines(2, -2)), ["e\n", "two\n", "three\n", "fo"]);
      m.seek(3);
      assert.deepEqual(texts(m.lines(5, 9)), ["wo\n", "t"]);
      assert.equal(m.tell(), 3);
      m.close();
      // Views inside one file are detached; the two copies live on.
      assert.deepEqual(lines.map((l) => l.length), [0, 4, 6, 0]);
      assert.throws(() => m.lines(), { name: "TypeError", message: "mmap closed or invalid" });
    } finally {
      t.cleanup();
    }
  });

  it("makes no copy when the files lie in one address range", () => {
    const t = tempDir("mmap-lines-");
    try {
      // One page: a line, then "bb" that goes on in the next file.
      const page = new Uint8Array(PAGESIZE).fill(0x61);
      page[PAGESIZE - 3] = 10;
      page.set(b("bb"), PAGESIZE - 2);
      writeFileSync(t.path("a"), page);
      writeFileSync(t.path("b"), "cc\ndd");
      const m = MMap.concat([t.path("a"), t.path("b")]);
      assert.equal(m.contiguous, true);
      const lines = [...m.lines()];
      assert.deepEqual(lines.map((l) => l.length), [PAGESIZE - 2, 5, 2]);
      assert.equal(text(lines[1]), "bbcc\n");
      m.close();
      assert.deepEqual(lines.map((l) => l.length), [0, 0, 0]);
    } finally {
      t.cleanup();
    }
  });

  it("matches MMap.lines over the same bytes", () => {
    const t = tempDir("mmap-lines-");
    try {
      const data = mixed(400_000, 5);
      const cuts = [0, 1, 9000, 9001, 150_000, 150_000, 399_999, 400_000];
      const paths = cuts.slice(1).map((end, i) => {
        const path = t.path(`part${i}`);
        writeFileSync(path, data.subarray(cuts[i], end));
        return path;
      });
      using m = MMap.concat(paths);
      const got = [...m.lines()];
      assert.deepEqual(got.map((l) => l.length), reference(data).map((l) => l.length));
      assert.deepEqual(concatBytes(got), data);
      const part = [...m.lines(8000, 160_000)];
      assert.deepEqual(concatBytes(part), data.subarray(8000, 160_000));
    } finally {
      t.cleanup();
    }
  });
});

describe("LineIterator over small windows", () => {
  /** A source whose windows are `size` bytes, `contiguous` or each a separate buffer. */
  function source(data: Uint8Array, size: number, contiguous: boolean): WindowSource {
    const whole = data.slice();
    return {
      length: () => data.length,
      epoch: () => null,
      window(offset: number): ByteWindow {
        const start = offset - (offset % size);
        const end = Math.min(data.length, start + size);
        if (contiguous) {
          return { buffer: whole.buffer, byteOffset: start, start, end, mayMove: false };
        }
        return { buffer: data.slice(start, end).buffer, byteOffset: 0, start, end, mayMove: false };
      },
      copy: (offset, count) => data.slice(offset, offset + count),
    };
  }

  it("copies lines across separate windows, and only those", () => {
    // A window of 1 or 7 bytes is an ArrayBuffer each: a smaller input under emulation.
    const data = mixed(scaled(300_000, 120_000), 9);
    const partEnd = scaled(250_000, 110_000);
    for (const size of [1, 7, 4096, 100_000]) {
      const lines = [...new LineIterator(source(data, size, false), 0, data.length)];
      assert.deepEqual(lines.map((l) => l.length), reference(data).map((l) => l.length), `${size}`);
      assert.deepEqual(concatBytes(lines), data);
      const part = [...new LineIterator(source(data, size, false), 1234, partEnd)];
      assert.deepEqual(concatBytes(part), data.subarray(1234, partEnd));
    }
  });
});

describe("lines past 4 GiB (sparse file)", () => {
  it("works where Bun's map has no single view", () => {
    const t = tempDir("mmap-lines-");
    try {
      const path = t.path("big.bin");
      const size = 2 ** 32 + 2 * PAGESIZE;
      const fd = openSync(path, "w+");
      const at = 2 ** 32 - 6;
      try {
        writeSync(fd, b("\nabc\ndefgh\nij"), 0, 13, at);
        writeSync(fd, b("\n"), 0, 1, size - 1);
      } finally {
        closeSync(fd);
      }
      using m = MMap.open(path);
      if (runtime === "bun") assert.throws(() => m.bytes, RangeError);
      assert.deepEqual(texts(m.lines(at, at + 13)), ["\n", "abc\n", "defgh\n", "ij"]);
      const tail = [...m.lines(size - PAGESIZE)];
      assert.equal(tail.length, 1);
      assert.equal(tail[0].length, PAGESIZE);
      assert.equal(tail[0][PAGESIZE - 1], 10);
    } finally {
      t.cleanup();
    }
  });
});
