/**
 * The cases of the fast paths (issue 14): `readInto` into one buffer,
 * `lines()` views, the copying API against the engine's own ceiling
 * (`new Uint8Array(n)` + `set()` from the map's view, in this process), and
 * cold scans with `populate`. Each has CPython and `Bun.mmap` beside it.
 *
 * @module
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { MMap } from "../mod.ts";
import type { Case, Driver, Impl } from "./_harness.ts";
import { type Counts, offsets, referenceRows } from "./cases.ts";
import type { Inputs } from "./inputs.ts";
import { CEILING, collect } from "./ceiling.ts";

interface BunGlobal {
  mmap(path: string, opts?: { shared?: boolean }): Uint8Array;
}
const bun = (globalThis as unknown as { Bun?: BunGlobal }).Bun;

/** Builds the cases. `c` and `py` are the drivers, or null when missing. */
export function fastPathCases(
  inputs: Inputs,
  counts: Counts,
  c: Driver | null,
  py: Driver | null,
  missing: { c?: string; py?: string },
): Case[] {
  const cases: Case[] = [];
  const { cRef, pyRef } = referenceRows(c, py, missing);
  let bunView: Uint8Array | null = null;
  const bunRef = (name: string, run: (v: Uint8Array) => unknown): Impl[] =>
    bun
      ? [{
        name,
        kind: "Bun.mmap",
        setup: () => {
          bunView ??= bun.mmap(inputs.text, { shared: false });
        },
        run: () => run(bunView!),
      }]
      : [];
  let text: MMap | null = null;
  let main: Uint8Array;
  const open = () => {
    text ??= MMap.open(inputs.text);
    main = text.bytes;
  };
  const m = () => text!;
  const textSize = statSync(inputs.text).size;
  const lib = (name: string, run: () => unknown, before?: () => void): Impl => ({
    name,
    kind: "lib",
    setup: open,
    before,
    run,
  });
  const ceiling = (run: () => unknown, before?: () => void): Impl => ({
    name: CEILING,
    kind: "engine",
    setup: open,
    before,
    run,
  });

  // --- random records into one buffer ----------------------------------------
  const n = counts.randomReads;
  let offs: Float64Array;
  const page = new Uint8Array(4096);
  const withOffsets = (size: number) => () => {
    open();
    offs = offsets(n, m().length - size);
  };
  let fd = -1;
  const refs4k: Impl[] = [
    cRef("C memcpy", `random-memcpy - ${n}`),
    pyRef("CPython m[o:o+4096]", `random-slice - ${n}`),
    pyRef("CPython memoryview copy into a bytearray", `random-readinto - ${n}`),
    {
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
    },
    ...bunRef("Bun.mmap set(subarray)", (v) => {
      let r = 0;
      for (let i = 0; i < n; i++) {
        page.set(v.subarray(offs[i], offs[i] + 4096));
        r += page[0];
      }
      return r;
    }),
    {
      name: "engine: set() from the map's view",
      kind: "engine",
      run: () => {
        let r = 0;
        for (let i = 0; i < n; i++) {
          page.set(main.subarray(offs[i], offs[i] + 4096));
          r += page[0];
        }
        return r;
      },
    },
  ];
  cases.push({
    id: "random-readinto",
    title: `${n.toLocaleString("en")} random 4 KiB seek+readInto() into one buffer`,
    amount: n,
    unit: "op",
    check: true,
    reps: 3,
    lib: {
      name: "seek+readInto",
      kind: "lib",
      setup: withOffsets(4096),
      run: () => {
        const t = m();
        let r = 0;
        for (let i = 0; i < n; i++) {
          t.seek(offs[i]);
          t.readInto(page);
          r += page[0];
        }
        return r;
      },
    },
    refs: refs4k,
    goals: [{ ref: "CPython m[o:o+4096]", min: 1 }, { ref: "node:fs readSync", min: 2 }],
  });

  // --- lines -----------------------------------------------------------------
  cases.push({
    id: "lines",
    title: "for (const line of lines()): zero-copy views",
    amount: textSize,
    unit: "B",
    check: true,
    lib: lib("lines()", () => {
      let k = 0;
      for (const _ of m().lines()) k++;
      return k;
    }),
    refs: [
      cRef("C memchr+memcpy", "readline"),
      pyRef("CPython for line in iter(m.readline, b'')", "readline"),
      ...bunRef("Bun.mmap indexOf+subarray", (v) => {
        let k = 0;
        for (let pos = 0; pos < v.length; k++) {
          const nl = v.indexOf(10, pos);
          const end = nl < 0 ? v.length : nl + 1;
          if (v.subarray(pos, end).length) pos = end;
        }
        return k;
      }),
      {
        name: "engine: indexOf+subarray on the map's view",
        kind: "engine",
        run: () => {
          let k = 0;
          for (let pos = 0; pos < main.length; k++) {
            const nl = main.indexOf(10, pos);
            const end = nl < 0 ? main.length : nl + 1;
            if (main.subarray(pos, end).length) pos = end;
          }
          return k;
        },
      },
    ],
    goals: [{ ref: "CPython for line in iter(m.readline, b'')", min: 1 }],
    note: "the issue aims at 2x CPython's readline loop",
  });

  // --- sequential 1 MiB ------------------------------------------------------
  const MiB = 1 << 20;
  const chunk = new Uint8Array(MiB);
  const sum1m = (next: (o: number) => Uint8Array) => {
    let r = 0;
    for (let o = 0; o < textSize; o += MiB) {
      const b = next(o);
      r += b[b.length - 1];
    }
    return r;
  };
  const freshCopy = (o: number, k: number) => {
    const out = new Uint8Array(k);
    out.set(main.subarray(o, o + k));
    return out;
  };
  cases.push({
    id: "seqread-collected",
    title: "sequential read(1 MiB), after a collection",
    amount: textSize,
    unit: "B",
    check: true,
    lib: lib("read(1 MiB)", () => {
      const t = m();
      t.seek(0);
      return sum1m(() => t.read(MiB));
    }, collect),
    refs: [
      pyRef("CPython read(1 MiB)", "seqread"),
      ...bunRef("Bun.mmap slice(1 MiB)", (v) => sum1m((o) => v.slice(o, o + MiB))),
      ceiling(() => sum1m((o) => freshCopy(o, Math.min(MiB, textSize - o))), collect),
    ],
    goals: [{ ref: CEILING, min: 0.9 }],
    note: "each repetition starts after a full collection (Bun.gc(true), V8's gc())",
  });
  cases.push({
    id: "seqslice-collected",
    title: "sequential slice(o, o + 1 MiB), after a collection",
    amount: textSize,
    unit: "B",
    check: true,
    lib: lib("slice", () => sum1m((o) => m().slice(o, o + MiB)), collect),
    refs: [
      pyRef("CPython m[o:o+1 MiB]", "seqslice"),
      ...bunRef("Bun.mmap slice(1 MiB)", (v) => sum1m((o) => v.slice(o, o + MiB))),
      ceiling(() => sum1m((o) => freshCopy(o, Math.min(MiB, textSize - o))), collect),
    ],
    goals: [{ ref: CEILING, min: 0.9 }],
  });
  cases.push({
    id: "seq-readinto",
    title: "sequential readInto(1 MiB buffer)",
    amount: textSize,
    unit: "B",
    check: true,
    lib: lib("readInto", () => {
      const t = m();
      t.seek(0);
      let r = 0;
      for (let k; (k = t.readInto(chunk)) > 0;) r += chunk[k - 1];
      return r;
    }),
    refs: [
      cRef("C memcpy", "seqread"),
      pyRef("CPython read(1 MiB)", "seqread"),
      pyRef("CPython memoryview copy into a bytearray", "seqreadinto"),
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
      ...bunRef("Bun.mmap set(subarray)", (v) => {
        let r = 0;
        for (let o = 0; o < v.length; o += MiB) {
          const part = v.subarray(o, o + MiB);
          chunk.set(part);
          r += chunk[part.length - 1];
        }
        return r;
      }),
    ],
    goals: [{ ref: "CPython memoryview copy into a bytearray", min: 0.9 }],
  });

  // --- small copies at the engine's ceiling ------------------------------------
  const small = 64;
  const copies = (what: "read" | "slice"): Case => ({
    id: `random-${what}-64`,
    title: `${n.toLocaleString("en")} random 64 B ${what === "read" ? "seek+read()" : "slice()"}`,
    amount: n,
    unit: "op",
    check: true,
    reps: 3,
    lib: {
      name: what,
      kind: "lib",
      setup: withOffsets(small),
      run: () => {
        const t = m();
        let r = 0;
        if (what === "read") {
          for (let i = 0; i < n; i++) {
            t.seek(offs[i]);
            r += t.read(small)[0];
          }
        } else {
          for (let i = 0; i < n; i++) r += t.slice(offs[i], offs[i] + small)[0];
        }
        return r;
      },
    },
    refs: [
      what === "read"
        ? pyRef("CPython seek+read(64)", `random-read-sized ${small} ${n}`)
        : pyRef("CPython m[o:o+64]", `random-slice-sized ${small} ${n}`),
      ...bunRef("Bun.mmap slice", (v) => {
        let r = 0;
        for (let i = 0; i < n; i++) r += v.slice(offs[i], offs[i] + small)[0];
        return r;
      }),
      ceiling(() => {
        let r = 0;
        for (let i = 0; i < n; i++) r += freshCopy(offs[i], small)[0];
        return r;
      }),
    ],
    goals: [{ ref: CEILING, min: 0.9 }],
  });
  cases.push(copies("read"), copies("slice"));

  // --- cold scans with populate -------------------------------------------------
  const evictor = c ?? py;
  cases.push({
    id: "cold-populate",
    title: "cold scan, populate: true (MAP_POPULATE / MADV_POPULATE_READ)",
    amount: statSync(inputs.cold).size,
    unit: "B",
    check: true,
    reps: 3,
    lib: evictor
      ? {
        name: "cold scan",
        kind: "lib",
        before: () => evictor.request("evict"),
        run: () => {
          const cm = MMap.open(inputs.cold, { populate: true });
          let r = 0;
          const bytes = cm.bytes;
          for (let o = 0; o < bytes.length; o += 4096) r += bytes[o];
          cm.close();
          return r;
        },
      }
      : { name: "cold scan", kind: "lib", skip: "no driver to evict the file from the cache" },
    refs: [
      cRef("C mmap scan", "cold none"),
      cRef("C MAP_POPULATE scan", "cold populate"),
      pyRef("CPython mmap scan", "cold none"),
      pyRef("CPython MAP_POPULATE scan", "cold populate"),
    ],
    note: "the library's map is read-only, so private underneath: populated with " +
      "MADV_POPULATE_READ (MAP_POPULATE would copy every page); C's and CPython's are shared",
  });

  return cases;
}
