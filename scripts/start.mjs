#!/usr/bin/env node
// `npm start`: the tour (examples/tour.ts) in Deno, then in Bun, each under a
// separator, and one closing line that says whether both ran and what next.
//
// Usage: node scripts/start.mjs [MiB]
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { exitWhenWritten } from "./_exit.mjs";

const root = new URL("..", import.meta.url).pathname;
const bin = (name) => join(root, "node_modules", ".bin", name);
const extra = process.argv.slice(2);
const runs = [
  ["Deno", bin("deno"), [
    "run",
    "--allow-ffi",
    "--allow-read",
    "--allow-write",
    "examples/tour.ts",
  ]],
  ["Bun", bin("bun"), ["examples/tour.ts"]],
];
const failed = [];
for (const [name, cmd, args] of runs) {
  const shown = `${name === "Deno" ? "deno" : "bun"} ${args.join(" ")}`;
  console.log(
    `\n${"=".repeat(8)} ${name}: ${shown} ${
      "=".repeat(Math.max(4, 80 - shown.length - name.length - 13))
    }`,
  );
  const res = spawnSync(cmd, [...args, ...extra], { cwd: root, stdio: "inherit" });
  if (res.status !== 0) failed.push(`${name} (exit ${res.status ?? res.signal})`);
}
console.log(`\n${"=".repeat(80)}`);
console.log(
  failed.length
    ? `npm start: FAILED in ${failed.join(", ")}`
    : "npm start: the tour ran in Deno and in Bun. Next: npm test (the suite in both runtimes), " +
      "then README.md's Quick start.",
);
exitWhenWritten(failed.length ? 1 : 0);
