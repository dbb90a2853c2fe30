// The same C guests under this library's WASI host and under Node's own
// node:wasi (run by `node` in a child process): the same output, line for
// line, except where node:wasi (uvwasi, Node 20) is known to depart from
// WASI preview1 as wasi-testsuite checks it; there ours must give the value
// the official test expects.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { tempDir } from "./_helpers.ts";
import { lines, runGuest, runUnderNode } from "./wasm_helpers.ts";

// Line prefix -> [what ours prints, the wasi-testsuite case that requires it].
const NODE_DEPARTS: Record<string, [string, string]> = {
  "path_open on a file fd": ["path_open on a file fd: ENOTDIR", "path_open_dirfd_not_dir"],
  "readlink short buffer": ["readlink short buffer: n=3 tar", "readlink (truncates)"],
  "open link nofollow": ["open link nofollow: ELOOP", "nofollow_errors"],
  "readdir": ["readdir: a:file:1 b:file:1 c:dir:1", "fdopendir-with-access (d_ino)"],
  "sock_shutdown on file": ["sock_shutdown on file: ENOTSOCK", "sock_shutdown-not_sock"],
  "sock_shutdown on bad fd": ["sock_shutdown on bad fd: EBADF", "sock_shutdown-invalid_fd"],
  // Under load, node:wasi was seen to end a 20 ms poll_oneoff sleep before
  // the guest's monotonic clock had moved 20 ms (a CI run printed 0 here).
  // A clock subscription must wait at least its timeout: ours must say 1.
  "nanosleep": ["nanosleep: ok slept at least 20 ms: 1", "poll_oneoff (clock timeout)"],
  "futimens": [
    "futimens: ok atime=1000000000.123456789 mtime=1500000000.987654321",
    "fd_filestat_set (nanoseconds)",
  ],
};

function compare(ours: string[], theirs: string[]): void {
  assert.equal(ours.length, theirs.length, `${ours.join("\n")}\n---\n${theirs.join("\n")}`);
  ours.forEach((line, i) => {
    const key = Object.keys(NODE_DEPARTS).find((k) => line.startsWith(`${k}:`));
    if (key) assert.equal(line, NODE_DEPARTS[key][0], `required by ${NODE_DEPARTS[key][1]}`);
    else assert.equal(line, theirs[i]);
  });
}

describe("WASI host against node:wasi", () => {
  it("gives the file-system cases the same results", () => {
    const a = tempDir();
    const b = tempDir();
    try {
      const ours = runGuest("fs_cases", { args: ["guest"], preopens: { "/sandbox": a.dir } });
      const node = runUnderNode("fs_cases", b.dir);
      assert.equal(ours.code, 0);
      assert.equal(node.code, 0, node.stderr);
      compare(lines(ours.stdout), lines(node.stdout));
      assert.ok(lines(ours.stdout).length >= 50);
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });

  it("gives arguments, environment, stdin and exit codes the same way", () => {
    const dir = tempDir();
    try {
      for (const args of [["a b", "c"], ["exit", "7"]]) {
        const ours = runGuest("basics", {
          args: ["guest", ...args],
          env: { GUEST_ENV: "from the host" },
          preopens: { "/sandbox": dir.dir },
          stdin: "piped in",
        });
        const node = runUnderNode("basics", dir.dir, args, "piped in");
        compare(lines(ours.stdout), lines(node.stdout));
        assert.equal(ours.code, node.code);
      }
    } finally {
      dir.cleanup();
    }
  });
});
