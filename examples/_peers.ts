/**
 * Starting Deno and Bun side by side: the examples, the benchmark and the
 * tests run one runtime's process next to the other's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";

/** The runtimes this library serves. */
export type Runtime = "deno" | "bun";

/** The runtime running this code. */
export const thisRuntime: Runtime = "Bun" in globalThis ? "bun" : "deno";

/** The other one. */
export const otherRuntime: Runtime = thisRuntime === "deno" ? "bun" : "deno";

/**
 * The executable of `which`: this process's own, the one `SEED_DENO` or
 * `SEED_BUN` names (scripts/aarch64.mjs names its emulated runtimes there),
 * the repository's pinned one, or PATH's.
 */
export function runtimePath(which: Runtime): string {
  if (which === thisRuntime) return process.execPath;
  const named = namedRuntime(which);
  if (named) return named;
  const pinned = decodeURIComponent(
    new URL(`../node_modules/.bin/${which}`, import.meta.url).pathname,
  );
  return existsSync(pinned) ? pinned : which;
}

/** `SEED_DENO` or `SEED_BUN`, where Deno allows reading it without asking. */
function namedRuntime(which: Runtime): string | undefined {
  const variable = `SEED_${which.toUpperCase()}`;
  const deno = (globalThis as {
    Deno?: { permissions: { querySync(d: { name: "env"; variable: string }): { state: string } } };
  }).Deno;
  if (deno && deno.permissions.querySync({ name: "env", variable }).state !== "granted") {
    return undefined;
  }
  return process.env[variable] || undefined;
}

/**
 * Starts `script` under `which`, with what the examples need (Deno: FFI,
 * files, processes, env, and `denoFlags`).
 */
export function start(
  which: Runtime,
  script: string | URL,
  args: string[] = [],
  denoFlags: string[] = [],
): ChildProcess {
  const file = script instanceof URL ? decodeURIComponent(script.pathname) : script;
  const argv = which === "deno"
    ? [
      "run",
      "--allow-ffi",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      ...denoFlags,
      file,
      ...args,
    ]
    : [file, ...args];
  return spawn(runtimePath(which), argv, { stdio: ["ignore", "pipe", "inherit"] });
}

/** What a finished child did. */
export interface Finished {
  status: number | null;
  signal: string | null;
  stdout: string;
}

/** Resolves when `child` exits, with what it printed. */
export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (s: string) => stdout += s);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, stdout }));
  });
}

/** Resolves with the first line `child` prints that matches `pattern`. */
export function lineFrom(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const onData = (chunk: Buffer | string) => {
      buffered += chunk.toString();
      const line = buffered.split("\n").find((l) => pattern.test(l));
      if (line !== undefined) {
        child.stdout?.off("data", onData);
        resolve(line);
      }
    };
    child.stdout?.on("data", onData);
    child.on("close", () => reject(new Error(`child exited before printing ${pattern}`)));
  });
}

/** The last line of `text` parsed as JSON. */
export function lastJson<T>(text: string): T {
  const lines = text.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as T;
}
