/**
 * A WebAssembly guest reading a file through a mapping against reading it
 * through WASI calls, on this library's WASI host:
 *
 * - sum: the guest sums a file (1 GiB by default) as 64-bit words, once
 *   through the mapping (`"mmap"` import) and once through `fd_read` into a
 *   64 KiB buffer;
 * - random: the guest reads 64 bytes at each of 1,000,000 random offsets,
 *   through the mapping and through one `fd_pread` per read.
 *
 * The guest is the same module for both ways (WAT, assembled by the wabt
 * dev dependency); it opens the file itself with `path_open`. Standalone:
 *
 *   deno run -A bench/wasm.ts [MiB] [reads]
 *   bun bench/wasm.ts [MiB] [reads]
 *
 * Prints the time of each way (best of 3) and the ratio.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import wabtInit from "wabt";
import { WASI } from "../wasm/mod.ts";

const args = process.argv.slice(2).filter((a) => !a.endsWith(".ts"));
const mib = Number(args[0] ?? 1024);
const reads = Number(args[1] ?? 1_000_000);
const size = mib * 2 ** 20;
const runtime = "Bun" in globalThis
  ? `Bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : `Deno ${Deno.version.deno}`;

const GUEST = `(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread"
    (func $fd_pread (param i32 i32 i32 i64 i32) (result i32)))
  (import "mmap" "map" (func $map (param i32 i64 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "data.bin")
  ;; 16: fd, 24: iovec, 32: count, 65536..131072: the read buffer
  (func (export "open") (result i32)
    (drop (call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 8) (i32.const 0)
      (i64.const 0x200006) (i64.const 0) (i32.const 0) (i32.const 16)))
    (i32.load (i32.const 16)))
  (func (export "map") (param $fd i32) (param $len i32) (result i32)
    (call $map (local.get $fd) (i64.const 0) (local.get $len) (i32.const 1) (i32.const 2)))
  (func $sum (param $p i32) (param $n i32) (param $s i64) (result i64)
    (local $end i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $s (i64.add (local.get $s) (i64.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br $next)))
    (local.get $s))
  (func (export "sum_mapped") (param $p i32) (param $n i32) (result i64)
    (call $sum (local.get $p) (local.get $n) (i64.const 0)))
  (func (export "sum_read") (param $fd i32) (result i64)
    (local $s i64) (local $got i32)
    (i32.store (i32.const 24) (i32.const 65536))
    (i32.store (i32.const 28) (i32.const 65536))
    (block $done (loop $next
      (drop (call $fd_read (local.get $fd) (i32.const 24) (i32.const 1) (i32.const 32)))
      (local.set $got (i32.load (i32.const 32)))
      (br_if $done (i32.eqz (local.get $got)))
      (local.set $s (call $sum (i32.const 65536) (local.get $got) (local.get $s)))
      (br $next)))
    (local.get $s))
  ;; xorshift32 offsets in [0, len - 64); each read sums its 8 words.
  (func $next (param $x i32) (result i32)
    (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
    (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
  (func (export "random_mapped") (param $p i32) (param $len i32) (param $n i32) (result i64)
    (local $s i64) (local $x i32)
    (local.set $x (i32.const 2463534242))
    (block $done (loop $again
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $x (call $next (local.get $x)))
      (local.set $s (call $sum (i32.add (local.get $p)
        (i32.rem_u (local.get $x) (i32.sub (local.get $len) (i32.const 64))))
        (i32.const 64) (local.get $s)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $again)))
    (local.get $s))
  (func (export "random_pread") (param $fd i32) (param $len i32) (param $n i32) (result i64)
    (local $s i64) (local $x i32)
    (local.set $x (i32.const 2463534242))
    (i32.store (i32.const 24) (i32.const 65536))
    (i32.store (i32.const 28) (i32.const 64))
    (block $done (loop $again
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $x (call $next (local.get $x)))
      (drop (call $fd_pread (local.get $fd) (i32.const 24) (i32.const 1)
        (i64.extend_i32_u (i32.rem_u (local.get $x) (i32.sub (local.get $len) (i32.const 64))))
        (i32.const 32)))
      (local.set $s (call $sum (i32.const 65536) (i32.const 64) (local.get $s)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $again)))
    (local.get $s)))`;

interface Guest {
  open(): number;
  map(fd: number, len: number): number;
  sum_mapped(p: number, n: number): bigint;
  sum_read(fd: number): bigint;
  random_mapped(p: number, len: number, n: number): bigint;
  random_pread(fd: number, len: number, n: number): bigint;
}

/** Best of `runs` timings of `fn`, in ms, and its result (the same every run). */
function best(runs: number, fn: () => bigint): { ms: number; result: bigint } {
  let ms = Infinity;
  let result = 0n;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = fn();
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, result };
}

const dir = "Deno" in globalThis
  ? Deno.makeTempDirSync({ prefix: "mmap-bench-wasm-" })
  : mkdtempSync(join(tmpdir(), "mmap-bench-wasm-"));
try {
  // A file of varied bytes, written in 16 MiB pieces.
  const out = openSync(join(dir, "data.bin"), "w");
  const piece = new Uint8Array(Math.min(size, 16 * 2 ** 20));
  for (let i = 0; i < piece.length; i++) piece[i] = (i * 2654435761) >>> 24;
  for (let done = 0; done < size; done += piece.length) {
    writeSync(out, piece, 0, Math.min(piece.length, size - done));
  }
  closeSync(out);

  const wabt = await wabtInit();
  const bytes = wabt.parseWat("bench.wat", GUEST, {}).toBinary({}).buffer;
  const wasi = new WASI({ preopens: { "/": dir } });
  const instance = new WebAssembly.Instance(
    new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>),
    wasi.getImportObject(),
  );
  wasi.initialize(instance);
  const g = instance.exports as unknown as Guest;
  const mapFd = g.open();
  const readFd = g.open();
  const address = g.map(mapFd, size) >>> 0;
  if (address < 65536) throw new Error(`map failed: ${address | 0}`);

  console.log(`${runtime}: a guest reading a ${mib} MiB file, mapped vs WASI calls`);
  const sumMapped = best(3, () => g.sum_mapped(address, size));
  const sumRead = best(3, () => {
    // Rewind: fd_read goes on from where the last pass ended.
    wasi.wasiImport.fd_seek(readFd, 0n, 0, 40);
    return g.sum_read(readFd);
  });
  if (sumMapped.result !== sumRead.result) throw new Error("the two sums differ");
  const rndMapped = best(3, () => g.random_mapped(address, size, reads));
  const rndPread = best(3, () => g.random_pread(readFd, size, reads));
  if (rndMapped.result !== rndPread.result) throw new Error("the two random sums differ");

  const gbps = (ms: number) => (size / 2 ** 30 / (ms / 1000)).toFixed(2);
  const nsPer = (ms: number) => ((ms * 1e6) / reads).toFixed(0);
  console.log(
    `sum ${mib} MiB:   mapped ${sumMapped.ms.toFixed(1)} ms (${gbps(sumMapped.ms)} GiB/s), ` +
      `fd_read ${sumRead.ms.toFixed(1)} ms (${gbps(sumRead.ms)} GiB/s): ` +
      `mapped is ${(sumRead.ms / sumMapped.ms).toFixed(2)}x as fast`,
  );
  console.log(
    `${reads} random 64-byte reads: mapped ${rndMapped.ms.toFixed(1)} ms ` +
      `(${nsPer(rndMapped.ms)} ns each), fd_pread ${rndPread.ms.toFixed(1)} ms ` +
      `(${nsPer(rndPread.ms)} ns each): mapped is ${
        (rndPread.ms / rndMapped.ms).toFixed(1)
      }x as fast`,
  );
  wasi.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
