/**
 * Ends a script with `code` once what it printed has been written out.
 *
 * `process.exit()` does not wait for stdout or stderr: on a pipe Node
 * writes asynchronously once the pipe is full, and what is still queued is
 * lost. `node scripts/aarch64.mjs test | tee log` lost its totals that way
 * in CI (each lane's output is printed whole, megabytes, just before them),
 * and `.ci/run` then read an earlier lane's "0 failed". A write's callback
 * runs after the writes queued before it, so exiting from the callbacks of
 * an empty write to each stream exits after everything else.
 */
// deno-lint-ignore explicit-module-boundary-types
export function exitWhenWritten(code) {
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
