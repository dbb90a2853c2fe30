/**
 * Bench-only probe (not library code): what a spinning round trip between a
 * Deno and a Bun process can cost in JavaScript, by protocol and by how the
 * atomics are made. The driver runs each variant for SECONDS against its
 * peer (the other runtime), then C's spin ping-pong (bench/refs/sync_refs.c).
 *
 *   deno run -A bench/proto/pingpong.ts [SECONDS [REPS]] [--json]   |   bun bench/proto/pingpong.ts ...
 *
 * Prints, per variant, the fastest and the median of REPS runs, and C's in between.
 * SPIN_WASM is bench/proto/spin.wat, assembled by `node bench/proto/wat.mjs IN OUT`.
 *
 * Variants:
 *   ring/v1      the library's Ring ("spin"): push, then popInto the echo
 *   pp/atomics   one word, Atomics.load spin, Atomics.store (the JS floor on a map's view)
 *   pp/wasm      the same word through a shared wasm memory holding the map's pages:
 *                the spin loop and the store in WebAssembly
 *   v1raw/atomics  the Ring's layout-1 protocol in a few lines, none of the library's checks:
 *                records, then head published by an exchange; the consumer spins on head
 *   stamp/atomics  a ring per direction; a record's second word is a stamp (index | 1),
 *                written last by an exchange; the consumer spins on the stamp of the record at
 *                its cursor (one cache line per small message), stores tail by an exchange
 *   stamp/wasm   the same, its atomics (and the spin) in WebAssembly, data by plain JS writes
 *   stamp/mixed  the same, Atomics in Bun and WebAssembly in Deno (each runtime its cheaper way)
 */
import process from "node:process";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { MMap, Ring } from "../../mod.ts";
import { mapIntoMemory } from "../../wasm/mod.ts";
import { otherRuntime, start, thisRuntime } from "../../examples/_peers.ts";

const SPIN_WASM =
  "AGFzbQEAAAABGARgAX8Bf2ACf38AYAJ/fwF/YAN/f38BfwISAQNlbnYGbWVtb3J5AgMBgIAEAwYFAAECAwMHIgUCbGQAAAJzdAABBHhjaGcAAgRzcGluAAMGc3BpbmVxAAQKcAUIACAA/hACAAsKACAAIAH+FwIACwoAIAAgAf5BAgALKgEBfwNAIAD+EAIAIQMgAyABRwRAIAMPCyACQQFrIQIgAkEASg0ACyABCyQAA0AgAP4QAgAgAUYEQEEBDwsgAkEBayECIAJBAEoNAAtBAAs=";
const BYTES = 1 << 20;
// Int32 word indices in the region.
const VARIANT = 1, SEQ = 2, DONE = 3;
const PP = 32; // its own cache line (byte 128)
const RING_A = 4096, RING_B = 4096 + 65536 + 4096; // byte offsets: tail at +128, data at +256
const CAP = 65536, MASK = CAP - 1;
const VARIANTS = [
  "ring/v1",
  "pp/atomics",
  "pp/wasm",
  "v1raw/atomics",
  "stamp/atomics",
  "stamp/wasm",
  "stamp/mixed",
];
const isBun = thisRuntime === "bun";

interface Wasm {
  ld(a: number): number;
  st(a: number, v: number): void;
  xchg(a: number, v: number): number;
  spin(a: number, seen: number, n: number): number;
  spineq(a: number, want: number, n: number): number;
  base: number;
  v: Int32Array;
}

function wasmOver(m: MMap): Wasm {
  const memory = new WebAssembly.Memory(
    { initial: 1, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor,
  );
  const mapping = mapIntoMemory(memory, m, { access: "write" }) as unknown as { address: number };
  const bytes = Uint8Array.from(atob(SPIN_WASM), (c) => c.charCodeAt(0));
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const e = inst.exports as unknown as Wasm;
  return {
    ld: e.ld,
    st: e.st,
    xchg: e.xchg,
    spin: e.spin,
    spineq: e.spineq,
    base: mapping.address,
    v: new Int32Array(memory.buffer, mapping.address, BYTES / 4),
  };
}

// --- ping-pong on one word ----------------------------------------------------
function ppAtomicsServe(v: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    Atomics.store(v, PP, 1);
    while (Atomics.load(v, PP) !== 0);
  }
}
function ppAtomicsEcho(v: Int32Array): void {
  for (;;) {
    let x;
    while ((x = Atomics.load(v, PP)) === 0);
    if (x === 2) return;
    Atomics.store(v, PP, 0);
  }
}
function ppWasmServe(w: Wasm, n: number): void {
  const a = w.base + PP * 4, spineq = w.spineq, st = w.st;
  for (let i = 0; i < n; i++) {
    st(a, 1);
    while (spineq(a, 0, 1 << 20) === 0);
  }
}
function ppWasmEcho(w: Wasm): void {
  const a = w.base + PP * 4, spin = w.spin, st = w.st;
  for (;;) {
    let x;
    while ((x = spin(a, 0, 1 << 20)) === 0);
    if (x === 2) return;
    st(a, 0);
  }
}

// --- stamp rings ----------------------------------------------------------------
/** A side's cursors of one ring (word indices into the region's Int32Array). */
class Side {
  index = 0; // bytes ever written (producer) or read (consumer)
  tailSeen = 0;
  constructor(readonly ring: number) {}
}
const dataWord = (s: Side, pos: number) => ((s.ring + 256 + pos) >> 2);
const tailWord = (s: Side) => (s.ring + 128) >> 2;

/** The cold path of a push: spins until the consumer's tail leaves room for a record. */
function awaitRoom(v: Int32Array, s: Side): void {
  const head = s.index;
  while (((head + 16 - (s.tailSeen = Atomics.load(v, tailWord(s)) & ~1)) >>> 0) > CAP);
}

// Each variant's push and pop are straight-line code of their own (no shared helper on the
// hot path), so that each protocol is timed as its fewest instructions.
function stampPushA(v: Int32Array, s: Side, lo: number, hi: number): void {
  const head = s.index;
  if (((head + 16 - s.tailSeen) >>> 0) > CAP) awaitRoom(v, s);
  const w = dataWord(s, head & MASK);
  v[w] = 8;
  v[w + 2] = lo;
  v[w + 3] = hi;
  if (Atomics.exchange(v, w + 1, head | 1) & 2) throw new Error("no sleepers here");
  s.index = (head + 16) | 0;
}
/** Returns the payload's first word; hi in popHi. */
let popHi = 0;
function stampPopA(v: Int32Array, s: Side): number {
  const tail = s.index;
  const w = dataWord(s, tail & MASK);
  const want = tail | 1;
  while (Atomics.load(v, w + 1) !== want);
  const n = v[w]!;
  if (n !== 8) throw new Error("bad length");
  const lo = v[w + 2]!;
  popHi = v[w + 3]!;
  s.index = (tail + 16) | 0;
  if (Atomics.exchange(v, tailWord(s), s.index) & 1) throw new Error("no sleepers here");
  return lo;
}
function stampPushW(x: Wasm, s: Side, lo: number, hi: number): void {
  const v = x.v;
  const head = s.index;
  if (((head + 16 - s.tailSeen) >>> 0) > CAP) {
    while (((head + 16 - (s.tailSeen = x.ld(x.base + tailWord(s) * 4) & ~1)) >>> 0) > CAP);
  }
  const w = dataWord(s, head & MASK);
  v[w] = 8;
  v[w + 2] = lo;
  v[w + 3] = hi;
  if (x.xchg(x.base + (w + 1) * 4, head | 1) & 2) throw new Error("no sleepers here");
  s.index = (head + 16) | 0;
}
function stampPopW(x: Wasm, s: Side): number {
  const v = x.v;
  const tail = s.index;
  const w = dataWord(s, tail & MASK);
  const want = tail | 1;
  const at = x.base + (w + 1) * 4;
  while (x.spineq(at, want, 1 << 20) === 0);
  const n = v[w]!;
  if (n !== 8) throw new Error("bad length");
  const lo = v[w + 2]!;
  popHi = v[w + 3]!;
  s.index = (tail + 16) | 0;
  if (x.xchg(x.base + tailWord(s) * 4, s.index) & 1) throw new Error("no sleepers here");
  return lo;
}

let sa = new Side(RING_A), sb = new Side(RING_B);
// --- version 1's protocol, raw: the consumer spins on head (a line of its own) ---------
const headWord = (s: Side) => (s.ring + 64) >> 2;
function v1Push(v: Int32Array, s: Side, lo: number, hi: number): void {
  const head = s.index;
  if (((head + 16 - s.tailSeen) >>> 0) > CAP) awaitRoom(v, s);
  const w = dataWord(s, head & MASK);
  v[w] = 8;
  v[w + 1] = 0;
  v[w + 2] = lo;
  v[w + 3] = hi;
  s.index = (head + 16) | 0;
  if (Atomics.exchange(v, headWord(s), s.index) & 1) throw new Error("no sleepers here");
}
function v1Pop(v: Int32Array, s: Side): number {
  const tail = s.index;
  if (s.tailSeen === tail) { // tailSeen: the consumer's head as last seen
    while ((s.tailSeen = Atomics.load(v, headWord(s)) & ~1) === tail);
  }
  const w = dataWord(s, tail & MASK);
  const n = v[w]!;
  if (n !== 8) throw new Error("bad length");
  const lo = v[w + 2]!;
  popHi = v[w + 3]!;
  s.index = (tail + 16) | 0;
  if (Atomics.exchange(v, tailWord(s), s.index) & 1) throw new Error("no sleepers here");
  return lo;
}
function v1Serve(v: Int32Array, n: number): void {
  const a = sa, b = sb;
  for (let i = 0; i < n; i++) {
    v1Push(v, a, i, 7);
    const got = v1Pop(v, b);
    if (got !== i + 1) throw new Error(`round trip ${i} came back as ${got}`);
  }
}
function v1Echo(v: Int32Array): void {
  const a = new Side(RING_A), b = new Side(RING_B);
  for (;;) {
    const got = v1Pop(v, a);
    if (got === -1) return;
    v1Push(v, b, got + 1, popHi);
  }
}

function stampServe(useWasm: boolean, v: Int32Array, x: Wasm, n: number): void {
  const a = sa, b = sb;
  for (let i = 0; i < n; i++) {
    let got;
    if (useWasm) stampPushW(x, a, i, 7), got = stampPopW(x, b);
    else stampPushA(v, a, i, 7), got = stampPopA(v, b);
    if (got !== i + 1) throw new Error(`round trip ${i} came back as ${got}`);
  }
}
function stampEcho(useWasm: boolean, v: Int32Array, x: Wasm): void {
  const a = new Side(RING_A), b = new Side(RING_B);
  for (;;) {
    const got = useWasm ? stampPopW(x, a) : stampPopA(v, a);
    if (got === -1) return;
    if (useWasm) stampPushW(x, b, got + 1, popHi);
    else stampPushA(v, b, got + 1, popHi);
  }
}
const variantWasm = (variant: string) =>
  variant.endsWith("/wasm") || (variant.endsWith("/mixed") && !isBun);

// --- the library's Ring (version 1), spinning -------------------------------------
let rings: { a: Ring; b: Ring } | null = null;
const RING_BYTES = Ring.bytesFor(1 << 16);
const RING_AT = 1 << 18;
function ringsOf(m: MMap) {
  return {
    a: new Ring(m, RING_AT, RING_BYTES, { wait: "spin" }),
    b: new Ring(m, RING_AT + RING_BYTES + 64 * 4, RING_BYTES, { wait: "spin" }),
  };
}
const msg = new Uint8Array(8), back = new Uint8Array(8);
function ringServe(n: number): void {
  const { a, b } = rings!;
  for (let i = 0; i < n; i++) {
    a.push(msg, 60_000);
    if (b.popInto(back, 60_000) !== 8) throw new Error("no echo");
  }
}
function ringEcho(): void {
  const { a, b } = rings!;
  const buf = new Uint8Array(8);
  for (;;) {
    const n = a.popInto(buf, 60_000);
    if (n === 0) return;
    b.push(buf, 60_000);
  }
}

function serve(variant: string, v: Int32Array, x: Wasm, n: number): void {
  if (variant === "ring/v1") ringServe(n);
  else if (variant === "v1raw/atomics") v1Serve(v, n);
  else if (variant === "pp/atomics") ppAtomicsServe(v, n);
  else if (variant === "pp/wasm") ppWasmServe(x, n);
  else stampServe(variantWasm(variant), v, x, n);
}
function echoSide(variant: string, v: Int32Array, x: Wasm): void {
  if (variant === "ring/v1") ringEcho();
  else if (variant === "v1raw/atomics") v1Echo(v);
  else if (variant === "pp/atomics") ppAtomicsEcho(v);
  else if (variant === "pp/wasm") ppWasmEcho(x);
  else stampEcho(variantWasm(variant), v, x);
}
function stopEcho(variant: string, v: Int32Array, x: Wasm): void {
  if (variant.startsWith("pp/")) Atomics.store(v, PP, 2);
  else if (variant === "ring/v1") rings!.a.push(new Uint8Array(0));
  else if (variant === "v1raw/atomics") v1Push(v, sa, -1, 0);
  else if (variantWasm(variant)) stampPushW(x, sa, -1, 0);
  else stampPushA(v, sa, -1, 0);
}

// --- processes ------------------------------------------------------------------
function peer(name: string): void {
  const m = MMap.shared(name);
  const v = m.view(Int32Array, 0, BYTES / 4);
  const x = wasmOver(m);
  let seen = 0;
  for (;;) {
    while (Atomics.load(v, SEQ) === seen);
    seen = Atomics.load(v, SEQ);
    const k = Atomics.load(v, VARIANT);
    if (k < 0) break;
    if (VARIANTS[k] === "ring/v1") rings = ringsOf(m);
    echoSide(VARIANTS[k], v, x);
    if (rings) rings.a.close(), rings.b.close(), rings = null;
    Atomics.store(v, DONE, seen);
  }
  m.close();
}

function cSpin(seconds: number): number {
  const dir = mkdtempSync("/tmp/proto-refs-");
  try {
    const src = decodeURIComponent(new URL("../refs/sync_refs.c", import.meta.url).pathname);
    const exe = dir + "/r";
    if (spawnSync("gcc", ["-O2", "-o", exe, src]).status !== 0) return NaN;
    const r = spawnSync(exe, ["spin", String(seconds)], { encoding: "utf8" });
    return 1e6 / JSON.parse(r.stdout).perSecond;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function driver(seconds: number, reps: number, json: boolean): Promise<void> {
  const name = `proto-pp-${process.pid}`;
  const m = MMap.shared(name, BYTES, { exclusive: true });
  const v = m.view(Int32Array, 0, BYTES / 4);
  const x = wasmOver(m);
  const child = start(otherRuntime, new URL(import.meta.url), ["--peer", name]);
  const seen: Record<string, number[]> = { "C spin ping-pong": [] };
  for (const k of VARIANTS) seen[k] = [];
  try {
    let seq = 0;
    const one = (k: number, ms: number) => {
      const variant = VARIANTS[k];
      m.view(Uint8Array, 128, BYTES - 128).fill(0);
      sa = new Side(RING_A), sb = new Side(RING_B);
      if (variant === "ring/v1") rings = ringsOf(m);
      Atomics.store(v, VARIANT, k);
      Atomics.store(v, SEQ, ++seq);
      let n = 0;
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < ms) {
        serve(variant, v, x, 1000);
        n += 1000;
        t = performance.now();
      }
      stopEcho(variant, v, x);
      while (Atomics.load(v, DONE) !== seq);
      if (rings) rings.a.close(), rings.b.close(), rings = null;
      return (t - t0) * 1000 / n;
    };
    for (let k = 0; k < VARIANTS.length; k++) one(k, 300); // warm-up
    for (let r = 0; r < reps; r++) {
      seen["C spin ping-pong"].push(cSpin(seconds));
      for (let k = 0; k < VARIANTS.length; k++) seen[VARIANTS[k]].push(one(k, seconds * 1000));
    }
    Atomics.store(v, VARIANT, -1);
    Atomics.store(v, SEQ, ++seq);
    await new Promise((r) => child.on("close", r));
    const c = Math.min(...seen["C spin ping-pong"]);
    if (json) {
      const out: Record<string, [number, number]> = {};
      for (const [k, xs] of Object.entries(seen)) {
        const s = [...xs].sort((a, b) => a - b);
        out[k] = [s[0], s[s.length >> 1]];
      }
      console.log(JSON.stringify(out));
      return;
    }
    console.log(
      `${thisRuntime} drives, ${otherRuntime} echoes; round trip, min | median of ${reps} (${seconds} s each), ${
        new Date().toISOString()
      }:`,
    );
    for (const [k, xs] of Object.entries(seen)) {
      const s = [...xs].sort((a, b) => a - b);
      const min = s[0], med = s[s.length >> 1];
      console.log(
        `  ${k.padEnd(18)} ${min.toFixed(3)} | ${med.toFixed(3)} us   ${
          (min / c).toFixed(1)
        }x C's min`,
      );
    }
    console.log(`  load average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  } finally {
    child.kill();
    m.close();
    MMap.unlinkShared(name);
  }
}

const args = process.argv.slice(2);
if (args[0] === "--peer") peer(args[1]);
else {
  const numbers = args.filter((a) => a !== "--json");
  await driver(Number(numbers[0] ?? 0.3), Number(numbers[1] ?? 5), args.includes("--json"));
}
