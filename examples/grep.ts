/**
 * Counts the lines of a multi-GB log that contain a string, like `grep -c`,
 * and runs `grep -c` on the same file to compare. The log is searched in
 * place: libc's `memmem` runs over the mapped pages, nothing is read into
 * JavaScript memory, and worker threads each map the file and search their
 * part of it in parallel.
 *
 *   deno run --allow-ffi --allow-read --allow-write --allow-run examples/grep.ts [MiB] [needle]
 *   bun examples/grep.ts [MiB] [needle]
 *
 * The example writes the log first (2048 MiB by default, in the system's
 * temporary directory, removed at the end); `--allow-run` is for `grep`.
 */
import { join } from "node:path";
import process from "node:process";
import { MMap } from "../mod.ts";
import { countLines, NEWLINE } from "./_count_lines.ts";
import { numberArg, run, runtime, tempDir, timed } from "./_shared.ts";

/** Writes `size` bytes of log lines; about one line in 1,000 holds "ERROR". */
function writeLog(path: string, size: number): void {
  let seed = 42;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const paths = ["/api/items", "/api/users", "/login", "/static/app.js", "/api/orders"];
  let text = "";
  for (let i = 0; text.length < 1 << 22; i++) {
    const level = next(1000) === 0 ? "ERROR" : next(10) === 0 ? "WARN" : "INFO";
    text +=
      `2026-11-23T12:${String(i % 60).padStart(2, "0")}:${String(next(60)).padStart(2, "0")}Z ` +
      `${level} GET ${paths[next(paths.length)]}/${next(100000)} status=${
        level === "ERROR" ? 500 : 200
      } ` +
      `ms=${next(900)}\n`;
  }
  const block = new TextEncoder().encode(text);
  using m = MMap.open(path, { access: "write", create: true, length: size });
  for (let at = 0; at < size; at += block.length) {
    m.write(block.subarray(0, Math.min(block.length, size - at)));
  }
  m.flush();
}

/** The best of `runs` timings of `fn`, and its result. */
async function best<T>(runs: number, fn: () => T | Promise<T>): Promise<[T, number]> {
  let result!: T;
  let ms = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = await fn();
    ms = Math.min(ms, performance.now() - t0);
  }
  return [result, ms];
}

const mib = numberArg(0, 2048);
const needleText = process.argv[3] ?? "ERROR";
const needle = new TextEncoder().encode(needleText);
if (needle.includes(NEWLINE)) throw new RangeError("the string must not contain a newline");
const size = Math.floor(mib * 2 ** 20);
const tmp = tempDir("mmap-grep-");
const workers: Worker[] = [];
try {
  const path = join(tmp.dir, "app.log");
  console.log(
    `@seed/mmap grep example on ${runtime}: ${mib} MiB log, counting lines with "${needleText}"`,
  );
  const [, writeMs] = timed(() => writeLog(path, size));
  console.log(`  wrote ${path} in ${writeMs.toFixed(0)} ms (it is now in the page cache)`);

  const [grep, grepMs] = await best(3, () => {
    const res = run("grep", ["-c", "--", needleText, path]);
    if (res.code > 1) throw new Error(`grep failed with exit code ${res.code}`);
    return Number(res.stdout.trim());
  });

  using m = MMap.open(path);
  const [single, singleMs] = await best(3, () => countLines(m, needle, 0, m.length));

  // Split at line starts so that each line belongs to exactly one worker.
  const n = Math.max(2, Math.min(8, navigator.hardwareConcurrency ?? 2));
  const cuts = [0];
  for (let k = 1; k < n; k++) {
    const nl = m.find(NEWLINE, Math.floor((m.length * k) / n));
    cuts.push(nl < 0 ? m.length : Math.max(nl + 1, cuts[k - 1]));
  }
  cuts.push(m.length);
  const [, startMs] = await best(1, async () => {
    for (let k = 0; k < n; k++) {
      workers.push(new Worker(new URL("./_grep_worker.ts", import.meta.url), { type: "module" }));
    }
    // A first message makes each worker load the library and map the file.
    await Promise.all(workers.map((w) => ask(w, { path, needle, start: -1, end: 0 })));
  });
  const [parallel, parallelMs] = await best(3, async () => {
    const counts = await Promise.all(
      workers.map((w, k) => ask(w, { path, needle, start: cuts[k], end: cuts[k + 1] })),
    );
    return counts.reduce((a, b) => a + b, 0);
  });

  const rate = (ms: number) => `${(size / 2 ** 30 / (ms / 1000)).toFixed(2)} GiB/s`;
  const line = (label: string, count: number, ms: number) =>
    console.log(
      `  ${label.padEnd(34)} ${String(count).padStart(10)} lines ${ms.toFixed(1).padStart(9)} ms  ${
        rate(ms)
      }`,
    );
  console.log("  best of 3 runs each:");
  line("grep -c", grep, grepMs);
  line("MMap.find, 1 thread", single, singleMs);
  line(`MMap.find, ${n} workers`, parallel, parallelMs);
  console.log(`  (starting the ${n} workers took ${startMs.toFixed(0)} ms, once)`);
  const fastest = Math.min(singleMs, parallelMs);
  console.log(
    fastest < grepMs
      ? `  @seed/mmap was ${(grepMs / fastest).toFixed(2)}x as fast as grep -c`
      : `  grep -c was ${(fastest / grepMs).toFixed(2)}x as fast as @seed/mmap on this run`,
  );
  if (grep !== single || grep !== parallel) {
    throw new Error(`the counts differ: grep ${grep}, 1 thread ${single}, workers ${parallel}`);
  }
} finally {
  for (const w of workers) w.terminate();
  tmp.remove();
}

/** Sends one job to a worker and waits for its answer. */
function ask(w: Worker, job: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    w.onmessage = (e) => resolve(e.data as number);
    w.onerror = (e) => reject(e);
    w.postMessage(job);
  });
}
