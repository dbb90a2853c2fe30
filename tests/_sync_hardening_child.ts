// Child process for sync_hardening_test.ts: the cases named in argv[2]
// (comma-separated), one after another. For each it prints `@case NAME JSON`
// with what it saw. It never calls process.exit: a wait left pending on
// another thread keeps the process alive, and the parent's timeout then
// kills it, which is the failure. Run by the current runtime; never imported.
import process from "node:process";
import { MMap, Semaphore, waitAsync } from "../mod.ts";

const names = process.argv[2]!.split(",");

function outcome(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (value) => ({ value }),
    (e) => ({ error: (e as Error).name, message: (e as Error).message }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pending wait with no timeout, and its map closed under it. */
async function closedUnder(
  start: (m: MMap) => Promise<unknown>,
  afterMs: number,
): Promise<unknown> {
  const m = MMap.anonymous(4096);
  const p = outcome(start(m));
  if (afterMs >= 0) await sleep(afterMs);
  m.close();
  return await p;
}

const cases: Record<string, () => Promise<unknown>> = {
  "semaphore-closed-while-asleep": () =>
    closedUnder((m) => new Semaphore(m, 0, 0).acquireAsync(), 50),
  "semaphore-closed-at-once": () => closedUnder((m) => new Semaphore(m, 0, 0).acquireAsync(), -1),
  "wait-closed-while-asleep": () => closedUnder((m) => waitAsync(m.view(Int32Array), 1, 0), 50),
  "wait-closed-at-once": () => closedUnder((m) => waitAsync(m.view(Int32Array), 1, 0), -1),
};

for (const name of names) {
  const result = await cases[name]!();
  console.log(`@case ${name} ${JSON.stringify(result)}`);
}
