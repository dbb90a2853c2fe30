// CI reads each suite's totals from the last line its script prints, through
// a pipe (`.ci/run`'s `suite`: `"$@" 2>&1 | tee log`). A script that calls
// `process.exit()` right after printing megabytes loses what Node still has
// queued for a full pipe: the emulated suite's totals were lost that way in
// one CI run. scripts/_exit.mjs exits only once both streams have taken
// everything; this prints 8 MiB and a totals line into a pipe that nobody
// reads for a second, and looks for the line at the other end.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const helper = new URL("../scripts/_exit.mjs", import.meta.url).href;

describe("scripts end through exitWhenWritten", () => {
  it("keeps the last line and the status when the pipe is full at exit", () => {
    const script = `import(${JSON.stringify(helper)}).then(({ exitWhenWritten }) => {` +
      `console.log("x".repeat(8 << 20)); console.error("e".repeat(1 << 20));` +
      `console.log("7 passed, 0 failed"); exitWhenWritten(5); })`;
    const res = spawnSync(
      "bash",
      ["-c", 'node -e "$0" 2>&1 | (sleep 1; tail -c 64); exit "${PIPESTATUS[0]}"', script],
      { encoding: "utf8" },
    );
    assert.equal(res.status, 5, res.stderr);
    assert.equal(res.stdout.trimEnd().split("\n").at(-1), "7 passed, 0 failed");
  });
});
