#!/usr/bin/env node
// Types as a Bun user sees them: the package ships .ts sources, so a user's
// `tsc` checks them under the user's tsconfig (skipLibCheck cannot help).
// This makes a project with `bun init` (offline: its install step is pointed
// at a closed port, and the pinned TypeScript and @types/bun come from this
// checkout's node_modules), links the package by name, and runs `tsc --noEmit`
// with bun init's own tsconfig over a program that imports "@seed/mmap" and
// "@seed/mmap/wasm" and over every README block not marked "Deno only".
// Exits 1 on any error.
//
// Usage: node scripts/types-check.mjs
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { exitWhenWritten } from "./_exit.mjs";
import { readmeBlocks } from "./readme-blocks.mjs";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const bin = (name) => join(root, "node_modules", ".bin", name);
const dir = mkdtempSync(join(tmpdir(), "seed-mmap-types-"));

const PROGRAM =
  `import { MMap, MMapConcat, MMapOSError, Mutex, Semaphore, PAGESIZE } from "@seed/mmap";
import { mapIntoMemory, WASI } from "@seed/mmap/wasm";

using m = MMap.anonymous(PAGESIZE);
const floats: Float64Array = m.view(Float64Array, 0, 4);
const at: number = m.find("x");
const mutex = new Mutex(m, 64);
const sem = new Semaphore(m, 72, 1);
const memory = new WebAssembly.Memory({ initial: 1 });
using mapped = mapIntoMemory(memory, m);
const wasi = new WASI({ args: [], env: {}, preopens: {} });
console.log(floats.length, at, mutex, sem, mapped.address, wasi, MMapConcat, MMapOSError);
`;

// ffi/bun_api.ts declares what the Bun backend uses of bun:ffi; bun-types is
// here, so check that bun:ffi has each member (Bun's pointers are branded,
// so the signatures themselves are exercised by the Bun suite at run time).
const BUN_FFI = `import * as ffi from "bun:ffi";
import type { BunFFI } from "./node_modules/@seed/mmap/ffi/bun_api.ts";
const members: Record<keyof BunFFI, unknown> = {
  dlopen: ffi.dlopen,
  read: ffi.read.i32,
  toArrayBuffer: ffi.toArrayBuffer,
  ptr: ffi.ptr,
};
console.log(members);
`;

let status = 1;
try {
  const init = spawnSync(bin("bun"), ["init", "-y"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, BUN_CONFIG_REGISTRY: "http://127.0.0.1:9/" },
  });
  if (!existsSync(join(dir, "tsconfig.json"))) {
    throw new Error(`bun init wrote no tsconfig.json:\n${init.stdout}${init.stderr}`);
  }
  rmSync(join(dir, "node_modules"), { recursive: true, force: true });
  mkdirSync(join(dir, "node_modules", "@seed"), { recursive: true });
  symlinkSync(root, join(dir, "node_modules", "@seed", "mmap"));
  symlinkSync(join(root, "node_modules", "@types"), join(dir, "node_modules", "@types"));
  writeFileSync(join(dir, "index.ts"), PROGRAM);
  writeFileSync(join(dir, "bun_ffi.ts"), BUN_FFI);
  const blocks = readmeBlocks(readFileSync(join(root, "README.md"), "utf8"))
    .filter((b) => b.only !== "deno");
  for (const b of blocks) writeFileSync(join(dir, `readme_${b.line}.ts`), b.code);
  const tsc = spawnSync(bin("tsc"), ["--noEmit", "-p", "."], { cwd: dir, encoding: "utf8" });
  // Paths in the report relative to the checkout, not to the throwaway project.
  const report = (tsc.stdout + tsc.stderr).replaceAll(`${relative(dir, root)}/`, "")
    .replace(/^(readme_(\d+)\.ts)/gm, "README.md block at line $2: $1");
  process.stdout.write(report);
  const errors = (report.match(/error TS\d+/g) ?? []).length;
  console.log(
    `tsc ${
      JSON.parse(readFileSync(join(root, "node_modules/typescript/package.json"), "utf8")).version
    }` +
      ` with bun init's tsconfig: ${errors} errors (a program and ${blocks.length} README blocks)`,
  );
  status = tsc.status === 0 && errors === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
exitWhenWritten(status);
