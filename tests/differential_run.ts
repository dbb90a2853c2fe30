/**
 * The differential fuzzer's runner: sends a batch of generated sequences to
 * one CPython process (differential_driver.py), runs each sequence on MMap
 * in this runtime, and compares every result, error and the file's bytes.
 *
 * How results compare (README, "Deliberate differences"):
 * - CPython's IndexError, ValueError and OverflowError are a RangeError,
 *   TypeError a TypeError, OSError an MMapOSError with the same errno;
 *   ValueError("mmap closed or invalid") is TypeError("mmap closed or invalid").
 * - Where CPython's message is one of its mmap messages (MESSAGES), ours must
 *   be the same text.
 * - Before 3.13, CPython's seek() returns None: ours returns the position
 *   (SEEK_RETURNS_POS).
 * - repr(m) and String(m) differ only in spelling (REPR).
 * - An offset that is not a multiple of ALLOCATIONGRANULARITY is a RangeError
 *   before any system call; CPython lets mmap(2) or dup(2) fail
 *   (UNALIGNED_OFFSET).
 * - A map asked for with PROT_WRITE alone is also readable (views read what
 *   they write): madvise(MADV_POPULATE_READ) then succeeds where CPython's
 *   write-only map gets EINVAL (WRITE_ONLY_READABLE).
 * The driver's own translations are listed at the top of differential_driver.py.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MMap, MMapOSError } from "../mod.ts";
import { hex } from "./_helpers.ts";
import {
  decode,
  type Encoded,
  type Features,
  fromBase64,
  generate,
  type OpSpec,
  type SequenceSpec,
} from "./differential_gen.ts";

const DRIVER = new URL("./differential_driver.py", import.meta.url).pathname;

/** A result of one step: a value, an error, or a stop (CPython side only). */
export interface Result {
  v?: unknown;
  e?: string;
  m?: string;
  errno?: number;
  pos?: number;
  stop?: string;
}

/** What one side reports for a sequence. */
export interface Outcome {
  seed: number;
  open: Result;
  results: Result[];
  notes?: Record<string, number>;
  file: { size: number; sha256: string; hex?: string };
}

/** The interpreter the driver ran on. */
export interface Header extends Features {
  python: string;
}

/** A difference between CPython and MMap that no documented rule explains. */
export interface Divergence {
  seed: number;
  /** The step: an index into the operations, "open" or "file". */
  at: number | "open" | "file";
  op?: OpSpec;
  cpython: unknown;
  mmap: unknown;
  why: string;
}

/** The result of a batch. */
export interface BatchReport {
  header: Header;
  sequences: number;
  divergences: Divergence[];
  /** How often each documented difference was exercised. */
  notes: Record<string, number>;
}

/** CPython's own messages: where CPython raises one of these, ours must say the same. */
const MESSAGES = new Set([
  "mmap closed or invalid",
  "read byte out of range",
  "write byte out of range",
  "data out of range",
  "seek out of range",
  "unknown seek type",
  "mmap index out of range",
  "mmap slice assignment is wrong size",
  "source, destination, or count out of range",
  "flush values out of range",
  "madvise start out of bounds",
  "madvise length invalid",
  "madvise length too large",
  "new size out of range",
  "mmap can't resize with trackfd=False.",
  "mmap item value must be in range(0, 256)",
  "memory mapped length must be positive",
  "memory mapped offset must be positive",
  "cannot mmap an empty file",
  "mmap offset is greater than file size",
  "mmap length is greater than file size",
  "mmap can't specify both access and flags, prot.",
  "mmap invalid access parameter.",
  "slice step cannot be zero",
  "unsigned byte integer is less than minimum",
  "unsigned byte integer is greater than maximum",
  "mmap: can't expand a shared anonymous mapping on Linux",
  "mmap can't modify a readonly memory map.",
  "mmap can't resize a readonly or copy-on-write memory map.",
  "mmap indices must be integers",
  "mmap item value must be an int",
]);

const CLOSED = "mmap closed or invalid";

function note(notes: Record<string, number>, name: string, n = 1): void {
  notes[name] = (notes[name] ?? 0) + n;
}

// --- CPython's side ------------------------------------------------------------

/** Runs the driver on `specs`; a crash is reported with the seed it happened on. */
export function runPython(
  specs: SequenceSpec[],
  python: string,
): { header: Header; outcomes: Outcome[]; crash?: string } {
  const dir = mkdtempSync(join(tmpdir(), "mmap-diff-io-"));
  try {
    const input = join(dir, "in.jsonl");
    const output = join(dir, "out.jsonl");
    writeFileSync(input, specs.map((s) => JSON.stringify(s)).join("\n") + "\n");
    const res = spawnSync(python, [DRIVER, input, output], { encoding: "utf8" });
    let lines: string[] = [];
    try {
      lines = readFileSync(output, "utf8").split("\n").filter(Boolean);
    } catch { /* no output at all */ }
    if (!lines.length) {
      throw new Error(
        `${python} ${DRIVER} failed (${res.status ?? res.signal}): ${res.stderr}${res.error ?? ""}`,
      );
    }
    const header = JSON.parse(lines[0]) as Header;
    const outcomes = lines.slice(1).map((l) => JSON.parse(l) as Outcome);
    const crash = res.status === 0
      ? undefined
      : `CPython's driver died (${res.status ?? res.signal}) on seed ${
        specs[outcomes.length]?.seed
      }: ${res.stderr.slice(-2000)}`;
    return { header, outcomes, crash };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the driver says about the interpreter (its first output line). */
export function pythonHeader(python: string): Header {
  return runPython([], python).header;
}

// --- MMap's side ----------------------------------------------------------------

function encode(x: unknown): unknown {
  if (x instanceof Uint8Array) return { b: hex(x) };
  return x === undefined ? null : x;
}

function error(e: unknown): Result {
  if (e instanceof MMapOSError) return { e: "MMapOSError", errno: e.errno, m: e.message };
  if (e instanceof Error) return { e: e.name, m: e.message };
  return { e: typeof e, m: String(e) };
}

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => unknown;

function method(m: MMap, name: string): AnyFn {
  return (m as unknown as Record<string, AnyFn>)[name].bind(m);
}

/** Runs one step on MMap. */
function step(m: MMap, o: OpSpec): unknown {
  const a = (o.args ?? []).map(decode);
  switch (o.op) {
    case "length":
      return m.length;
    case "closed":
      return m.closed;
    case "iter":
      return [...m];
    case "repr":
      return String(m);
    case "bytes":
      return m.bytes.slice();
    case "flush":
      return o.opts ? m.flush(a[0] as number, a[1] as number, o.opts) : method(m, "flush")(...a);
    default:
      return method(m, o.op)(...a);
  }
}

function openMap(spec: SequenceSpec, path: string, dir: string): MMap {
  const o = spec.open;
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o.opts)) opts[k] = decode(v);
  const length = o.length === undefined ? [] : [decode(o.length)];
  if (o.kind === "path") return MMap.open(path, opts as never);
  if (o.kind === "fd" || o.kind === "dir") {
    const fd = openSync(o.kind === "dir" ? dir : path, o.mode === "r+" ? "r+" : "r");
    try {
      return Reflect.construct(MMap, [fd, ...length, opts]) as MMap;
    } finally {
      closeSync(fd);
    }
  }
  return Reflect.construct(MMap, [decode(o.fd as Encoded), ...length, opts]) as MMap;
}

function fileState(path: string, verbose: boolean): Outcome["file"] {
  const data = new Uint8Array(readFileSync(path));
  const out: Outcome["file"] = {
    size: data.length,
    sha256: createHash("sha256").update(data).digest("hex"),
  };
  if (verbose) out.hex = hex(data);
  return out;
}

/**
 * Runs a sequence on MMap. Steps after `stopAt` still run (nothing may
 * crash), but their results and the file's later changes are not compared.
 */
export function runMMap(spec: SequenceSpec, dir: string, stopAt = -1): Outcome {
  const path = join(dir, `seq-${spec.seed}.bin`);
  writeFileSync(path, fromBase64(spec.file));
  const out: Outcome = {
    seed: spec.seed,
    open: { v: null },
    results: [],
    file: { size: 0, sha256: "" },
  };
  let m: MMap | undefined;
  try {
    try {
      m = openMap(spec, path, dir);
    } catch (e) {
      out.open = error(e);
    }
    let snapshot: Outcome["file"] | undefined;
    if (m) {
      for (const [i, o] of spec.ops.entries()) {
        try {
          out.results.push({ v: encode(step(m, o)) });
        } catch (e) {
          out.results.push(error(e));
        }
        if (i === stopAt) snapshot = fileState(path, !!spec.verbose);
      }
      m.close();
    }
    out.file = snapshot ?? fileState(path, !!spec.verbose);
  } finally {
    rmSync(path, { force: true });
  }
  return out;
}

// --- comparing --------------------------------------------------------------------

function pythonClass(r: Result): string | undefined {
  if (r.e === "ValueError" && r.m === CLOSED) return "TypeError";
  switch (r.e) {
    case "IndexError":
    case "ValueError":
    case "OverflowError":
      return "RangeError";
    case "TypeError":
      return "TypeError";
    case "OSError":
      return "MMapOSError";
  }
  return undefined;
}

function sameError(py: Result, js: Result, anyMessage: boolean): string | null {
  const want = pythonClass(py);
  if (!want) return `CPython raised ${py.e}, which has no counterpart`;
  if (js.e !== want) return `expected ${want}`;
  if (want === "MMapOSError" && js.errno !== py.errno) return `expected errno ${py.errno}`;
  // CPython's message first; a hint on what to do next may follow after "; ".
  if (
    !anyMessage && py.m && MESSAGES.has(py.m) && js.m !== py.m && !js.m?.startsWith(`${py.m}; `)
  ) {
    return `expected the message ${JSON.stringify(py.m)}`;
  }
  return null;
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function normalRepr(text: string): string {
  return text.replace("<mmap.mmap closed=False", "<MMap closed=false").replace(
    "<mmap.mmap closed=True>",
    "<MMap closed=true>",
  );
}

/** True for a map asked for with `prot` that has PROT_WRITE but not PROT_READ. */
function writeOnly(spec: SequenceSpec): boolean {
  const prot = spec.open.opts.prot;
  return prot?.t === "int" && (Number(prot.v) & 3) === 2;
}

function unalignedOffset(spec: SequenceSpec, page: number): boolean {
  const off = spec.open.opts.offset;
  if (off?.t !== "int") return false;
  const n = BigInt(off.v);
  return n >= 0n && n % BigInt(page) !== 0n;
}

/** Compares one sequence; returns the first divergence, or null. */
export function compare(
  spec: SequenceSpec,
  py: Outcome,
  js: Outcome,
  header: Header,
  notes: Record<string, number>,
): Divergence | null {
  const diverge = (at: Divergence["at"], why: string, a: unknown, b: unknown): Divergence => ({
    seed: spec.seed,
    at,
    op: typeof at === "number" ? spec.ops[at] : undefined,
    cpython: a,
    mmap: b,
    why,
  });
  // Opening.
  if (py.open.e) {
    const unaligned = unalignedOffset(spec, header.pagesize);
    if (unaligned && py.open.e === "OSError") {
      note(notes, "UNALIGNED_OFFSET");
      if (js.open.e !== "RangeError") {
        return diverge("open", "an unaligned offset is a RangeError", py.open, js.open);
      }
    } else {
      const why = sameError(py.open, js.open, unaligned);
      if (why) return diverge("open", why, py.open, js.open);
    }
  } else if (js.open.e) {
    return diverge("open", "CPython opened the map", py.open, js.open);
  }
  // Each step.
  for (const [i, p] of py.results.entries()) {
    const j = js.results[i];
    if (p.stop) {
      if (j.e) return diverge(i, `${p.stop}: expected success`, p, j);
      break;
    }
    if (p.e) {
      if (p.e === "ValueError" && p.m === CLOSED) note(notes, "CLOSED_TYPEERROR");
      if (
        spec.ops[i].op === "madvise" && p.errno === 22 && !j.e && writeOnly(spec) &&
        spec.ops[i].args?.[0]?.t === "int" && spec.ops[i].args?.[0].v === "22"
      ) {
        note(notes, "WRITE_ONLY_READABLE");
        continue;
      }
      const why = sameError(p, j, false);
      if (why) return diverge(i, why, p, j);
      continue;
    }
    let want = p.v;
    const op = spec.ops[i].op;
    if (op === "seek" && want === null && p.pos !== undefined) {
      note(notes, "SEEK_RETURNS_POS");
      want = p.pos;
    }
    if (op === "repr" && typeof want === "string") {
      note(notes, "REPR");
      want = normalRepr(want);
    }
    if (j.e) return diverge(i, "CPython succeeded", p, j);
    if (!equal(want, j.v)) return diverge(i, "different values", p, j);
  }
  if (py.file.sha256 !== js.file.sha256) {
    return diverge("file", "the files' bytes differ", py.file, js.file);
  }
  return null;
}

// --- batches ------------------------------------------------------------------------

/** Runs the sequences of `seeds` on both sides and compares them. */
export function runBatch(
  seeds: number[],
  options: { python?: string; verbose?: boolean; header?: Header } = {},
): BatchReport {
  const python = options.python ?? "python3";
  const header = options.header ?? pythonHeader(python);
  const specs = seeds.map((seed) => {
    const spec = generate(seed, header);
    if (options.verbose) spec.verbose = true;
    return spec;
  });
  const { outcomes, crash } = runPython(specs, python);
  const report: BatchReport = { header, sequences: 0, divergences: [], notes: {} };
  const dir = mkdtempSync(join(tmpdir(), "mmap-diff-js-"));
  try {
    for (const [k, py] of outcomes.entries()) {
      const spec = specs[k];
      for (const [name, n] of Object.entries(py.notes ?? {})) note(report.notes, name, n);
      const stopAt = py.results.findIndex((r) => r.stop);
      const js = runMMap(spec, dir, stopAt);
      report.sequences++;
      const d = compare(spec, py, js, header, report.notes);
      if (d) report.divergences.push(d);
      if (options.verbose) {
        console.log(JSON.stringify({ spec, cpython: py, mmap: js }, null, 1));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (crash) {
    const seed = specs[outcomes.length]?.seed ?? -1;
    report.divergences.push({
      seed,
      at: "open",
      cpython: crash,
      mmap: null,
      why: "CPython crashed",
    });
  }
  return report;
}

/** One line per divergence, with the command that replays it. */
export function formatDivergence(d: Divergence): string {
  const where = typeof d.at === "number" ? `step ${d.at} (${JSON.stringify(d.op)})` : d.at;
  return `seed ${d.seed}: ${where}: ${d.why}\n  CPython: ${JSON.stringify(d.cpython)}\n  MMap:    ${
    JSON.stringify(d.mmap)
  }\n  replay:  npm run fuzz -- --seed ${d.seed} --verbose`;
}
