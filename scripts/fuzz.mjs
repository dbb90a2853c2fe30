#!/usr/bin/env node
// Runs the differential fuzzer (tests/differential_fuzz.ts) under Deno, then
// under Bun, each for as long as asked; the last line sums both runtimes.
//
// Usage: npm run fuzz -- [--seconds N] [--runtime deno|bun] [--seed S [--count N]]
//          [--python PATH] [--verbose]
// --seconds is per runtime (default 10). --seed replays sequences from a seed.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { exitWhenWritten } from "./_exit.mjs";

const root = new URL("..", import.meta.url).pathname;
const bin = (name) => join(root, "node_modules", ".bin", name);
const argv = process.argv.slice(2);
const at = argv.indexOf("--runtime");
const only = at < 0 ? null : argv[at + 1];
const pass = at < 0 ? argv : [...argv.slice(0, at), ...argv.slice(at + 2)];
const script = join(root, "tests", "differential_fuzz.ts");
const runners = {
  deno: [bin("deno"), ["run", "--allow-all", "--no-check", script, ...pass]],
  bun: [bin("bun"), [script, ...pass]],
};
let sequences = 0;
let divergences = 0;
let failed = false;
for (const [name, [cmd, args]] of Object.entries(runners)) {
  if (only && only !== name) continue;
  const res = spawnSync(cmd, args, {
    cwd: root,
    encoding: "utf8",
    stdio: ["inherit", "pipe", "inherit"],
  });
  process.stdout.write(res.stdout ?? "");
  const m = /(\d+) sequences .*?, (\d+) divergences/.exec(res.stdout ?? "");
  if (m) {
    sequences += Number(m[1]);
    divergences += Number(m[2]);
  }
  if (res.status !== 0) {
    failed = true;
    if (!m) {
      console.log(
        `${name}: the fuzzer died (${res.status ?? res.signal}); replay its last batch with --seed`,
      );
    }
  }
}
console.log(`${sequences} sequences, ${divergences} divergences`);
exitWhenWritten(failed ? 1 : 0);
