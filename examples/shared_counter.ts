/**
 * One counter, four processes (two Deno, two Bun), one Mutex: each process
 * adds 1 to a plain (not atomic) Float64 in a named shared memory region
 * `increments` times, holding the lock for each add. Without the lock,
 * concurrent read-modify-writes would lose updates; with it the total is
 * exact, every run.
 *
 *   deno run --allow-ffi --allow-read --allow-write --allow-run --allow-env examples/shared_counter.ts [increments]
 *   bun examples/shared_counter.ts [increments]
 *
 * The region's layout: a Mutex at 0, a start barrier (Int32) at 8, the
 * counter (Float64) at 16. A child (`--child <name> <increments> <processes>`)
 * waits at the barrier until all have arrived, so they really contend.
 */
import process from "node:process";
import { MMap, Mutex, notify, wait } from "../mod.ts";
import { finished, type Runtime, start } from "./_peers.ts";

const BARRIER = 8;
const COUNTER = 16;

/** Adds 1 to the counter `increments` times under the lock; returns how often a dead owner was found. */
export function count(name: string, increments: number, processes: number): number {
  using m = MMap.shared(name);
  const mutex = new Mutex(m, 0);
  const counter = m.view(Float64Array, COUNTER, 1);
  const barrier = m.view(Int32Array, BARRIER, 1);
  // Arrive, then sleep until everyone has.
  if (Atomics.add(barrier, 0, 1) + 1 === processes) notify(barrier, 0);
  for (let n = Atomics.load(barrier, 0); n < processes; n = Atomics.load(barrier, 0)) {
    wait(barrier, 0, n, 10_000);
  }
  let deadOwners = 0;
  for (let i = 0; i < increments; i++) {
    using guard = mutex.lock(10_000);
    if (guard.ownerDied) deadOwners++;
    counter[0] += 1;
  }
  return deadOwners;
}

async function main(increments: number): Promise<void> {
  const name = `shared-counter-${process.pid}`;
  const runtimes: Runtime[] = ["deno", "deno", "bun", "bun"];
  using m = MMap.shared(name, 4096, { exclusive: true });
  try {
    const t0 = performance.now();
    const children = runtimes.map((r) =>
      finished(start(r, new URL(import.meta.url), ["--child", name, `${increments}`, "4"]))
    );
    const results = await Promise.all(children);
    const ms = performance.now() - t0;
    for (const [i, r] of results.entries()) {
      if (r.status !== 0) throw new Error(`${runtimes[i]} child failed: ${r.status ?? r.signal}`);
    }
    const total = m.view(Float64Array, COUNTER, 1)[0];
    const expected = increments * runtimes.length;
    console.log(
      `${runtimes.join(" + ")}: counter = ${total} (expected ${expected}) in ${ms.toFixed(0)} ms`,
    );
    if (total !== expected) process.exitCode = 1;
  } finally {
    MMap.unlinkShared(name);
  }
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  if (args[0] === "--child") {
    const deadOwners = count(args[1], Number(args[2]), Number(args[3]));
    console.log(JSON.stringify({ pid: process.pid, deadOwners }));
  } else {
    await main(Number(args[0] ?? 100_000));
  }
}
