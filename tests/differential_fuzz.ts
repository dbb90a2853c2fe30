/**
 * The differential fuzzer's command line, run by `npm run fuzz` under each
 * runtime (scripts/fuzz.mjs):
 *
 *   deno run -A tests/differential_fuzz.ts [--seconds N] [--seed S] [--count N]
 *     [--batch N] [--python PATH] [--verbose]
 *   bun tests/differential_fuzz.ts ...
 *
 * Without --seed it starts at a random seed and runs batches of consecutive
 * seeds until --seconds (default 10) have passed. With --seed it runs
 * --count sequences (default 1) from that seed: the way to replay a
 * divergence. Exits 1 if any sequence diverged.
 *
 * @module
 */
import process from "node:process";
import { formatDivergence, pythonHeader, runBatch } from "./differential_run.ts";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

const runtime = "Bun" in globalThis ? "bun" : "deno";
const python = option("python") ?? process.env.MMAP_FUZZ_PYTHON ?? "python3";
const verbose = process.argv.includes("--verbose");
const seconds = Number(option("seconds") ?? 10);
const batch = Number(option("batch") ?? 250);
const fixed = option("seed");
const header = pythonHeader(python);

const start = fixed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(fixed);
const limit = fixed === undefined ? Infinity : Number(option("count") ?? 1);
console.log(
  `${runtime}: fuzzing MMap against CPython ${header.python}` +
    (fixed === undefined ? ` for ${seconds} s from seed ${start}` : ` from seed ${start}`),
);
const deadline = Date.now() + seconds * 1000;
const notes: Record<string, number> = {};
let sequences = 0;
let divergences = 0;
let next = start;
while (next - start < limit && (fixed !== undefined || Date.now() < deadline)) {
  const n = Math.min(batch, limit - (next - start));
  const seeds = Array.from({ length: n }, (_, k) => next + k);
  const report = runBatch(seeds, { python, verbose, header });
  next += n;
  sequences += report.sequences;
  for (const [name, count] of Object.entries(report.notes)) {
    notes[name] = (notes[name] ?? 0) + count;
  }
  for (const d of report.divergences) console.log(formatDivergence(d));
  divergences += report.divergences.length;
}
console.log(
  `${runtime}: ${sequences} sequences (seeds ${start}..${next - 1}), ${divergences} divergences`,
);
console.log(
  `${runtime}: documented differences exercised: ${
    Object.entries(notes).sort().map(([k, v]) => `${k} ${v}`).join(", ") || "none"
  }`,
);
process.exit(divergences ? 1 : 0);
