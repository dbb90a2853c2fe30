// Child process for escape_test.ts: the hostile cases named in argv[2]
// (comma-separated), each of which used to kill the process with SIGSEGV,
// one after another, each in a folder of its own under argv[3]. For each it
// prints `@case NAME JSON` with what it saw, then exits 0; a crash is an exit
// status the parent asserts on. Run by the current runtime; never imported.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { MMap, PAGESIZE } from "../mod.ts";

const [names, root] = process.argv.slice(2);
/** The running case's own folder. */
let dir = root;
const g = globalThis as unknown as { gc?: () => void; Bun?: { gc(force: boolean): void } };

function gc(): Promise<void> {
  return new Promise((resolve) => {
    let n = 0;
    const step = () => {
      if (g.Bun) g.Bun.gc(true);
      else g.gc!();
      if (++n < 4) setTimeout(step, 10);
      else resolve();
    };
    step();
  });
}

/** A file of one page of 7s, mapped for writing. */
function fileMap(): { m: MMap; path: string } {
  const path = `${dir}/f.bin`;
  writeFileSync(path, new Uint8Array(PAGESIZE).fill(7));
  return { m: MMap.open(path, { access: "write" }), path };
}

/** Moves `buffer` away by way `way`, as a user can with standard JavaScript. */
function move(buffer: ArrayBuffer, way: string): ArrayBuffer {
  switch (way) {
    case "transfer":
      return buffer.transfer();
    case "transferToFixedLength":
      return buffer.transferToFixedLength();
    case "structuredClone":
      return structuredClone(buffer, { transfer: [buffer] });
    default:
      throw new Error(way);
  }
}

/** What a moved buffer reads and whether a store into it reaches the file. */
function probe(k: ArrayBuffer, path: string): Record<string, unknown> {
  const u = new Uint8Array(k);
  const before = [u[0], u[u.length - 1]];
  u[0] = 99; // must go nowhere: not into the file, not into unmapped memory
  // The file's pages are let go: the file no longer appears in the maps.
  const mapped = readFileSync("/proc/self/maps", "utf8").includes(path);
  return { length: u.length, before, after: u[0], file: readFileSync(path)[0], mapped };
}

const cases: Record<string, () => unknown | Promise<unknown>> = {
  // close() after a buffer of the map, of a view() or a dataView() moved away.
  close_bytes: () => closeAfter((m) => m.bytes.buffer as ArrayBuffer, "transfer"),
  close_fixed: () => closeAfter((m) => m.bytes.buffer as ArrayBuffer, "transferToFixedLength"),
  close_clone: () => closeAfter((m) => m.bytes.buffer as ArrayBuffer, "structuredClone"),
  close_view: () => closeAfter((m) => m.view(Uint32Array, 0).buffer as ArrayBuffer, "transfer"),
  close_dataview: () => closeAfter((m) => m.dataView(8).buffer as ArrayBuffer, "structuredClone"),
  // A moved buffer that outlives a map nobody closed.
  finalized: async () => {
    const { path } = fileMap();
    let k: ArrayBuffer | null = null;
    (() => {
      const m = MMap.open(path, { access: "write" });
      k = (m.bytes.buffer as ArrayBuffer).transfer();
    })();
    await gc();
    return probe(k!, path);
  },
  // resize() moves the memory; a buffer moved away before must not follow it.
  resize: () => {
    const m = MMap.anonymous(PAGESIZE, { shared: false });
    m.bytes.fill(5);
    const k = (m.bytes.buffer as ArrayBuffer).transfer();
    m.resize(4 * PAGESIZE);
    const kept = [m.at(0), m.at(PAGESIZE - 1), m.at(PAGESIZE)];
    m.close();
    const u = new Uint8Array(k);
    u[1] = 1;
    return { kept, moved: [u.length, u[0], u[1]] };
  },
  resize_file: () => {
    const { m, path } = fileMap();
    const k = (m.bytes.buffer as ArrayBuffer).transfer();
    m.resize(2 * PAGESIZE);
    const kept = [m.at(0), m.at(PAGESIZE), m.length];
    m.close();
    return { kept, ...probe(k, path) };
  },
  // The same through a concatenation of files.
  concat: () => {
    const path = `${dir}/c.bin`;
    writeFileSync(path, new Uint8Array(PAGESIZE).fill(7));
    const c = MMap.concat([path, path], { access: "write" });
    const k = (c.bytes.buffer as ArrayBuffer).transfer();
    c.close();
    return probe(k, path);
  },
  // A Worker gets the buffer by postMessage; the sender closes the map.
  worker: () =>
    new Promise((resolve, reject) => {
      const { m, path } = fileMap();
      const w = new Worker(new URL("./_escape_worker.ts", import.meta.url).href, {
        type: "module",
      });
      w.onerror = (e) => reject(e);
      w.onmessage = (e) => {
        if (e.data === "got") {
          m.close(); // the Worker still holds the memory
          w.postMessage("read");
          return;
        }
        w.terminate();
        resolve({ ...e.data, file: readFileSync(path)[0] });
      };
      const buffer = m.bytes.buffer as ArrayBuffer;
      w.postMessage(buffer, [buffer]);
    }),
  // Prototype tampering after import: close() still detaches every view.
  tamper_transfer: () => {
    const { m } = fileMap();
    const views: [Uint8Array, Uint16Array, DataView] = [
      m.bytes,
      m.view(Uint16Array, 0),
      m.dataView(4),
    ];
    const proto = ArrayBuffer.prototype as unknown as Record<string, unknown>;
    proto.transfer = function () {
      return new ArrayBuffer(0);
    };
    Object.defineProperty(ArrayBuffer.prototype, "detached", { get: () => true });
    Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), "buffer", {
      get: () => new ArrayBuffer(8),
    });
    m.close();
    const dv = views[2];
    let dataView = "live";
    try {
      dv.getUint8(0);
    } catch (e) {
      dataView = (e as Error).name;
    }
    return { lengths: [views[0].length, views[1].length], dataView };
  },
  // A Proxy, a subclass with lying getters, getters that answer differently:
  // none of them decides how many bytes are copied or searched.
  lying: () => {
    const m = MMap.anonymous(64);
    const liar = new Uint8Array([1, 2, 3]);
    Object.defineProperty(liar, "length", { value: 1 << 27 });
    Object.defineProperty(liar, "byteLength", { value: 1 << 27 });
    const written = m.write(liar);
    const tell = m.tell();
    const needle = new Uint8Array([2, 3]);
    Object.defineProperty(needle, "length", { value: 1 << 27 });
    const found = [m.find(needle, 0), m.rfind(needle, 0), m.count(needle, 0)];
    class Sub extends Uint8Array {
      override get length(): number {
        return 1 << 27;
      }
    }
    let calls = 0;
    const changing = new Uint8Array([9]);
    Object.defineProperty(changing, "length", { get: () => (++calls === 1 ? 1 : 1 << 27) });
    m.seek(0);
    const more = [m.write(new Sub([4, 5])), m.write(changing), m.tell(), calls];
    const proxy = new Proxy(new Uint8Array(4), {});
    let proxyError = "";
    try {
      m.write(proxy);
    } catch (e) {
      proxyError = (e as Error).name;
    }
    const proto = Object.getPrototypeOf(Uint8Array.prototype);
    for (const key of ["length", "byteLength", "byteOffset"]) {
      Object.defineProperty(proto, key, { get: () => 1 << 27, configurable: true });
    }
    m.seek(0);
    const patched = [m.write(new Uint8Array([6, 7])), m.find(new Uint8Array([7]), 0)];
    return { written, tell, found, more, proxyError, patched };
  },
  // Every engine API the library calls, patched after import to collect the
  // buffers it is handed (the library's own ones included), which are then
  // all moved away before close(): none may reach unmapped memory.
  patched_apis: () => {
    const { m, path } = fileMap();
    m.write("one\ntwo\nthree\n");
    const seen = new Set<ArrayBuffer>();
    const keep = (x: unknown) => {
      const b = (x as { buffer?: unknown })?.buffer ?? x;
      if (b instanceof ArrayBuffer && b.byteLength > 0) seen.add(b);
    };
    const spy = (obj: Record<string, unknown>, key: string, self = true) => {
      const orig = obj[key] as (...a: unknown[]) => unknown;
      obj[key] = function (this: unknown, ...a: unknown[]) {
        if (self) keep(this);
        a.forEach(keep);
        const r = orig.apply(this, a);
        keep(r);
        return r;
      };
    };
    const ta = Object.getPrototypeOf(Uint8Array.prototype);
    for (const k of ["set", "slice", "subarray", "indexOf", "lastIndexOf", "fill"]) spy(ta, k);
    const g = globalThis as unknown as Record<string, Record<string, unknown>>;
    if (g.Buffer) {
      spy(g.Buffer, "from", false);
      for (const k of ["subarray", "indexOf", "lastIndexOf"]) spy(g.Buffer.prototype as never, k);
    }
    const deno = g.Deno as unknown as { UnsafePointerView?: Record<string, unknown> } | undefined;
    if (deno?.UnsafePointerView) spy(deno.UnsafePointerView, "getArrayBuffer", false);
    spy(TextEncoder.prototype as never, "encode");
    const RealU8 = Uint8Array;
    g.Uint8Array = function (...a: unknown[]) {
      a.forEach(keep);
      return new RealU8(...(a as []));
    } as never;
    m.seek(0);
    const results = [
      m.find("two", 0),
      m.rfind("t", 0),
      m.count("\n", 0),
      m.read(3).length,
      m.readline().length,
      m.slice(0, 4).length,
      m.write(new RealU8([1])),
      m.at(0),
    ];
    g.Uint8Array = RealU8 as never;
    const moved = [...seen].map((b) => (b.detached ? null : b.transfer()));
    m.close();
    const reads = moved.filter((k) => k !== null).map((k) => new RealU8(k!)[0]);
    return {
      results,
      reads: reads.every((v) => v === 0 || v === 111),
      file: readFileSync(path)[0],
    };
  },
  // A map larger than one ArrayBuffer in Bun (windows): the same moves.
  big: () => {
    const m = MMap.anonymous(2 ** 32 + PAGESIZE);
    const window = m.view(Uint8Array, 2 ** 32 - PAGESIZE, 2 * PAGESIZE);
    window[0] = 3;
    const k = window.buffer.transfer();
    const liar = new Uint8Array([1, 2]);
    Object.defineProperty(liar, "length", { value: 2 ** 31 });
    m.seek(2 ** 32);
    const written = m.write(liar);
    m.close();
    const u = new Uint8Array(k);
    return { written, moved: [u.length, u[0]] };
  },
};

function closeAfter(buffer: (m: MMap) => ArrayBuffer, way: string): unknown {
  const { m, path } = fileMap();
  const k = move(buffer(m), way);
  m.close();
  return probe(k, path);
}

for (const name of names.split(",")) {
  dir = `${root}/${name}`;
  mkdirSync(dir);
  console.log(`@case ${name} ${JSON.stringify(await cases[name]())}`);
}
