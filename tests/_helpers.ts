/**
 * Test helpers shared by every suite: temporary files, the runtime's name, a
 * CPython oracle, garbage collection and open-descriptor counts. Built-ins
 * only, so the same files run under `deno test` and `bun test`.
 */
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import process from "node:process";

/** "deno" or "bun". */
export const runtime: "deno" | "bun" = "Bun" in globalThis ? "bun" : "deno";

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(
  prefix = "mmap-test-",
): { dir: string; path(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    path: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Calls `fn` with the path of a file of `data` in a fresh folder, removed afterwards. */
export function withFile(data: string | Uint8Array, fn: (path: string) => void): void {
  const t = tempDir("mmap-file-");
  try {
    const path = t.path("data.bin");
    writeFileSync(path, data);
    fn(path);
  } finally {
    t.cleanup();
  }
}

/** The folders of `tempFile`, removed when the test process exits. */
const tempFileDirs: string[] = [];
function removeTempFiles(): void {
  for (const dir of tempFileDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
process.on("exit", removeTempFiles); // Bun
// `deno test` does not emit process "exit"; it dispatches "unload".
globalThis.addEventListener?.("unload", removeTempFiles);

/** A new temporary folder, removed when the test process exits. */
export function tempDirUntilExit(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempFileDirs.push(dir);
  return dir;
}

/**
 * Writes `data` to a new temporary file and returns its path; the file goes
 * when the test process exits (a map over it may outlive the test case).
 */
export function tempFile(data: string | Uint8Array, name = "data.bin"): string {
  const path = join(tempDirUntilExit("mmap-file-"), name);
  writeFileSync(path, data);
  return path;
}

/**
 * Which byte of `needle` a plain scan looks for first: the one seen least
 * often in a sample of `[start, end)`. Every candidate costs a JavaScript
 * compare, and under emulation a 17 MiB case that looked for a common first
 * byte took minutes.
 */
function anchorOf(hay: Uint8Array, needle: Uint8Array, start: number, end: number): number {
  const seen = new Uint32Array(256);
  const from = Math.max(start, 0);
  const to = Math.min(end, hay.length);
  const step = Math.max(1, Math.floor((to - from) / 65536));
  for (let i = from; i < to; i += step) seen[hay[i]!]!++;
  let best = 0;
  for (let k = 1; k < needle.length; k++) if (seen[needle[k]!]! < seen[needle[best]!]!) best = k;
  return best;
}

/** Whether `needle` is at `i` of `hay`. */
function isAt(hay: Uint8Array, needle: Uint8Array, i: number): boolean {
  let k = 0;
  while (k < needle.length && hay[i + k] === needle[k]) k++;
  return k === needle.length;
}

/** The first `needle` in `[start, end)` of `hay`, by a plain scan, or -1. */
export function plainFind(hay: Uint8Array, needle: Uint8Array, start: number, end: number): number {
  const n = needle.length;
  if (n === 0) return start <= end ? start : -1;
  // Candidates are where the engine's own indexOf finds the anchor byte.
  const j = anchorOf(hay, needle, start, end);
  for (
    let p = hay.indexOf(needle[j]!, Math.max(start, 0) + j);
    p !== -1;
    p = hay.indexOf(needle[j]!, p + 1)
  ) {
    if (p - j + n > end) break;
    if (isAt(hay, needle, p - j)) return p - j;
  }
  return -1;
}

/** The last `needle` in `[start, end)` of `hay`, by a plain scan, or -1. */
export function plainRfind(
  hay: Uint8Array,
  needle: Uint8Array,
  start: number,
  end: number,
): number {
  const n = needle.length;
  if (n === 0) return end >= start ? end : -1;
  const j = anchorOf(hay, needle, start, end);
  const lowest = Math.max(start, 0) + j;
  for (let p = end - n + j; p >= lowest;) {
    p = hay.lastIndexOf(needle[j]!, p);
    if (p < lowest) break;
    if (isAt(hay, needle, p - j)) return p - j;
    p--;
  }
  return -1;
}

/** The bytes of a file, read without the library. */
export function fileBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** ASCII/UTF-8 bytes of a string. */
export function b(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** The bytes of `parts` one after another, in a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/** Lowercase hex of bytes (Python's `bytes.hex()`). */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** The bytes of a hex string (Python's `bytes.fromhex()`). */
export function fromHex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (x) => parseInt(x, 16));
}

/** The text of bytes. */
export function text(bytes: Uint8Array): string {
  // Short ASCII (what most cases decode) is built here: a TextDecoder call
  // costs some 50 µs under emulated Deno, where the lines cases make
  // hundreds of thousands.
  if (bytes.length <= 4096) {
    let i = 0;
    while (i < bytes.length && bytes[i]! < 0x80) i++;
    if (i === bytes.length) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  return utf8.decode(bytes);
}

const utf8 = new TextDecoder();

/** How many descriptors this process has open. */
export function openFdCount(): number {
  return readdirSync("/proc/self/fd").length;
}

/**
 * This process's descriptors open on `path` or below it (a deleted file's
 * too): a leak check that no other thread's descriptor, opened or closed
 * meanwhile, can fail, as a count can (Bun's threads open some of their own).
 */
export function fdsOn(path: string): string[] {
  const on: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed since the listing (readdir's own descriptor among them)
    }
    if (target === path || target.startsWith(path + "/")) on.push(`${fd} -> ${target}`);
  }
  return on;
}

/** Runs a full garbage collection, as far as the runtime allows. */
export async function collectGarbage(): Promise<void> {
  const g = globalThis as unknown as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  // A full collection of `deno test`'s 80 MB heap takes 20-40 s under
  // emulation: one there, where the callers that wait for a finalizer loop.
  // Each collection comes after a turn of the event loop: a WeakRef made in
  // the caller's job holds its target until that job ends.
  for (let i = 0; i < (process.env.SEED_EMULATED === "1" ? 1 : 3); i++) {
    await new Promise((r) => setTimeout(r, 10));
    if (g.Bun) g.Bun.gc(true);
    else if (g.gc) g.gc();
    else throw new Error("no gc(): run deno test with --v8-flags=--expose-gc");
  }
  // Finalizers run as tasks of their own.
  await new Promise((r) => setTimeout(r, 10));
}

/**
 * Runs a Python 3 snippet and returns what it printed, parsed as JSON: the
 * reference for CPython's `mmap` behaviour.
 */
export function python(code: string): unknown {
  const res = spawnSync("python3", ["-c", code], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`python3 failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

/** Runs the current runtime on a script file; returns its exit status and output. */
export function runScript(
  file: string,
  args: string[] = [],
  runtimeFlags: string[] = [],
  which: "deno" | "bun" = runtime,
): ChildRun {
  const exe = process.execPath;
  const cmd = which === runtime ? exe : which;
  const full = which === "deno"
    ? ["run", ...(runtimeFlags.length ? runtimeFlags : ["--allow-all"]), file, ...args]
    : [...runtimeFlags, file, ...args];
  const res = spawnSync(cmd, full, { encoding: "utf8" });
  return { status: res.status, signal: res.signal, stdout: res.stdout, stderr: res.stderr };
}

/**
 * Runs the cases `names` of the child script `file` in one process (a child
 * costs ~13 s under emulated Deno), which prints `@case NAME JSON` for each
 * case it finished; `args` follow the comma-joined names. Returns a lookup
 * of one case's result: a child that did not exit 0 fails every case, with
 * the cases that had finished named, and a case that printed nothing fails.
 * The child runs once, at the first lookup.
 */
export function sharedCases(
  file: string,
  names: string[],
  args: string[] = [],
  runtimeFlags: string[] = [],
): (name: string) => unknown {
  return casesOf(names, () => runScript(file, [names.join(","), ...args], runtimeFlags));
}

/** What a child process did: `runScript`'s answer, or a test's own runner's. */
export interface ChildRun {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * `sharedCases`' lookup over a child that `start` runs (once, at the first
 * lookup), for a test that runs its child its own way (an environment, a
 * retry of a hung child).
 */
export function casesOf(names: string[], start: () => ChildRun): (name: string) => unknown {
  let outcome: { seen: Map<string, unknown>; failure?: string } | undefined;
  return (name) => {
    if (!names.includes(name)) throw new Error(`${name} is not one of the shared cases`);
    if (!outcome) {
      const res = start();
      const seen = new Map<string, unknown>();
      for (const line of res.stdout.split("\n")) {
        const m = /^@case ([\w-]+) (.*)$/.exec(line);
        if (m) seen.set(m[1], JSON.parse(m[2]));
      }
      outcome = {
        seen,
        failure: res.status === 0 && res.signal === null ? undefined : `cases ${names} ` +
          `(finished: ${[...seen.keys()]}): exit ${res.status} ${res.signal}\n${res.stderr}`,
      };
    }
    if (outcome.failure) throw new Error(`${name}: ${outcome.failure}`);
    if (!outcome.seen.has(name)) throw new Error(`case ${name} printed nothing`);
    return outcome.seen.get(name);
  };
}

/**
 * Runs `fn` with each `obj[key]` defined as the descriptor given (a property
 * not configurable, such as Bun's TextDecoder methods, gets only its value
 * changed), and puts every one back afterwards, also when `fn` throws.
 */
export function withPatches<T>(
  patches: [object, PropertyKey, PropertyDescriptor][],
  fn: () => T,
): T {
  const saved = patches.map(([o, k]) => [o, k, Object.getOwnPropertyDescriptor(o, k)] as const);
  try {
    for (const [o, k, d] of patches) {
      const old = Object.getOwnPropertyDescriptor(o, k);
      Object.defineProperty(
        o,
        k,
        old && !old.configurable ? { value: d.value } : { configurable: true, ...d },
      );
    }
    return fn();
  } finally {
    for (const [o, k, d] of saved) {
      if (d) Object.defineProperty(o, k, d);
      else delete (o as Record<PropertyKey, unknown>)[k];
    }
  }
}

/** A data property's descriptor, for `withPatches`. */
export const dataValue = (value: unknown): PropertyDescriptor => ({ value, writable: true });
