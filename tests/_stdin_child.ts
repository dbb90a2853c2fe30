// Child process for open_source_test.ts ("descriptor -0"): run with its
// standard input redirected from a regular file, it gives descriptor 0 as -0
// to each entry of argv[2] (comma-separated) that takes a descriptor, and
// prints `@case NAME JSON` with what it read there (the file's first bytes),
// or the error. Deno's FFI refused -0 for an i32 ("Invalid FFI i32 type,
// expected integer"); Bun passed 0. Run by the current runtime; never imported.
import { readFileSync } from "node:fs";
import process from "node:process";
import { MMap } from "../mod.ts";
import { mapIntoMemory, WASI } from "../wasm/mod.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** What reading the file through descriptor -0 gave, one way. */
const CASES: Record<string, () => string> = {
  open_number: () => {
    using m = MMap.open(-0);
    return decode(m.read());
  },
  open_handle: () => {
    using m = MMap.open({ fd: -0 }, { length: 5 });
    return decode(m.read());
  },
  constructor: () => {
    using m = new MMap(-0, 5, { access: "read" });
    return decode(m.read());
  },
  memory_number: () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    using r = mapIntoMemory(memory, -0);
    return decode(new Uint8Array(memory.buffer, r.address, r.length));
  },
  memory_handle: () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    using r = mapIntoMemory(memory, { fd: -0 });
    return decode(new Uint8Array(memory.buffer, r.address, r.length));
  },
  // Last: the guest's read(0) moves the file's offset (the maps never do).
  wasi_stdin: () => {
    const path = new URL("./wasm_guests/basics.wasm", import.meta.url);
    const module = new WebAssembly.Module(readFileSync(path));
    let out = "";
    const wasi = new WASI({
      args: ["basics"],
      stdin: -0,
      stdout: (b) => out += decode(b),
      stderr: () => {},
    });
    wasi.start(new WebAssembly.Instance(module, wasi.getImportObject()));
    return out.split("\n").find((line) => line.startsWith("stdin: ")) ?? out;
  },
};

for (const name of process.argv[2]!.split(",")) {
  let result: string;
  try {
    result = CASES[name]!();
  } catch (e) {
    result = `${(e as Error).name}: ${(e as Error).message}`;
  }
  console.log(`@case ${name} ${JSON.stringify(result)}`);
}
