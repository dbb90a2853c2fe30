/**
 * Run in a child process by tests/wasm_memory_test.ts: a guest touches every
 * page of mappings made the ways that used to kill Deno (a store into a
 * read-only page: SIGSEGV; a load past the end of the file: SIGBUS), then a
 * C guest does the same through the "mmap" import. Prints "survived" if the
 * process lives through it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import wabtInit from "wabt";
import { PAGESIZE } from "../../mod.ts";
import { mapIntoMemory } from "../../wasm/mod.ts";
import { runGuest } from "../wasm_helpers.ts";

const wabt = await wabtInit();
const bytes = wabt.parseWat(
  "survive.wat",
  `(module (import "env" "memory" (memory 1))
    (func (export "touch") (param $at i32) (param $end i32)
      (loop $next
        (i32.store8 (local.get $at) (i32.add (i32.load8_u (local.get $at)) (i32.const 1)))
        (local.set $at (i32.add (local.get $at) (i32.const ${PAGESIZE / 4})))
        (br_if $next (i32.lt_u (local.get $at) (local.get $end)))))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`,
  {},
).toBinary({}).buffer;
const memory = new WebAssembly.Memory({ initial: 1 });
const { touch, grow } = new WebAssembly.Instance(
  new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>),
  {
    env: { memory },
  },
).exports as { touch(at: number, end: number): void; grow(pages: number): number };

const dir = mkdtempSync(join(tmpdir(), "mmap-survive-"));
const file = join(dir, "five.bin");
writeFileSync(file, "12345");
try {
  for (const access of ["read", "copy", "write"] as const) {
    const m = mapIntoMemory(memory, file, { access, length: 5 * PAGESIZE + 3 });
    touch(m.address, m.address + 5 * PAGESIZE + 3);
    grow(3);
    touch(m.address, m.address + 5 * PAGESIZE + 3);
    m.unmap();
    touch(m.address, m.address + 5 * PAGESIZE + 3);
  }
  const run = runGuest("mmap_rw", {
    args: ["mmap_rw", "/data/five.bin"],
    preopens: { "/data": dir },
  });
  if (run.code !== 0) throw new Error(`mmap_rw exited with ${run.code}: ${run.stdout}`);
  console.log("survived");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
