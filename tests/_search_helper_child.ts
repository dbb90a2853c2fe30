// A program that searches 32 MiB twice with the helper thread ready, prints
// what it found and ends: the helper must not keep the process alive. The
// map is a read-only file map (the kernel maps the file's pages, also under
// qemu-user, which cannot double a shared map's pages with mremap).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MMap } from "../mod.ts";
import { searchHelperReady } from "../src/search_kernel.ts";

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
  // When this program was done: the parent measures how long the process took to end after it.
  console.log(JSON.stringify({ first, second, last, helped, doneAt: Date.now() }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
