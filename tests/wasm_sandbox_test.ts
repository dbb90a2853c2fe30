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
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { WASI } from "../wasm/mod.ts";
import { DIR_RIGHTS, ERRNO } from "../wasm/wasi_defs.ts";
import { tempDir } from "./_helpers.ts";
import { needsKernel } from "./_emulation.ts";
import { lines, runGuest } from "./wasm_helpers.ts";
import { closeFd } from "../ffi/files.ts";
import { openWithoutLinks, pretendNoOpenat2 } from "../ffi/host_files.ts";
import { platform } from "../ffi/load.ts";
import type { MMapOSError } from "../ffi/errors.ts";

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

/** Runs the sandbox guest against links and paths that lead out; asserts it reached nothing. */
function refusesEscapes(): void {
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
}

describe("WASI sandbox", () => {
  it("refuses every path, '..', absolute path and symbolic link that leads out", () => {
    refusesEscapes();
  });

  it("refuses them the same where the kernel has no openat2 (checked in /proc/self/fd)", () => {
    pretendNoOpenat2(true);
    try {
      refusesEscapes();
    } finally {
      pretendNoOpenat2(false);
    }
  });

  it(
    "opens a path through openat2 only where none of its components is a symbolic link",
    needsKernel("openat2"),
    () => {
      const dir = tempDir();
      try {
        mkdirSync(dir.path("real"));
        writeFileSync(dir.path("real/file.txt"), "x");
        symlinkSync("real", dir.path("via"));
        symlinkSync("file.txt", dir.path("real/last"));
        const o = platform.open;
        const fd = openWithoutLinks(dir.path("real/file.txt"), o.O_RDONLY, 0);
        if (fd === undefined) {
          // No openat2 here: path_open checks /proc/self/fd instead (the test above).
          assert.equal(platform.os === "linux", false, "Linux 5.6+ has openat2");
          return;
        }
        closeFd(fd);
        for (const path of ["via/file.txt", "real/last"]) {
          assert.throws(
            () => openWithoutLinks(dir.path(path), o.O_RDONLY, 0),
            (e: MMapOSError) => e.code === "ELOOP",
            path,
          );
        }
        assert.equal(openWithoutLinks("real/file.txt", o.O_RDONLY, 0), undefined, "relative");
      } finally {
        dir.cleanup();
      }
    },
  );

  it("refuses every path call once a preopen or an opened directory was swapped for a link", () => {
    // Host paths were built from the root's path as a string: after the
    // preopen was renamed away and a symbolic link to another directory put
    // in its place, path_filestat_get, path_create_directory and
    // path_unlink_file acted on that directory (only path_open's openat2
    // refused the link).
    const dir = tempDir();
    try {
      for (const d of ["box", "box/sub", "victim"]) mkdirSync(dir.path(d));
      writeFileSync(dir.path("victim/secret"), "SECRET");
      const memory = new WebAssembly.Memory({ initial: 1 });
      const wasi = new WASI({ memory, preopens: { "/d": dir.path("box") } });
      const w = wasi.getImportObject().wasi_snapshot_preview1 as Record<
        string,
        (...args: (number | bigint)[]) => number
      >;
      const bytes = new Uint8Array(memory.buffer);
      const put = (s: string) => {
        const b = new TextEncoder().encode(s);
        bytes.set(b, 100);
        return b.length;
      };
      // A directory the guest opened, to swap as well.
      const dv = new DataView(memory.buffer);
      assert.equal(
        w.path_open!(3, 0, 100, put("sub"), 2, BigInt(DIR_RIGHTS), BigInt(DIR_RIGHTS), 0, 200),
        0,
      );
      const sub = dv.getUint32(200, true);
      // A directory path_open opened lists through its own descriptor (the
      // real directory, wherever it went); a preopen is opened at its first
      // listing, by path.
      const appendReaddir = (calls: [string, () => number][], call: () => number) =>
        calls.push(["readdir", call]);
      const refused = (fd: number, listsByPath: boolean) => {
        const calls: [string, () => number][] = [
          ["filestat", () => w.path_filestat_get!(fd, 0, 100, put("secret"), 1000)],
          ["open", () => w.path_open!(fd, 0, 100, put("secret"), 0, 2n, 0n, 0, 200)],
          ["mkdir", () => w.path_create_directory!(fd, 100, put("made"))],
          ["unlink", () => w.path_unlink_file!(fd, 100, put("secret"))],
          ["fd_filestat", () => w.fd_filestat_get!(fd, 1000)],
        ];
        if (listsByPath) appendReaddir(calls, () => w.fd_readdir!(fd, 2000, 4096, 0n, 1000));
        for (const [name, call] of calls) {
          assert.equal(call(), ERRNO.NOTCAPABLE, `${name} through fd ${fd}`);
        }
      };
      renameSync(dir.path("box/sub"), dir.path("box/sub.old"));
      symlinkSync(dir.path("victim"), dir.path("box/sub"));
      refused(sub, false);
      renameSync(dir.path("box"), dir.path("box.old"));
      symlinkSync(dir.path("victim"), dir.path("box"));
      refused(3, true);
      assert.deepEqual(readdirSync(dir.path("victim")), ["secret"]);
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
