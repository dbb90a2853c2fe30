// The WASI host's sandbox is a security boundary: a guest tries every way
// out of its preopened directory (paths, "..", absolute paths, symbolic
// links planted by the host, links it makes itself), and none gets out.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tempDir } from "./_helpers.ts";
import { lines, runGuest } from "./wasm_helpers.ts";

const EXPECTED: readonly [string, string][] = [
  ["open ../secret.txt", "ENOTCAPABLE"],
  ["open sub/../../secret.txt", "ENOTCAPABLE"],
  ["open absolute /etc/passwd", "ENOTCAPABLE"],
  ["open up/secret.txt", "ENOTCAPABLE"],
  ["open abs/secret.txt", "ENOTCAPABLE"],
  ["open sub/deep following", "ENOTCAPABLE"],
  // Not following: the link itself, which open(O_NOFOLLOW) refuses.
  ["open sub/deep not following", "ELOOP"],
  ["open chain1", "ENOTCAPABLE"],
  ["open up as directory", "ENOTCAPABLE"],
  ["open .. as directory", "ENOTCAPABLE"],
  ["create ../created.txt", "ENOTCAPABLE"],
  ["create up/created.txt", "ENOTCAPABLE"],
  ["create through sub/deep", "ENOTCAPABLE"],
  ["stat ../secret.txt", "ENOTCAPABLE"],
  ["stat up following", "ENOTCAPABLE"],
  ["stat up/secret.txt", "ENOTCAPABLE"],
  ["mkdir ../newdir", "ENOTCAPABLE"],
  ["mkdir up/newdir", "ENOTCAPABLE"],
  ["rename inside.txt to ../stolen.txt", "ENOTCAPABLE"],
  ["rename up/secret.txt in", "ENOTCAPABLE"],
  ["link up/secret.txt in", "ENOTCAPABLE"],
  ["link inside.txt out", "ENOTCAPABLE"],
  ["link through sub/deep", "ENOTCAPABLE"],
  ["unlink ../secret.txt", "ENOTCAPABLE"],
  ["unlink up/secret.txt", "ENOTCAPABLE"],
  ["rmdir ../outside-dir", "ENOTCAPABLE"],
  ["rmdir up/outside-dir", "ENOTCAPABLE"],
  // Links whose target leads out are never made.
  ["symlink to ../secret.txt", "ENOTCAPABLE"],
  ["symlink to /etc/passwd", "ENOTCAPABLE"],
  ["symlink to sub/../../x", "ENOTCAPABLE"],
  ["symlink ../x from sub", "ok"],
  ["symlink placed outside", "ENOTCAPABLE"],
  ["readlink ../x", "ENOTCAPABLE"],
  ["set times up/secret.txt", "ENOTCAPABLE"],
  ["nul byte in path", "EINVAL"],
  ["path outside memory", "EFAULT"],
  ["empty path", "ENOENT"],
  ["open . (the preopen itself)", "ok"],
  ["open sub/fine (a link that stays inside)", "ok"],
  // A directory opened below the preopen is a capability of its own:
  // nothing resolved from it climbs above it.
  ["open sub", "ok"],
  ["open . as a directory to write", "EISDIR"],
  ["from sub: ../inside.txt", "ENOTCAPABLE"],
  ["from sub: fine (link to ../inside.txt)", "ENOTCAPABLE"],
  ["from sub: deep", "ENOTCAPABLE"],
];

describe("WASI sandbox", () => {
  it("refuses every path, '..', absolute path and symbolic link that leads out", () => {
    const dir = tempDir();
    try {
      const box = dir.path("box");
      mkdirSync(`${box}/sub`, { recursive: true });
      mkdirSync(dir.path("outside-dir"));
      writeFileSync(dir.path("secret.txt"), "secret");
      writeFileSync(`${box}/inside.txt`, "inside");
      symlinkSync("..", `${box}/up`);
      symlinkSync(dir.dir, `${box}/abs`);
      symlinkSync("../../secret.txt", `${box}/sub/deep`);
      symlinkSync("chain2", `${box}/chain1`);
      symlinkSync("../secret.txt", `${box}/chain2`);
      const outsideBefore = readdirSync(dir.dir).sort();

      const run = runGuest("sandbox", { preopens: { "/sandbox": box } });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(lines(run.stdout), EXPECTED.map(([what, errno]) => `${what}: ${errno}`));

      // Nothing outside changed.
      assert.deepEqual(readdirSync(dir.dir).sort(), outsideBefore);
      assert.equal(readFileSync(dir.path("secret.txt"), "utf8"), "secret");
      assert.deepEqual(readdirSync(dir.path("outside-dir")), []);
      for (const name of ["created.txt", "newdir", "stolen.txt", "linked.txt", "placed", "x"]) {
        assert.equal(existsSync(dir.path(name)), false, name);
      }
      for (const name of ["new_link", "abs_link", "sneaky", "got.txt", "hard.txt", "hard2.txt"]) {
        assert.equal(existsSync(`${box}/${name}`), false, name);
      }
      assert.equal(readFileSync(`${box}/inside.txt`, "utf8"), "inside");
    } finally {
      dir.cleanup();
    }
  });

  it("keeps a guest with no preopens away from every file", () => {
    const run = runGuest("fs_cases", {});
    assert.equal(run.code, 0);
    // wasi-libc finds no preopen for "/sandbox/...": every call fails.
    assert.match(run.stdout, /^open missing: ENOTCAPABLE$/m);
    assert.match(run.stdout, /^create exclusive existing: ENOTCAPABLE$/m);
    assert.match(run.stdout, /^symlink: ENOTCAPABLE$/m);
  });
});
