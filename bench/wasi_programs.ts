/**
 * The WASI host's speed next to the runtime's own `node:wasi`, in one run
 * on the machine at hand:
 *
 * - programs: each workload of the compatibility suite (tests/programs/:
 *   Ruby, clang + wasm-ld, yosys), timed as the wall time of its steps
 *   (each a child process: start-up, compiling the module and running it,
 *   the same for both hosts);
 * - calls: the per-call cost of `path_open`, `fd_read`, `fd_write` and
 *   `fd_readdir`, timed by the guest itself (tests/wasm_guests/wasi_calls.c)
 *   after as many untimed calls: the steady cost, once each host's code is
 *   compiled (the files workload below runs cold, from the first call);
 * - files: a file-heavy workload, also timed by the guest: create and write,
 *   read, list and delete 2,000 small files.
 *
 * The guest's files live on a private tmpfs where the bench may mount one
 * (root), so that the disk's noise stays out; else in the temp directory.
 * Hosts run alternately, round after round; each figure is the median over
 * rounds, and a ratio is node:wasi's time over this host's (above 1x this
 * host is faster). Usage:
 *
 *   deno run -A bench/wasi_programs.ts [--rounds=5] [--program-rounds=3] [--rounds-clang=1]
 *     [--no-programs]
 *   bun bench/wasi_programs.ts [...]
 *   npm run bench:wasi                       # both runtimes
 *
 * Writes wasi-<runtime>.md and .json to `$TMPDIR/seed-mmap-bench-results`,
 * or with `--save` to bench/results/ (tracked), as bench/main.ts does.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type HostKind, RUNTIME, runWorkload } from "../tests/programs/runner.ts";
import { WORKLOADS } from "../tests/programs/workloads.ts";

const opts = new Map(
  process.argv.slice(2).filter((a) => a.startsWith("--")).map((a) => {
    const [k, v = ""] = a.slice(2).split("=");
    return [k, v];
  }),
);
const rounds = Number(opts.get("rounds") ?? 5);
const programRounds = Number(opts.get("program-rounds") ?? 3);
// clang's workload costs ten times the others' (it compiles a C++ program
// under each host): one round unless --rounds-clang=N says more.
const roundsOf = (id: string) =>
  Number(opts.get(`rounds-${id}`) ?? (id === "clang" ? 1 : programRounds));
const FILES = 2000;
const CALLS = 5000;
const HOSTS: HostKind[] = ["seed", "node"];
const here = decodeURIComponent(new URL(".", import.meta.url).pathname);
const STEP = join(here, "../tests/programs/step.ts");
const GUEST = join(here, "../tests/wasm_guests/wasi_calls.wasm");

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A private tmpfs (root), else a temp directory; and how to remove it. */
function scratchRoot(): { dir: string; kind: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), `seed-wasi-bench-${process.pid}-`));
  const r = spawnSync("mount", [
    "-t",
    "tmpfs",
    "-o",
    "size=64m",
    `seed-wasi-bench-${process.pid}`,
    dir,
  ]);
  if (r.status === 0) {
    return {
      dir,
      kind: "tmpfs",
      done() {
        spawnSync("umount", [dir]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  return { dir, kind: "temp directory", done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The guest's "name: number" lines, and its "check:" lines. */
function runGuest(kind: HostKind, dir: string, args: string[]) {
  const spec = JSON.stringify({
    wasm: GUEST,
    args: ["wasi_calls", ...args],
    preopens: { "/sandbox": dir },
  });
  const argv = RUNTIME.startsWith("Bun") ? [STEP, kind, spec] : ["run", "-A", STEP, kind, spec];
  const r = spawnSync(process.execPath, argv, { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) {
    throw new Error(`wasi_calls ${args.join(" ")} on ${kind}: ${r.stdout}${r.stderr}`);
  }
  const values: Record<string, number> = {};
  const checks: string[] = [];
  for (const line of r.stdout.split("\n")) {
    const m = /^([a-z_+]+): ([0-9.]+)/.exec(line);
    if (line.startsWith("check: ")) checks.push(line);
    else if (m) values[m[1]] = Number(m[2]);
  }
  return { values, checks: checks.join("; ") };
}

type Samples = Record<string, Record<HostKind, number[]>>;

function guestRounds(dir: string, args: string[], samples: Samples): string[] {
  const problems: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const checks: Partial<Record<HostKind, string>> = {};
    for (const kind of round % 2 ? [...HOSTS].reverse() : HOSTS) {
      const work = join(dir, `${kind}-${round}`);
      mkdirSync(work);
      try {
        const { values, checks: c } = runGuest(kind, work, args);
        checks[kind] = c;
        for (const [k, v] of Object.entries(values)) {
          (samples[k] ??= { seed: [], node: [] })[kind].push(v);
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
    // node:wasi lists no "." and ".." in fd_readdir: its readdir fills fewer bytes.
    const seedCheck = checks.seed?.replace(/readdir filled \d+ bytes/, "");
    const nodeCheck = checks.node?.replace(/readdir filled \d+ bytes/, "");
    if (seedCheck !== nodeCheck) problems.push(`round ${round}: ${checks.seed} vs ${checks.node}`);
  }
  return problems;
}

const lines: string[] = [];
const json: Record<string, unknown> = { runtime: RUNTIME, rounds, programRounds };
const out = (s = "") => {
  console.log(s);
  lines.push(s);
};
const ratio = (seed: number, node: number) => `${(node / seed).toFixed(2)}x`;

out(`## WASI host vs node:wasi, ${RUNTIME}`);
out();
const scratch = scratchRoot();
try {
  out(`Guest files on a ${scratch.kind}; ${rounds} rounds, hosts alternating; medians.`);
  out();
  const calls: Samples = {};
  const callProblems = guestRounds(scratch.dir, ["calls", String(CALLS)], calls);
  out(
    `| call (${CALLS} each, fd_readdir ${
      CALLS / 10
    } times; after as many untimed) | this host | node:wasi | node:wasi / this host |`,
  );
  out("| --- | --- | --- | --- |");
  for (const name of ["path_open", "fd_read", "fd_write", "fd_readdir"]) {
    const s = median(calls[name].seed), n = median(calls[name].node);
    out(`| \`${name}\` | ${s.toFixed(2)} µs | ${n.toFixed(2)} µs | ${ratio(s, n)} |`);
  }
  out();
  const files: Samples = {};
  const fileProblems = guestRounds(scratch.dir, ["files", String(FILES)], files);
  out(`| ${FILES} small files | this host | node:wasi | node:wasi / this host |`);
  out("| --- | --- | --- | --- |");
  for (const name of ["create+write", "read", "list", "delete", "total"]) {
    const s = median(files[name].seed), n = median(files[name].node);
    const label = name === "total" ? "**total**" : name;
    out(`| ${label} | ${s.toFixed(1)} ms | ${n.toFixed(1)} ms | ${ratio(s, n)} |`);
  }
  out();
  for (const p of [...callProblems, ...fileProblems]) out(`- results differ: ${p}`);
  json.calls = calls;
  json.files = files;
} finally {
  scratch.done();
}

if (!opts.has("no-programs")) {
  out("| program workload (rounds) | this host | node:wasi | node:wasi / this host |");
  out("| --- | --- | --- | --- |");
  const programs: Record<string, unknown> = {};
  for (const w of WORKLOADS) {
    const times: Record<HostKind, number[]> = { seed: [], node: [] };
    const problems: Partial<Record<HostKind, string>> = {};
    const n = roundsOf(w.id);
    for (let round = 0; round < n; round++) {
      for (const kind of round % 2 ? [...HOSTS].reverse() : HOSTS) {
        const o = await runWorkload(w, kind);
        if (o.problem === null) times[kind].push(o.ms);
        else problems[kind] = o.problem;
      }
    }
    const cell = (kind: HostKind) =>
      problems[kind] ? "fails" : `${(median(times[kind]) / 1000).toFixed(1)} s`;
    const r = problems.seed || problems.node ? "-" : ratio(median(times.seed), median(times.node));
    out(`| ${w.id}: ${w.job} (${n}) | ${cell("seed")} | ${cell("node")} | ${r} |`);
    programs[w.id] = { times, problems };
  }
  json.programs = programs;
  out();
}

const name = RUNTIME.startsWith("Bun") ? "bun" : "deno";
const results = opts.has("save")
  ? join(here, "results")
  : join(tmpdir(), "seed-mmap-bench-results");
mkdirSync(results, { recursive: true });
writeFileSync(join(results, `wasi-${name}.md`), lines.join("\n") + "\n");
writeFileSync(join(results, `wasi-${name}.json`), JSON.stringify(json, null, 2) + "\n");
console.error(
  `results written to ${results}${
    opts.has("save") ? "" : " (--save writes them to bench/results/)"
  }`,
);
