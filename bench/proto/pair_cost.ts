/**
 * Bench-only probe (not library code): what one `push` and one `popInto` of
 * an 8-byte message cost in one process, the library's `Ring` beside the
 * same layout-1 protocol written out with none of its checks (the floor for
 * a JavaScript call pair with these atomics: one load of head, an exchange
 * of head and one of tail). The two alternate, REPS runs of N pairs each;
 * prints the tenth percentile and the median per pair.
 *
 *   deno run -A bench/proto/pair_cost.ts [REPS [N]]   |   bun bench/proto/pair_cost.ts ...
 */
import process from "node:process";
import { MMap, Ring } from "../../mod.ts";

const HEAD = 16, TAIL = 32, ASLEEP = 1;

/** The protocol with no checks (a padding record at the end, no ASLEEP wake-ups). */
class Raw {
  #h: Int32Array;
  #d: Uint8Array;
  #d32: Int32Array;
  #mask: number;
  #head = 0;
  #tailSeen = 0;
  #tail = 0;
  #headSeen = 0;
  constructor(m: MMap, capacity: number) {
    this.#h = m.view(Int32Array, 0, 64);
    this.#d = m.view(Uint8Array, 256, capacity);
    this.#d32 = m.view(Int32Array, 256, capacity / 4);
    this.#mask = capacity - 1;
  }
  push(b: Uint8Array): boolean {
    const n = b.length, rec = (n + 15) & ~7, cap = this.#mask + 1;
    let cur = this.#head, pos = cur & this.#mask;
    if (rec > cap - pos) {
      this.#d32[pos >> 2] = -1;
      cur = (cur + cap - pos) | 0;
      pos = 0;
    }
    if (((cur - this.#tailSeen) >>> 0) + rec > cap) {
      this.#tailSeen = Atomics.load(this.#h, TAIL) & ~ASLEEP;
      if (((cur - this.#tailSeen) >>> 0) + rec > cap) return false;
    }
    const d32 = this.#d32, d = this.#d;
    d32[pos >> 2] = n;
    d32[(pos >> 2) + 1] = 0;
    for (let i = 0; i < n; i++) d[pos + 8 + i] = b[i]!;
    const next = this.#head = (cur + rec) | 0;
    Atomics.exchange(this.#h, HEAD, next);
    return true;
  }
  popInto(t: Uint8Array): number | null {
    let cur = this.#tail;
    if (this.#headSeen === cur) {
      this.#headSeen = Atomics.load(this.#h, HEAD) & ~ASLEEP;
      if (this.#headSeen === cur) return null;
    }
    let pos = cur & this.#mask;
    let n = this.#d32[pos >> 2]!;
    if (n === -1) {
      cur = (cur + this.#mask + 1 - pos) | 0;
      pos = 0;
      n = this.#d32[0]!;
    }
    const d = this.#d;
    for (let i = 0; i < n; i++) t[i] = d[pos + 8 + i]!;
    const next = this.#tail = (cur + ((n + 15) & ~7)) | 0;
    Atomics.exchange(this.#h, TAIL, next);
    return n;
  }
}

const args = process.argv.slice(2).filter((a) => !a.endsWith(".ts"));
const REPS = Number(args[0] ?? 61), N = Number(args[1] ?? 40_000);
const CAP = 1 << 16;
const maps = [MMap.anonymous(Ring.bytesFor(CAP)), MMap.anonymous(Ring.bytesFor(CAP))];
try {
  const sides = [
    ["Ring", new Ring(maps[0], 0, Ring.bytesFor(CAP), { wait: "spin" })],
    ["no checks", new Raw(maps[1], CAP)],
  ] as const;
  // One loop per side, so that neither call site sees the other's class.
  const body = "let s = 0; for (let i = 0; i < n; i++) { msg[0] = i; r.push(msg); " +
    "s += r.popInto(tgt); } return s;";
  const loops = sides.map(() => new Function("r", "msg", "tgt", "n", body));
  const msg = new Uint8Array(8), tgt = new Uint8Array(64);
  const ns: number[][] = sides.map(() => []);
  for (let k = -5; k < REPS; k++) {
    for (let j = 0; j < sides.length; j++) {
      const t0 = performance.now();
      loops[j](sides[j][1], msg, tgt, N);
      if (k >= 0) ns[j].push((performance.now() - t0) * 1e6 / N);
    }
  }
  for (let j = 0; j < sides.length; j++) {
    const t = ns[j].sort((a, b) => a - b);
    console.log(
      `${sides[j][0].padEnd(10)} push+popInto of 8 bytes: p10 ${
        t[Math.floor(t.length / 10)].toFixed(1)
      } ns, median ${t[t.length >> 1].toFixed(1)} ns`,
    );
  }
} finally {
  for (const m of maps) m.close();
}
