// Child process for space_test.ts: the cases where a full file system used to
// kill the process (a store into a hole that has no block to land in). Prints
// one JSON line per step, so that a death shows as an exit status and the
// steps it reached. Takes one or more `<case> <target>` pairs, run in turn,
// each announced by a line `@case <case>` (the cases that cannot die share
// one process: a child costs ~13 s under emulated Deno). Run by the current
// runtime; never imported.
//   open <path>      MMap.open(create, 8 MiB) on a full tmpfs, then fill the map
//   sparse <path>    the same with sparse: true (the documented risk)
//   shared <name>    MMap.shared(create, 8 MiB) under a full /dev/shm (run it
//                    in a private mount namespace with a 1 MiB tmpfs there)
//   guest <dir>      the C guest wasm_guests/mmap_space.wasm, with <dir> as /space
//   ring <path>      a Ring over a hole of a full tmpfs (no reservation: the file was
//                    made by someone else)
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import process from "node:process";
import { MMap, MMapOSError, Ring } from "../mod.ts";
import { WASI } from "../wasm/mod.ts";

const SIZE = 8 << 20;

function say(what: Record<string, unknown>): void {
  console.log(JSON.stringify(what));
}

function attempt(open: () => MMap): void {
  let m: MMap;
  try {
    m = open();
  } catch (e) {
    if (!(e instanceof MMapOSError)) throw e;
    say({ error: e.code, syscall: e.syscall, path: e.path ?? null });
    return;
  }
  say({ opened: m.length });
  // Without a reservation this is where the process dies of SIGBUS.
  m.bytes.fill(1);
  say({ filled: true, faulted: (m as unknown as { faulted?: boolean }).faulted ?? null });
  m.close();
}

function run(how: string, target: string): void {
  if (how === "open" || how === "sparse") {
    attempt(() =>
      MMap.open(target, { access: "write", create: true, length: SIZE, sparse: how === "sparse" })
    );
    say({ exists: existsSync(target), size: existsSync(target) ? statSync(target).size : null });
  } else if (how === "shared") {
    const file = `/dev/shm/${target}`;
    attempt(() => MMap.shared(target, SIZE, { create: true }));
    say({ exists: existsSync(file) });
    // A region that exists and is shorter keeps its size when growing it fails.
    writeFileSync(file, "small");
    attempt(() => MMap.shared(target, SIZE, { create: true }));
    say({ exists: existsSync(file), size: statSync(file).size });
    // sparse: true opens (and must not be stored into on a full /dev/shm).
    const m = MMap.shared(target, SIZE, { create: true, sparse: true });
    say({ sparse: m.length, size: statSync(file).size });
    m.close();
    MMap.unlinkShared(target);
  } else if (how === "ring") {
    writeFileSync(target, "");
    truncateSync(target, Ring.bytesFor(65536));
    try {
      writeFileSync(`${target}.fill`, new Uint8Array(2 << 20));
    } catch { /* full now */ }
    using m = MMap.open(target, { access: "write" });
    // Before: the header went to the guard's zero page and the Ring was made over it.
    try {
      new Ring(m, 0, Ring.bytesFor(65536));
      say({ made: true });
    } catch (e) {
      say({ error: (e as MMapOSError).code ?? (e as Error).name, faulted: m.faulted });
    }
  } else if (how === "guest") {
    const wasm = readFileSync(
      decodeURIComponent(new URL("./wasm_guests/mmap_space.wasm", import.meta.url).pathname),
    );
    // The guest's lines go out as they come, so that a death shows how far it got.
    const wasi = new WASI({
      args: ["mmap_space", "/space"],
      preopens: { "/space": target },
      stdout: (b) => process.stdout.write(b),
    });
    const module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
    say({ code: wasi.start(new WebAssembly.Instance(module, wasi.getImportObject())) });
  } else {
    throw new Error(`unknown case ${how}`);
  }
}

const pairs = process.argv.slice(2);
for (let i = 0; i < pairs.length; i += 2) {
  console.log(`@case ${pairs[i]}`);
  run(pairs[i]!, pairs[i + 1]!);
}
