// Child process for ring_batch_attack_test.ts (run by Deno or Bun; never
// imported): `_ring_batch_attack_child.ts <case> [region] [ms]`. It prints
// one JSON line with what it saw and exits 0; a crash is a signal, which the
// parent tells apart.
//
// - `batches REGION MS`: runs the in-place batch forms (reserveMany/commit,
//   peekMany/release) on the ring at offset 0 of the shared region for MS
//   milliseconds while the parent writes garbage into the ring's indices and
//   records. A RingCorruptError is counted (then the indices are zeroed and
//   the ring used again); any other error is reported.
// - `patched`: replaces the engine's methods a batch could use (typed array
//   and DataView methods and getters, Atomics, Math, Number, the array
//   iterator, Object.defineProperty, ...) with functions that throw, runs
//   batches through every wrap position, puts them back, and reports what
//   came out.
import process from "node:process";
import { MMap, Ring, RingCorruptError } from "../mod.ts";

const [which, name, ms] = process.argv.slice(2);
const BYTES = Ring.bytesFor(4096);

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

if (which === "batches") {
  const m = MMap.shared(name!);
  const words = m.view(Int32Array, 0, 64);
  const ring = new Ring(m, 0, BYTES);
  const end = performance.now() + Number(ms);
  let rounds = 0, corrupt = 0, made = 0, read = 0, outside = 0;
  const unexpected: string[] = [];
  let seed = 99;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  while (performance.now() < end && unexpected.length < 5) {
    rounds++;
    try {
      const n = rand() % 48;
      const s = ring.reserveMany(n, 1 + (rand() % 40), 0);
      if (s !== null) {
        const dv = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
        for (let i = 0; i < s.count; i++) {
          for (let j = 0; j < n; j++) dv.setUint8(i * s.stride + j, (made + i + j) & 0xff);
        }
        made += s.count;
        ring.commit();
      }
      const p = ring.peekMany(1 + (rand() % 64), 0);
      if (p !== null) {
        // The view's buffer is the data area alone; the run lies inside it.
        const start = p.bytes.byteOffset, len = p.bytes.length;
        if (
          p.bytes.buffer.byteLength !== ring.capacity || start < 8 ||
          start + len > ring.capacity || len !== (p.count - 1) * p.stride + p.length ||
          p.stride % 8 !== 0 || p.length > ring.maxMessage
        ) outside++;
        let x = 0;
        for (let i = 0; i < len; i++) x ^= p.bytes[i]!;
        read += p.count + (x & 0);
        ring.release();
      }
    } catch (e) {
      if (e instanceof RingCorruptError) {
        corrupt++;
        ring.close();
        Atomics.store(words, 16, 0);
        Atomics.store(words, 32, 0);
      } else unexpected.push(describeError(e));
    }
  }
  ring.close();
  m.close();
  console.log(JSON.stringify({ rounds, corrupt, made, read, outside, unexpected }));
} else if (which === "patched") {
  const thrower = (what: string) =>
    function () {
      throw new Error(`patched ${what} was called`);
    };
  const patches: [object, PropertyKey][] = [];
  const typed = Object.getPrototypeOf(Uint8Array.prototype);
  for (const key of Reflect.ownKeys(typed)) if (key !== "constructor") patches.push([typed, key]);
  for (const key of Reflect.ownKeys(DataView.prototype)) {
    if (key !== "constructor") patches.push([DataView.prototype, key]);
  }
  for (const key of Reflect.ownKeys(ArrayBuffer.prototype)) {
    if (key !== "constructor") patches.push([ArrayBuffer.prototype, key]);
  }
  for (const o of [Atomics, Math, Number, Object, Reflect, Array, ArrayBuffer]) {
    for (const key of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, key)!;
      if (typeof d.value === "function" && d.configurable) patches.push([o, key]);
    }
  }
  for (const key of Reflect.ownKeys(Array.prototype)) {
    if (key !== "constructor" && key !== "length") patches.push([Array.prototype, key]);
  }
  const arrayIterator = Object.getPrototypeOf([][Symbol.iterator]());
  patches.push([arrayIterator, "next"]);
  patches.push([Object.prototype, "then"]);
  for (const key of ["bytes", "count", "length", "stride"]) patches.push([Object.prototype, key]);

  const m = MMap.anonymous(BYTES);
  const ring = new Ring(m, 0, BYTES);
  const results: string[] = [];
  const sums: number[] = [];
  const saved = patches.map(([o, k]) => Object.getOwnPropertyDescriptor(o, k));
  const define = Object.defineProperty;
  // Indexed, not destructured: the array iterator is among the patched.
  for (let i = 0; i < patches.length; i++) {
    const o = patches[i]![0], k = patches[i]![1];
    const d = saved[i];
    if (d !== undefined && !d.configurable) continue;
    const f = thrower(
      `${(o as { constructor?: { name?: string } }).constructor?.name}.${String(k)}`,
    );
    // Accessors keep a getter that throws, or (on Object.prototype) a setter
    // that throws: a library object literal's own property never calls it.
    define(
      o,
      k,
      d === undefined || d.get || d.set ? { get: f, set: f, configurable: true } : {
        value: f,
        writable: true,
        configurable: true,
      },
    );
  }
  let inForce = 0; // the patches are on: two of them answer with their error
  try {
    Math.min(1, 2);
  } catch {
    inForce++;
  }
  try {
    Atomics.load(new Int32Array(1), 0);
  } catch {
    inForce++;
  }
  try {
    // Every wrap position: 200 rounds of 1 to 5 messages of 0 to 40 bytes.
    for (let round = 0; round < 200; round++) {
      const n = (round * 13) % 41;
      const want = 1 + (round % 5);
      let made = 0, sum = 0, expect = 0;
      while (made < want) {
        const s = ring.reserveMany(n, want - made, 0);
        if (s === null) throw new Error("no room in an empty ring");
        for (let i = 0; i < s.count; i++) {
          for (let j = 0; j < n; j++) {
            const v = (round + made + i + j) & 0xff;
            s.bytes[i * s.stride + j] = v;
            expect += v;
          }
        }
        made += s.count;
        ring.commit();
      }
      let got = 0;
      while (got < want) {
        const p = ring.peekMany(Infinity, 0);
        if (p === null) throw new Error("nothing to peek");
        for (let i = 0; i < p.count; i++) {
          for (let j = 0; j < n; j++) sum += p.bytes[i * p.stride + j]!;
        }
        got += p.count;
        ring.release();
      }
      sums[round] = sum === expect ? 1 : 0;
    }
    results[0] = "ok";
  } catch (e) {
    results[0] = describeError(e);
  } finally {
    for (let i = patches.length - 1; i >= 0; i--) {
      const o = patches[i]![0], k = patches[i]![1], d = saved[i];
      if (d === undefined) delete (o as Record<PropertyKey, unknown>)[k];
      else if (d.configurable) define(o, k, d);
    }
  }
  ring.close();
  m.close();
  const right = sums.filter((x) => x === 1).length;
  console.log(JSON.stringify({ result: results[0], inForce, rounds: sums.length, right }));
} else {
  throw new Error(`no case ${which}`);
}
