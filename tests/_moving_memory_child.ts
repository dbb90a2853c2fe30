// A child of wasm_moving_memory_test.ts: maps a file into WebAssembly
// memories after `others` other memories were made (JavaScriptCore gives
// only its first few a reservation; later ones move when they grow), grows
// each one, makes many unrelated buffers, and prints what happened and what
// the file holds then, as one JSON line.
import { readFileSync } from "node:fs";
import process from "node:process";
import { mapIntoMemory, WASI } from "../wasm/mod.ts";
import { basename, dirname } from "node:path";
import { GuestMemory } from "../wasm/guest_memory.ts";

const args = "Deno" in globalThis ? Deno.args : process.argv.slice(2);
const [path, othersArg] = args;
const others = Array.from(
  { length: Number(othersArg) },
  () => new WebAssembly.Memory({ initial: 1 }),
);
const out: Record<string, unknown> = { others: others.length };
for (const shared of [false, true]) {
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 400, shared });
  const key = shared ? "shared" : "plain";
  out[`${key}MayMove`] = GuestMemory.of(memory).mayMove();
  try {
    const m = mapIntoMemory(memory, path, { access: "write", address: 65536 });
    memory.grow(64);
    const keep: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) keep.push(new Uint8Array(4 * 65536).fill(0x5a));
    out[`${key}File`] = readFileSync(path)[0];
    m.unmap();
    out[key] = "mapped";
  } catch (e) {
    out[key] = `${(e as Error).name}: ${(e as Error).message}`;
  }
}
// The WASI guest's "mmap" import: a shared writable map of the file, by fd.
for (const shared of [false, true]) {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 400, shared });
  const wasi = new WASI({ preopens: { "/d": dirname(path) }, memory });
  const w = wasi.wasiImport, mm = wasi.mmapImport;
  const name = new TextEncoder().encode(basename(path));
  new Uint8Array(memory.buffer).set(name, 100);
  const rights = (1n << 29n) - 1n;
  const opened = w.path_open(3, 0, 100, name.length, 0, rights, rights, 0, 200);
  const fd = new DataView(memory.buffer).getUint32(200, true);
  const at = opened === 0 ? mm.map(fd, 0n, 65536, 3, 1) as number : -1000 - (opened as number);
  out[shared ? "wasiShared" : "wasiPlain"] = at;
  if (at > 0) mm.unmap(at, 65536);
}
console.log(JSON.stringify(out));
