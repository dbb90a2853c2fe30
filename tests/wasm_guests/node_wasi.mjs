// Runs a guest under Node's own node:wasi, for the cross-check in
// tests/wasm_crosscheck_test.ts: node wasm_guests/node_wasi.mjs guest.wasm
// <dir preopened as /sandbox> [args...]. The guest's stdout is this
// process's; the exit code is the guest's.
import { readFileSync } from "node:fs";
import process from "node:process";
import { WASI } from "node:wasi";

const [wasm, dir, ...args] = process.argv.slice(2);
const wasi = new WASI({
  version: "preview1",
  args: ["guest", ...args],
  env: { GUEST_ENV: "from the host" },
  preopens: { "/sandbox": dir },
  returnOnExit: true,
});
const module = new WebAssembly.Module(readFileSync(wasm));
const instance = new WebAssembly.Instance(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
