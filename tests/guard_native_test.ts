// The shipped SIGBUS handler bytes (ffi/guard/code.ts), run by a small C
// program outside any JavaScript runtime (tests/guard/harness.c): natively
// for x86_64, and under qemu-aarch64 for aarch64, so that the aarch64 bytes
// are tried on this x86_64 machine too. Each mode is a process; the exit
// status says what happened. In CI a missing cross compiler or qemu is a
// failure (.ci/run installs them); elsewhere that architecture is skipped.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import process from "node:process";
import { SIGBUS_HANDLER } from "../ffi/guard/code.ts";
import { tempDir } from "./_helpers.ts";

const harness = new URL("./guard/harness.c", import.meta.url).pathname;
const INSTALL = "apt-get install -y gcc-aarch64-linux-gnu libc6-arm64-cross qemu-user";

interface Target {
  arch: string;
  cc: string;
  /** How to run a program built for it. */
  runner: string[];
}

/** The architecture `gcc` builds for (not this process's: it may be an emulated runtime). */
const gccTarget = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" }).stdout?.split("-")[0];
const targets: Target[] = [
  { arch: gccTarget === "aarch64" ? "aarch64" : "x86_64", cc: "gcc", runner: [] },
  ...(gccTarget === "x86_64"
    ? [{
      arch: "aarch64",
      cc: "aarch64-linux-gnu-gcc",
      runner: ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"],
    }]
    : []),
];

function have(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

/** What each mode of the harness should end with. */
const MODES = [
  ["zeros", "a guarded map of a cut file reads zeros, stores land, one fault per range", 0],
  ["chain", "a fault outside the table reaches the previous handler with its registers", 42],
  ["kill", "a SIGBUS sent by kill() is not a fault: the previous handler gets it", 43],
] as const;

describe("the shipped SIGBUS handler bytes, outside any runtime", () => {
  for (const t of targets) {
    const tools = [t.cc, ...t.runner.slice(0, 1)];
    const absent = tools.filter((c) => !have(c));
    const skip = absent.length && !process.env.CI
      ? `${absent.join(", ")} not installed (${INSTALL})`
      : false;
    it(`${t.arch}: ${MODES.map((m) => m[0]).join(", ")}, and SIG_DFL before it`, { skip }, () => {
      assert.deepEqual(absent, [], `missing ${absent.join(", ")}: ${INSTALL}`);
      const dir = tempDir("mmap-guard-native-");
      try {
        const exe = dir.path("harness");
        const cc = spawnSync(t.cc, ["-O1", "-Wall", "-o", exe, harness], { encoding: "utf8" });
        assert.equal(cc.status, 0, cc.stderr);
        const code = dir.path("code.bin");
        const hex = SIGBUS_HANDLER[t.arch];
        writeFileSync(
          code,
          Uint8Array.from(
            { length: hex.length / 2 },
            (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16),
          ),
        );
        const runIt = (mode: string) => {
          const cmd = [...t.runner, exe, code, dir.dir, mode];
          return spawnSync(cmd[0], cmd.slice(1), { encoding: "utf8" });
        };
        for (const [mode, what, status] of MODES) {
          const r = runIt(mode);
          assert.equal(r.status, status, `${t.arch} ${mode} (${what}): ${r.stdout}${r.stderr}`);
          if (mode === "zeros") {
            assert.equal(r.stdout, "read=0,0 store=9 kept=7 faults=1 total=1\n");
          }
        }
        // No handler before this one: the default action ends the process with SIGBUS.
        const r = runIt("default");
        assert.ok(
          r.signal === "SIGBUS" || r.status === 135,
          `${t.arch} default: exit ${r.status} signal ${r.signal} ${r.stderr}`,
        );
      } finally {
        dir.cleanup();
      }
    });
  }
});
