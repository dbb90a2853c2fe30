// The WASI host's bookkeeping (descriptor table, mapped regions, free list,
// file guards, directory listings, iovec lists, the sandbox's path walk)
// holds under a program that patched Array.prototype, Object.prototype,
// String.prototype, Map and Set. Before the fix: an Object.prototype.hostFd
// made fd_readdir list, and fd_close close, a host descriptor; a patched
// findIndex let a file be mapped over a live one; a patched Map.prototype.get
// let a guest truncate a mapped file; a patched array iterator sent a read
// into the program's own buffer; a patched Array.prototype.includes or join
// let the guest open "../secret". None of these killed the process (the
// fault guard catches the truncated page), so the cases run in-process: each
// patch is undone before the case yields.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dataValue as value, openFdCount, tempDir, withPatches as patched } from "./_helpers.ts";
import { mapIntoMemory, WASI } from "../wasm/mod.ts";

const ALL = BigInt(2 ** 29 - 1);
const enc = new TextEncoder();

/** A host with a preopen `/` over `<tmp>/guest` (holding a.bin) and a `<tmp>/secret` beside it. */
function host() {
  const t = tempDir("mmap-proto-");
  mkdirSync(t.path("guest"));
  mkdirSync(t.path("secret"));
  writeFileSync(t.path("secret/password.txt"), "x");
  writeFileSync(t.path("guest/a.bin"), new Uint8Array(65536).fill(0x41));
  const memory = new WebAssembly.Memory({ initial: 4 });
  const wasi = new WASI({ memory, preopens: { "/": t.path("guest") } });
  const w = wasi.wasiImport as Record<string, (...a: unknown[]) => number>;
  const mm = wasi.mmapImport as Record<string, (...a: unknown[]) => number>;
  const dv = () => new DataView(memory.buffer);
  const u8 = () => new Uint8Array(memory.buffer);
  /** path_open of `path` from the preopen: [errno, fd]. */
  const open = (path: string, oflags = 0): [number, number] => {
    const b = enc.encode(path);
    u8().set(b, 0);
    const e = w.path_open!(3, 0, 0, b.length, oflags, ALL, ALL, 0, 200);
    return [e, e === 0 ? dv().getUint32(200, true) : -1];
  };
  const done = () => {
    wasi.close();
    t.cleanup();
  };
  return { t, memory, wasi, w, mm, dv, u8, open, done };
}

describe("the WASI host under patched prototypes", () => {
  it("Object.prototype.hostFd/listing/preopen are no entry's: no host directory listed or closed", () => {
    const h = host();
    const secret = openSync(h.t.path("secret"), "r");
    try {
      const [, sub] = (mkdirSync(h.t.path("guest/sub")), h.open("sub"));
      const seen = patched([
        [Object.prototype, "hostFd", value(secret)],
        [
          Object.prototype,
          "listing",
          value({ bytes: new Uint8Array(64).fill(0x58), starts: [0, 64] }),
        ],
        [Object.prototype, "preopen", value("/fake")],
      ], () => {
        const e = h.w.fd_readdir!(3, 1024, 4096, 0n, 100);
        const names = new TextDecoder().decode(
          h.u8().subarray(1024, 1024 + h.dv().getUint32(100, true)),
        );
        return {
          e,
          names: ["a.bin", "sub", "password.txt", "XXXX"].filter((n) => names.includes(n)),
          prestatOfSub: h.w.fd_prestat_get!(sub, 300),
          close: h.w.fd_close!(3),
        };
      });
      assert.deepEqual(seen, { e: 0, names: ["a.bin", "sub"], prestatOfSub: 8, close: 0 });
      assert.ok(fstatSync(secret).isDirectory(), "the host's descriptor is still open");
    } finally {
      closeSync(secret);
      h.done();
    }
  });

  it("patched findIndex/find/splice/indexOf/some never map over a live region nor unmap the wrong one", () => {
    const h = host();
    try {
      writeFileSync(h.t.path("b.bin"), new Uint8Array(65536).fill(0x42));
      const a = mapIntoMemory(h.memory, h.t.path("guest/a.bin"), { address: 65536 });
      const [, fd] = h.open("a.bin");
      const seen = patched([
        [Array.prototype, "findIndex", value(() => -1)],
        [Array.prototype, "find", value(() => undefined)],
        [Array.prototype, "indexOf", value(() => -1)],
        [Array.prototype, "some", value(() => false)],
        [Array.prototype, "splice", value(() => [])],
        [
          Array.prototype,
          "push",
          value(function (this: { start?: number }[], x: { start: number }) {
            if (x && typeof x.start === "number") x.start = 65536; // hand out a.bin's range again
            return 0;
          }),
        ],
        [
          Array.prototype,
          "sort",
          value(function (this: unknown) {
            return this;
          }),
        ],
      ], () => {
        let over: string;
        try {
          mapIntoMemory(h.memory, h.t.path("b.bin"), { address: 65536 });
          over = "mapped";
        } catch (e) {
          over = (e as Error).name;
        }
        // Two guest maps, one unmapped, then two more: never a range in use.
        const p = h.mm.map!(fd, 0n, 65536, 1, 2);
        const q = h.mm.map!(fd, 0n, 65536, 1, 2);
        const un = h.mm.unmap!(p, 65536);
        const r = h.mm.map!(fd, 0n, 65536, 1, 2);
        const s = h.mm.map!(fd, 0n, 65536, 1, 2);
        return { over, p, q, un, r, s, aByte: h.u8()[65536], rUnmap: h.mm.unmap!(p, 65536) };
      });
      assert.equal(seen.over, "RangeError");
      assert.equal(seen.un, 0);
      assert.ok(seen.p > 65536 && seen.q > seen.p, `fresh ranges: ${JSON.stringify(seen)}`);
      assert.equal(seen.r, seen.p, "the range given back is reused");
      assert.ok(seen.s > seen.q, `and the next one is fresh: ${JSON.stringify(seen)}`);
      assert.equal(seen.aByte, 0x41, "a.bin still mapped where it was");
      assert.equal(h.u8()[seen.q], 0x41);
      assert.equal(seen.rUnmap, 0, "r (at p) was mapped, so unmapping it works");
      a.unmap();
    } finally {
      h.done();
    }
  });

  it("patched Map/Set methods never let a guest cut a mapped file", () => {
    const h = host();
    try {
      const [, fd] = h.open("a.bin");
      const address = h.mm.map!(fd, 0n, 65536, 1, 1);
      const seen = patched([
        [Map.prototype, "get", value(() => undefined)],
        [Map.prototype, "has", value(() => false)],
        [Set.prototype, Symbol.iterator, value(function* () {})],
        [Set.prototype, "values", value(function* () {})],
      ], () => ({
        setSize: h.w.fd_filestat_set_size!(fd, 0n),
        truncOpen: h.open("a.bin", 8 /* O_TRUNC */)[0],
      }));
      assert.deepEqual(seen, { setSize: 10, truncOpen: 10 }); // EBUSY both
      assert.equal(statSync(h.t.path("guest/a.bin")).size, 65536);
      assert.equal(h.u8()[address], 0x41);
    } finally {
      h.done();
    }
  });

  it("a patched array iterator or index accessor never swaps an iovec's buffer", () => {
    const h = host();
    try {
      const [, fd] = h.open("a.bin");
      const fake = new Uint8Array(8);
      const stolen: Uint8Array[] = [];
      // Four iovecs of 2 bytes each at 400, 402, ...
      for (let i = 0; i < 4; i++) {
        h.dv().setUint32(300 + 8 * i, 400 + 2 * i, true);
        h.dv().setUint32(304 + 8 * i, 2, true);
      }
      const original = Array.prototype[Symbol.iterator];
      const seen = patched([
        [
          Array.prototype,
          Symbol.iterator,
          value(function (this: unknown[]) {
            return original.call(this.length === 4 ? [fake] : this);
          }),
        ],
        // Steals the fourth buffer stored past an array's end, and answers `fake` for it.
        [Array.prototype, "3", {
          get(this: unknown[]) {
            return this.length === 4 ? fake : undefined;
          },
          set(this: unknown[], v: unknown) {
            if (v instanceof Uint8Array) stolen.push(v);
            else Object.defineProperty(this, "3", value(v));
          },
        }],
      ], () => ({ e: h.w.fd_read!(fd, 300, 4, 380), nread: h.dv().getUint32(380, true) }));
      assert.deepEqual(seen, { e: 0, nread: 8 });
      assert.deepEqual([...h.u8().subarray(400, 409)], [
        0x41,
        0x41,
        0x41,
        0x41,
        0x41,
        0x41,
        0x41,
        0x41,
        0,
      ]);
      assert.deepEqual([...fake], [0, 0, 0, 0, 0, 0, 0, 0]);
      assert.equal(stolen.length, 0);
    } finally {
      h.done();
    }
  });

  it("patched Array and String methods never let a guest path out of its preopen", () => {
    const h = host();
    try {
      const join = Array.prototype.join;
      const seen = patched([
        [Array.prototype, "includes", value(() => false)],
        [
          Array.prototype,
          "join",
          value(function (this: string[], s: string) {
            return join.call(this, s) === "a.bin" ? "../secret/password.txt" : join.call(this, s);
          }),
        ],
        [Array.prototype, "pop", value(() => undefined)],
        [Array.prototype, "shift", value(() => "..")],
        [String.prototype, "split", value(() => ["a.bin"])],
        [String.prototype, "startsWith", value(() => false)],
        [String.prototype, "endsWith", value(() => false)],
        [String.prototype, "includes", value(() => false)],
      ], () => {
        const up = h.open("../secret/password.txt");
        const inside = h.open("a.bin");
        const st = h.w.fd_filestat_get!(inside[1], 500);
        return { up: up[0], inside: inside[0], st, size: Number(h.dv().getBigUint64(532, true)) };
      });
      assert.deepEqual(seen, { up: 76, inside: 0, st: 0, size: 65536 }); // ENOTCAPABLE, then a.bin
    } finally {
      h.done();
    }
  });

  it("patched Array methods and Object.prototype fields never change poll_oneoff's or args_get's answers", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const wasi = new WASI({ memory, args: ["prog", "x"] });
    const w = wasi.wasiImport as Record<string, (...a: unknown[]) => number>;
    const dv = new DataView(memory.buffer);
    // One relative clock subscription of 0 ns (userdata 7) at 0.
    dv.setBigUint64(0, 7n, true);
    dv.setUint8(8, 0);
    dv.setUint32(16, 1, true); // monotonic
    dv.setBigUint64(24, 0n, true);
    const seen = patched([
      [Array.prototype, "filter", value(() => [])],
      [Array.prototype, "forEach", value(() => {})],
      [Array.prototype, "reduce", value(() => 0)],
      [Object.prototype, "error", value(28)],
      [Object.prototype, "deadline", value(10n ** 12n)],
      [
        Uint8Array.prototype,
        Symbol.iterator,
        value(function* () {
          yield 0x21;
        }),
      ],
    ], () => ({
      poll: w.poll_oneoff!(0, 100, 1, 200),
      args: w.args_get!(400, 500),
    }));
    assert.deepEqual(seen, { poll: 0, args: 0 });
    assert.equal(dv.getUint32(200, true), 1);
    assert.equal(dv.getBigUint64(100, true), 7n);
    assert.equal(dv.getUint16(108, true), 0, "no error from Object.prototype.error");
    assert.equal(new TextDecoder().decode(new Uint8Array(memory.buffer, 500, 7)), "prog\0x\0");
  });
});

describe("the WASI host's file times under a patched forEach or buffer getter", () => {
  it("fd_filestat_set_times sets the access time asked and leaves the modification time", () => {
    const h = host();
    try {
      const [, fd] = h.open("a.bin");
      const path = h.t.path("guest/a.bin");
      const mtime = statSync(path).mtimeMs;
      const typed = Object.getPrototypeOf(Uint8Array.prototype);
      const e = patched([
        [Array.prototype, "forEach", value(() => {})],
        [typed, "buffer", { get: () => new ArrayBuffer(32) }],
      ], () => h.w.fd_filestat_set_times!(fd, 5_000_000_000n, 0n, 1 /* ATIM */));
      assert.equal(e, 0);
      const st = statSync(path);
      assert.deepEqual([st.atimeMs, st.mtimeMs], [5000, mtime]); // before: [0, 0]
    } finally {
      h.done();
    }
  });
});

describe("the WASI host under hostile guest pointers", () => {
  it("a path_open whose fd_out lies past the memory (EFAULT) leaves no host descriptor open", () => {
    const h = host();
    try {
      const before = openFdCount();
      const b = enc.encode("a.bin");
      h.u8().set(b, 0);
      const errnos = [];
      for (let i = 0; i < 8; i++) {
        errnos.push(h.w.path_open!(3, 0, 0, b.length, 0, ALL, ALL, 0, 0xfffffffc));
      }
      assert.deepEqual(errnos, new Array(8).fill(21)); // EFAULT
      assert.equal(openFdCount(), before);
      assert.equal(h.open("a.bin")[1], 4, "the guest's next descriptor is the lowest free one");
    } finally {
      h.done();
    }
  });

  it("a result pointer past the memory (EFAULT) fails the call before it acts", () => {
    const h = host();
    const BAD = 0xfffffffc;
    try {
      const fd = h.open("a.bin")[1];
      writeFileSync(h.t.path("guest/a.bin"), "0123456789");
      // One iovec at 300: 4 bytes into 400.
      const iovec = () => {
        h.dv().setUint32(300, 400, true);
        h.dv().setUint32(304, 4, true);
      };
      iovec();
      const tell = () => (h.w.fd_tell!(fd, 500), Number(h.dv().getBigUint64(500, true)));
      // Before: fd_read read the bytes and moved the position, fd_write and
      // fd_pwrite wrote the file, fd_seek moved, and path_open made the file.
      const errnos = [
        h.w.fd_read!(fd, 300, 1, BAD),
        h.w.fd_pread!(fd, 300, 1, 0n, BAD),
        h.w.fd_seek!(fd, 6n, 0, BAD),
      ];
      const pos = tell();
      h.u8().set(enc.encode("WXYZ"), 400);
      errnos.push(h.w.fd_write!(fd, 300, 1, BAD), h.w.fd_pwrite!(fd, 300, 1, 2n, BAD));
      const created = enc.encode("new.bin");
      h.u8().set(created, 0);
      errnos.push(h.w.path_open!(3, 0, 0, created.length, 1, /* CREAT */ ALL, ALL, 0, BAD));
      assert.deepEqual(errnos, new Array(6).fill(21));
      assert.equal(pos, 0, "the position stays");
      assert.equal(readFileSync(h.t.path("guest/a.bin"), "latin1"), "0123456789");
      assert.equal(existsSync(h.t.path("guest/new.bin")), false, "no file made");
      // And the read that follows gets the first bytes.
      assert.equal(h.w.fd_read!(fd, 300, 1, 600), 0);
      assert.equal(new TextDecoder().decode(h.u8().slice(400, 404)), "0123");
    } finally {
      h.done();
    }
  });

  it("stdin's bytes stay unread when fd_read's nread lies past the memory", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const wasi = new WASI({ memory, stdin: "hello" });
    const w = wasi.wasiImport as Record<string, (...a: unknown[]) => number>;
    try {
      const dv = new DataView(memory.buffer);
      dv.setUint32(0, 100, true);
      dv.setUint32(4, 5, true);
      assert.equal(w.fd_read!(0, 0, 1, 0xfffffffc), 21);
      assert.equal(w.fd_read!(0, 0, 1, 200), 0);
      assert.equal(dv.getUint32(200, true), 5);
      assert.equal(new TextDecoder().decode(new Uint8Array(memory.buffer, 100, 5)), "hello");
    } finally {
      wasi.close();
    }
  });
});
