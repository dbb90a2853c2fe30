/**
 * A tour of @seed/mmap on a generated log file of a few hundred MB: write it
 * through a map, then map it again read-only and search it without reading
 * it into memory. Runs unchanged in Deno and Bun:
 *
 *   deno run --allow-ffi --allow-read --allow-write examples/tour.ts [MiB]
 *   bun examples/tour.ts [MiB]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { MADV_SEQUENTIAL, MMap } from "../mod.ts";

const runtime = "Bun" in globalThis
  ? `Bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : `Deno ${Deno.version.deno}`;
const mib = Number(process.argv[2] ?? 256);
const size = mib * 2 ** 20;
// Deno's own call needs no --allow-env, which node:os tmpdir() would.
const dir = "Deno" in globalThis
  ? Deno.makeTempDirSync({ prefix: "mmap-tour-" })
  : mkdtempSync(join(tmpdir(), "mmap-tour-"));
const path = join(dir, "app.log");
const decoder = new TextDecoder();
const show = (bytes: Uint8Array) => JSON.stringify(decoder.decode(bytes));

/** Runs `fn` and prints how long it took; with `bytes`, the rate too. */
function time<T>(label: string, fn: () => T, bytes = 0): T {
  const t0 = performance.now();
  const result = fn();
  const ms = performance.now() - t0;
  const rate = bytes && ms > 0 ? ` (${(bytes / 2 ** 30 / (ms / 1000)).toFixed(2)} GiB/s)` : "";
  console.log(`  ${label.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms${rate}`);
  return result;
}

/** Fills `m` with log lines, then plants one error line at 95% of the file. */
function writeLog(m: MMap): void {
  const enc = new TextEncoder();
  const lines = Array.from({ length: 64 }, (_, i) =>
    enc.encode(
      `2026-11-23T12:${String(i % 60).padStart(2, "0")}:00Z INFO GET /api/items/${i * 37} ` +
        `status=200 ms=${(i * 7) % 90}\n`,
    ));
  const bytes = m.bytes;
  for (let pos = 0, i = 0; pos < size; i++) {
    const line = lines[i % 64];
    const n = Math.min(line.length, size - pos);
    bytes.set(line.subarray(0, n), pos);
    pos += n;
  }
  m.seek(m.find("\n", Math.floor(size * 0.95)) + 1);
  m.write("2026-11-23T12:59:59Z ERROR worker 7 ran out of memory\n");
}

console.log(`@seed/mmap tour on ${runtime}: a ${mib} MiB log in ${dir}`);
try {
  console.log("\n1. Create the file and write it through a writable map");
  {
    using m = time(
      "MMap.open(path, { access: 'write', create })",
      () => MMap.open(path, { access: "write", create: true, length: size }),
    );
    time(`fill ${mib} MiB through a Uint8Array view`, () => writeLog(m), size);
    time("flush() (msync: written back to disk)", () => m.flush(), size);
  }
  console.log(`  file on disk: ${statSync(path).size} bytes`);

  console.log("\n2. Map it read-only and search it in place");
  {
    using m = time("MMap.open(path)", () => MMap.open(path));
    m.madvise(MADV_SEQUENTIAL);
    const lines = time("count('\\n') over the whole map", () => m.count("\n"), size);
    const copied = time("the same count after readFileSync (baseline)", () => {
      const all = readFileSync(path);
      let n = 0;
      for (let i = all.indexOf(10); i >= 0; i = all.indexOf(10, i + 1)) n++;
      return n;
    }, size);
    if (copied !== lines) throw new Error(`readFileSync counted ${copied} lines, the map ${lines}`);
    const at = time("find('ERROR') from the start", () => m.find("ERROR"), size * 0.95);
    const last = time("rfind('status=200') from the end", () => m.rfind("status=200"));
    console.log(`  ${lines} lines; 'ERROR' at byte ${at} (${((at / size) * 100).toFixed(1)}%)`);
    console.log(`  last 'status=200' at byte ${last}`);
    m.seek(m.rfind("\n", 0, at) + 1);
    console.log(`  the error line: ${show(m.readline())}`);
    m.seek(0);
    console.log(`  first line: ${show(m.readline())}`);
    const view = m.view(Uint8Array, 0, 16);
    console.log(`  zero-copy view of the first 16 bytes: ${show(view)}`);
    m.close();
    console.log(`  after close(), that view has length ${view.length} (detached, never a crash)`);
  }

  console.log("\n3. Write in place and check it persisted");
  {
    using m = MMap.open(path, { access: "write" });
    const at = m.find("ERROR", 0);
    m.seek(at);
    m.write("FIXED");
    time("flush() one page", () => m.flush(at - (at % 4096), 4096));
  }
  {
    using m = MMap.open(path);
    console.log(
      `  reopened: 'ERROR' found: ${m.find("ERROR", 0) >= 0}, 'FIXED' at ${m.find("FIXED", 0)}`,
    );
  }
  console.log(`\ntour done on ${runtime}: wrote, searched and rewrote ${mib} MiB in place`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
