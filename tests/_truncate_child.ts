// Child process for truncation_test.ts: for each case of argv[2] (comma-
// separated) maps a 3-page file of its own in the folder argv[3], lets the
// file be changed under the map as the case says, records what the map
// reports, then touches the last page (once truncated, a lost page: the
// fault guard's error), and prints `@case NAME JSON` of what it recorded.
// The cases share one process (a child costs ~13 s under emulated Deno); a
// fault the guard missed kills it, an exit status the parent asserts on.
// Run by the current runtime; never imported.
import { renameSync, truncateSync, writeFileSync } from "node:fs";
import process from "node:process";
import { MMap, Mutex, PAGESIZE, Semaphore } from "../mod.ts";

const [names, dir] = process.argv.slice(2);
const page = PAGESIZE;

function run(how: string): unknown[] {
  const lines: unknown[] = [];
  const path = `${dir}/${how}.bin`;
  writeFileSync(path, new Uint8Array(3 * page).fill(7));
  const m = MMap.open(path);
  if (how === "truncate") truncateSync(path, page);
  else if (how === "replace") {
    writeFileSync(path + ".new", new Uint8Array(page).fill(9));
    renameSync(path + ".new", path);
  } else if (how === "append") writeFileSync(path, new Uint8Array(page).fill(8), { flag: "a" });
  else throw new Error(`unknown case ${how}`);
  lines.push({ size: m.size(), length: m.length, first: m.at(0) });
  try {
    lines.push({ last: m.at(3 * page - 1) });
  } catch (e) {
    const err = e as { code?: string };
    lines.push({ error: err.code, faulted: m.faulted, closed: m.closed });
  }

  if (how === "truncate") {
    // Locks over a file cut to nothing: each lock word now reads as a zero page
    // that only this process sees, so taking it would exclude no one. Every
    // operation says EIO instead (before: lock() and acquire() succeeded).
    writeFileSync(path + ".locks", new Uint8Array(page));
    const l = MMap.open(path + ".locks", { access: "write" });
    const mutex = new Mutex(l, 0), held = new Mutex(l, 64), semaphore = new Semaphore(l, 128, 1);
    const guard = held.lock();
    truncateSync(path + ".locks", 0);
    const code = (f: () => unknown) => {
      try {
        return `ok ${f()}`;
      } catch (e) {
        return (e as { code?: string }).code ?? String(e);
      }
    };
    lines.push({
      lock: code(() => mutex.lock(100)),
      tryLock: code(() => new Mutex(l, 256).tryLock()),
      acquire: code(() => semaphore.acquire(100)),
      tryAcquire: code(() => semaphore.tryAcquire()),
      unlock: code(() => guard.unlock()),
    });
  }
  return lines;
}

for (const how of names.split(",")) console.log(`@case ${how} ${JSON.stringify(run(how))}`);
