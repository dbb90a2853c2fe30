/**
 * Runs a workload of the compatibility suite under one host, each step in
 * a child process of the current runtime (tests/programs/step.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ensure } from "./cache.ts";
import type { StepSpec } from "./step.ts";
import type { StepRun, Workload } from "./workloads.ts";

/** This library's `WASI`, or the runtime's own `node:wasi`. */
export type HostKind = "seed" | "node";

/** What a workload did under one host. */
export interface Outcome {
  /** `null`: the output was right. */
  problem: string | null;
  /** The wall time of all its steps. */
  ms: number;
  steps: number;
}

const STEP = decodeURIComponent(new URL("./step.ts", import.meta.url).pathname);
/** A step that runs longer than this has hung (or is far too slow to be of use). */
const STEP_TIMEOUT_MS = 600_000;

/** `Deno 2.9.6` or `Bun 1.4.5`. */
export const RUNTIME = "Bun" in globalThis
  ? `Bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`;

function stepArgs(kind: HostKind, spec: StepSpec): string[] {
  const json = JSON.stringify(spec);
  return RUNTIME.startsWith("Bun") ? [STEP, kind, json] : ["run", "-A", STEP, kind, json];
}

/** Runs `workload` under `kind`, in a fresh scratch directory. */
export async function runWorkload(workload: Workload, kind: HostKind): Promise<Outcome> {
  const dirs = [];
  for (const pkg of workload.packages) dirs.push(await ensure(pkg));
  const scratch = mkdtempSync(join(tmpdir(), `seed-programs-${workload.id}-${process.pid}-`));
  let ms = 0;
  let steps = 0;
  try {
    const problem = workload.run({
      dirs,
      scratch,
      step(spec): StepRun {
        const t = performance.now();
        const r = spawnSync(process.execPath, stepArgs(kind, spec), {
          encoding: "utf8",
          maxBuffer: 1 << 28,
          timeout: STEP_TIMEOUT_MS,
        });
        const took = performance.now() - t;
        ms += took;
        steps++;
        const stderr = r.error ? `${r.stderr ?? ""}\nstep: ${r.error.message}` : r.stderr;
        const code = r.status ?? (r.signal ? 128 : -1);
        return { code, stdout: r.stdout ?? "", stderr, ms: took };
      },
    });
    return { problem, ms, steps };
  } catch (e) {
    return { problem: `harness: ${(e as Error).message}`, ms, steps };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
