// Child process for intrinsics_test.ts: one case per run (argv[2]). Each
// patches a global the way a hostile but ordinary program can (after the
// library loaded), then calls the library; before the fix each case either
// killed the process (SIGSEGV) or made libc touch memory outside the map.
// It prints one JSON line with what it saw, then exits 0: a crash is an exit
// status the parent asserts on. Run by the current runtime; never imported.
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { Worker } from "node:worker_threads";
import { MADV_DONTNEED, MADV_WILLNEED, MMap, Mutex, Ring } from "../mod.ts";
import { mapIntoMemory, WASI } from "../wasm/mod.ts";
import { Mapping } from "../ffi/mapping.ts";
import { faultGuardStatus } from "../ffi/guard/install.ts";

const how = process.argv[2];
/** Memory the engine owns, next to the map in the address space, that must stay intact. */
const heap = new Uint8Array(64 << 20).fill(7);
const g = globalThis as unknown as Record<string, unknown>;

function attempt(
  fn: () => unknown,
): { ok: true; value?: unknown } | { error: string; message: string } {
  try {
    const value = fn();
    return { ok: true, ...(value === undefined ? {} : { value }) };
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message };
  }
}

/** Replaces the array iterator so that one shape of argument list changes on its way. */
function patchIterator(change: (a: unknown[]) => void): void {
  const original = Array.prototype[Symbol.iterator];
  const slice = Array.prototype.slice;
  Array.prototype[Symbol.iterator] = function (this: unknown[]) {
    const a = slice.call(this);
    change(a);
    return original.call(a);
  } as typeof original;
}

/** A libc argument list starts with an address (a BigInt in Deno): far above any length here. */
const isAddress = (v: unknown) => (typeof v === "number" || typeof v === "bigint") && v > 2 ** 32;
const big = (v: unknown) => (typeof v === "bigint" ? BigInt(1 << 26) : 1 << 26);

const m = MMap.anonymous(4096);
let result: unknown;
switch (how) {
  case "isSafeInteger": {
    // NaN then passed every range check (NaN < 0 and NaN > n are false).
    Number.isSafeInteger = (() => true) as typeof Number.isSafeInteger;
    result = [
      attempt(() => m.move(NaN, 0, 4096)),
      attempt(() => m.move(0, NaN, 4096)),
      attempt(() => m.seek(NaN)),
      attempt(() => m.flush(NaN, NaN)),
    ];
    break;
  }
  case "Math.min": {
    // madvise's length is clamped to the map with Math.min.
    Math.min = () => 1 << 24;
    result = attempt(() => m.madvise(MADV_DONTNEED, 0));
    break;
  }
  case "iterator": {
    // A spread call (fn(...args)) runs the array iterator: memmove's count
    // and madvise's length grew to 64 MiB on their way to libc.
    patchIterator((a) => {
      if (a.length === 3 && isAddress(a[0]) && Number(a[2]) === 100) a[2] = big(a[2]);
      if (a.length === 3 && isAddress(a[0]) && Number(a[1]) === 4096) a[1] = big(a[1]);
      // Mapping's own [address, length] pair on its way to madvise.
      if (a.length === 2 && isAddress(a[0]) && Number(a[1]) === 4096) a[1] = big(a[1]);
    });
    result = [
      attempt(() => m.move(0, 100, 100)),
      attempt(() => m.madvise(MADV_DONTNEED, 0, 4096)),
    ];
    break;
  }
  case "BigInt": {
    // Deno passes addresses and sizes to libc as BigInts.
    const real = BigInt;
    g.BigInt = (v: number | bigint) => real(v) * 2n;
    result = [attempt(() => m.move(0, 8, 100)), attempt(() => m.madvise(MADV_DONTNEED, 0, 4096))];
    g.BigInt = real;
    break;
  }
  case "mapping": {
    // The last check before libc: ranges outside the mapping, whatever the caller computed.
    const raw = Mapping.map(4096, 3, 0x22, -1, 0);
    result = [
      attempt(() => raw.copyOut(4095, new Uint8Array(2))),
      attempt(() => raw.copyIn(-1, new Uint8Array(1))),
      attempt(() => raw.move(0, NaN, 8)),
      attempt(() => raw.move(4000, 0, 200)),
      attempt(() => raw.buffer(0, 8192)),
      attempt(() => raw.advise(0, 1 << 26, MADV_DONTNEED)),
      attempt(() => raw.sync(1.5, 8, 4)),
      attempt(() => raw.indexOfByte(1, 0, 1 << 26)),
      attempt(() => raw.indexOf(new Uint8Array([1]), 100, 1 << 26)),
      attempt(() => raw.protect(4096, 4096, 0)),
      attempt(() => raw.mapFixed(4096, 4096, 3, 0x22, -1, 0)),
    ];
    raw.unmap();
    break;
  }
  case "wasi-length": {
    // The host's pread/pwrite took their byte count from `buf.length`, which
    // a program can redefine on the typed-array prototype: fd_read then
    // stored a whole page of the file into guest memory behind a 16-byte
    // iovec, and fd_write sent a page of guest memory to the file.
    const dir = mkdtempSync(`${tmpdir()}/seed-intrinsics-`);
    try {
      writeFileSync(`${dir}/in.bin`, new Uint8Array(8192).fill(0x41));
      const memory = new WebAssembly.Memory({ initial: 1 });
      const wasi = new WASI({ preopens: { "/d": dir }, memory });
      const w = wasi.wasiImport as Record<string, (...a: unknown[]) => number>;
      const mem = new Uint8Array(memory.buffer);
      const dv = new DataView(memory.buffer);
      const put = (at: number, s: string) => {
        for (let i = 0; i < s.length; i++) mem[at + i] = s.charCodeAt(i);
      };
      put(100, "in.bin");
      put(120, "out.bin");
      mem.fill(0x42, 8000, 8000 + 4096);
      dv.setUint32(300, 1000, true); // iovec 1: 16 bytes at 1000
      dv.setUint32(304, 16, true);
      dv.setUint32(320, 8000, true); // iovec 2: 16 bytes at 8000
      dv.setUint32(324, 16, true);
      const rights = (1n << 29n) - 1n;
      const TypedArray = Object.getPrototypeOf(Uint8Array.prototype);
      const realLength = Object.getOwnPropertyDescriptor(TypedArray, "length")!.get!;
      Object.defineProperty(TypedArray, "length", {
        get() {
          return realLength.call(this) > 0 ? 4096 : 0;
        },
        configurable: true,
      });
      const opened = w.path_open!(3, 0, 100, 6, 0, rights, rights, 0, 200);
      const read = w.fd_read!(dv.getUint32(200, true), 300, 1, 400);
      const created = w.path_open!(3, 0, 120, 7, 1, rights, rights, 0, 204);
      const wrote = w.fd_write!(dv.getUint32(204, true), 320, 1, 404);
      Object.defineProperty(TypedArray, "length", { get: realLength, configurable: true });
      let after = 0;
      for (let i = 1016; i < 1016 + 4096; i++) after += mem[i]!;
      result = {
        errnos: [opened, read, created, wrote],
        nread: dv.getUint32(400, true),
        nwritten: dv.getUint32(404, true),
        bytesAfterIovec: after,
        fileSize: statSync(`${dir}/out.bin`).size,
        fileByte: readFileSync(`${dir}/out.bin`)[0],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    break;
  }
  case "memory-buffer": {
    // mapIntoMemory placed the file at the address of whatever buffer
    // WebAssembly.Memory.prototype.buffer answered: another ArrayBuffer of
    // the program, whose memory the engine may give to other objects later.
    const dir = mkdtempSync(`${tmpdir()}/seed-intrinsics-`);
    try {
      const path = `${dir}/f.bin`;
      writeFileSync(path, new Uint8Array(65536).fill(0x41));
      const memory = new WebAssembly.Memory({ initial: 1 });
      const fake = new ArrayBuffer(8 << 20);
      const real = Object.getOwnPropertyDescriptor(WebAssembly.Memory.prototype, "buffer")!;
      Object.defineProperty(WebAssembly.Memory.prototype, "buffer", {
        get: () => fake,
        configurable: true,
      });
      const mapped = attempt(() => {
        using mm = mapIntoMemory(memory, path, { access: "write" });
        const guest = new Uint8Array(real.get!.call(memory) as ArrayBuffer);
        return [guest[mm.address], new Uint8Array(fake).indexOf(0x41)];
      });
      // An object that only says it is a memory.
      Object.defineProperty(WebAssembly.Memory, Symbol.hasInstance, { value: () => true });
      const liar = { buffer: fake, grow: () => 0 } as unknown as WebAssembly.Memory;
      const faked = attempt(() => mapIntoMemory(liar, path, { access: "write" }).address);
      Object.defineProperty(WebAssembly.Memory.prototype, "buffer", real);
      result = { mapped, faked: "error" in faked ? faked.error : faked };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    break;
  }
  case "kernel-memory": {
    // The search kernel took its memory's buffer (where the map's pages go)
    // from WebAssembly.Memory.prototype.buffer at call time: a patched getter
    // sent it to an unrelated buffer of the program.
    const dir = mkdtempSync(`${tmpdir()}/seed-intrinsics-`);
    try {
      const path = `${dir}/f.bin`;
      writeFileSync(path, new Uint8Array(1 << 20).fill(10));
      const fake = new ArrayBuffer(256 << 20);
      const real = Object.getOwnPropertyDescriptor(WebAssembly.Memory.prototype, "buffer")!;
      Object.defineProperty(WebAssembly.Memory.prototype, "buffer", {
        get: () => fake,
        configurable: true,
      });
      const m = MMap.open(path);
      const counted = attempt(() => [m.count("\n", 0), m.find("\n\n\n\n", 1 << 19)]);
      m.close();
      Object.defineProperty(WebAssembly.Memory.prototype, "buffer", real);
      const fv = new Uint8Array(fake);
      let touched = 0;
      for (let i = 0; i < fv.length; i += 4096) if (fv[i] !== 0) touched++;
      result = { counted, touched };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    break;
  }
  case "bun:ffi": {
    // require("bun:ffi") is one mutable object shared with the library: a
    // replaced `ptr` chose the address where mapIntoMemory put the file.
    const ffi = (import.meta as unknown as {
      require(id: string): { ptr(data: ArrayBuffer | ArrayBufferView): number };
    }).require("bun:ffi");
    const dir = mkdtempSync(`${tmpdir()}/seed-intrinsics-`);
    try {
      const path = `${dir}/f.bin`;
      writeFileSync(path, new Uint8Array(65536).fill(0x41));
      const memory = new WebAssembly.Memory({ initial: 1 });
      const victim = new ArrayBuffer(64 << 20);
      const ptr = ffi.ptr;
      ffi.ptr = (x) => ptr(x === memory.buffer ? victim : x);
      result = attempt(() => {
        using mm = mapIntoMemory(memory, path, { access: "write", address: 0 });
        return [new Uint8Array(memory.buffer)[mm.address], new Uint8Array(victim)[0]];
      });
      ffi.ptr = ptr;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    break;
  }
  case "index-setter": {
    // An index setter on Array.prototype caught what \`push\` stored into an
    // empty list: the guard's record of a map's pages was lost (a read over
    // a cut file then threw "Cannot read properties of undefined", and the
    // slot outlived its pages), and MMap.concat's list of open files too
    // (a TypeError, and their descriptors were never closed).
    const dir = mkdtempSync(`${tmpdir()}/seed-intrinsics-`);
    try {
      const path = `${dir}/f.bin`;
      writeFileSync(path, new Uint8Array(65536).fill(0x41));
      const paths = [0, 1, 2].map((i) => {
        const p = `${dir}/c${i}.bin`;
        writeFileSync(p, new Uint8Array(4096 * (i + 1)).fill(0x42 + i));
        return p;
      });
      for (let i = 0; i < 4; i++) {
        Object.defineProperty(Array.prototype, i, {
          set() {},
          get: () => undefined,
          configurable: true,
        });
      }
      const m = MMap.open(path);
      truncateSync(path, 0);
      const cut = attempt(() => m.read(4));
      const faulted = m.faulted;
      m.close();
      const joined = attempt(() => {
        using c = MMap.concat(paths);
        return [c.length, c.segments.length, c.at(0), c.at(4096), c.at(12288)];
      });
      for (let i = 0; i < 4; i++) delete (Array.prototype as unknown as Record<number, unknown>)[i];
      result = {
        cut: "error" in cut ? cut.error : cut,
        code: (cut as { message?: string }).message?.match(/\((E\w+)\)$/)?.[1],
        faulted,
        joined,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    break;
  }
  case "kernel-globals": {
    // The search kernel and its helper thread are made on the first long
    // search, after the program ran: a replaced WebAssembly.Instance was
    // handed the kernel's memory (a map's pages in it) and answered count
    // and find itself (Deno: a count of 123456789 in a 9 MiB map, a match
    // past its end); a replaced Worker.prototype.postMessage got the memory
    // and the helper's control words; a replaced SharedArrayBuffer chose them.
    const dir = mkdtempSync(`${tmpdir()}/seed-intrinsics-`);
    try {
      const path = `${dir}/f.bin`;
      const size = 9 << 20;
      const bytes = new Uint8Array(size).fill(0x61);
      bytes[size - 3] = bytes[size - 2] = 10;
      writeFileSync(path, bytes);
      const leaked: string[] = [];
      const Instance = WebAssembly.Instance;
      (WebAssembly as { Instance: unknown }).Instance = function () {
        leaked.push("Instance");
        return {
          exports: { count: () => 123456789, find: () => 0x7ffffff0, rfind: () => 0x7ffffff0 },
        };
      };
      const post = Worker.prototype.postMessage;
      Worker.prototype.postMessage = function (this: Worker, value: unknown) {
        leaked.push("postMessage");
        return post.call(this, value);
      };
      const SAB = SharedArrayBuffer;
      g.SharedArrayBuffer = function (n: number) {
        leaked.push("SharedArrayBuffer");
        return new SAB(n);
      };
      const m = MMap.open(path);
      const seen = [];
      for (let i = 0; i < 3; i++) {
        seen.push(attempt(() => [m.count("\n"), m.find("\n\n"), m.rfind("a\n")]));
      }
      m.close();
      (WebAssembly as { Instance: unknown }).Instance = Instance;
      Worker.prototype.postMessage = post;
      g.SharedArrayBuffer = SAB;
      result = { seen, leaked };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    break;
  }
  case "lists": {
    // The library's own lists of buffers over a map, which close() detaches
    // before it unmaps. An index setter on Array.prototype lost the Ring's
    // window and a concatenation's views (they outlived the unmap: SIGSEGV
    // at the next push or read, in both runtimes); a replaced
    // Array.prototype.map kept a concatenation's internal buffers from it;
    // a replaced array iterator chose the advice MMap.open's populate gives.
    const dir = mkdtempSync(`${tmpdir()}/seed-intrinsics-`);
    try {
      const paths = [0, 1].map((i) => {
        const p = `${dir}/c${i}.bin`;
        writeFileSync(p, new Uint8Array(4096 + 10).fill(0x41 + i));
        return p;
      });
      const arrayMap = Array.prototype.map;
      const iterator = Array.prototype[Symbol.iterator];
      const kept: Uint8Array[] = [];
      let advised = false;
      Array.prototype.map = function (this: unknown[], f: (v: unknown, i: number) => unknown) {
        const r = arrayMap.call(this, f as never) as unknown[];
        for (let i = 0; i < r.length; i++) {
          if (r[i] instanceof Uint8Array) kept[kept.length] = r[i] as Uint8Array;
        }
        return r;
      } as typeof arrayMap;
      Array.prototype[Symbol.iterator] = function (this: unknown[]) {
        if (this.length === 2 && this[1] === MADV_WILLNEED) advised = true;
        return iterator.call(this);
      } as typeof iterator;
      const copy = MMap.open(paths[0]!, { access: "copy", populate: true });
      copy.close();
      const joined = MMap.concat(paths);
      Array.prototype.map = arrayMap;
      Array.prototype[Symbol.iterator] = iterator;
      for (let i = 0; i < 8; i++) {
        Object.defineProperty(Array.prototype, i, {
          set() {},
          get: () => undefined,
          configurable: true,
        });
      }
      const m = MMap.anonymous(1 << 16);
      const ring = new Ring(m, 0, 1 << 16);
      const across = joined.view(Uint8Array, 4106, 100) as Uint8Array;
      for (let i = 0; i < 8; i++) delete (Array.prototype as unknown as Record<number, unknown>)[i];
      m.close();
      joined.close();
      result = {
        push: attempt(() => ring.tryPush(Uint8Array.of(1))),
        across: across.length,
        kept: kept.map((v) => v.length),
        advised,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    break;
  }
  case "object-prototype": {
    // Options put on Object.prototype (prototype pollution, as a library
    // that merges JSON into objects can do) counted for every options bag:
    // `guard = false` took the fault guard from maps opened with `{}`, and
    // a cut file then killed the process (SIGBUS, both runtimes);
    // `preopens` gave every WASI guest made without preopens the host's "/";
    // `create` made MMap.concat create a file that was missing (the library's
    // own open request is an object literal too); `wait` chose every Ring's.
    const dir = mkdtempSync(`${tmpdir()}/seed-intrinsics-`);
    const proto = Object.prototype as Record<string, unknown>;
    try {
      const path = `${dir}/f.bin`;
      writeFileSync(path, new Uint8Array(3 * 4096).fill(1));
      proto.guard = false;
      proto.preopens = { "/host": "/" };
      proto.create = true;
      proto.wait = "spin";
      const m = MMap.open(path, {});
      const memory = new WebAssembly.Memory({ initial: 1 });
      const wasi = new WASI({ memory });
      const concat = attempt(() => MMap.concat([path, `${dir}/missing.bin`]).close());
      const ringMap = MMap.anonymous(4096);
      const wait = new Ring(ringMap, 0, 4096).wait;
      ringMap.close();
      for (const key of ["guard", "preopens", "create", "wait"]) delete proto[key];
      truncateSync(path, 4096);
      const cut = attempt(() => m.at(2 * 4096 + 5));
      m.close();
      const w = wasi.wasiImport as Record<string, (...a: unknown[]) => number>;
      result = {
        cut: "error" in cut ? cut.error : cut,
        preopen: w.fd_prestat_get!(3, 0),
        concat: "error" in concat ? concat.error : concat,
        created: existsSync(`${dir}/missing.bin`),
        wait,
      };
    } finally {
      for (const key of ["guard", "preopens", "create", "wait"]) delete proto[key];
      rmSync(dir, { recursive: true, force: true });
    }
    break;
  }
  case "bun-worker": {
    // Bun runs a blocking libc call (a futex wait) on a helper Worker, and
    // its request names the C function and its arguments (addresses): a
    // replaced global Worker or Worker.prototype.postMessage was handed it,
    // free to call any libc function on any memory.
    const seen: string[] = [];
    const RealWorker = g.Worker as typeof globalThis.Worker; // the global one, not node:worker_threads
    const post = RealWorker.prototype.postMessage;
    g.Worker = class extends RealWorker {
      constructor(url: string | URL) {
        seen.push("Worker");
        super(url);
      }
    };
    RealWorker.prototype.postMessage = function (this: globalThis.Worker, v: unknown) {
      seen.push("postMessage");
      return post.call(this, v);
    } as typeof post;
    const shared = MMap.anonymous(4096);
    const lock = new Mutex(shared, 0);
    lock.lock();
    setTimeout(() => lock.unlock(), 20);
    const guard = await lock.lockAsync(5000);
    g.Worker = RealWorker;
    RealWorker.prototype.postMessage = post;
    result = { locked: guard !== null, seen };
    guard?.unlock();
    shared.close();
    break;
  }
  case "guard-install": {
    // The fault guard installs its SIGBUS handler at the first guarded map,
    // and publishes each map's range in its table: both after the program's
    // code ran. Each of these replacements alone made a cut file's SIGBUS
    // kill the process (parseInt chose the handler's machine code).
    const dir = mkdtempSync(`${tmpdir()}/mmap-guard-install-`);
    const path = `${dir}/cut.bin`;
    writeFileSync(path, new Uint8Array(3 * 4096).fill(7));
    const RealBigInt = BigInt;
    const saved: [object, string, PropertyDescriptor | undefined][] = [];
    const patch = (o: object, k: string, value: unknown) => {
      saved.push([o, k, Object.getOwnPropertyDescriptor(o, k)]);
      Object.defineProperty(o, k, { value, writable: true, configurable: true });
    };
    const restore = () => {
      for (const [o, k, d] of saved.splice(0)) {
        if (d) Object.defineProperty(o, k, d);
        else delete (o as Record<string, unknown>)[k];
      }
    };
    patch(Math, "floor", () => 0);
    patch(Atomics, "store", () => 0);
    patch(Atomics, "compareExchange", (_a: unknown, _i: number, expected: number) => expected);
    patch(DataView.prototype, "setBigUint64", () => {});
    patch(Uint8Array.prototype, "set", () => {});
    patch(globalThis, "parseInt", () => 0xcc);
    patch(globalThis, "BigInt", (x: number) => RealBigInt(x) + 4096n);
    let cut: ReturnType<typeof attempt>;
    try {
      const file = MMap.open(path, { access: "read" });
      restore();
      truncateSync(path, 4096);
      cut = attempt(() => file.at(2 * 4096 + 5));
    } finally {
      restore();
      rmSync(dir, { recursive: true, force: true });
    }
    result = { cut: "error" in cut ? cut.error : cut, status: faultGuardStatus().reason };
    break;
  }
  case "constructors": {
    // The library's own buffers for libc (fstat's struct stat, paths, the
    // openat2 request, getdents64's batch) were made by the global
    // constructors when first needed: one that hands back a single byte
    // had fstat write past it (SIGSEGV). And a patched getBigInt64 told
    // MMap.open the file's size.
    const dir = mkdtempSync(`${tmpdir()}/mmap-ctors-`);
    writeFileSync(`${dir}/a.txt`, "hello world");
    const RealU8 = Uint8Array;
    const oneByte = function () {
      return new RealU8(1);
    };
    oneByte.prototype = RealU8.prototype;
    const getBigInt64 = DataView.prototype.getBigInt64;
    const memory = new WebAssembly.Memory({ initial: 1 });
    let seen: unknown;
    try {
      g.Uint8Array = oneByte;
      DataView.prototype.getBigInt64 = () => 1n << 20n;
      const opened = attempt(() => {
        using file = MMap.open(`${dir}/a.txt`);
        return [file.length, file.at(0)];
      });
      const wasi = new WASI({ memory, preopens: { "/": dir } });
      const w = wasi.wasiImport as Record<string, (...a: (number | bigint)[]) => number>;
      const stat = w.fd_filestat_get!(3, 0);
      const listed = w.fd_readdir!(3, 1024, 4096, 0n, 8192);
      seen = { opened, stat, listed };
      wasi.close();
    } finally {
      g.Uint8Array = RealU8;
      DataView.prototype.getBigInt64 = getBigInt64;
      rmSync(dir, { recursive: true, force: true });
    }
    const dv = new DataView(memory.buffer);
    result = {
      ...(seen as object),
      // The preopen is a directory (3), and a.txt is listed after . and ..
      filetype: dv.getUint8(16),
      used: dv.getUint32(8192, true) > 3 * 24,
    };
    break;
  }
  default:
    throw new Error(`unknown case ${how}`);
}
console.log(JSON.stringify({ result, heapIntact: heap[0] === 7 && heap[heap.length - 1] === 7 }));
