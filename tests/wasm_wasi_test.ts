// The WASI host: the "mmap" import module driven by a C guest, arguments,
// environment, streams, clocks, exit codes, and errno (never an exception)
// for anything a guest passes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { WASI, WASIProcExit } from "../wasm/mod.ts";
import { tempDir } from "./_helpers.ts";
import { guest, lines, runGuest, wat } from "./wasm_helpers.ts";

describe("WASI host", () => {
  it("serves a C guest that maps a file through the mmap import, writes it and syncs", () => {
    const dir = tempDir();
    try {
      writeFileSync(dir.path("file.txt"), "hello mapped world");
      const run = runGuest("mmap_rw", {
        args: ["mmap_rw", "/data/file.txt"],
        preopens: { "/data": dir.dir },
      });
      assert.equal(run.code, 0, run.stdout);
      assert.deepEqual(lines(run.stdout), [
        "aligned: 1",
        "read: hello mapped world",
        "sync: ok",
        "pread after sync: HELLO MAPPED WORLD",
        "tail byte past end: 0",
        "advise: ok",
        "truncate while mapped: EBUSY",
        "open O_TRUNC while mapped: EBUSY",
        "unmap: ok",
        "after unmap: 0",
        "unmap again: EINVAL",
        "truncate after unmap: ok",
        "shared write on read-only fd: ENOTCAPABLE",
        "private map on read-only fd: ok",
        "private store: x",
        "map on write-only fd: ENOTCAPABLE",
        "map on bad fd: EBADF",
        "unaligned offset: EINVAL",
        "shared and private: EINVAL",
        "map stdout: ENODEV",
        "unmap the stack: EINVAL",
        "sync unmapped: ENOMEM",
        "anonymous: ok zero=0",
        "unmapped pages reused: 1 zero=0",
        "too large: ENOMEM",
        "unmap first half: ok second half=k truncate=EBUSY unmap second half=ok truncate=ok",
        "past end: ok last=0",
      ]);
      // The host sees the guest's writes in the file.
      assert.equal(readFileSync(dir.path("file.txt"), "utf8"), "HELLO MAPPED WORLD");
    } finally {
      dir.cleanup();
    }
  });

  it("gives the guest its arguments, environment, stdin, clocks and randomness", () => {
    const run = runGuest("basics", {
      args: ["basics", "one", "two words"],
      env: { GUEST_ENV: "from the host", OTHER: "x" },
      stdin: "from stdin",
    });
    assert.equal(run.code, 0);
    assert.deepEqual(lines(run.stdout), [
      "argc=3 [one] [two words]",
      "env: 2 GUEST_ENV=from the host",
      "stdin: 10 [from stdin]",
      "clock_getres: ok nonzero=1",
      "nanosleep: ok slept at least 20 ms: 1",
      "realtime after 2020: 1",
      "bad clock: EINVAL",
      "random differs: 1",
    ]);
    assert.equal(run.stderr, "to stderr\n");
  });

  it("returns the exit code of proc_exit without ending the host, and passes traps on", () => {
    assert.equal(runGuest("basics", { args: ["basics", "exit", "7"] }).code, 7);
    assert.equal(runGuest("basics", { args: ["basics", "exit", "0"] }).code, 0);
    assert.throws(() => runGuest("basics", { args: ["basics", "trap"] }), WebAssembly.RuntimeError);
  });

  it("keeps unwinding a guest that exited, and refuses to start twice", async () => {
    const m = await wat(`(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
      (memory (export "memory") 1)
      (func (export "quit") (call $exit (i32.const 3)))
      (func (export "yield") (result i32) (call $yield)))`);
    const wasi = new WASI();
    const instance = new WebAssembly.Instance(m, wasi.getImportObject());
    wasi.initialize(instance);
    const g = instance.exports as { quit(): void; yield(): number };
    assert.equal(g.yield(), 0);
    assert.throws(() => g.quit(), (e: unknown) => e instanceof WASIProcExit && e.code === 3);
    assert.throws(() => g.yield(), WASIProcExit);
    assert.throws(() => wasi.start(instance), /already/);
    assert.throws(() => new WASI().start(instance), /_start/);
    assert.throws(() => new WASI({ preopens: { "/x": "/no/such/dir" } }), /ENOENT/);
    assert.throws(() => new WASI({ stdout: "nope" as never }), TypeError);
    assert.throws(() => new WASI({ color: true } as never), TypeError);
  });

  it("answers every call with an errno, whatever the guest passes", async () => {
    const dir = tempDir();
    writeFileSync(dir.path("f"), "content");
    try {
      const wasi = new WASI({ preopens: { "/d": dir.dir }, stdin: "in", stdout: () => {} });
      const { instance, calls } = await fuzzGuest(wasi);
      wasi.initialize(instance);
      let seed = 12345;
      const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0);
      const arg = (t: string) => {
        const r = rand() % 4;
        const small = rand() % 16;
        const value = r === 0 ? small : r === 1 ? rand() % 131072 : r === 2 ? rand() : -small;
        return t === "I" ? BigInt(value) * (r === 3 ? 1n << 40n : 1n) : value;
      };
      let count = 0;
      for (let round = 0; round < 300; round++) {
        for (const [name, params, module] of calls) {
          const fn = instance.exports[`call_${module}_${name}`] as (...a: unknown[]) => number;
          const r = fn(...[...params].map(arg));
          // mmap: an address (>= 0 here: the memory stays under 2 GiB) or -errno.
          const ok = Number.isInteger(r) && (module === "mmap" ? r >= -76 : r >= 0 && r <= 76);
          assert.ok(ok, `${module}.${name} returned ${r}`);
          count++;
        }
      }
      assert.ok(count > 10000);
      wasi.close();
    } finally {
      dir.cleanup();
    }
  });

  it("reports out-of-memory pointers as EFAULT and bad descriptors as EBADF", () => {
    const wasi = new WASI({ stdout: () => {} });
    const memory = new WebAssembly.Memory({ initial: 1 });
    const w = wasi.wasiImport;
    const bound = new WASI({ memory, stdout: () => {} });
    const b = bound.wasiImport;
    assert.equal(b.fd_write(1, 65530, 2, 0), 21);
    assert.equal(b.fd_write(1, 0, 1, 70000), 21);
    assert.equal(b.random_get(65000, 1000), 21);
    assert.equal(b.fd_read(42, 0, 0, 0), 8);
    assert.equal(b.fd_close(42), 8);
    assert.equal(b.fd_prestat_get(1, 0), 8);
    assert.equal(b.args_sizes_get(0, 4), 0);
    assert.equal(b.poll_oneoff(0, 64, 0, 128), 28);
    // More iovecs than IOV_MAX, or subscriptions than 4096: EINVAL, not a huge host array.
    assert.equal(b.fd_write(1, 0, 5000, 0), 28);
    assert.equal(b.poll_oneoff(0, 64, 100000, 128), 28);
    // Without a memory, a call that needs one is EFAULT too.
    assert.equal(w.args_sizes_get(0, 4), 21);
    assert.equal(bound.mmapImport.map(42, 0n, 10, 1, 2), -8);
    assert.equal(bound.mmapImport.map(0, 0n, 10, 1, 2), -43);
  });

  it("lets a guest rename a file it has mapped, and over one (legal on Linux: the map stays)", () => {
    const t = tempDir();
    try {
      writeFileSync(t.path("f.bin"), new Uint8Array(70000).fill(0x41));
      writeFileSync(t.path("z"), "zz");
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 64 });
      const wasi = new WASI({ preopens: { "/d": t.dir }, memory });
      const w = wasi.wasiImport, mm = wasi.mmapImport;
      const put = (at: number, s: string) => {
        // A fresh view each time: map() grows the memory.
        new Uint8Array(memory.buffer).set(new TextEncoder().encode(s), at);
        return s.length;
      };
      const rights = (1n << 29n) - 1n;
      assert.equal(w.path_open(3, 0, 100, put(100, "f.bin"), 0, rights, rights, 0, 200), 0);
      const fd = new DataView(memory.buffer).getUint32(200, true);
      const at = mm.map(fd, 0n, 131072, 1, 1) as number;
      assert.ok(at > 0, `map: ${at}`);
      const rename = (a: string, b: string) =>
        w.path_rename(3, 100, put(100, a), 3, 300, put(300, b));
      assert.equal(rename("f.bin", "g.bin"), 0);
      assert.equal(rename("z", "g.bin"), 0); // replaces the mapped file's name
      const view = new Uint8Array(memory.buffer);
      assert.equal(view[at], 0x41);
      assert.equal(readFileSync(t.path("g.bin"), "utf8"), "zz");
      assert.equal(mm.unmap(at, 131072), 0);
      // Not Linux's munmap, which says 0 here: the guest's own heap is never unmapped (wasi_mmap.h).
      assert.equal(mm.unmap(at, 131072), -28);
      assert.equal(w.fd_close(fd), 0);
    } finally {
      t.cleanup();
    }
  });

  it("is the same object model as node:wasi: getImportObject, start, wasiImport", () => {
    const wasi = new WASI();
    const imports = wasi.getImportObject();
    assert.equal(imports.wasi_snapshot_preview1, wasi.wasiImport);
    assert.deepEqual(Object.keys(imports.mmap).sort(), ["advise", "map", "sync", "unmap"]);
    // Every preview1 function a C guest links against is there.
    const needed = WebAssembly.Module.imports(guest("fs_cases"))
      .filter((i) => i.module === "wasi_snapshot_preview1")
      .map((i) => i.name);
    for (const name of needed) assert.equal(typeof wasi.wasiImport[name], "function", name);
    assert.equal(Object.keys(wasi.wasiImport).length, 46);
  });
});

// Every preview1 function and every "mmap" function with its parameter types
// (i: i32, I: i64); proc_exit (ends the run) and poll_oneoff (random
// timeouts would sleep) are left out of the fuzzing.
const SIGNATURES: Record<string, string> = {
  args_get: "ii",
  args_sizes_get: "ii",
  environ_get: "ii",
  environ_sizes_get: "ii",
  clock_res_get: "ii",
  clock_time_get: "iIi",
  fd_advise: "iIIi",
  fd_allocate: "iII",
  fd_close: "i",
  fd_datasync: "i",
  fd_fdstat_get: "ii",
  fd_fdstat_set_flags: "ii",
  fd_fdstat_set_rights: "iII",
  fd_filestat_get: "ii",
  fd_filestat_set_size: "iI",
  fd_filestat_set_times: "iIIi",
  fd_pread: "iiiIi",
  fd_prestat_get: "ii",
  fd_prestat_dir_name: "iii",
  fd_pwrite: "iiiIi",
  fd_read: "iiii",
  fd_readdir: "iiiIi",
  fd_renumber: "ii",
  fd_seek: "iIii",
  fd_sync: "i",
  fd_tell: "ii",
  fd_write: "iiii",
  path_create_directory: "iii",
  path_filestat_get: "iiiii",
  path_filestat_set_times: "iiiiIIi",
  path_link: "iiiiiii",
  path_open: "iiiiiIIii",
  path_readlink: "iiiiii",
  path_remove_directory: "iii",
  path_rename: "iiiiii",
  path_symlink: "iiiii",
  path_unlink_file: "iii",
  proc_raise: "i",
  sched_yield: "",
  random_get: "ii",
  sock_accept: "iii",
  sock_recv: "iiiiii",
  sock_send: "iiiii",
  sock_shutdown: "ii",
};
const MMAP_SIGNATURES: Record<string, string> = {
  map: "iIiii",
  unmap: "ii",
  sync: "iii",
  advise: "iii",
};

/** A guest that re-exports each import as `call_<module>_<name>`, for fuzzing. */
async function fuzzGuest(wasi: WASI): Promise<{
  instance: WebAssembly.Instance;
  calls: [string, string, string][];
}> {
  const calls: [string, string, string][] = [
    ...Object.entries(SIGNATURES).map(([n, p]) => [n, p, "wasi_snapshot_preview1"]),
    ...Object.entries(MMAP_SIGNATURES).map(([n, p]) => [n, p, "mmap"]),
  ] as [string, string, string][];
  const type = (p: string) => [...p].map((c) => (c === "I" ? "i64" : "i32")).join(" ");
  const imports = calls.map(([n, p, m]) =>
    `(import "${m}" "${n}" (func $${m}_${n} (param ${type(p)}) (result i32)))`
  );
  const exports = calls.map(([n, p, m]) => {
    const get = [...p].map((_, i) => `(local.get ${i})`).join(" ");
    return `(func (export "call_${m}_${n}") (param ${
      type(p)
    }) (result i32) (call $${m}_${n} ${get}))`;
  });
  const m = await wat(`(module ${imports.join("\n")}
    (memory (export "memory") 2) ${exports.join("\n")})`);
  return { instance: new WebAssembly.Instance(m, wasi.getImportObject()), calls };
}
