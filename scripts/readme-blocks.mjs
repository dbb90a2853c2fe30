#!/usr/bin/env node
// Every TypeScript block of README.md that imports the package, run as written
// from an empty folder that depends on it, the way a user's project would:
//   Deno  a deno.json import map naming "@seed/mmap" and "@seed/mmap/wasm"
//   Bun   the package linked by name into node_modules/@seed/mmap
// A block whose first line is a comment starting "Deno only" or "Bun only"
// runs only in that runtime. A first line "// deno run <flags> ..." gives the
// Deno permissions (default: --allow-ffi --allow-read --allow-write).
// Each run gets a private /dev/shm (a tiny tmpfs in its own mount namespace,
// where unshare works): after the run, that /dev/shm and the project folder
// must hold nothing the block made, or the block fails.
//
// Usage: node scripts/readme-blocks.mjs [deno|bun] [--list]
import { runWithPrivateShm } from "./_private_shm.mjs";
import { exitWhenWritten } from "./_exit.mjs";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const bin = (name) => join(root, "node_modules", ".bin", name);
const args = process.argv.slice(2);
const runtimes = ["deno", "bun"].filter((r) =>
  !args.some((a) => a === "deno" || a === "bun") || args.includes(r)
);
const DENO_DEFAULT = ["--allow-ffi", "--allow-read", "--allow-write"];

/** The ```ts blocks of the README that import the package, with their line numbers. */
// deno-lint-ignore explicit-module-boundary-types
export function readmeBlocks(text) {
  const blocks = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```ts") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== "```") end++;
    const code = lines.slice(start, end).join("\n") + "\n";
    i = end;
    if (!/from "(jsr:)?@seed\/mmap(\/wasm)?"/.test(code)) continue;
    const first = lines[start] ?? "";
    const only = /^\/\/\s*(Deno|Bun) only\b/i.exec(first)?.[1]?.toLowerCase();
    const deno = /^\/\/\s*deno run ((?:--?[\w-]+(?:=\S+)?\s+)*)/.exec(first);
    const denoFlags = deno ? deno[1].trim().split(/\s+/).filter(Boolean) : DENO_DEFAULT;
    blocks.push({ line: start, code, only, denoFlags });
  }
  return blocks;
}

/** An empty project folder that depends on the package, for one runtime. */
function project(runtime) {
  const dir = mkdtempSync(join(tmpdir(), `seed-mmap-readme-${runtime}-`));
  if (runtime === "deno") {
    writeFileSync(
      join(dir, "deno.json"),
      JSON.stringify({
        imports: { "@seed/mmap": `${root}/mod.ts`, "@seed/mmap/wasm": `${root}/wasm/mod.ts` },
      }),
    );
  } else {
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "readme-block", private: true, type: "module" }),
    );
    mkdirSync(join(dir, "node_modules", "@seed"), { recursive: true });
    symlinkSync(root, join(dir, "node_modules", "@seed", "mmap"));
  }
  return dir;
}

/** Runs one block in one runtime; returns a failure message or null. */
function run(block, runtime) {
  const dir = project(runtime);
  const before = new Set(readdirSync(dir));
  writeFileSync(join(dir, "app.ts"), block.code);
  const cmd = runtime === "deno"
    ? [bin("deno"), "run", ...block.denoFlags, "app.ts"]
    : [bin("bun"), "app.ts"];
  const res = runWithPrivateShm(cmd[0], cmd.slice(1), { cwd: dir, timeout: 120_000, size: "4m" });
  const stdout = res.stdout;
  const left = readdirSync(dir).filter((f) => !before.has(f) && f !== "app.ts");
  rmSync(dir, { recursive: true, force: true });
  const label = `README.md:${block.line} (${runtime})`;
  console.log(`--- ${label}`);
  const indent = (text, mark) => text.replace(/\n$/, "").replace(/^/gm, mark) + "\n";
  if (stdout) process.stdout.write(indent(stdout, "  "));
  if (res.stderr) process.stdout.write(indent(res.stderr, "  ! "));
  if (res.status !== 0) return `${label}: exit ${res.status ?? res.signal}`;
  if (left.length) return `${label}: left files behind: ${left.join(", ")}`;
  if (res.shmLeft.length) return `${label}: left shared memory behind: ${res.shmLeft.join(", ")}`;
  return null;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const blocks = readmeBlocks(readFileSync(join(root, "README.md"), "utf8"));
  if (args.includes("--list")) {
    for (const b of blocks) {
      console.log(`README.md:${b.line}`, b.only ?? "both", b.denoFlags.join(" "));
    }
    exitWhenWritten(0);
  } else runBlocks(blocks);
}

/** Runs every block in each of its runtimes, prints the failures and totals, and exits. */
function runBlocks(blocks) {
  const failures = [];
  let ran = 0;
  for (const block of blocks) {
    for (const runtime of runtimes) {
      if (block.only && block.only !== runtime) continue;
      ran++;
      const failure = run(block, runtime);
      if (failure) failures.push(failure);
    }
  }
  for (const f of failures) console.log(`FAILED: ${f}`);
  console.log(
    `README blocks: ${ran - failures.length} of ${ran} runs passed (${blocks.length} blocks)`,
  );
  exitWhenWritten(failures.length || ran === 0 ? 1 : 0);
}
