// One process: what an Atomics op costs on a map's view, on a SharedArrayBuffer, and on a
// shared wasm memory with the map's pages in it (bench-only probe).
import { MMap } from "../../mod.ts";
import { mapIntoMemory } from "../../wasm/mod.ts";

const N = 20_000_000;
function loads(a: Int32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Atomics.load(a, (i & 7) << 4);
  return s;
}
function stores(a: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) Atomics.store(a, (i & 7) << 4, i);
}
function plainStores(a: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) a[(i & 7) << 4] = i;
}
function xchg(a: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) Atomics.exchange(a, (i & 7) << 4, i);
}
function time(name: string, a: Int32Array) {
  for (
    const [k, f] of [["load", loads], ["store", stores], ["exchange", xchg], [
      "plain store",
      plainStores,
    ]] as const
  ) {
    (f as (a: Int32Array, n: number) => unknown)(a, N / 10);
    const t0 = performance.now();
    (f as (a: Int32Array, n: number) => unknown)(a, N);
    const ns = (performance.now() - t0) * 1e6 / N;
    console.log(`${name.padEnd(28)} ${k.padEnd(12)} ${ns.toFixed(2)} ns`);
  }
}
const name = `proto-atom-${Date.now()}`;
const m = MMap.shared(name, 65536, { create: true });
try {
  time("mmap view", m.view(Int32Array, 0, 1024));
  time("SharedArrayBuffer", new Int32Array(new SharedArrayBuffer(4096)));
  const mem = new WebAssembly.Memory(
    { initial: 1, maximum: 1024, shared: true } as WebAssembly.MemoryDescriptor,
  );
  const mm = mapIntoMemory(mem, m, { access: "write" });
  const sab = mem.buffer;
  console.log(
    "wasm buffer is SAB:",
    sab instanceof SharedArrayBuffer,
    "address",
    (mm as unknown as { address: number }).address,
  );
  const v = new Int32Array(sab, (mm as unknown as { address: number }).address, 1024);
  v[5] = 77;
  console.log("visible through map:", m.view(Int32Array, 0, 8)[5]);
  time("wasm memory with map pages", v);
} finally {
  m.close();
  MMap.unlinkShared(name);
}
