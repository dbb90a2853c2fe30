/**
 * Helpers of the shared-memory and lock tests: unique region names, a
 * region removed after use, child processes of either runtime.
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { MMap, notify } from "../mod.ts";
import { patience } from "./_emulation.ts";
import {
  type Finished,
  finished,
  lastJson,
  type Runtime,
  runtimePath,
} from "../examples/_peers.ts";

export { finished, lastJson, lineFrom, otherRuntime, thisRuntime } from "../examples/_peers.ts";
export type { Finished, Runtime };

/**
 * Options of a test that starts processes: Bun's default of 5 s per test is
 * too short for a loaded machine (a child is killed after a minute anyway).
 */
export const SLOW = { timeout: patience(120_000) };

let serial = 0;

/** A shared memory name no other test (or test run) uses. */
export function uniqueName(prefix = "mmap-test"): string {
  return `${prefix}-${process.pid}-${++serial}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Runs `fn` with a fresh region of `length` bytes, removed afterwards. */
export async function withRegion<T>(
  length: number,
  fn: (name: string, m: MMap) => T | Promise<T>,
): Promise<T> {
  const name = uniqueName();
  const m = MMap.shared(name, length, { exclusive: true });
  try {
    return await fn(name, m);
  } finally {
    m.close();
    MMap.unlinkShared(name);
  }
}

const childScript = decodeURIComponent(new URL("./sync_child.ts", import.meta.url).pathname);

/**
 * Starts the test script `script` (a path) with `args` under `which`, its
 * stdout piped; killed if it runs for `ms` (natively; longer under emulation).
 */
export function runScript(
  which: Runtime,
  script: string,
  args: string[],
  ms = 60_000,
): ChildProcess {
  const argv = which === "deno" ? ["run", "--allow-all", script] : [script];
  return spawn(runtimePath(which), [...argv, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    timeout: patience(ms),
    killSignal: "SIGKILL",
  });
}

/** Starts `tests/sync_child.ts <role> <args>` under `which`; killed if it runs for a minute (natively). */
export function child(which: Runtime, role: string, ...args: string[]): ChildProcess {
  return runScript(which, childScript, [role, ...args]);
}

/** Runs a child to its end; throws unless it exits 0; returns its last JSON line. */
export async function childResult<T>(which: Runtime, role: string, ...args: string[]): Promise<T> {
  const done: Finished = await finished(child(which, role, ...args));
  if (done.status !== 0) {
    throw new Error(`${which} ${role} child ended with ${done.status ?? done.signal}`);
  }
  return lastJson<T>(done.stdout);
}

/** The pid of a process that has exited (a child started and awaited). */
export async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ["--version"], { stdio: "ignore" });
  const pid = c.pid!;
  await new Promise((r) => c.on("close", r));
  return pid;
}

/**
 * Wakes `count` sleepers on `view[index]` without changing the value: they
 * may not be asleep yet (a Worker starting, a loaded machine), so this keeps
 * notifying, for up to 20 s, until that many were woken. Returns how many.
 */
export async function wakeWhenAsleep(
  view: Int32Array,
  index: number,
  count: number,
): Promise<number> {
  const end = performance.now() + patience(20_000);
  let woken = 0;
  while (woken < count && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 2));
    woken += notify(view, index, count - woken);
  }
  return woken;
}
