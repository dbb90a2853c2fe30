/**
 * A WebAssembly guest reading a mapped file.
 *
 *   deno run --allow-ffi --allow-read --allow-write examples/wasm_guest.ts [file]
 *   bun examples/wasm_guest.ts [file]
 *
 * Two ways in:
 * 1. A C guest (examples/wasm_guest.c, compiled to wasm_guest.wasm) run by
 *    this library's WASI host: it opens the file in a preopened directory and
 *    maps it through the "mmap" import (wasm/include/wasi_mmap.h), then
 *    counts its lines and words in place.
 * 2. The host maps the file into a guest's memory itself (`mapIntoMemory`)
 *    and passes the guest a pointer: a tiny guest sums the bytes.
 *
 * Without a file argument, a sample file is written to a temporary directory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import process from "node:process";
import { mapIntoMemory, WASI } from "../wasm/mod.ts";

const given = process.argv[2];
// Deno's own call needs no --allow-env, which node:os tmpdir() would.
const scratch = given
  ? undefined
  : "Deno" in globalThis
  ? Deno.makeTempDirSync({ prefix: "mmap-wasm-" })
  : mkdtempSync(join(tmpdir(), "mmap-wasm-"));
const file = given ? resolve(given) : join(scratch!, "poem.txt");
if (scratch) {
  writeFileSync(
    file,
    "Shall I map thee to a guest's memory?\nThou art more zero-copy.\n".repeat(1000),
  );
}

// 1. The C guest, through WASI and the "mmap" import.
const wasi = new WASI({
  args: ["wasm_guest", `/data/${basename(file)}`],
  preopens: { "/data": dirname(file) },
});
const wasm = readFileSync(
  decodeURIComponent(new URL("./wasm_guest.wasm", import.meta.url).pathname),
);
const guest = new WebAssembly.Instance(
  new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>),
  wasi.getImportObject(),
);
const code = wasi.start(guest);
if (code !== 0) process.exit(code);

// 2. The host maps the file; the guest gets a pointer and a length.
//    The guest, assembled from this WAT by the wabt package:
//    (module (import "env" "memory" (memory 1))
//      (func (export "sum") (param $p i32) (param $n i32) (result i64) (local $s i64)
//        (block $done (loop $next
//          (br_if $done (i32.eqz (local.get $n)))
//          (local.set $s (i64.add (local.get $s) (i64.load8_u (local.get $p))))
//          (local.set $p (i32.add (local.get $p) (i32.const 1)))
//          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
//          (br $next)))
//        (local.get $s)))
const sumModule = new WebAssembly.Module(Uint8Array.from([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  7,
  1,
  96,
  2,
  127,
  127,
  1,
  126,
  2,
  15,
  1,
  3,
  101,
  110,
  118,
  6,
  109,
  101,
  109,
  111,
  114,
  121,
  2,
  0,
  1,
  3,
  2,
  1,
  0,
  7,
  7,
  1,
  3,
  115,
  117,
  109,
  0,
  0,
  10,
  45,
  1,
  43,
  1,
  1,
  126,
  2,
  64,
  3,
  64,
  32,
  1,
  69,
  13,
  1,
  32,
  2,
  32,
  0,
  49,
  0,
  0,
  124,
  33,
  2,
  32,
  0,
  65,
  1,
  106,
  33,
  0,
  32,
  1,
  65,
  1,
  107,
  33,
  1,
  12,
  0,
  11,
  11,
  32,
  2,
  11,
]));
const memory = new WebAssembly.Memory({ initial: 1 });
const { sum } = new WebAssembly.Instance(sumModule, { env: { memory } }).exports as {
  sum(pointer: number, length: number): bigint;
};
{
  using mapped = mapIntoMemory(memory, file);
  console.log(
    `the guest summed ${mapped.length} mapped bytes at address ${mapped.address}: ` +
      `${sum(mapped.address, mapped.length)}`,
  );
}
if (scratch) rmSync(scratch, { recursive: true, force: true });
