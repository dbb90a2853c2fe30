#!/usr/bin/env node
// Every JSDoc example, run as a test (`deno test --doc`), in a copy of the
// tracked files and with a private /dev/shm (a tiny tmpfs in its own mount
// namespace, where unshare works). Examples must clean up after themselves:
// afterwards the copy must hold no file the checkout does not track, and
// /dev/shm no region, or this fails and names what was left.
//
// Usage: node scripts/doc-examples.mjs
import { execFileSync } from "node:child_process";
import { runWithPrivateShm } from "./_private_shm.mjs";
import { exitWhenWritten } from "./_exit.mjs";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" })
  .split("\0").filter(Boolean);
const copy = mkdtempSync(join(tmpdir(), "seed-mmap-doc-"));

/** Every file under `dir`, relative to it, skipping node_modules. */
function walk(dir, base = dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, base, out);
    else out.push(relative(base, path));
  }
  return out;
}

let status = 1;
try {
  for (const file of tracked) {
    mkdirSync(join(copy, dirname(file)), { recursive: true });
    cpSync(join(root, file), join(copy, file));
  }
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
  const deno = [
    join(root, "node_modules", ".bin", "deno"),
    "test",
    "--doc",
    "--allow-all",
    "mod.ts",
    "src/",
    "wasm/",
  ];
  const res = runWithPrivateShm(deno[0], deno.slice(1), { cwd: copy });
  const out = res.stdout;
  const shm = res.shmLeft.join(", ");
  process.stdout.write(out);
  process.stderr.write(res.stderr ?? "");
  const known = new Set(tracked);
  const left = walk(copy).filter((f) => !known.has(f));
  if (left.length) console.log(`FAILED: the examples left files behind: ${left.join(", ")}`);
  if (shm) {
    console.log(`FAILED: the examples left shared memory behind: ${shm}`);
  }
  if (!res.shmChecked) console.log("(no private /dev/shm here: regions were not checked)");
  status = res.status === 0 && !left.length && !shm ? 0 : 1;
  console.log(
    status ? "JSDoc examples: FAILED" : "JSDoc examples: all ran and left nothing behind",
  );
} finally {
  rmSync(copy, { recursive: true, force: true });
}
exitWhenWritten(status);
