// A child of wasm_moving_memory_test.ts: maps a file into WebAssembly
// memories after `others` other memories were made (JavaScriptCore gives
// only its first few a reservation; later ones move when they grow), grows
// each one, makes many unrelated buffers, and prints what happened and what
// the file holds then, as one JSON line.
import { readFileSync } from "node:fs";
import process from "node:process";
import { mapIntoMemory } from "../wasm/mod.ts";
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
console.log(JSON.stringify(out));
