// Child process for fault_guard_test.ts: maps files, has another process
// (truncate(1)) cut them under the map, touches the lost pages, and prints
// one JSON line of what it saw. A death is the parent's to assert on.
// Run by the current runtime: `_fault_child.ts CASE DIR`; never imported.
// `CASE` may name several cases, comma-separated: they run one after another
// in this process, each printing `@case NAME JSON` (the cases that only need
// to survive share one child, which saves minutes under emulated aarch64).
import { spawnSync } from "node:child_process";
import { cpSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import process from "node:process";
import { MMap, type MMapOSError, PAGESIZE } from "../mod.ts";
import { mapIntoMemory } from "../wasm/mod.ts";
import { backend } from "../ffi/load.ts";
import { searchHelperReady } from "../src/search_kernel.ts";

const [name, dir] = process.argv.slice(2);
const page = PAGESIZE;

/** A new file of `pages` pages of 7s. */
function file(base: string, pages = 3, fill = 7): string {
  const path = `${dir}/${base}`;
  writeFileSync(path, new Uint8Array(pages * page).fill(fill));
  return path;
}

/** Another process cuts the file to `bytes`. */
function cut(path: string, bytes = page): void {
  const r = spawnSync("truncate", ["-s", String(bytes), path]);
  if (r.status !== 0) throw new Error(`truncate failed: ${r.stderr}`);
}

/** What a call did: "EIO" for the fault error (checked), else what it returned. */
function attempt(fn: () => unknown, path?: string): string {
  try {
    const v = fn();
    return `returned ${v instanceof Uint8Array ? `bytes(${v.length})` : String(v)}`;
  } catch (thrown) {
    const e = thrown as MMapOSError;
    // By name: a second copy of the library has a class of its own.
    if (e?.name !== "MMapOSError") {
      return `threw ${e.name}: ${e.message}`;
    }
    const ok = e.code === "EIO" && e.errno === 5 && e.syscall === "SIGBUS" &&
      /shrank or failed under it/.test(e.message) &&
      /stores into them go nowhere/.test(e.message) &&
      (path === undefined || (e.path === path && e.message.includes(`'${path}'`)));
    return ok ? "EIO" : `bad error: ${e.code} ${e.syscall} ${e.path} ${e.message}`;
  }
}

/** Every method of an MMap, as the fault error should stop them. */
function everyMethod(m: MMap): Record<string, () => unknown> {
  return {
    length: () => m.length,
    bytes: () => m.bytes,
    view: () => m.view(Uint8Array),
    read: () => m.read(1),
    at: () => m.at(0),
    find: () => m.find("x"),
    count: () => m.count("x", 0),
    tell: () => m.tell(),
    seek: () => m.seek(0),
    size: () => m.size(),
    flush: () => m.flush(),
  };
}

/**
 * The SIGBUS handler installed now, and the one before it, read from the
 * guard's page (its data area holds the previous handler at 2048 + 24):
 * whether each is a page of ours.
 */
function handlers(): { installed: boolean; previousIsOurs: boolean } {
  const b = backend();
  const old = new Uint8Array(152);
  b.libc.sigaction!(7, 0, b.addressOf(old));
  const ours = (address: number) => {
    if (address <= 1 || address % page !== 0) return false;
    return new TextDecoder().decode(new Uint8Array(b.arrayBuffer(address + 2048, 8))) ===
      "seedmmap";
  };
  const current = Number(new DataView(old.buffer).getBigUint64(0, true));
  if (!ours(current)) return { installed: false, previousIsOurs: false };
  const prev = Number(new DataView(b.arrayBuffer(current + 2048 + 24, 8)).getBigUint64(0, true));
  return { installed: true, previousIsOurs: ours(prev) };
}

const out: Record<string, unknown> = {};
const cases: Record<string, () => void | Promise<void>> = {
  // Loads through bytes, view() and dataView() read zeros; the map remembers.
  loads() {
    for (const access of ["read", "write", "copy"] as const) {
      const path = file(`loads-${access}`);
      const m = MMap.open(path, { access });
      const bytes = m.bytes, view = m.view(Uint32Array), dv = m.dataView();
      cut(path);
      const r: Record<string, unknown> = {
        kept: bytes[page - 1],
        bytes: bytes[page + 1],
        view: view[(2 * page) / 4 + 3],
        dataView: dv.getUint8(page + 100),
        faulted: m.faulted,
        closed: m.closed,
      };
      const calls = everyMethod(m);
      r.methods = Object.fromEntries(Object.keys(calls).map((k) => [k, attempt(calls[k], path)]));
      r.repr = String(m);
      m.close();
      r.closedAfterClose = m.closed;
      r.afterClose = attempt(() => m.read(1));
      out[access] = r;
    }
  },
  // Each method is the first to touch a lost page: it throws the fault error itself.
  methods() {
    const tries: Record<string, (m: MMap) => unknown> = {
      find: (m) => m.find("x", page),
      findLong: (m) => m.find("\x07\x07\x07\x07\x07x", 0),
      rfind: (m) => m.rfind("x"),
      rfindByte: (m) => m.rfind(120),
      count: (m) => m.count("\x07", 0),
      countLong: (m) => m.count("\x07\x07", 0),
      includes: (m) => m.includes("zz"),
      read: (m) => (m.seek(page), m.read(10)),
      readAll: (m) => m.read(),
      readByte: (m) => (m.seek(page), m.readByte()),
      readline: (m) => (m.seek(page), m.readline()),
      readInto: (m) => (m.seek(page), m.readInto(new Uint8Array(10))),
      // The line made of zeros comes out; the next step throws.
      lines: (m) => [...m.lines(page)].length,
      slice: (m) => m.slice(page, page + 10),
      sliceStep: (m) => m.slice(0, undefined, 3),
      at: (m) => m.at(page + 1),
      iterate: (m) => [...m].length,
      write: (m) => (m.seek(page), m.write("abc")),
      writeByte: (m) => (m.seek(2 * page), m.writeByte(1)),
      set: (m) => m.set(page, 1),
      setSlice: (m) => m.setSlice(page, page + 2, "ab"),
      move: (m) => m.move(0, page, 10),
    };
    for (const [method, fn] of Object.entries(tries)) {
      const path = file(`m-${method}`, 3);
      const write = /^(write|writeByte|set|setSlice|move)$/.test(method);
      const m = MMap.open(path, { access: write ? "write" : "read" });
      cut(path);
      out[method] = [attempt(() => fn(m), path), m.faulted, m.closed];
      m.close();
    }
    // The search kernel over the file's own pages (a read map no view was made for).
    const big = file("kernel", 512, 10);
    const m = MMap.open(big);
    cut(big, page);
    out.kernelCount = [attempt(() => m.count("\n", 0), big), m.faulted];
    m.close();
    const big2 = file("kernel2", 512, 10);
    const m2 = MMap.open(big2);
    cut(big2, page);
    out.kernelFind = [attempt(() => m2.find("e\n\n", 0), big2), m2.faulted];
    m2.close();
    // Long enough for the kernel's helper thread to search too: faults in that thread count.
    for (const dir of ["find", "rfind"] as const) {
      const big3 = file(`kernel-${dir}`, 4096, 10);
      searchHelperReady(60_000);
      const m3 = MMap.open(big3);
      cut(big3, page);
      const name = dir === "find" ? "kernelFindHelped" : "kernelRfindHelped";
      out[name] = [attempt(() => m3[dir]("e\n\n", 0), big3), m3.faulted];
      m3.close();
    }
  },
  // Stores past the new end land in the zero page, never in the file.
  stores() {
    const path = file("stores");
    const m = MMap.open(path, { access: "write" });
    const bytes = m.bytes;
    cut(path);
    // The first lost page faults; it and every page after it are zero pages from then on.
    bytes.fill(9, page, page + 16);
    bytes[2 * page] = 42;
    out.readBack = [bytes[2 * page], bytes[page]];
    out.size = statSync(path).size;
    out.fileFirstPage = readFileSync(path).every((x) => x === 7);
    out.flush = attempt(() => m.flush(), path);
    out.faulted = m.faulted;
    m.close();
    out.sizeAfterClose = statSync(path).size;
    // Faulted through a view, closed before any method looked: close() still records it.
    const unasked = file("unasked");
    const u = MMap.open(unasked);
    const view = u.bytes;
    cut(unasked);
    out.unasked = [view[page], (u.close(), u.faulted)];
  },
  // new MMap(fd) and MMap.shared are guarded too.
  descriptor() {
    const path = file("fd");
    const fd = openSync(path, "r");
    const m = new MMap(fd, 0, { access: "read" });
    cut(path);
    out.fd = [
      m.bytes.length === 0 ? "none" : m.bytes[page + 1],
      m.faulted,
      attempt(() => m.read(1)),
    ];
    m.close();
    const shm = `seed-guard-${process.pid}`;
    const s = MMap.shared(shm, 3 * page, { create: true });
    const sv = s.bytes;
    cut(`/dev/shm/${shm}`);
    out.shared = [sv[2 * page], s.faulted, attempt(() => s.at(0))];
    s.close();
    MMap.unlinkShared(shm);
  },
  // A file of a concatenation shrinks: its lost pages read zeros, the error names it.
  concat() {
    const a = file("c-a", 2, 1), b = file("c-b", 2, 2), c = file("c-c", 1, 3);
    const m = MMap.concat([a, b, c]);
    const bytes = m.bytes;
    cut(b, page);
    out.read = [bytes[0], bytes[2 * page], bytes[3 * page + 5], bytes[4 * page]];
    out.faulted = m.faulted;
    out.find = attempt(() => m.find("x"), b);
    out.closed = m.closed;
    m.close();
    // A method is the first to touch the lost page.
    const n = MMap.concat([file("d-a", 2, 1), file("d-b", 2, 2)]);
    cut(`${dir}/d-b`, 0);
    out.count = attempt(() => n.count("\x02", 0), `${dir}/d-b`);
    n.close();
  },
  // A guest over mapIntoMemory loads from a lost page: zeros, and the mapping says so.
  guest() {
    const path = file("guest", 3);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const m = mapIntoMemory(memory, path);
    const load = guestLoad(memory);
    cut(path);
    out.load = [load(m.address), load(m.address + page + 8), load(m.address + 2 * page)];
    out.faulted = m.faulted;
    out.flush = attempt(() => m.flush(), path);
    m.unmap();
    out.closed = m.closed;
    // The source an MMap: the guest's fault is the MMap's pages' file, not the MMap's pages.
    const p2 = file("guest2", 3);
    const mm = MMap.open(p2);
    const g2 = mapIntoMemory(memory, mm);
    cut(p2);
    out.second = [guestLoad(memory)(g2.address + page), g2.faulted];
    g2.unmap();
    mm.close();
  },
  // A Worker's map faults: the Worker and the process live; one handler serves both.
  async worker() {
    const mine = MMap.open(file("main"));
    const worker = new Worker(new URL("./_fault_worker.ts", import.meta.url).href, {
      type: "module",
    });
    const reply = await new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(String((e as ErrorEvent).message)));
      worker.postMessage(`${dir}/worker`);
    });
    worker.terminate();
    out.worker = reply;
    out.main = [mine.at(0), mine.faulted, MMap.faultGuard];
    out.handlers = handlers();
    mine.close();
  },
  // A second copy of the library (another module instance) reuses the handler and its table.
  async twice() {
    const first = MMap.open(file("first"));
    // A second copy of the files, as two versions of the package in node_modules would be.
    const root = new URL("..", import.meta.url).pathname;
    for (const part of ["mod.ts", "src", "ffi", "wasm"]) {
      cpSync(`${root}${part}`, `${dir}/lib/${part}`, { recursive: true });
    }
    const copy = (await import(`${dir}/lib/mod.ts`)) as typeof import("../mod.ts");
    out.distinct = copy.MMap !== MMap;
    const path = file("copy");
    const m = copy.MMap.open(path);
    const bytes = m.bytes;
    cut(path);
    out.copy = [bytes[2 * page], m.faulted, attempt(() => m.at(0), path), copy.MMap.faultGuard];
    out.first = [first.at(0), first.faulted, MMap.faultGuard];
    out.handlers = handlers();
    m.close();
    first.close();
  },
  // A map made with guard: false dies of SIGBUS, as before: the runtime's own handler runs.
  unguarded() {
    const guarded = MMap.open(file("g"));
    const path = file("u");
    const m = MMap.open(path, { guard: false });
    console.log(JSON.stringify({ status: MMap.faultGuard, guarded: guarded.at(0) }));
    cut(path);
    console.log(m.bytes[page + 1]); // dies here
  },
  // SEED_MMAP_GUARD=0: no guard at all; a fault kills as before.
  off() {
    const path = file("off");
    const m = MMap.open(path);
    console.log(JSON.stringify({ status: MMap.faultGuard }));
    cut(path);
    console.log(m.bytes[page + 1]); // dies here
  },
  // kill -BUS is not a fault: it still ends the process.
  signal() {
    const m = MMap.open(file("k"));
    console.log(JSON.stringify({ status: MMap.faultGuard, at: m.at(0) }));
    spawnSync("kill", ["-BUS", String(process.pid)]);
    console.log("still alive");
  },
};

/** A WebAssembly function that loads one byte of `memory` (a guest's load). */
function guestLoad(memory: WebAssembly.Memory): (address: number) => number {
  // (module (import "env" "memory" (memory 1))
  //   (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u))
  const hex = "0061736d0100000001060160017f017f020f0103656e76066d656d6f727902000103020100" +
    "070801046c6f616400000a0901070020002d00000b";
  const bytes = Uint8Array.from(hex.match(/../g)!, (x) => parseInt(x, 16));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return instance.exports.load as (address: number) => number;
}

const names = name.split(",");
if (names.length === 1) {
  await cases[name]();
  console.log(JSON.stringify(out));
} else {
  for (const one of names) {
    for (const key of Object.keys(out)) delete out[key];
    await cases[one]();
    console.log(`@case ${one} ${JSON.stringify(out)}`);
  }
}
