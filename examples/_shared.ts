/**
 * Small helpers the examples share: the runtime's name, a temporary
 * directory, timing, and the command line that runs a script again in the
 * same runtime (for examples that start child processes).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const g = globalThis as unknown as {
  Bun?: { version: string };
  Deno?: { version: { deno: string }; makeTempDirSync(o: { prefix: string }): string };
};

/** "Deno 2.9.6" or "Bun 1.4.5". */
export const runtime: string = g.Bun ? `Bun ${g.Bun.version}` : `Deno ${g.Deno!.version.deno}`;

/** A fresh temporary directory and a function that removes it. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  // Deno's own call needs no --allow-env, which node:os tmpdir() would.
  const dir = g.Deno && !g.Bun
    ? g.Deno.makeTempDirSync({ prefix })
    : mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `fn` and returns its result with the milliseconds it took. */
export function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const result = fn();
  return [result, performance.now() - t0];
}

/** How a child process ended: its exit code, or the signal that killed it. */
export interface ChildExit {
  code: number | null;
  signal: string | null;
}

/** A running child process. */
export interface Child {
  kill(): void;
  exited: Promise<ChildExit>;
}

/**
 * Starts `script` with `args` in this runtime (Deno with `denoFlags`), its
 * output ignored. Deno's own API is used there, so that only `--allow-run`
 * is needed (node:child_process in Deno also asks for `--allow-env`).
 */
export function startSelf(script: string, args: string[], denoFlags: string[]): Child {
  if (!g.Bun && "Deno" in globalThis) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...denoFlags, script, ...args],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const exited = child.output().then((out) => {
      if (out.signal === null && out.code !== 0) {
        console.error(new TextDecoder().decode(out.stderr));
      }
      return { code: out.signal === null ? out.code : null, signal: out.signal };
    });
    return { kill: () => child.kill("SIGKILL"), exited };
  }
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<ChildExit>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal }))
  );
  return { kill: () => child.kill("SIGKILL"), exited };
}

/**
 * Runs a program to completion; returns its exit code and output. Deno's own
 * API is used there, so that only `--allow-run` is needed.
 */
export function run(cmd: string, args: string[]): { code: number; stdout: string } {
  if (!g.Bun && "Deno" in globalThis) {
    const out = new Deno.Command(cmd, { args, stderr: "inherit" }).outputSync();
    return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
  }
  const res = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return { code: res.status ?? -1, stdout: res.stdout };
}

/** A positive number from the command line, or the default. */
export function numberArg(index: number, fallback: number): number {
  const raw = process.argv[2 + index];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!(n > 0)) throw new RangeError(`argument ${index + 1} must be a positive number, not ${raw}`);
  return n;
}
