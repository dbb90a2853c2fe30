#!/usr/bin/env node
// The package as users install it: throwaway projects under the system's
// temporary directory depend on this checkout the ways a user would, import
// "@seed/mmap" by name, and run a small app and the safetensors example.
//
//   bun, folder dependency   package.json "file:<repo>", `bun install --production`
//   bun, packed tarball      `npm pack` (the "files" list), then `bun add ./seed-mmap-*.tgz`
//   node, packed tarball     `import("@seed/mmap")` fails at once with an error naming Deno and Bun
//   bun, git dependency      `bun add git+file://<repo>` (what a git URL gives)
//   deno, JSR package        deno.json "jsr:@seed/mmap" + "links": [<repo>] (what
//                            `deno add jsr:@seed/mmap` gives, without reaching jsr.io)
//   deno, import map         deno.json "@seed/mmap": "<repo>/mod.ts"
//
// Prints what each project printed; exits 1 if any step failed.
// Usage: node scripts/install-check.mjs
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exitWhenWritten } from "./_exit.mjs";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const bin = (name) => join(root, "node_modules", ".bin", name);
const base = mkdtempSync(join(tmpdir(), "seed-mmap-install-"));
const denoRun = ["run", "--allow-ffi", "--allow-read", "--allow-write"];
let failures = 0;

const APP = `import { MMap, MMapConcat } from "@seed/mmap";
import { writeFileSync } from "node:fs";

writeFileSync("part1.txt", "hello, wo");
writeFileSync("part2.txt", "rld\\n");
using m = MMap.concat(["part1.txt", "part2.txt"]);
console.log("resolved @seed/mmap to", import.meta.resolve("@seed/mmap"));
console.log("MMap.concat:", m instanceof MMapConcat, m.find("world"), JSON.stringify(new TextDecoder().decode(m.read())));
`;

/** A project directory holding the app and the safetensors example, importing "@seed/mmap". */
function project(name, files) {
  const dir = join(base, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "app.ts"), APP);
  const example = readFileSync(join(root, "examples", "safetensors.ts"), "utf8");
  writeFileSync(
    join(dir, "safetensors.ts"),
    example.replace('from "../mod.ts"', 'from "@seed/mmap"'),
  );
  copyFileSync(join(root, "examples", "_shared.ts"), join(dir, "_shared.ts"));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

/** Runs one command in `cwd`, echoing its output; returns its stdout. */
function step(label, cwd, cmd, args) {
  console.log(`\n$ (${label}) ${[cmd.split("/").pop(), ...args].join(" ")}`);
  const res = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  process.stdout.write(res.stdout);
  process.stderr.write(res.stderr);
  if (res.status !== 0) {
    failures++;
    console.log(`FAILED (${res.status ?? res.signal}): ${label}`);
  }
  return res.stdout;
}

/** Runs the app and the example, and checks that the app imported the expected copy. */
function runBoth(label, dir, cmd, prefix, expectResolved) {
  const out = step(label, dir, cmd, [...prefix, "app.ts"]);
  if (!out.includes(expectResolved) || !out.includes('MMap.concat: true 7 "hello, world\\n"')) {
    failures++;
    console.log(`FAILED: ${label} did not import @seed/mmap from ${expectResolved}`);
  }
  step(label, dir, cmd, [...prefix, "safetensors.ts", "64", "32"]);
}

try {
  const pkg = (deps) =>
    JSON.stringify({ name: "throwaway", private: true, type: "module", dependencies: deps });

  const bunDir = project("bun-folder", { "package.json": pkg({ "@seed/mmap": `file:${root}` }) });
  step("bun, folder dependency", bunDir, bin("bun"), ["install", "--production"]);
  runBoth("bun, folder dependency", bunDir, bin("bun"), [], "node_modules/@seed/mmap/mod.ts");

  const tarDir = project("bun-tarball", { "package.json": pkg({}) });
  step("npm pack", root, "npm", ["pack", "--silent", "--pack-destination", tarDir]);
  const tarball = readdirSync(tarDir).find((f) => f.endsWith(".tgz"));
  step("bun, packed tarball", tarDir, bin("bun"), ["add", `./${tarball}`]);
  runBoth("bun, packed tarball", tarDir, bin("bun"), [], "node_modules/@seed/mmap/mod.ts");

  // Node.js resolves the package's "node" export condition: an error that says why, at once.
  const node = spawnSync(process.execPath, [
    "--input-type=module",
    "-e",
    'import("@seed/mmap").then(() => process.exit(0), (e) => { console.log(e.message); process.exit(3); })',
  ], { cwd: tarDir, encoding: "utf8" });
  console.log(`\n$ (node, packed tarball) node -e 'import("@seed/mmap")'\n${node.stdout}`);
  if (node.status !== 3 || !node.stdout.includes("runs on Deno and Bun, not Node.js")) {
    failures++;
    console.log("FAILED: node, packed tarball: no clear error at import");
  }

  // A git dependency, as `bun add git+https://...` makes one, from this clone.
  const gitDir = project("bun-git", { "package.json": pkg({}) });
  step("bun, git dependency", gitDir, bin("bun"), ["add", `git+file://${root}`]);
  runBoth("bun, git dependency", gitDir, bin("bun"), [], "node_modules/@seed/mmap/mod.ts");

  const jsrDir = project("deno-jsr", {
    "deno.json": JSON.stringify({
      imports: { "@seed/mmap": "jsr:@seed/mmap@^0.1.0" },
      links: [root],
    }),
  });
  step("deno, JSR package (linked)", jsrDir, bin("deno"), ["check", "app.ts", "safetensors.ts"]);
  runBoth("deno, JSR package (linked)", jsrDir, bin("deno"), denoRun, `file://${root}/mod.ts`);

  const mapDir = project("deno-import-map", {
    "deno.json": JSON.stringify({ imports: { "@seed/mmap": `${root}/mod.ts` } }),
  });
  runBoth("deno, import map", mapDir, bin("deno"), denoRun, `file://${root}/mod.ts`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
console.log(failures ? `\ninstall check: ${failures} failed` : "\ninstall check: all projects ran");
exitWhenWritten(failures ? 1 : 0);
