/**
 * The fault guard's signal numbers and `struct sigaction` layout, which live
 * in ffi/platform.ts with the other platform constants, against the C
 * headers: a C file of `_Static_assert`s made from the table, compiled (not
 * run) by gcc for x86_64 and by the aarch64 cross compiler, each where it is
 * installed; and SIGBUS against CPython's `signal` module.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { findPlatform } from "../ffi/platform.ts";
import { python, tempDir } from "./_helpers.ts";

function has(compiler: string): boolean {
  return spawnSync(compiler, ["--version"]).status === 0;
}

for (const [arch, compiler] of [["x86_64", "gcc"], ["aarch64", "aarch64-linux-gnu-gcc"]] as const) {
  describe(`Linux ${arch}: the fault guard's sigaction numbers`, () => {
    const n = findPlatform("linux", arch)?.sigbus;
    it(
      `match <signal.h> as ${compiler} compiles it`,
      { skip: !has(compiler) && `no ${compiler}` },
      () => {
        assert.ok(n, "the platform table has no sigbus numbers");
        const t = tempDir();
        try {
          const c = t.path("sigaction.c");
          writeFileSync(
            c,
            [
              "#include <signal.h>",
              "#include <stddef.h>",
              "static struct sigaction sa;",
              `_Static_assert(SIGBUS == ${n.SIGBUS}, "SIGBUS");`,
              `_Static_assert(SA_SIGINFO == ${n.SA_SIGINFO}, "SA_SIGINFO");`,
              `_Static_assert(SA_ONSTACK == ${n.SA_ONSTACK}, "SA_ONSTACK");`,
              `_Static_assert(sizeof sa == ${n.sigactionBytes}, "sizeof");`,
              `_Static_assert(offsetof(struct sigaction, sa_mask) == ${n.maskAt}, "sa_mask");`,
              `_Static_assert(sizeof sa.sa_mask == ${n.maskBytes}, "sizeof sa_mask");`,
              `_Static_assert(offsetof(struct sigaction, sa_flags) == ${n.flagsAt}, "sa_flags");`,
              "",
            ].join("\n"),
          );
          const res = spawnSync(compiler, ["-fsyntax-only", c], { encoding: "utf8" });
          assert.equal(res.status, 0, res.stderr);
        } finally {
          t.cleanup();
        }
      },
    );
  });
}

describe("SIGBUS", () => {
  it("is CPython's signal.SIGBUS on this machine", () => {
    const sigbus = python("import json, signal; print(json.dumps(int(signal.SIGBUS)))");
    const arch = process.arch === "arm64" ? "aarch64" : "x86_64";
    assert.equal(findPlatform("linux", arch)?.sigbus?.SIGBUS, sigbus);
  });
});
