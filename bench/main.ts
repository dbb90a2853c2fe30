/**
 * The bench: `deno run -A bench/main.ts` or `bun bench/main.ts`
 * (`npm run bench` runs both). Options:
 *
 * - `--quick`: small inputs and counts, a smoke run of every case
 * - `--only=text`: only the cases whose id contains `text` (`--only=a,b`: either;
 *   `=id`: that id exactly)
 * - `--except=text`: not those cases (the same forms)
 * - `--reps=N`: repetitions per case after the warm-up (default 5, quick 3)
 * - `--dir=path`: where the inputs go (default `$TMPDIR/seed-mmap-bench`)
 * - `--out=path`: where results go (default `$TMPDIR/seed-mmap-bench-results`,
 *   so that a run never rewrites tracked files)
 * - `--save`: write them to bench/results/ (tracked; quick: bench/results/tmp/)
 * - `--merge`: the cases run replace those of the same id in the results
 *   already in the output directory, the others stay (a whole run in parts,
 *   each in its own quiet window)
 * - `--clean`: delete the inputs afterwards
 * - `--strict`: exit with 1 when an implementation failed or gave a different
 *   result (not for missed goals: timings on a shared machine are no test)
 *
 * Writes `<runtime>.json` and `<runtime>.md`, then `README.md` (the tables of
 * every runtime that has results) and `chart.svg`, to the results directory.
 *
 * @module
 */
import { rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import {
  barChart,
  type BarGroup,
  commandWorks,
  Driver,
  machineDescription,
  readJson,
  runCase,
  runNotes,
  type RunResult,
  runTable,
  runtime,
  writeText,
} from "./_harness.ts";
import { buildCases, FULL_COUNTS, QUICK_COUNTS } from "./cases.ts";
import { fastPathCases } from "./fastpath_cases.ts";
import { FULL, prepareInputs, QUICK } from "./inputs.ts";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const quick = flag("quick");
const only = option("only")?.split(",");
const except = option("except")?.split(",");
/** Whether case `id` is named by one of `filters` (a part of an id, or `=id` exactly). */
const named = (id: string, filters: string[]) =>
  filters.some((f) => f.startsWith("=") ? id === f.slice(1) : id.includes(f));
const reps = Number(option("reps") ?? (quick ? 3 : 5));
const dir = option("dir") ?? join(tmpdir(), "seed-mmap-bench");
const out = option("out") ??
  (flag("save")
    ? join(here, "results", quick ? "tmp" : "")
    : join(tmpdir(), "seed-mmap-bench-results"));
const log = (s: string) => console.error(s);

const inputs = prepareInputs(dir, quick ? QUICK : FULL, log);
const files = [inputs.text, inputs.floats, inputs.small, inputs.write, inputs.cold];

// The C references, compiled now when a compiler is there.
let c: Driver | null = null;
const missing: { c?: string; py?: string } = {};
const cc = ["cc", "gcc", "clang"].find((x) => commandWorks(x, ["--version"]));
if (cc) {
  const exe = join(dir, "refs");
  const built = commandWorks(cc, ["-O2", "-o", exe, join(here, "refs", "refs.c")]);
  if (built) c = new Driver("C", exe, files);
  else missing.c = `${cc} failed to compile bench/refs/refs.c`;
} else missing.c = "no C compiler (cc, gcc, clang) on PATH";
let py: Driver | null = null;
if (commandWorks("python3", ["-c", "import mmap"])) {
  py = new Driver("CPython", "python3", [join(here, "refs", "refs.py"), ...files]);
} else missing.py = "no python3 on PATH";

const version = runtime === "deno"
  ? (globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno
  : (globalThis as unknown as { Bun: { version: string } }).Bun.version;
const run: RunResult = {
  runtime,
  runtimeVersion: version,
  machine: machineDescription(),
  date: new Date().toISOString(),
  quick,
  cases: [],
};
const counts = quick ? QUICK_COUNTS : FULL_COUNTS;
const allCases = [
  ...buildCases(inputs, counts, c, py, missing),
  ...fastPathCases(inputs, counts, c, py, missing),
];
const cases = allCases.filter((x) =>
  (!only || named(x.id, only)) && !(except && named(x.id, except))
);
log(`${runtime} ${version}, ${run.machine}; ${cases.length} cases, ${reps} reps`);
for (const x of cases) {
  const t = Date.now();
  const load = loadavg()[0];
  const r = { ...await runCase(x, reps), date: new Date(t).toISOString(), load };
  run.cases.push(r);
  const ratios = r.refs.filter((f) => f.ratio !== undefined)
    .map((f) => `${f.name} ${f.ratio!.toFixed(2)}x`).join(", ");
  const problems = [r.lib, ...r.refs].filter((f) => f.error).map((f) => `${f.name}: ${f.error}`);
  log(
    `${x.id}: ${r.lib.stats ? (r.lib.stats.median * 1e3).toFixed(1) + " ms" : "-"}; ${ratios}` +
      `${problems.length ? "; ERRORS " + problems.join("; ") : ""} (${
        ((Date.now() - t) / 1e3).toFixed(1)
      } s, load ${load.toFixed(2)})`,
  );
}
c?.close();
py?.close();
if (flag("merge")) mergeInto(run, readJson<RunResult>(join(out, `${runtime}.json`)));

writeText(join(out, `${runtime}.json`), JSON.stringify(run, null, 1) + "\n");
writeText(join(out, `${runtime}.md`), runReport(run));
writeCombined(out);
console.log(runReport(run));
log(
  `results written to ${out}${
    flag("save") || option("out") ? "" : " (--save writes them to bench/results/)"
  }`,
);
if (flag("clean")) rmSync(dir, { recursive: true, force: true });
const failed = run.cases.flatMap((x) => [x.lib, ...x.refs]).filter((f) => f.error);
if (flag("strict") && failed.length) {
  log(`${failed.length} implementation(s) failed`);
  process.exit(1);
}
process.exit(0);

/**
 * `--merge`: the earlier run's cases that this run did not measure are kept,
 * in the order of the whole case list; a run of other sizes is not mixed in.
 */
function mergeInto(run: RunResult, earlier: RunResult | undefined): void {
  if (!earlier || earlier.quick !== run.quick || earlier.runtimeVersion !== run.runtimeVersion) {
    return;
  }
  const order = allCases.map((x) => x.id);
  const fresh = new Map(run.cases.map((x) => [x.id, x]));
  const kept = earlier.cases.filter((x) => !fresh.has(x.id));
  run.cases = [...kept, ...run.cases].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
}

/** When the cases ran and the load then (1-minute average), for a run made in parts. */
function when(r: RunResult): string {
  const dates = r.cases.map((x) => x.date).filter((d): d is string => d !== undefined).sort();
  const loads = r.cases.map((x) => x.load).filter((l): l is number => l !== undefined);
  const span = dates.length ? `${dates[0]} to ${dates[dates.length - 1]}` : r.date;
  return loads.length
    ? `${span}; load ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)} ` +
      `(1-minute average at each case's start)`
    : span;
}

function runReport(r: RunResult): string {
  const notes = runNotes(r);
  return `### ${r.runtime} ${r.runtimeVersion}${r.quick ? " (quick run: small inputs)" : ""}\n\n` +
    `${r.machine}; ${when(r)}\n\n${runTable(r)}\n` +
    (notes.length ? `\n${notes.map((n) => `- ${n}`).join("\n")}\n` : "");
}

/** README.md and chart.svg from every runtime's latest results. */
function writeCombined(dir: string): void {
  const runs = ["deno", "bun"].map((rt) => readJson<RunResult>(join(dir, `${rt}.json`)))
    .filter((r): r is RunResult => r !== undefined);
  const colors: Record<string, string> = {};
  const palette = ["#4a7bd0", "#e0913a", "#5aa05a", "#b05ab0", "#888", "#c44"];
  const kinds: string[] = [];
  const groups: BarGroup[] = [];
  for (const r of runs) {
    for (const x of r.cases) {
      let g = groups.find((gr) => gr.title === x.title);
      if (!g) groups.push(g = { title: x.title, bars: [] });
      for (const ref of x.refs) {
        if (ref.ratio === undefined) continue;
        if (!kinds.includes(ref.kind)) kinds.push(ref.kind);
        colors[ref.kind] ??= palette[kinds.indexOf(ref.kind) % palette.length];
        const goal = x.goals.find((gl) => gl.ref === ref.name)?.min;
        g.bars.push({
          label: `${r.runtime}: vs ${ref.name}`,
          value: ref.ratio,
          color: colors[ref.kind],
          ...(goal !== undefined ? { goal } : {}),
        });
      }
    }
  }
  const machine = runs[0]?.machine ?? "";
  writeText(
    join(dir, "chart.svg"),
    barChart(
      `@seed/mmap against its references (${machine})`,
      groups,
      kinds.map((k) => [k, colors[k]]),
    ),
  );
  writeText(
    join(dir, "README.md"),
    `# Latest bench results\n\nWritten by \`bench/main.ts\`; see bench/README.md for what each ` +
      `case does and why the library is built the way it is. Ratios are the median, over ` +
      `rounds, of a reference's time divided by the library's in the same round (each round ` +
      `runs every implementation once, back to back): above 1x the library is faster.\n\n` +
      `![ratios](chart.svg)\n\n${runs.map(runReport).join("\n")}`,
  );
}
