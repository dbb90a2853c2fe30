/**
 * The compatibility suite: real WASI programs from npm (tests/programs/
 * workloads.ts), each run with a checked workload on this library's `WASI`
 * and, for comparison, on the same runtime's `node:wasi`. Only this host's
 * results count: `node:wasi`'s are printed (and recorded with `--json`) to
 * show where it stands. The packages are fetched on first use into a cache
 * folder (tests/programs/cache.ts).
 *
 *   deno run -A tests/programs/suite.ts [--only=ruby,clang] [--hosts=seed] [--json=out.json]
 *     (--hosts defaults to $SEED_PROGRAMS_HOSTS, else seed,node)
 *   bun tests/programs/suite.ts [...]
 *   npm run test:programs                  # both runtimes
 *
 * Ends with the line `programs: N passed, N failed`.
 */
import { writeFileSync } from "node:fs";
import process from "node:process";
import { type HostKind, type Outcome, RUNTIME, runWorkload } from "./runner.ts";
import { WORKLOADS } from "./workloads.ts";

const opts = new Map(
  process.argv.slice(2).filter((a) => a.startsWith("--")).map((a) => {
    const [k, v = ""] = a.slice(2).split("=");
    return [k, v];
  }),
);
const only = opts.get("only")?.split(",");
// SEED_PROGRAMS_HOSTS=seed (as CI sets it) leaves node:wasi's runs out.
const hosts = (opts.get("hosts") ?? process.env.SEED_PROGRAMS_HOSTS ?? "seed,node")
  .split(",") as HostKind[];
const label: Record<HostKind, string> = { seed: "@seed/mmap WASI", node: "node:wasi" };

const results: Record<string, Partial<Record<HostKind, Outcome>>> = {};
let passed = 0;
let failed = 0;
console.log(`programs under ${RUNTIME}`);
for (const w of WORKLOADS) {
  if (only && !only.includes(w.id)) continue;
  results[w.id] = {};
  for (const kind of hosts) {
    const o = await runWorkload(w, kind);
    results[w.id][kind] = o;
    const verdict = o.problem === null ? "ok" : `FAIL: ${o.problem}`;
    console.log(
      `${w.id} on ${label[kind]}: ${verdict} (${(o.ms / 1000).toFixed(1)} s, ${o.steps} runs)`,
    );
    if (kind === "seed") o.problem === null ? passed++ : failed++;
  }
}
const json = opts.get("json");
if (json) {
  const programs = Object.fromEntries(
    WORKLOADS.map((w) => [w.id, { program: w.program, job: w.job }]),
  );
  writeFileSync(json, JSON.stringify({ runtime: RUNTIME, programs, results }, null, 2) + "\n");
}
console.log(`programs: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
