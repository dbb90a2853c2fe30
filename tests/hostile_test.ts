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
import process from "node:process";
import { MADV_HWPOISON, MMap, Mutex, Ring, Semaphore } from "../mod.ts";
import { mapIntoMemory, WASI } from "../wasm/mod.ts";
import { runtime, sharedCases, tempDir, tempDirUntilExit, withPatches } from "./_helpers.ts";
import { needsKernel } from "./_emulation.ts";

/**
 * Runs `fn` with `obj[key]` replaced by `value`, then puts the original back.
 * One key, and no loop: `withPatches` (tests/_helpers.ts) walks its list by
 * `for...of`, which the iterator patched here would answer.
 */
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

const enc = new TextEncoder();

describe("a replaced Number, BigInt.asIntN or Number.isInteger", () => {
  it("choose neither the file offset mapped, nor a WASI position, nor the descriptor", () => {
    const t = tempDir();
    try {
      const path = t.path("a");
      const bytes = new Uint8Array(3 * 4096).map((_, i) => (i * 13) & 0xff);
      writeFileSync(path, bytes);
      const RealNumber = Number;
      const plusOne = Object.assign((x: unknown) => RealNumber(x) + 1, RealNumber);
      // Before: the unaligned offset went through Number(), and the map began a byte late.
      const first = patched(globalThis, "Number", plusOne, () => {
        using m = MMap.open(path, { offset: 4101, align: true });
        return m.at(0);
      });
      assert.equal(first, bytes[4101]);

      const memory = new WebAssembly.Memory({ initial: 1 });
      const wasi = new WASI({ memory, preopens: { "/": t.dir } });
      const w = wasi.wasiImport as Record<string, (...a: unknown[]) => number>;
      new Uint8Array(memory.buffer).set(enc.encode("a"), 0);
      assert.equal(w.path_open!(3, 0, 0, 1, 0, 0x1fffffffn, 0x1fffffffn, 0, 100), 0);
      const fd = new DataView(memory.buffer).getUint32(100, true);
      // Before: fd_seek's offset went through BigInt.asIntN, and the position became 5.
      const five = () => 5n;
      assert.equal(patched(BigInt, "asIntN", five, () => w.fd_seek!(fd, 0n, 0, 200)), 0);
      assert.equal(new DataView(memory.buffer).getBigUint64(200, true), 0n);
      wasi.close();

      // Before: NaN passed a patched isInteger, and reached the FFI call to dup(2).
      const open = () => MMap.open(NaN as never);
      assert.throws(() => patched(Number, "isInteger", () => true, open), {
        name: "TypeError",
        message: /descriptor must be an integer/,
      });
    } finally {
      t.cleanup();
    }
  });
});

describe("locks given something posing as a map", () => {
  it("a Proxy of an MMap, or any object MMap[Symbol.hasInstance] lets through, is the map TypeError", () => {
    using m = MMap.anonymous(4096);
    const message = /map must be an MMap, not an MMap look-alike/;
    // Before: the engine's private-field error from inside map.length.
    assert.throws(() => new Mutex(new Proxy(m, {}), 0), { name: "TypeError", message });
    assert.throws(() => new Semaphore(new Proxy(m, {}), 0), { name: "TypeError", message });
    const fake = Object.create(MMap.prototype);
    const made = patched(
      MMap,
      Symbol.hasInstance,
      () => true,
      () => tryName(() => new Mutex(fake, 0)),
    );
    assert.equal(made, "TypeError");
  });

  it("mapIntoMemory takes a real MMap whatever instanceof says, and names a look-alike", () => {
    const t = tempDir();
    try {
      writeFileSync(t.path("a"), "abc");
      using m = MMap.open(t.path("a"));
      const memory = new WebAssembly.Memory({ initial: 1 });
      const message = /source must be an open MMap, not an MMap look-alike/;
      // Before: the engine's private-field error, and a real map refused as a bad path.
      assert.throws(() => mapIntoMemory(memory, new Proxy(m, {})), { name: "TypeError", message });
      const mapped = patched(MMap, Symbol.hasInstance, () => false, () => mapIntoMemory(memory, m));
      assert.equal(mapped.length, 3);
      mapped.unmap();
    } finally {
      t.cleanup();
    }
  });
});

describe("values whose description runs code", () => {
  it("a constructor getter that throws or closes the map leaves the misuse's own TypeError", () => {
    using m = MMap.anonymous(4096);
    const boom = {
      get constructor(): never {
        throw new RangeError("boom");
      },
    };
    const closing = {
      get constructor() {
        m.close();
        return Object;
      },
    };
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    // Before: the RangeError from inside the message, the engine's revoked-Proxy
    // error, and a map closed by the message of an error about something else.
    assert.throws(() => MMap.anonymous(boom as never), {
      name: "TypeError",
      message: "length must be an integer, not object",
    });
    assert.throws(() => MMap.anonymous(revoked.proxy as never), {
      name: "TypeError",
      message: "length must be an integer, not object",
    });
    assert.throws(() => m.seek(closing as never), { name: "TypeError", message: /pos must be/ });
    assert.equal(m.closed, false);
    assert.throws(() => new Ring(m, 0, 4096, { wait: boom as never }), {
      name: "TypeError",
      message: /wait must be "spin", "yield" or "sleep", not object/,
    });
  });
});

describe("advice that would kill the process", () => {
  it("madvise(MADV_HWPOISON) is EPERM before the kernel, on a map and on a concatenation", () => {
    const t = tempDir();
    try {
      writeFileSync(t.path("a"), new Uint8Array(4096).fill(1));
      writeFileSync(t.path("b"), new Uint8Array(4096).fill(2));
      using anon = MMap.anonymous(4096);
      using joined = MMap.concat([t.path("a"), t.path("b")]);
      // Before: it reached madvise(2); as root on a kernel with memory-failure
      // support the page was poisoned and its next access killed the process.
      for (const m of [anon, joined]) {
        assert.throws(() => m.madvise(MADV_HWPOISON), {
          name: "MMapOSError",
          code: "EPERM",
          syscall: "madvise",
          message: /MADV_HWPOISON poisons the pages/,
        });
      }
      assert.equal(joined.at(4096), 2);
    } finally {
      t.cleanup();
    }
  });

  // Linux 6.13's MADV_GUARD_INSTALL (102) made the pages guard regions: the
  // next load of any view of the map was SIGSEGV (exit 139, Deno and Bun).
  // In a child process, so that such a death is an exit status here.
  const GUARD_CASES = ["guard_anonymous", "guard_file", "guard_read", "guard_concat"];
  const guardChild = sharedCases(
    decodeURIComponent(new URL("./_advice_child.ts", import.meta.url).pathname),
    GUARD_CASES,
    [tempDirUntilExit("mmap-advice-")],
    runtime === "deno" ? ["--allow-all"] : [],
  );
  it(
    "madvise(102), MADV_GUARD_INSTALL, is EINVAL before the kernel, and every page stays readable",
    {
      skip: process.platform !== "linux",
      timeout: 60_000,
    },
    () => {
      const refused = { name: "MMapOSError", code: "EINVAL", syscall: "madvise" };
      assert.deepEqual(guardChild("guard_anonymous"), { said: refused, sum: 0 });
      assert.deepEqual(guardChild("guard_file"), { said: refused, sum: 14 });
      assert.deepEqual(guardChild("guard_read"), { said: refused, sum: 14 });
      assert.deepEqual(guardChild("guard_concat"), { said: refused, sum: 22 });
    },
  );
});

describe("paths that pose as URLs", () => {
  it("a Proxy of a URL, or an object that only inherits from URL, is the path TypeError", () => {
    const t = tempDir();
    try {
      const path = t.path("a");
      writeFileSync(path, "abc");
      const url = new URL(`file://${path}`);
      const message = /path must be a string or a file: URL, not an object posing as a URL/;
      // Before: the engine's own error from inside URL's getters.
      assert.throws(() => MMap.open(new Proxy(url, {})), { name: "TypeError", message });
      assert.throws(() => MMap.open(Object.create(URL.prototype)), { name: "TypeError", message });
      assert.throws(() => new WASI({ preopens: { "/": new Proxy(url, {}) } }), {
        name: "TypeError",
        message,
      });
      // A subclass whose pathname getter would answer another file is read by URL's own getter.
      class Elsewhere extends URL {
        override get pathname(): string {
          return "/nonexistent/elsewhere";
        }
      }
      using m = MMap.open(new Elsewhere(url));
      assert.equal(m.length, 3);
    } finally {
      t.cleanup();
    }
  });
});

describe("a patched Math or typed-array length", () => {
  it("Math.min answering Math.max moves the right bytes across a concatenation's files", () => {
    const t = tempDir();
    try {
      // Not page multiples: the files are apart in memory, and the move goes through a chunk.
      const a = new Uint8Array(3000).map((_, i) => i & 0xff);
      const b = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
      writeFileSync(t.path("a"), a);
      writeFileSync(t.path("b"), b);
      using m = MMap.concat([t.path("a"), t.path("b")], { access: "write" });
      const want = new Uint8Array(6000);
      want.set(a);
      want.set(b, 3000);
      want.copyWithin(2950, 2850, 3150);
      // Before: a RangeError, after 299 wrong bytes were written into the files.
      patched(Math, "min", Math.max, () => m.move(2950, 2850, 300));
      assert.deepEqual(m.slice(), want);
    } finally {
      t.cleanup();
    }
  });

  it("read() and Ring.pop() give whole results, find() looks across files, whatever length says", () => {
    const proto = Object.getPrototypeOf(Uint8Array.prototype);
    const realLength = Object.getOwnPropertyDescriptor(proto, "length")!.get!;
    using m = MMap.anonymous(1 << 16);
    m.bytes.fill(0x61);
    using rm = MMap.anonymous(4096);
    const ring = new Ring(rm, 0, 4096);
    const { paths, cleanup } = twoFiles();
    try {
      using c = MMap.concat(paths);
      for (const lie of [0, 1e9]) {
        m.seek(0);
        ring.push(Uint8Array.of(1, 2, 3, 4));
        ring.push(new Uint8Array(200).fill(3));
        // Before: Deno cut results from a slab whose length it asked the
        // prototype: read() threw, and pop() consumed a message and gave 0 bytes.
        const got = withPatches([[proto, "length", { get: () => lie }]], () => ({
          small: m.read(16),
          big: m.read(4096),
          popped: ring.pop(0),
          popped2: ring.pop(0),
          find: [c.find("cd"), c.count("cd"), c.rfind("cd")],
        }));
        assert.equal(realLength.call(got.small), 16, `read(16), length ${lie}`);
        assert.equal(realLength.call(got.big), 4096, `read(4096), length ${lie}`);
        assert.deepEqual([...got.popped!], [1, 2, 3, 4]);
        assert.equal(realLength.call(got.popped2), 200);
        // "cd" runs across the two files: before, the window's own length was asked.
        assert.deepEqual(got.find, [2, 1, 2]);
      }
    } finally {
      cleanup();
    }
  });

  it("dataView() and lines() follow the engine's slots, not patched getters", () => {
    const proto = Object.getPrototypeOf(Uint8Array.prototype);
    using m = MMap.anonymous(1 << 16);
    // 30000 two-byte lines: more newlines in one scan than its list holds.
    for (let i = 0; i < 60000; i += 2) m.bytes[i] = 0x78, m.bytes[i + 1] = 0x0a;
    const { view, lines } = withPatches([
      [proto, "length", { get: () => 1 }],
      [proto, "byteLength", { get: () => 3 }],
      [proto, "byteOffset", { get: () => 5 }],
    ], () => {
      const view = m.dataView(16, 32);
      let lines = 0;
      for (const _ of m.lines(0, 60000)) lines++;
      return { view, lines };
    });
    assert.equal(view.byteOffset, 16);
    assert.equal(view.byteLength, 32);
    assert.equal(lines, 30000);
  });

  it("random_get fills the guest's buffer whatever a typed array's length says", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const wasi = new WASI({ memory });
    const proto = Object.getPrototypeOf(Uint8Array.prototype);
    const errno = withPatches(
      [[proto, "length", { get: () => 0 }]],
      () => (wasi.wasiImport.random_get as (p: number, n: number) => number)(64, 64),
    );
    assert.equal(errno, 0);
    // Before: nothing written. 64 random bytes all zero: one chance in 2^512.
    assert.ok(new Uint8Array(memory.buffer, 64, 64).some((x) => x !== 0));
  });
});

describe("the WASI host's options, read once by the engine's own functions", () => {
  /** [argc, environ count, errno of fd_prestat_get(3), stdin's first 2 bytes] of a host. */
  const seen = (wasi: WASI, memory: WebAssembly.Memory) => {
    const w = wasi.wasiImport as Record<string, (...a: unknown[]) => number>;
    const dv = new DataView(memory.buffer);
    w.args_sizes_get!(0, 4);
    w.environ_sizes_get!(8, 12);
    const prestat = w.fd_prestat_get!(3, 16);
    dv.setUint32(32, 100, true);
    dv.setUint32(36, 2, true);
    w.fd_read!(0, 32, 1, 40);
    const bytes = new Uint8Array(memory.buffer, 100, 2);
    wasi.close();
    return [dv.getUint32(0, true), dv.getUint32(8, true), prestat, bytes[0], bytes[1]];
  };

  it("patched iterators, Object.entries and map add no argument, variable or preopen", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const arrayIterator = Object.getPrototypeOf([][Symbol.iterator]());
    const three = function* () {
      yield "a";
      yield "b";
      yield "c";
    };
    const done = () => ({ done: true, value: undefined });
    const fakeEntries = () => [["/", "/"], ["X", "1"]];
    const fakeMap = () => [enc.encode("/"), enc.encode("/")];
    // Before: the spread of args ran the iterator, Object.entries chose the
    // preopens and the variables, and map made the lists.
    const make = () => new WASI({ memory, args: ["prog"], env: { A: "1" }, stdin: "hi" });
    const wasi = patched(
      Array.prototype,
      Symbol.iterator,
      three,
      () =>
        patched(
          Object,
          "entries",
          fakeEntries,
          () => patched(Array.prototype, "map", fakeMap, make),
        ),
    );
    assert.deepEqual(seen(wasi, memory), [1, 1, 8, /* EBADF: no preopen */ 0x68, 0x69]);
    const again = patched(arrayIterator, "next", done, make);
    assert.deepEqual(seen(again, memory), [1, 1, 8, 0x68, 0x69]);
  });

  it("stdin bytes are a copy taken once; a fake Uint8Array or non-array args are a TypeError", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const bytes = new Uint8Array([0x61, 0x62]);
    const wasi = new WASI({ memory, stdin: bytes });
    bytes.fill(0x7a); // before: the guest read "zz"
    assert.deepEqual(seen(wasi, memory), [0, 0, 8, 0x61, 0x62]);
    const fake = Object.create(Uint8Array.prototype);
    assert.throws(() => new WASI({ stdin: fake }), TypeError);
    assert.throws(() => new WASI({ args: new Set(["a"]) as never }), TypeError);
    assert.throws(() => new WASI({ env: "A=1" as never }), TypeError);
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

describe("a needle or data whose bytes are gone", () => {
  // A detached view, or a fixed view its resizable buffer shrank below, says
  // it holds 0 bytes; taken as empty, find() answered the start of its range
  // and count() the range's length + 1.
  const gone = (): [string, Uint8Array][] => {
    const closed = MMap.anonymous(16);
    const ofClosed = closed.bytes;
    closed.close();
    const moved = new Uint8Array(4);
    moved.buffer.transfer();
    const out: [string, Uint8Array][] = [["a view of a closed map", ofClosed], [
      "a transferred buffer's view",
      moved,
    ]];
    // Not in emulated Bun, which aborts at a resizable ArrayBuffer (QEMU_CANNOT).
    if (!needsKernel("resizableBuffer").skip) {
      const resizable = new ArrayBuffer(8, { maxByteLength: 16 });
      const outOfBounds = new Uint8Array(resizable, 0, 8);
      resizable.resize(4);
      out.push(["a view out of its resized buffer's bounds", outOfBounds]);
    }
    return out;
  };
  const expected = { name: "TypeError", message: /detached|out of bounds/ };

  it("is a TypeError in find, rfind, count and write, not 0 bytes found everywhere", () => {
    using m = MMap.anonymous(64);
    m.write("abc");
    for (const [what, bytes] of gone()) {
      assert.throws(() => m.find(bytes), expected, what);
      assert.throws(() => m.rfind(bytes), expected, what);
      assert.throws(() => m.count(bytes), expected, what);
      assert.throws(() => m.write(bytes), expected, what);
    }
    assert.equal(m.tell(), 3);
    assert.equal(m.find(new Uint8Array(0)), 3, "an empty needle that is not gone still is");
  });

  it("is a TypeError in a concatenation's find and count too", () => {
    const t = tempDir();
    try {
      writeFileSync(t.path("a"), "one\n");
      writeFileSync(t.path("b"), "two\n");
      using c = MMap.concat([t.path("a"), t.path("b")]);
      for (const [what, bytes] of gone()) {
        assert.throws(() => c.find(bytes), expected, what);
        assert.throws(() => c.count(bytes), expected, what);
      }
      assert.equal(c.find("two"), 4);
    } finally {
      t.cleanup();
    }
  });
});
