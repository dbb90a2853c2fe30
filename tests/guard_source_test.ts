// The fault guard's SIGBUS handler ships as bytes in ffi/guard/code.ts, so
// that users need no assembler; its sources are ffi/guard/sigbus_*.S. This
// holds them together: ffi/guard/build.sh must print exactly code.ts. In CI
// a missing assembler is a failure (.ci/run installs the aarch64 one);
// elsewhere the test is skipped with the command that installs it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
const INSTALL = "apt-get install -y binutils-aarch64-linux-gnu";

/** Whether `build.sh` finds both assemblers (exit 3 means one is missing). */
function assemblersMissing(): string | false {
  const r = spawnSync("bash", [`${root}ffi/guard/build.sh`, "--print"], { encoding: "utf8" });
  return r.status === 3 ? r.stderr.trim() : false;
}

const missing = assemblersMissing();
const skip = missing && !process.env.CI ? `${missing} (${INSTALL})` : false;

describe("ffi/guard/sigbus_*.S", () => {
  it("assemble to exactly the bytes ffi/guard/code.ts ships", { skip }, () => {
    const r = spawnSync("bash", [`${root}ffi/guard/build.sh`, "--print"], { encoding: "utf8" });
    assert.equal(
      r.status,
      0,
      `ffi/guard/build.sh failed: ${r.stderr}` + (r.status === 3 ? `; in CI run: ${INSTALL}` : ""),
    );
    const shipped = readFileSync(`${root}ffi/guard/code.ts`, "utf8");
    assert.equal(
      r.stdout,
      shipped,
      "ffi/guard/code.ts is not what the sources assemble to: run bash ffi/guard/build.sh",
    );
  });
});
