// A program that searches 32 MiB twice with the helper thread ready, sleeps
// (measuring the CPU time the process uses asleep: a helper must not stay
// awake), prints what it found and ends: the helper must not keep the process
// alive. The map is a read-only file map (the kernel maps the file's pages,
// also under qemu-user, which cannot double a shared map's pages with mremap).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MMap } from "../mod.ts";
import { searchHelperReady } from "../src/search_kernel.ts";
import { atomics, Int32ArrayCtor } from "../ffi/primordials.ts";

/** How long the program sleeps after its searches, its CPU time measured (the test says 500). */
const IDLE_MS = 500;

/** CPU time of the whole process (every thread) so far, in ms: utime + stime of /proc/self/stat. */
function cpuMs(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
}

const size = 32 << 20;
const needle = new TextEncoder().encode("~helper~");
const dir = mkdtempSync(join(tmpdir(), "mmap-helper-child-"));
try {
  const data = new Uint8Array(size);
  data.set(needle, size - 1000);
  writeFileSync(join(dir, "hay.bin"), data);
  const m = MMap.open(join(dir, "hay.bin"));
  const first = m.find(needle, 0);
  const before = searchHelperReady(60_000);
  const second = m.find(needle, 0);
  const last = m.rfind(needle, 0);
  m.close();
  const helped = searchHelperReady(0) - before;
  // The helper stays awake a little after a search (src/search_helper.ts); then it sleeps.
  const cpuBefore = cpuMs();
  atomics.wait(new Int32ArrayCtor(new SharedArrayBuffer(4)), 0, 0, IDLE_MS);
  const idleCpuMs = cpuMs() - cpuBefore;
  // When this program was done: the parent measures how long the process took to end after it.
  console.log(JSON.stringify({ first, second, last, helped, idleCpuMs, doneAt: Date.now() }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
