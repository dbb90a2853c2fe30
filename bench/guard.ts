/**
 * What the fault guard (ffi/guard/) costs, in this runtime:
 *
 * - one fault: K files of one page are mapped and cut to 0 bytes, then one
 *   byte of each map is loaded through `bytes`: each load faults, the
 *   handler puts zero pages in place, and the load runs again. The time per
 *   load, beside the same loop over K maps of files that were not cut (a
 *   first touch of a page in the page cache) and over fresh anonymous
 *   memory;
 * - open+read+close of a 4 KiB file, with the guard (the default) and with
 *   `guard: false`, interleaved round by round: the process's CPU time per
 *   open, and the median ratio.
 *
 * Usage: deno run -A bench/guard.ts [--quick]; bun bench/guard.ts [--quick]
 *
 * @module
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { MMap, PAGESIZE } from "../mod.ts";
import { now, runtime } from "./_harness.ts";

const quick = process.argv.includes("--quick");
const K = quick ? 256 : 1024;
const ROUNDS = quick ? 5 : 11;
const OPENS = quick ? 2000 : 20000;

const dir = mkdtempSync(join(tmpdir(), "mmap-bench-guard-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Seconds per map to load its first byte. */
function touchEach(maps: MMap[]): number {
  const views = maps.map((m) => m.bytes);
  let sum = 0;
  const t = now();
  for (let i = 0; i < views.length; i++) sum += views[i][0];
  const dt = now() - t;
  if (sum !== 0 && sum !== views.length * 7) throw new Error(`unexpected sum ${sum}`);
  return dt / views.length;
}

try {
  const page = new Uint8Array(PAGESIZE).fill(7);
  const files = Array.from({ length: K }, (_, i) => join(dir, `page-${i}.bin`));
  const faulted: number[] = [], cached: number[] = [], anon: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const f of files) writeFileSync(f, page);
    const cut = files.map((f) => MMap.open(f));
    for (const f of files) truncateSync(f, 0);
    faulted.push(touchEach(cut));
    if (!cut.every((m) => m.faulted)) throw new Error("the guard did not see every fault");
    for (const m of cut) m.close();

    for (const f of files) writeFileSync(f, page);
    const whole = files.map((f) => MMap.open(f));
    cached.push(touchEach(whole));
    for (const m of whole) m.close();

    const fresh = files.map(() => MMap.anonymous(PAGESIZE, { shared: false }));
    anon.push(touchEach(fresh));
    for (const m of fresh) m.close();
  }

  const small = join(dir, "small.bin");
  writeFileSync(small, new Uint8Array(4096).fill(1));
  // CPU time of this process: what the guard costs, less blurred by the
  // machine's other load than the wall clock.
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const openClose = (guard: boolean) => {
    const t = cpu();
    let r = 0;
    for (let i = 0; i < OPENS; i++) {
      const m = MMap.open(small, { guard });
      r += m.read()[0];
      m.close();
    }
    if (r !== OPENS) throw new Error("bad read");
    return (cpu() - t) / OPENS;
  };
  openClose(true), openClose(false); // warm-up
  const on: number[] = [], off: number[] = [], ratio: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = openClose(true), b = openClose(false);
    on.push(a), off.push(b), ratio.push(a / b);
  }

  const us = (s: number) => `${(s * 1e6).toFixed(2)} µs`;
  console.log(
    `fault guard, ${runtime} (${MMap.faultGuard.reason}), ${K} maps, ${ROUNDS} rounds`,
  );
  console.log(
    `  one fault caught (load, handler, zero page, load again): ${us(median(faulted))}`,
  );
  console.log(
    `  first touch of a page of a mapped file in the page cache:            ${us(median(cached))}`,
  );
  console.log(
    `  first touch of a page of fresh anonymous memory:                      ${us(median(anon))}`,
  );
  console.log(
    `  open+read+close 4 KiB (CPU time): guard ${us(median(on))}, guard: false ${
      us(median(off))
    }, ` +
      `median ratio ${median(ratio).toFixed(3)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
