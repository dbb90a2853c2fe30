// mapIntoMemory: files mapped straight into WebAssembly linear memory, seen
// through guests assembled from WAT.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { MMap, MMapOSError, PAGESIZE } from "../mod.ts";
import { mapIntoMemory } from "../wasm/mod.ts";
import { runScript, tempDir, tempFile } from "./_helpers.ts";
import { wat } from "./wasm_helpers.ts";

const FUNCS = `
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))`;

interface Guest {
  load(at: number): number;
  store(at: number, value: number): void;
  grow(pages: number): number;
}

/** A guest over an imported memory, or one that exports its own. */
async function guestWith(kind: "imported" | "exported" | "shared"): Promise<{
  memory: WebAssembly.Memory;
  g: Guest;
}> {
  if (kind === "exported") {
    const m = await wat(`(module (memory (export "memory") 1) ${FUNCS})`);
    const exports = new WebAssembly.Instance(m, {}).exports;
    return { memory: exports.memory as WebAssembly.Memory, g: exports as unknown as Guest };
  }
  const shared = kind === "shared";
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1000, shared });
  const m = await wat(
    `(module (import "env" "memory" (memory 1 1000 ${shared ? "shared" : ""})) ${FUNCS})`,
    { threads: shared },
  );
  const g = new WebAssembly.Instance(m, { env: { memory } }).exports as unknown as Guest;
  return { memory, g };
}

const text = (g: Guest, at: number, n: number) =>
  String.fromCharCode(...Array.from({ length: n }, (_, i) => g.load(at + i)));

describe("mapIntoMemory", () => {
  it("lets a guest read the file; with read access its stores never reach the file", async () => {
    const path = tempFile("hello from the file");
    const { memory, g } = await guestWith("imported");
    const m = mapIntoMemory(memory, path);
    assert.equal(m.access, "read");
    assert.equal(m.length, 19);
    assert.equal(m.address % PAGESIZE, 0);
    assert.equal(text(g, m.address, 19), "hello from the file");
    g.store(m.address, "J".charCodeAt(0));
    assert.equal(text(g, m.address, 5), "Jello");
    m.flush();
    assert.equal(readFileSync(path, "utf8"), "hello from the file");
    m.unmap();
    assert.equal(g.load(m.address), 0);
  });

  it("with write access, guest stores reach the file", async () => {
    const path = tempFile("lowercase");
    const { memory, g } = await guestWith("exported");
    using m = mapIntoMemory(memory, path, { access: "write" });
    for (let i = 0; i < 9; i++) g.store(m.address + i, g.load(m.address + i) - 32);
    m.flush();
    assert.equal(readFileSync(path, "utf8"), "LOWERCASE");
  });

  it("with copy access, stores stay in the guest", async () => {
    const path = tempFile("original");
    const { memory, g } = await guestWith("exported");
    using m = mapIntoMemory(memory, path, { access: "copy" });
    g.store(m.address, 79);
    assert.equal(text(g, m.address, 8), "Original");
    assert.equal(readFileSync(path, "utf8"), "original");
  });

  it("maps no page past the end of the file: the rest reads zero and takes stores", async () => {
    const path = tempFile("short");
    const { memory, g } = await guestWith("imported");
    const length = 3 * PAGESIZE + 100;
    using m = mapIntoMemory(memory, path, { length, access: "write" });
    assert.equal(text(g, m.address, 5), "short");
    // In the file's last page past its end, then in the zero pages after it.
    for (const at of [5, PAGESIZE - 1, PAGESIZE, 2 * PAGESIZE + 7, length - 1]) {
      assert.equal(g.load(m.address + at), 0);
      g.store(m.address + at, 1);
      assert.equal(g.load(m.address + at), 1);
    }
    m.flush();
    assert.equal(readFileSync(path, "utf8"), "short");
  });

  it("keeps the mapping in place when the guest grows its memory", async () => {
    const path = tempFile("x".repeat(3 * PAGESIZE));
    for (const kind of ["imported", "exported"] as const) {
      const { memory, g } = await guestWith(kind);
      using m = mapIntoMemory(memory, path, { access: "write" });
      const before = memory.buffer.byteLength;
      assert.notEqual(g.grow(200), -1);
      assert.equal(memory.buffer.byteLength, before + 200 * 65536);
      assert.equal(g.load(m.address + 2 * PAGESIZE), "x".charCodeAt(0));
      g.store(m.address + 2 * PAGESIZE, "y".charCodeAt(0));
      m.flush();
      assert.equal(readFileSync(path, "utf8")[2 * PAGESIZE], "y");
      g.store(m.address + 2 * PAGESIZE, "x".charCodeAt(0));
      m.flush();
    }
  });

  it("grows the memory for new pages, or maps at a given page-aligned address", async () => {
    const path = tempFile("abc");
    const { memory, g } = await guestWith("imported");
    const pages = memory.buffer.byteLength / 65536;
    const grown = mapIntoMemory(memory, path, { length: 70000 });
    assert.equal(grown.address, pages * 65536);
    assert.equal(memory.buffer.byteLength, (pages + 2) * 65536);
    const placed = mapIntoMemory(memory, path, { address: PAGESIZE });
    assert.equal(placed.address, PAGESIZE);
    assert.equal(text(g, PAGESIZE, 3), "abc");
    assert.throws(() => mapIntoMemory(memory, path, { address: PAGESIZE }), /overlaps/);
    assert.throws(() => mapIntoMemory(memory, path, { address: 100 }), RangeError);
    assert.throws(
      () => mapIntoMemory(memory, path, { address: memory.buffer.byteLength }),
      /beyond the memory/,
    );
    placed.unmap();
    grown.unmap();
    mapIntoMemory(memory, path, { address: PAGESIZE }).unmap();
  });

  it("unmap() puts zero pages back, once; flush() after it is a TypeError", async () => {
    const path = tempFile("data");
    const { memory, g } = await guestWith("exported");
    const m = mapIntoMemory(memory, path, { access: "write" });
    m.unmap();
    m.unmap();
    assert.equal(m.closed, true);
    assert.equal(g.load(m.address), 0);
    g.store(m.address, 9);
    assert.equal(g.load(m.address), 9);
    assert.equal(readFileSync(path, "utf8"), "data");
    assert.throws(() => m.flush(), TypeError);
  });

  it("maps from an offset, a file: URL, a descriptor, or an open MMap's file", async () => {
    const path = tempFile("A".repeat(PAGESIZE) + "B".repeat(10));
    const { memory, g } = await guestWith("imported");
    using fromOffset = mapIntoMemory(memory, pathToFileURL(path), { offset: PAGESIZE });
    assert.equal(fromOffset.length, 10);
    assert.equal(text(g, fromOffset.address, 10), "B".repeat(10));
    const fd = openSync(path, "r");
    try {
      using fromFd = mapIntoMemory(memory, fd, { length: 3 });
      assert.equal(text(g, fromFd.address, 3), "AAA");
    } finally {
      closeSync(fd);
    }
    // The MMap's own mode applies: "write" here, so both see each other's stores.
    using map = MMap.open(path, { access: "write" });
    using fromMap = mapIntoMemory(memory, map);
    assert.equal(fromMap.access, "write");
    g.store(fromMap.address, "Z".charCodeAt(0));
    assert.equal(map.at(0), "Z".charCodeAt(0));
    map.set(1, "Y".charCodeAt(0));
    assert.equal(g.load(fromMap.address + 1), "Y".charCodeAt(0));
    using anon = MMap.anonymous(16);
    assert.throws(() => mapIntoMemory(memory, anon), TypeError);
    const closed = MMap.open(path);
    closed.close();
    assert.throws(() => mapIntoMemory(memory, closed), TypeError);
  });

  it("refuses bad arguments before touching the memory", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const path = tempFile("x");
    const empty = tempFile("");
    const dir = tempDir();
    mkdirSync(dir.path("sub"));
    try {
      assert.throws(() => mapIntoMemory({} as WebAssembly.Memory, path), TypeError);
      assert.throws(() => mapIntoMemory(memory, {} as string), TypeError);
      assert.throws(() => mapIntoMemory(memory, path, { access: "nope" as "read" }), RangeError);
      assert.throws(() => mapIntoMemory(memory, path, { offset: 1 }), RangeError);
      assert.throws(() => mapIntoMemory(memory, path, { length: -1 }), RangeError);
      assert.throws(() => mapIntoMemory(memory, path, { shared: 1 } as never), TypeError);
      assert.throws(() => mapIntoMemory(memory, empty), /cannot mmap an empty file/);
      assert.throws(() => mapIntoMemory(memory, path, { offset: PAGESIZE }), /offset/);
      assert.throws(() => mapIntoMemory(memory, dir.path("missing")), (e: unknown) => {
        return e instanceof MMapOSError && e.code === "ENOENT";
      });
      assert.throws(() => mapIntoMemory(memory, dir.path("sub")), (e: unknown) => {
        return e instanceof MMapOSError && e.code === "EISDIR";
      });
      assert.equal(memory.buffer.byteLength, 65536);
    } finally {
      dir.cleanup();
    }
  });

  it("works with a shared memory", async () => {
    const path = tempFile("shared pages");
    const { memory, g } = await guestWith("shared");
    assert.ok((memory.buffer as unknown) instanceof SharedArrayBuffer);
    using m = mapIntoMemory(memory, path, { access: "write" });
    assert.equal(text(g, m.address, 12), "shared pages");
    g.store(m.address, "S".charCodeAt(0));
    m.flush();
    assert.equal(readFileSync(path, "utf8"), "Shared pages");
  });

  it("works with memory64 where the engine has it (Deno); elsewhere the engine refuses one", async () => {
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: 1n, address: "i64" } as never);
    } catch (e) {
      // Bun 1.4 (JavaScriptCore) has no memory64: no such memory can exist.
      assert.ok(e instanceof TypeError, String(e));
      assert.ok("Bun" in globalThis);
      return;
    }
    const m = await wat(
      `(module (import "env" "memory" (memory i64 1))
        (func (export "load") (param i64) (result i32) (i32.load8_u (local.get 0)))
        (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0))))`,
      { memory64: true },
    );
    const g = new WebAssembly.Instance(m, { env: { memory } }).exports as unknown as {
      load(at: bigint): number;
      grow(pages: bigint): bigint;
    };
    using mapped = mapIntoMemory(memory, tempFile("wide"));
    assert.equal(g.load(BigInt(mapped.address) + 3n), "e".charCodeAt(0));
    assert.notEqual(g.grow(10n), -1n);
    assert.equal(g.load(BigInt(mapped.address)), "w".charCodeAt(0));
  });

  it("takes the memory's buffer from the engine, never from a property a program put there", () => {
    // A buffer that answers another memory's pages (once, this test's way of
    // standing in for an engine that moves a memory on grow) is not asked:
    // the engine's own getter is, so no program can make the library map a
    // file over memory that is not the guest's. No engine tested moves a
    // memory on grow, so the "moved" tripwire in GuestMemory.base() cannot be
    // reached from JavaScript any more.
    const memory = new WebAssembly.Memory({ initial: 1 });
    const real = Object.getOwnPropertyDescriptor(WebAssembly.Memory.prototype, "buffer")!;
    const elsewhere = new WebAssembly.Memory({ initial: 4 });
    let moved = false;
    Object.defineProperty(memory, "buffer", {
      get: () => moved ? elsewhere.buffer : real.get!.call(memory),
    });
    const path = tempFile("x");
    const m = mapIntoMemory(memory, path, { address: 0 });
    moved = true;
    m.flush();
    assert.equal(new Uint8Array(real.get!.call(memory) as ArrayBuffer)[0], "x".charCodeAt(0));
    assert.equal(new Uint8Array(elsewhere.buffer)[0], 0);
    using other = mapIntoMemory(memory, path, { address: PAGESIZE });
    assert.equal(other.address, PAGESIZE);
    m.unmap();
    assert.equal(new Uint8Array(real.get!.call(memory) as ArrayBuffer)[0], 0);
  });

  it("survives, in a child process, every store and load a guest can do on a mapping", () => {
    const script = new URL("./wasm_guests/survive.ts", import.meta.url).pathname;
    const res = runScript(script);
    assert.equal(res.signal, null, res.stderr);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /survived/);
  });
});
