/**
 * A WebAssembly component that maps a file through the `seed:mmap/mmap`
 * interface (wasm/mmap.wit), transpiled to JavaScript by jco.
 *
 *   deno run --allow-ffi --allow-read --allow-write --allow-env=JCO_DEBUG \
 *     examples/mmap_component.ts [file]
 *   bun examples/mmap_component.ts [file]
 *
 * (jco's generated code reads the JCO_DEBUG environment variable.)
 *
 * The recipe:
 * 1. Describe the interface in WIT (wasm/mmap.wit) and build a component
 *    that imports it (examples/mmap_component/build.sh: a core module from
 *    summer.wat, `jco embed` + `jco new`, then `jco transpile
 *    --instantiation async` into examples/mmap_component/transpiled/).
 * 2. Instantiate the transpiled component with `instantiate(getCoreModule,
 *    imports, instantiateCore)`, wrapping `instantiateCore` to catch the core
 *    instance that exports the component's linear memory.
 * 3. Implement `seed:mmap/mmap` with `mapIntoMemory` on that memory. Errors
 *    are thrown as `{ payload: errno }`, which jco lowers into `err(errno)`.
 *
 * Files are named by numbers the host hands out (here, 3 for the file to
 * sum); the component can map nothing else.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { mapIntoMemory, type MemoryMapping } from "../wasm/mod.ts";
// @deno-types="./mmap_component/transpiled/summer.d.ts"
import { instantiate } from "./mmap_component/transpiled/summer.js";

const EBADF = 8;
const EINVAL = 28;
const EIO = 29;
const ENOENT = 44;
const ENOTCAPABLE = 76;

/** A WASI errno, thrown the way jco turns it into `err(errno)`. */
function fail(errno: number): never {
  throw { payload: errno };
}

/**
 * `seed:mmap/mmap` for one component: `memory()` is its core memory, and
 * `files` the only files it may map, by the numbers it knows them by.
 */
function mmapInterface(memory: () => WebAssembly.Memory, files: ReadonlyMap<number, string>) {
  const live = new Map<number, MemoryMapping>();
  const mapping = (address: number) => live.get(address) ?? fail(EINVAL);
  return {
    map(fd: number, offset: bigint, length: number, prot: number, flags: number): number {
      const path = files.get(fd) ?? fail(EBADF);
      const share = flags & 3;
      if ((share !== 1 && share !== 2) || prot & ~3 || offset % 65536n) fail(EINVAL);
      const access = share === 1 && prot & 2 ? "write" : share === 1 ? "read" : "copy";
      try {
        const m = mapIntoMemory(memory(), path, { access, offset: Number(offset), length });
        live.set(m.address, m);
        return m.address;
      } catch (e) {
        const code = (e as { code?: string }).code;
        fail(
          e instanceof RangeError
            ? EINVAL
            : code === "ENOENT"
            ? ENOENT
            : code === "EACCES"
            ? ENOTCAPABLE
            : EIO,
        );
      }
    },
    unmap(address: number, _length: number): void {
      mapping(address).unmap();
      live.delete(address);
    },
    sync(address: number, _length: number, _flags: number): void {
      mapping(address).flush();
    },
    advise(address: number, _length: number, _advice: number): void {
      mapping(address);
    },
  };
}

const given = process.argv.slice(2).find((a) => !a.endsWith(".ts"));
// Deno's own call needs no --allow-env, which node:os tmpdir() would.
const scratch = given
  ? undefined
  : "Deno" in globalThis
  ? Deno.makeTempDirSync({ prefix: "mmap-component-" })
  : mkdtempSync(join(tmpdir(), "mmap-component-"));
const file = given ?? join(scratch!, "numbers.bin");
if (scratch) writeFileSync(file, Uint8Array.from({ length: 100000 }, (_, i) => i % 251));

let memory: WebAssembly.Memory | undefined;
const here = (name: string) =>
  decodeURIComponent(new URL(`./mmap_component/transpiled/${name}`, import.meta.url).pathname);
const files = new Map([[3, file]]);
const mmap = mmapInterface(() => memory!, files);
const summer = await instantiate(
  (name) => new WebAssembly.Module(readFileSync(here(name)) as Uint8Array<ArrayBuffer>),
  // The generated code looks the interface up without its version, its
  // typings with it: give both.
  { "seed:mmap/mmap@0.1.0": mmap, "seed:mmap/mmap": mmap } as Parameters<typeof instantiate>[1],
  async (module, imports) => {
    const instance = await WebAssembly.instantiate(module, imports);
    // The component's own core instance is the one that exports its memory.
    if (instance.exports.memory instanceof WebAssembly.Memory) memory = instance.exports.memory;
    return instance;
  },
);
const length = readFileSync(file).length;
console.log(`sum of ${length} bytes, mapped into the component: ${summer.sumFile(3, length)}`);
// The component returns -errno when map() fails.
console.log(
  `a file the host did not hand out: ${BigInt.asIntN(64, summer.sumFile(4, length))} (-EBADF)`,
);
if (scratch) rmSync(scratch, { recursive: true, force: true });
