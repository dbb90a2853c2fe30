#!/usr/bin/env node
// Runs the one test suite under Deno and under Bun, then prints one line of
// totals. Counts come from each runner's JUnit report: Bun lists only `it`
// cases; Deno also lists each `describe`, which are dropped here so that
// both runtimes count the same leaves. A runner that dies before writing its
// report (a crash) counts as a failure.
//
// Usage: node scripts/test.mjs [deno|bun] [-- extra args for the runners]
// SEED_DENO and SEED_BUN name other executables to run, SEED_TEST_RESULTS
// another folder for the reports (scripts/aarch64.mjs sets all three).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { exitWhenWritten } from "./_exit.mjs";

const root = new URL("..", import.meta.url).pathname;
const bin = (name) => join(root, "node_modules", ".bin", name);
const out = process.env.SEED_TEST_RESULTS || join(root, ".test-results");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const only = (dash < 0 ? argv : argv.slice(0, dash)).filter(Boolean);
const extra = dash < 0 ? [] : argv.slice(dash + 1);
const files = extra.length ? extra : ["tests/"];

const runners = {
  deno: {
    cmd: process.env.SEED_DENO || bin("deno"),
    args: (xml) => [
      "test",
      "--allow-all",
      "--no-check",
      "--v8-flags=--expose-gc",
      `--junit-path=${xml}`,
      ...files,
    ],
  },
  bun: {
    cmd: process.env.SEED_BUN || bin("bun"),
    // Bun gives each case 5 s unless told otherwise; emulated (SEED_EMULATED=1,
    // tests/_emulation.ts), a case may take minutes, as under Deno, which has no limit.
    args: (xml) => [
      "test",
      "--reporter=junit",
      `--reporter-outfile=${xml}`,
      ...(process.env.SEED_EMULATED === "1" ? ["--timeout=600000"] : []),
      ...files,
    ],
  },
};

function decode(s) {
  return s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(+n)).replace(/&gt;/g, ">")
    .replace(/&lt;/g, "<").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
}

/**
 * Leaf test cases of a JUnit file: [{ name, file, failed, skipped, message }].
 * Deno names the file only on top-level cases (its node:test leaves say
 * "ext:deno_node/testing.ts"): a leaf takes its top-level case's file.
 */
function leaves(xml) {
  const cases = [];
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    const attr = (a) => decode(new RegExp(`\\b${a}="([^"]*)"`).exec(m[1])?.[1] ?? "");
    const failure = /<(?:failure|error)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:failure|error)>)/.exec(
      m[3] ?? "",
    );
    cases.push({
      // Bun names the file apart and the describe blocks in classname.
      name: attr("file") && attr("classname")
        ? `${attr("classname")} > ${attr("name")}`
        : attr("name"),
      file: attr("file") || attr("classname"),
      failed: failure !== null,
      skipped: /<skipped\b/.test(m[3] ?? ""),
      message: failure
        ? decode(failure[2] || /\bmessage="([^"]*)"/.exec(failure[1])?.[1] || "")
        : "",
    });
  }
  const files = new Map(
    cases.filter((c) => !c.file.startsWith("ext:")).map((c) => [c.name, c.file]),
  );
  for (const c of cases) {
    if (c.file.startsWith("ext:")) c.file = files.get(c.name.split(" > ")[0]) ?? c.file;
  }
  const names = cases.map((c) => c.name);
  return cases.filter((c) => !names.some((n) => n.startsWith(c.name + " > ")));
}

/** The failing cases, each with the first lines of its message: what to look at first. */
function report(name, failures) {
  if (!failures.length) return;
  console.log(`\n${name}: ${failures.length} failing:`);
  for (const c of failures) {
    console.log(`FAIL ${c.file.replace(/^\.\//, "")} > ${c.name}`);
    const lines = c.message.split("\n").filter((l) => l.trim()).slice(0, 12);
    for (const line of lines) console.log(`    ${line}`);
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const [name, r] of Object.entries(runners)) {
  if (only.length && !only.includes(name)) continue;
  const xml = join(out, `${name}.xml`);
  console.log(`\n=== ${name} ===`);
  const res = spawnSync(r.cmd, r.args(xml), { cwd: root, stdio: "inherit", env: process.env });
  let p = 0;
  let f = 0;
  let s = 0;
  const failures = [];
  if (existsSync(xml)) {
    for (const c of leaves(readFileSync(xml, "utf8"))) {
      if (c.failed) failures.push(c);
      c.failed ? f++ : c.skipped ? s++ : p++;
    }
  }
  report(name, failures);
  if (res.status !== 0 && f === 0) {
    // The runner failed without a failing case: it crashed or could not load.
    console.log(
      `${name}: the runner exited with ${
        res.status ?? res.signal
      } and no failing test: counted as 1 failure`,
    );
    f++;
  }
  // Skipped cases (tests/_emulation.ts) count as neither.
  console.log(`${name}: ${p} passed, ${f} failed${s ? `, ${s} skipped` : ""}`);
  passed += p;
  failed += f;
  skipped += s;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
exitWhenWritten(failed ? 1 : 0);
