/**
 * The cases of the issue, each with the library's implementation and its
 * references: C and CPython through their drivers, plain file I/O
 * (`Deno.FsFile`, `node:fs`) and `Bun.mmap` in this process.
 *
 * @module
 */
import {
  closeSync,
  fdatasyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { MADV_SEQUENTIAL, MADV_WILLNEED, MMap } from "../mod.ts";
import { type Case, type Driver, type Impl, runtime } from "./_harness.ts";
import { type Inputs, NEEDLES } from "./inputs.ts";
import { CEILING, ceilingRef, COLLECT_IN_BUN } from "./ceiling.ts";

/** How much work the random-access cases do per repetition. */
export interface Counts {
  randomReads: number;
  randomBytes: number;
  openClose: number;
  resizeTo: number;
}

export const FULL_COUNTS: Counts = {
  randomReads: 1_000_000,
  randomBytes: 10_000_000,
  openClose: 100_000,
  resizeTo: 1 << 30,
};
export const QUICK_COUNTS: Counts = {
  randomReads: 20_000,
  randomBytes: 200_000,
  openClose: 2_000,
  resizeTo: 64 << 20,
};

/** The same 32-bit LCG as the C and CPython drivers: the same offsets everywhere. */

/**
 * Makers of a case's C and CPython reference rows: each runs on its driver,
 * or, where the driver is missing, is a row that says why.
 */
export function referenceRows(
  c: Driver | null,
  py: Driver | null,
  missing: { c?: string; py?: string },
): { cRef(name: string, request: string): Impl; pyRef(name: string, request: string): Impl } {
  return {
    cRef: (name, request) =>
      c
        ? { name, kind: "C", remote: { driver: c, request } }
        : { name, kind: "C", skip: missing.c ?? "no C compiler" },
    pyRef: (name, request) =>
      py
        ? { name, kind: "CPython", remote: { driver: py, request } }
        : { name, kind: "CPython", skip: missing.py ?? "no python3" },
  };
}

export function offsets(n: number, limit: number): Float64Array {
  const out = new Float64Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.floor(s / 4294967296 * limit);
  }
  return out;
}

interface BunGlobal {
  mmap(path: string, opts?: { shared?: boolean }): Uint8Array;
  gc(force: boolean): void;
}
const bun = (globalThis as unknown as { Bun?: BunGlobal }).Bun;
type BufferLike = Uint8Array & {
  indexOf(v: number | Uint8Array, from?: number): number;
  lastIndexOf(v: number | Uint8Array, from?: number): number;
};
const NodeBuffer = (globalThis as unknown as {
  Buffer: { from(ab: ArrayBufferLike, off: number, len: number): BufferLike };
}).Buffer;

const hex = (s: string) =>
  [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Builds every case. `c` and `py` are the drivers, or null when missing. */
export function buildCases(
  inputs: Inputs,
  counts: Counts,
  c: Driver | null,
  py: Driver | null,
  missing: { c?: string; py?: string },
): Case[] {
  const cases: Case[] = [];
  const { cRef, pyRef } = referenceRows(c, py, missing);
  const bunRef = (name: string, make: (u8: () => Uint8Array) => Impl): Impl => {
    if (!bun) return { name, kind: "Bun.mmap", skip: "" };
    return make(() => bunMap(inputs.text));
  };
  const maps = new Map<string, Uint8Array>();
  const bunMap = (path: string) => {
    let m = maps.get(path);
    if (!m) maps.set(path, m = bun!.mmap(path, { shared: false }));
    return m;
  };
  let text: MMap | null = null;
  const openText = () => {
    text ??= MMap.open(inputs.text);
  };
  const lib = (name: string, run: () => unknown): Impl => ({
    name,
    kind: "lib",
    setup: openText,
    run,
  });
  const m = () => text!;
  const size = (path: string) => statSync(path).size;
  const textSize = size(inputs.text);

  // --- find / rfind --------------------------------------------------------
  // find scans up to the needle; rfind from the end back to it.
  for (const dir of ["find", "rfind"] as const) {
    const order = dir === "find"
      ? ["late_common", "late_rare", "early_common", "early_rare"] as const
      : ["early_common", "early_rare", "late_common", "late_rare"] as const;
    const method = dir === "find" ? "indexOf" : "lastIndexOf";
    const cName = dir === "find" ? "C memmem" : "C memrchr+memcmp";
    for (const key of order) {
      const needle = new TextEncoder().encode(NEEDLES[key]);
      const where = key.startsWith("late") ? "95%" : "5%";
      const common = key.endsWith("common");
      const kind = dir === "find"
        ? (common ? "common first byte" : "rare first byte")
        : (common ? "common bytes" : "rare bytes");
      const at = inputs.needleAt[key];
      const bunName = `Bun.mmap Buffer.${method}`;
      cases.push({
        id: `${dir}-${key}`,
        title: `${dir} 16 B needle at ${where}, ${kind}`,
        amount: dir === "find" ? at : textSize - at,
        unit: "B",
        check: true,
        lib: lib(dir, () => m()[dir](needle, 0)),
        refs: [
          cRef(cName, `${dir} ${hex(NEEDLES[key])}`),
          pyRef(`CPython ${dir}`, `${dir} ${hex(NEEDLES[key])}`),
          bunRef(bunName, (u8) => {
            let b: BufferLike;
            return {
              name: bunName,
              kind: "Bun.mmap",
              setup: () => {
                const v = u8();
                b = NodeBuffer.from(v.buffer, v.byteOffset, v.length);
              },
              run: () => b[method](needle),
            };
          }),
        ],
        goals: [
          ...(dir === "find" ? [{ ref: "C memmem", min: 1 }] : []),
          { ref: `CPython ${dir}`, min: dir === "find" ? 3 : 2 },
          { ref: bunName, min: 1 },
        ],
      });
    }
  }

  // --- lines ---------------------------------------------------------------
  cases.push({
    id: "count-lines",
    title: `count("\\n")`,
    amount: textSize,
    unit: "B",
    check: true,
    lib: lib("count", () => m().count("\n", 0)),
    refs: [
      cRef("C memchr loop", "count"),
      pyRef("CPython readline loop", "count"),
      bunRef("Bun.mmap indexOf(10) loop", (u8) => ({
        name: "Bun.mmap indexOf(10) loop",
        kind: "Bun.mmap",
        run: () => {
          const v = u8();
          let n = 0;
          for (let i = v.indexOf(10); i >= 0; i = v.indexOf(10, i + 1)) n++;
          return n;
        },
      })),
    ],
    goals: [
      { ref: "C memchr loop", min: 1 },
      { ref: "Bun.mmap indexOf(10) loop", min: 1 },
    ],
  });
  cases.push({
    id: "readline",
    title: "readline() iteration",
    amount: textSize,
    unit: "B",
    check: true,
    lib: lib("readline", () => {
      const t = m();
      t.seek(0);
      let n = 0;
      while (t.readline().length) n++;
      return n;
    }),
    refs: [
      cRef("C memchr+memcpy", "readline"),
      pyRef("CPython readline", "readline"),
      bunRef("Bun.mmap indexOf+slice", (u8) => ({
        name: "Bun.mmap indexOf+slice",
        kind: "Bun.mmap",
        run: () => {
          const v = u8();
          let n = 0;
          for (let pos = 0; pos < v.length;) {
            const nl = v.indexOf(10, pos);
            const end = nl < 0 ? v.length : nl + 1;
            if (v.slice(pos, end).length) n++;
            pos = end;
          }
          return n;
        },
      })),
      ceilingRef(inputs, (v) => {
        let n = 0;
        for (let pos = 0; pos < v.length;) {
          const nl = v.indexOf(10, pos);
          const end = nl < 0 ? v.length : nl + 1;
          const line = new Uint8Array(end - pos);
          line.set(v.subarray(pos, end));
          if (line.length) n++;
          pos = end;
        }
        return n;
      }),
    ],
    goals: [
      { ref: "CPython readline", min: 1.5 },
      { ref: "Bun.mmap indexOf+slice", min: 1 },
      { ref: CEILING, min: 0.9 },
    ],
  });

  // --- random 4 KiB reads ----------------------------------------------------
  const n = counts.randomReads;
  let offs: Float64Array;
  const fileIo: Impl[] = [];
  const page = new Uint8Array(4096);
  const deno = (globalThis as unknown as {
    Deno?: {
      openSync(p: string): {
        seekSync(o: number, w: number): number;
        readSync(b: Uint8Array): number | null;
        close(): void;
      };
    };
  }).Deno;
  let fsFile: ReturnType<NonNullable<typeof deno>["openSync"]> | null = null;
  fileIo.push(
    deno
      ? {
        name: "Deno.FsFile seek+read",
        kind: "file I/O",
        setup: () => {
          fsFile = deno.openSync(inputs.text);
        },
        teardown: () => fsFile?.close(),
        run: () => {
          let r = 0;
          for (let i = 0; i < n; i++) {
            fsFile!.seekSync(offs[i], 0);
            fsFile!.readSync(page);
            r += page[0];
          }
          return r;
        },
      }
      : { name: "Deno.FsFile seek+read", kind: "file I/O", skip: "" },
  );
  let fd = -1;
  fileIo.push({
    name: "node:fs readSync",
    kind: "file I/O",
    setup: () => {
      fd = openSync(inputs.text, "r");
    },
    teardown: () => closeSync(fd),
    run: () => {
      let r = 0;
      for (let i = 0; i < n; i++) {
        readSync(fd, page, 0, 4096, offs[i]);
        r += page[0];
      }
      return r;
    },
  });
  const plainGoal = runtime === "deno" ? "Deno.FsFile seek+read" : "node:fs readSync";
  const setupOffsets = () => {
    openText();
    offs ??= offsets(n, m().length - 4096);
  };
  const randomBun = bunRef("Bun.mmap slice", (u8) => ({
    name: "Bun.mmap slice",
    kind: "Bun.mmap",
    before: COLLECT_IN_BUN,
    run: () => {
      const v = u8();
      let r = 0;
      for (let i = 0; i < n; i++) r += v.slice(offs[i], offs[i] + 4096)[0];
      return r;
    },
  }));
  const ceiling4k = ceilingRef(inputs, (v) => {
    let r = 0;
    for (let i = 0; i < n; i++) {
      const out = new Uint8Array(4096);
      out.set(v.subarray(offs[i], offs[i] + 4096));
      r += out[0];
    }
    return r;
  }, COLLECT_IN_BUN);
  const randomCase = (
    what: "read" | "slice",
    run: (t: MMap, o: number) => number,
    cRefs: Impl[],
    pyRefs: Impl[],
  ): Case => ({
    id: `random-${what}`,
    title: `${n.toLocaleString("en")} random 4 KiB ${what === "read" ? "seek+read()" : "slice()"}`,
    amount: n,
    unit: "op",
    check: true,
    reps: 3,
    lib: {
      name: what,
      kind: "lib",
      setup: setupOffsets,
      before: COLLECT_IN_BUN,
      run: () => {
        const t = m();
        let r = 0;
        for (let i = 0; i < n; i++) r += run(t, offs[i]);
        return r;
      },
    },
    refs: [...cRefs, ...pyRefs, ...fileIo, randomBun, ceiling4k],
    goals: [
      { ref: plainGoal, min: 2 },
      { ref: "CPython m[o:o+4096]", min: 1 },
      { ref: "Bun.mmap slice", min: 1 },
      { ref: CEILING, min: 0.9 },
    ],
    note:
      (what === "read"
          ? "file I/O references read into one reused buffer; the library returns a new copy each time"
          : "") +
        (runtime === "bun"
          ? `${what === "read" ? "; " : ""}Bun: the library, Bun.mmap and the engine row start ` +
            "each repetition after a full collection (Bun.gc(true)), as the 1 MiB cases do"
          : "") || undefined,
  });
  const cMemcpy = cRef("C memcpy", `random-memcpy - ${n}`);
  const pySlice = pyRef("CPython m[o:o+4096]", `random-slice - ${n}`);
  cases.push(
    randomCase(
      "read",
      (t, o) => {
        t.seek(o);
        return t.read(4096)[0];
      },
      [cMemcpy, cRef("C pread", `random-pread - ${n}`)],
      [pySlice, pyRef("CPython seek+read", `random-read - ${n}`)],
    ),
    randomCase("slice", (t, o) => t.slice(o, o + 4096)[0], [cMemcpy], [pySlice]),
  );

  // --- sequential ------------------------------------------------------------
  const chunk = new Uint8Array(1 << 20);
  cases.push({
    id: "seqread",
    title: "sequential read(1 MiB) scan",
    amount: textSize,
    unit: "B",
    check: true,
    lib: lib("read(1 MiB)", () => {
      const t = m();
      t.seek(0);
      let r = 0;
      for (let b = t.read(1 << 20); b.length; b = t.read(1 << 20)) r += b[b.length - 1];
      return r;
    }),
    refs: [
      cRef("C memcpy", "seqread"),
      pyRef("CPython read(1 MiB)", "seqread"),
      {
        name: "node:fs readSync",
        kind: "file I/O",
        run: () => {
          const f = openSync(inputs.text, "r");
          let r = 0;
          for (let k; (k = readSync(f, chunk, 0, chunk.length, null)) > 0;) r += chunk[k - 1];
          closeSync(f);
          return r;
        },
      },
      bunRef("Bun.mmap slice(1 MiB)", (u8) => ({
        name: "Bun.mmap slice(1 MiB)",
        kind: "Bun.mmap",
        run: () => {
          const v = u8();
          let r = 0;
          for (let o = 0; o < v.length; o += 1 << 20) {
            const b = v.slice(o, o + (1 << 20));
            r += b[b.length - 1];
          }
          return r;
        },
      })),
    ],
    goals: [{ ref: "Bun.mmap slice(1 MiB)", min: 1 }],
  });

  // --- write + flush -----------------------------------------------------------
  const record = new Uint8Array(4096).fill(119);
  cases.push({
    id: "write",
    title: "write() 4 KiB records, then flush()",
    amount: size(inputs.write),
    unit: "B",
    check: true,
    reps: 3,
    lib: {
      name: "write+flush",
      kind: "lib",
      run: () => {
        using w = MMap.open(inputs.write, { access: "write" });
        for (let o = 0; o + 4096 <= w.length; o += 4096) {
          record[0] = (o >> 12) & 255;
          w.write(record);
        }
        w.flush();
        return w.length;
      },
    },
    refs: [
      cRef("C memcpy+msync", "write"),
      pyRef("CPython write+flush", "write"),
      {
        name: "node:fs writeSync+fdatasync",
        kind: "file I/O",
        run: () => {
          const f = openSync(inputs.write, "r+");
          const total = size(inputs.write);
          for (let o = 0; o + 4096 <= total; o += 4096) {
            record[0] = (o >> 12) & 255;
            writeSync(f, record, 0, 4096, o);
          }
          fdatasyncSync(f);
          closeSync(f);
          return total;
        },
      },
      bunRef("Bun.mmap set (no flush)", () => ({
        name: "Bun.mmap set (no flush)",
        kind: "Bun.mmap",
        run: () => {
          const v = bun!.mmap(inputs.write, { shared: true });
          for (let o = 0; o + 4096 <= v.length; o += 4096) {
            record[0] = (o >> 12) & 255;
            v.set(record, o);
          }
          return v.length;
        },
      })),
    ],
    note: "Bun.mmap has no flush (msync): its time has no write-back in it",
  });

  // --- floats ----------------------------------------------------------------
  let floats: MMap | null = null;
  const sum = (v: Float64Array) => {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i];
    return s;
  };
  cases.push({
    id: "sum",
    title: "sum a Float64Array view",
    amount: size(inputs.floats),
    unit: "B",
    check: true,
    lib: {
      name: "view(Float64Array) sum",
      kind: "lib",
      setup: () => {
        floats = MMap.open(inputs.floats);
      },
      teardown: () => floats?.close(),
      run: () => sum(floats!.view(Float64Array)),
    },
    refs: [
      cRef("C loop", "sum"),
      cRef("C loop, 4 accumulators", "sum4"),
      pyRef("CPython sum(memoryview)", "sum"),
      bunRef("Bun.mmap Float64Array sum", () => ({
        name: "Bun.mmap Float64Array sum",
        kind: "Bun.mmap",
        run: () => {
          const v = bunMap(inputs.floats);
          return sum(new Float64Array(v.buffer, v.byteOffset, v.length / 8));
        },
      })),
    ],
    goals: [{ ref: "C loop", min: 0.5 }, { ref: "Bun.mmap Float64Array sum", min: 1 }],
  });

  // --- random bytes ------------------------------------------------------------
  const nb = counts.randomBytes;
  let boffs: Float64Array;
  cases.push({
    id: "at",
    title: `${nb.toLocaleString("en")} random at()`,
    amount: nb,
    unit: "op",
    check: true,
    reps: 3,
    lib: {
      name: "at",
      kind: "lib",
      setup: () => {
        openText();
        boffs ??= offsets(nb, m().length);
      },
      run: () => {
        const t = m();
        let r = 0;
        for (let i = 0; i < nb; i++) r += t.at(boffs[i]);
        return r;
      },
    },
    refs: [
      cRef("C p[i]", `at - ${nb}`),
      pyRef("CPython m[i]", `at - ${nb}`),
      bunRef("Bun.mmap v[i]", (u8) => ({
        name: "Bun.mmap v[i]",
        kind: "Bun.mmap",
        run: () => {
          const v = u8();
          let r = 0;
          for (let i = 0; i < nb; i++) r += v[boffs[i]];
          return r;
        },
      })),
    ],
    goals: [{ ref: "CPython m[i]", min: 1 }, { ref: "Bun.mmap v[i]", min: 1 }],
  });

  // --- small files -----------------------------------------------------------
  const no = counts.openClose;
  cases.push({
    id: "openclose",
    title: `open+read+close a 4 KiB file ${no.toLocaleString("en")} times`,
    amount: no,
    unit: "op",
    check: true,
    reps: 3,
    lib: {
      name: "open+read+close",
      kind: "lib",
      run: () => {
        let r = 0;
        for (let i = 0; i < no; i++) {
          const s = MMap.open(inputs.small);
          r += s.read()[0];
          s.close();
        }
        return r;
      },
    },
    refs: [
      cRef("C open+mmap+munmap+close", `openclose - ${no}`),
      pyRef("CPython open+mmap+read+close", `openclose - ${no}`),
      {
        name: "node:fs readFileSync",
        kind: "file I/O",
        run: () => {
          let r = 0;
          for (let i = 0; i < no; i++) r += readFileSync(inputs.small)[0];
          return r;
        },
      },
      bunRef("Bun.mmap + slice", () => ({
        name: "Bun.mmap + slice",
        kind: "Bun.mmap",
        run: () => {
          let r = 0;
          for (let i = 0; i < no; i++) {
            r += bun!.mmap(inputs.small).slice()[0];
            // Bun.mmap unmaps only when collected: collect now and then, or
            // the process runs out of mappings (vm.max_map_count).
            if (i % 10_000 === 9_999) bun!.gc(true);
          }
          return r;
        },
      })),
    ],
    goals: [
      { ref: "CPython open+mmap+read+close", min: 1 },
      { ref: "Bun.mmap + slice", min: 1 },
    ],
  });

  // --- resize -----------------------------------------------------------------
  const grow = counts.resizeTo;
  const growPath = join(inputs.dir, `grow-${runtime}.bin`);
  cases.push({
    id: "resize",
    title: `resize() from 1 MiB to ${grow >> 20} MiB in 1 MiB steps`,
    amount: grow >> 20,
    unit: "op",
    check: true,
    reps: 3,
    lib: {
      name: "resize",
      kind: "lib",
      run: () => {
        const f = openSync(growPath, "w+");
        ftruncateSync(f, 1 << 20);
        closeSync(f);
        const g = MMap.open(growPath, { access: "write" });
        let size = 1 << 20;
        while (size < grow) {
          size += 1 << 20;
          g.resize(size);
          g.set(size - 1, 1);
        }
        g.close();
        unlinkSync(growPath);
        return size;
      },
    },
    refs: [
      cRef("C ftruncate+mremap", `resize ${growPath}.c ${grow}`),
      pyRef("CPython resize", `resize ${growPath}.py ${grow}`),
      { name: "Bun.mmap", kind: "Bun.mmap", skip: "Bun.mmap cannot resize" },
    ],
    goals: [{ ref: "CPython resize", min: 1 }],
  });

  // --- cold scans --------------------------------------------------------------
  const evictor = c ?? py;
  for (const advice of ["none", "sequential", "willneed"] as const) {
    const madv = advice === "sequential"
      ? MADV_SEQUENTIAL
      : advice === "willneed"
      ? MADV_WILLNEED
      : undefined;
    cases.push({
      id: `cold-${advice}`,
      title: `cold scan, ${advice === "none" ? "no advice" : `MADV_${advice.toUpperCase()}`}`,
      amount: size(inputs.cold),
      unit: "B",
      check: true,
      reps: 3,
      lib: evictor
        ? {
          name: "cold scan",
          kind: "lib",
          before: () => evictor.request("evict"),
          run: () => {
            const cm = MMap.open(inputs.cold);
            if (madv !== undefined) cm.madvise(madv);
            let r = 0;
            const bytes = cm.bytes;
            for (let o = 0; o < bytes.length; o += 4096) r += bytes[o];
            cm.close();
            return r;
          },
        }
        : { name: "cold scan", kind: "lib", skip: "no driver to evict the file from the cache" },
      refs: [
        cRef("C mmap scan", `cold ${advice}`),
        pyRef("CPython mmap scan", `cold ${advice}`),
      ],
      note: advice === "none"
        ? "files are evicted with posix_fadvise(POSIX_FADV_DONTNEED) before each scan " +
          "(dropping all caches needs /proc/sys/vm/drop_caches, which would slow everything on the machine)"
        : undefined,
    });
  }
  // Bun.mmap exists in Bun only: elsewhere its references are left out.
  for (const x of cases) x.refs = x.refs.filter((r) => r.skip !== "");
  return cases;
}
