/**
 * The bench harness, shared by every benchmark in bench/: timing, medians,
 * ratios, reference drivers in other processes, and the markdown table, JSON
 * and SVG chart written to bench/results/. Built-ins only (node:fs,
 * node:child_process), so it runs unchanged under Deno and Bun.
 *
 * A benchmark is a list of {@linkcode Case}s. Each case has the library's
 * implementation and references (in this process, or in the C and CPython
 * drivers); `runCase` runs them interleaved, one repetition of each in turn,
 * so that load from other processes hits all of them alike, and reports for
 * each reference the median over rounds of its time divided by the
 * library's in the same round: a ratio above 1 means the library is faster.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** "deno" or "bun". */
export const runtime: "deno" | "bun" = "Bun" in globalThis ? "bun" : "deno";

/** Seconds from an arbitrary origin, with the best resolution the runtime gives. */
export const now: () => number = "Bun" in globalThis
  ? () => (globalThis as unknown as { Bun: { nanoseconds(): number } }).Bun.nanoseconds() / 1e9
  : () => performance.now() / 1e3;

/** One repetition of some work, timed in this process; returns a result to cross-check. */
export type LocalRun = () => unknown;

/** An implementation of a case: the library or a reference. */
export interface Impl {
  /** Short name shown in the table ("C memmem", "CPython", "Bun.mmap", ...). */
  name: string;
  /** Which column of the table it belongs to ("lib", "C", "CPython", "Bun.mmap", "file I/O"). */
  kind: string;
  /** Runs one repetition here and returns a value; or `remote` below. */
  run?: LocalRun;
  /** A request line for a driver; the driver times one repetition and replies. */
  remote?: { driver: Driver; request: string };
  /** Called once before the first repetition (open files, ...). */
  setup?: () => void;
  /** Called before each repetition, untimed (evicting a file from the cache, ...). */
  before?: () => unknown;
  /** Called once after the last repetition. */
  teardown?: () => void;
  /** Why it was not run, when it cannot be. */
  skip?: string;
}

/** A goal: the library must be at least `min` times as fast as `ref`. */
export interface Goal {
  /** The name of the reference implementation. */
  ref: string;
  min: number;
}

/** One benchmark case: the library's implementation and its references. */
export interface Case {
  id: string;
  title: string;
  /** Work done by one repetition, to print a rate: `amount` units of `unit`. */
  amount: number;
  unit: "B" | "op";
  lib: Impl;
  refs: Impl[];
  goals?: Goal[];
  /** Results of all implementations must be equal (same value from each). */
  check?: boolean;
  /** Repetitions (after one warm-up); defaults to the run's. */
  reps?: number;
  /** Free text shown under the table. */
  note?: string;
}

/** Median, minimum and maximum of a set of timings, in seconds. */
export interface Stats {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

/** The measured outcome of one implementation. */
export interface ImplResult {
  name: string;
  kind: string;
  stats?: Stats;
  /** ref median / lib median, for references. */
  ratio?: number;
  skip?: string;
  error?: string;
}

/** The measured outcome of one case. */
export interface CaseResult {
  id: string;
  title: string;
  amount: number;
  unit: "B" | "op";
  lib: ImplResult;
  refs: ImplResult[];
  goals: (Goal & { ratio?: number; met?: boolean })[];
  note?: string;
  /** When the case started (ISO), and the 1-minute load average then. */
  date?: string;
  load?: number;
}

/** One whole run of one runtime. */
export interface RunResult {
  runtime: string;
  runtimeVersion: string;
  machine: string;
  date: string;
  quick: boolean;
  cases: CaseResult[];
}

/** Median, min and max of samples. */
export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], samples };
}

/** How many times faster the library is than a reference (>1: faster), from medians. */
export function ratio(ref: Stats, lib: Stats): number {
  return ref.median / lib.median;
}

/**
 * The median of the per-round ratios ref/lib. The two ran back to back in
 * each round, so load from other processes that comes and goes between
 * rounds cancels out better than in a ratio of two medians.
 */
export function pairedRatio(ref: number[], lib: number[]): number {
  const n = Math.min(ref.length, lib.length);
  return stats(Array.from({ length: n }, (_, i) => ref[i] / lib[i])).median;
}

/**
 * A reference implementation in another process (the C and CPython
 * drivers): one request line in, one JSON line out
 * (`{"s": seconds, "r": result}` or `{"skip": why}`).
 */
export class Driver {
  readonly name: string;
  #proc: ReturnType<typeof spawn> | null = null;
  #buffer = "";
  #waiting: ((line: string) => void) | null = null;
  #lines: string[] = [];
  #failed: string | undefined;

  constructor(name: string, command: string, args: string[]) {
    this.name = name;
    try {
      const proc = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
      proc.on("error", (e) => this.#fail(String(e)));
      proc.on("exit", (code) => this.#fail(`${name} exited with ${code}`));
      proc.stdout!.setEncoding("utf8");
      proc.stdout!.on("data", (chunk: string) => {
        this.#buffer += chunk;
        let nl;
        while ((nl = this.#buffer.indexOf("\n")) >= 0) {
          const line = this.#buffer.slice(0, nl);
          this.#buffer = this.#buffer.slice(nl + 1);
          if (this.#waiting) {
            const w = this.#waiting;
            this.#waiting = null;
            w(line);
          } else this.#lines.push(line);
        }
      });
      this.#proc = proc;
    } catch (e) {
      this.#failed = String(e);
    }
  }

  #fail(why: string): void {
    this.#failed ??= why;
    if (this.#waiting) {
      const w = this.#waiting;
      this.#waiting = null;
      w(JSON.stringify({ error: why }));
    }
  }

  /** Sends one request and waits for its reply. */
  request(line: string): Promise<{ s?: number; r?: unknown; skip?: string; error?: string }> {
    if (this.#failed) return Promise.resolve({ error: this.#failed });
    return new Promise((resolve) => {
      const done = (reply: string) => {
        try {
          resolve(JSON.parse(reply));
        } catch {
          resolve({ error: `bad reply from ${this.name}: ${reply}` });
        }
      };
      const queued = this.#lines.shift();
      if (queued !== undefined) done(queued);
      else this.#waiting = done;
      this.#proc!.stdin!.write(line + "\n");
    });
  }

  /** Ends the driver. */
  close(): void {
    if (!this.#proc || this.#failed) return;
    this.#failed = "closed";
    this.#proc.stdin!.end();
  }
}

/** Whether a command runs (for optional tools: cc, python3). */
export function commandWorks(command: string, args: string[]): boolean {
  const r = spawnSync(command, args, { stdio: "ignore" });
  return r.status === 0;
}

async function runOnce(impl: Impl): Promise<{ s: number; r: unknown }> {
  await impl.before?.();
  if (impl.run) {
    const t = now();
    const r = impl.run();
    return { s: now() - t, r };
  }
  const reply = await impl.remote!.driver.request(impl.remote!.request);
  if (reply.skip) throw new SkipError(reply.skip);
  if (reply.error || reply.s === undefined) throw new Error(reply.error ?? "no time");
  return { s: reply.s, r: reply.r };
}

class SkipError extends Error {}

function sameResult(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Runs one case: a warm-up, then `reps` rounds with every implementation once per round. */
export async function runCase(c: Case, reps: number): Promise<CaseResult> {
  const impls = [c.lib, ...c.refs];
  const samples = new Map<Impl, number[]>();
  const out = new Map<Impl, ImplResult>();
  const live: Impl[] = [];
  let expected: unknown;
  let expectedFrom = "";
  for (const impl of impls) {
    const res: ImplResult = { name: impl.name, kind: impl.kind };
    out.set(impl, res);
    if (impl.skip) {
      res.skip = impl.skip;
      continue;
    }
    try {
      impl.setup?.();
      const { r } = await runOnce(impl); // warm-up, and the result to cross-check
      if (c.check) {
        if (!expectedFrom) [expected, expectedFrom] = [r, impl.name];
        else if (!sameResult(r, expected)) {
          throw new Error(
            `result ${JSON.stringify(r)} differs from ${expectedFrom}'s ${
              JSON.stringify(expected)
            }`,
          );
        }
      }
      live.push(impl);
      samples.set(impl, []);
    } catch (e) {
      if (e instanceof SkipError) res.skip = e.message;
      else res.error = (e as Error).message;
      try {
        impl.teardown?.();
      } catch { /* report the first error */ }
    }
  }
  for (let rep = 0; rep < (c.reps ?? reps); rep++) {
    for (const impl of live) {
      if (out.get(impl)!.error) continue;
      try {
        samples.get(impl)!.push((await runOnce(impl)).s);
      } catch (e) {
        out.get(impl)!.error = (e as Error).message;
      }
    }
  }
  for (const impl of live) {
    try {
      impl.teardown?.();
    } catch (e) {
      out.get(impl)!.error ??= (e as Error).message;
    }
    const s = samples.get(impl)!;
    if (s.length && !out.get(impl)!.error) out.get(impl)!.stats = stats(s);
  }
  const lib = out.get(c.lib)!;
  const refs = c.refs.map((r) => out.get(r)!);
  const libSamples = samples.get(c.lib);
  if (lib.stats && libSamples) {
    for (const r of c.refs) {
      const res = out.get(r)!;
      const own = samples.get(r);
      if (res.stats && own) res.ratio = pairedRatio(own, libSamples);
    }
  }
  const goals = (c.goals ?? []).map((g) => {
    const ref = refs.find((r) => r.name === g.ref);
    return ref?.ratio === undefined
      ? { ...g }
      : { ...g, ratio: ref.ratio, met: ref.ratio >= g.min };
  });
  return {
    id: c.id,
    title: c.title,
    amount: c.amount,
    unit: c.unit,
    lib,
    refs,
    goals,
    ...(c.note ? { note: c.note } : {}),
  };
}

// --- presentation ------------------------------------------------------------

/** A rate: GB/s for bytes, M/s or k/s for operations. */
export function rate(amount: number, unit: "B" | "op", seconds: number): string {
  const r = amount / seconds;
  if (unit === "B") return `${(r / 1e9).toFixed(2)} GB/s`;
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)} M/s` : `${(r / 1e3).toFixed(1)} k/s`;
}

/** A duration for humans. */
export function duration(seconds: number): string {
  if (seconds >= 1) return `${seconds.toFixed(2)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(1)} ms`;
  return `${(seconds * 1e6).toFixed(1)} µs`;
}

/** A ratio as "2.31x". */
export function times(r: number): string {
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

/** A markdown table. */
export function markdownTable(header: string[], rows: string[][]): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  return [
    `| ${header.map(esc).join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

/**
 * The table of one run: per case, the library's median and rate, then each
 * reference's ratio (its median time / the library's), goals marked
 * ✅ met or ❌ missed.
 */
export function runTable(run: RunResult): string {
  const kinds: string[] = [];
  for (const c of run.cases) {
    for (const r of c.refs) if (!kinds.includes(r.kind)) kinds.push(r.kind);
  }
  const rows = run.cases.map((c) => {
    const lib = c.lib.stats
      ? `${duration(c.lib.stats.median)} (${rate(c.amount, c.unit, c.lib.stats.median)})`
      : c.lib.error
      ? `error: ${c.lib.error}`
      : `skipped: ${c.lib.skip}`;
    const cells = kinds.map((k) =>
      c.refs.filter((r) => r.kind === k).map((r) => {
        const goal = c.goals.find((g) => g.ref === r.name);
        const mark = goal?.met === undefined ? "" : goal.met ? " ✅" : ` ❌ (goal ${goal.min}x)`;
        if (r.ratio !== undefined) return `${r.name} ${times(r.ratio)}${mark}`;
        if (r.error) return `${r.name}: error`;
        return "";
      }).filter(Boolean).join("; ") || "-"
    );
    // When the case ran: a saved run is merged from runs in parts (--merge).
    const ran = c.date ? c.date.slice(0, 16).replace("T", " ") : "-";
    return [c.title, lib, ...cells, ran];
  });
  return markdownTable(["case", "@seed/mmap median (rate)", ...kinds, "ran (UTC)"], rows);
}

/** Notes of a run: skipped references and errors, for under the table. */
export function runNotes(run: RunResult): string[] {
  const notes: string[] = [];
  for (const c of run.cases) {
    for (const r of [c.lib, ...c.refs]) {
      if (r.skip) notes.push(`${c.title}: ${r.name} not run: ${r.skip}`);
      if (r.error) notes.push(`${c.title}: ${r.name} failed: ${r.error}`);
    }
    if (c.note) notes.push(`${c.title}: ${c.note}`);
  }
  return notes;
}

/** One bar of the chart. */
export interface Bar {
  label: string;
  value: number;
  /** A goal to mark on the bar's row. */
  goal?: number;
  color: string;
}

/** One group of bars (one case). */
export interface BarGroup {
  title: string;
  bars: Bar[];
}

const escapeXml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/**
 * A horizontal bar chart of ratios on a log2 scale, with a line at 1x and a
 * tick for each goal. Plain SVG, no script.
 */
export function barChart(title: string, groups: BarGroup[], legend: [string, string][]): string {
  const lo = -4, hi = 5; // 1/16x .. 32x
  const left = 330, width = 560, barH = 12, gap = 4, groupGap = 14, top = 56;
  const x = (v: number) =>
    left + (Math.min(hi, Math.max(lo, Math.log2(Math.max(v, 1e-9)))) - lo) / (hi - lo) * width;
  const parts: string[] = [];
  let y = top;
  for (const g of groups) {
    parts.push(
      `<text x="8" y="${y + 10}" font-weight="bold">${escapeXml(g.title)}</text>`,
    );
    y += 16;
    for (const b of g.bars) {
      parts.push(
        `<text x="20" y="${y + barH - 2}">${escapeXml(b.label)}</text>`,
        `<rect x="${x(1 / 2 ** -lo)}" y="${y}" width="${
          Math.max(1, x(b.value) - x(1 / 2 ** -lo))
        }" height="${barH}" fill="${b.color}"/>`,
        `<text x="${Math.max(x(b.value), b.goal === undefined ? 0 : x(b.goal)) + 4}" y="${
          y + barH - 2
        }">${times(b.value)}</text>`,
      );
      if (b.goal !== undefined) {
        parts.push(
          `<line x1="${x(b.goal)}" x2="${x(b.goal)}" y1="${y - 1}" y2="${
            y + barH + 1
          }" stroke="black" stroke-width="2"/>`,
        );
      }
      y += barH + gap;
    }
    y += groupGap;
  }
  const axis: string[] = [];
  for (let e = lo; e <= hi; e++) {
    const v = 2 ** e;
    axis.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${top - 6}" y2="${y}" stroke="${
        e === 0 ? "#000" : "#ddd"
      }"/>`,
      `<text x="${x(v)}" y="${top - 10}" text-anchor="middle">${v >= 1 ? v : `1/${1 / v}`}x</text>`,
    );
  }
  const legendSvg = legend.map(([label, color], i) =>
    `<rect x="${left + i * 150}" y="${y + 4}" width="12" height="12" fill="${color}"/>` +
    `<text x="${left + i * 150 + 16}" y="${y + 14}">${escapeXml(label)}</text>`
  );
  const h = y + 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${
    left + width + 60
  }" height="${h}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="8" y="18" font-size="14" font-weight="bold">${escapeXml(title)}</text>
<text x="8" y="34">Bars: reference time / @seed/mmap time (log scale; right of 1x = the library is faster). Black ticks: goals.</text>
${axis.join("\n")}
${parts.join("\n")}
${legendSvg.join("\n")}
</svg>
`;
}

/** Writes a text file, creating its directory. */
export function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Reads a JSON file, or undefined if it is missing or unreadable. */
export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** A short description of this machine: CPU model, cores, memory, kernel. */
export function machineDescription(): string {
  const read = (p: string) => {
    try {
      return readFileSync(p, "utf8");
    } catch {
      return "";
    }
  };
  const cpu = /model name\s*:\s*(.*)/.exec(read("/proc/cpuinfo"))?.[1] ?? "unknown CPU";
  const cores = (read("/proc/cpuinfo").match(/^processor\s*:/gm) ?? []).length;
  const memKb = Number(/MemTotal:\s*(\d+)/.exec(read("/proc/meminfo"))?.[1] ?? 0);
  const kernel = read("/proc/sys/kernel/osrelease").trim();
  return `${cpu}, ${cores} cores, ${Math.round(memKb / 1048576)} GiB, Linux ${kernel}`;
}
