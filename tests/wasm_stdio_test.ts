// The standard streams under the WASI host, driven by the C guest
// tests/wasm_guests/stdio_redirect.c the way real programs drive them:
// yosys's dup2-style fd_renumber dance around ABC, freopen of stdin, and
// seeks on stdio, which must answer ESPIPE.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { tempDir } from "./_helpers.ts";
import { type GuestRun, lines, runGuest } from "./wasm_helpers.ts";

function run(what: string): GuestRun & { log: string | undefined } {
  const dir = tempDir("mmap-stdio-");
  try {
    const r = runGuest("stdio_redirect", {
      args: ["stdio_redirect", what],
      preopens: { "/sandbox": dir.dir },
    });
    let log: string | undefined;
    try {
      log = readFileSync(dir.path("abc.log"), "utf8");
    } catch {
      log = undefined;
    }
    return { ...r, log };
  } finally {
    dir.cleanup();
  }
}

describe("WASI standard streams", () => {
  it("lets a guest park stdout and stderr, move a file onto 1, and move them back (yosys's ABC)", () => {
    const r = run("abc");
    assert.equal(r.code, 0);
    assert.deepEqual(lines(r.stdout), [
      "before ABC",
      "park: stdout=ok stderr=ok",
      // The log moves onto the vacant 1; moving it again finds it gone.
      "log onto: stdout=ok stderr=EBADF close log=EBADF",
      // While redirected, fd 1 is the file (seekable) and 2 is vacant.
      "redirected: tell stdout=11 write stderr=EBADF renumber vacant 2=EBADF",
      "restore: stdout=ok stderr=ok close parked=EBADF,EBADF",
      "log file: [inside ABC",
      "]",
    ]);
    assert.equal(r.stderr, "stderr restored\n");
    assert.equal(r.log, "inside ABC\n");
  });

  it("renumbers onto open fds and onto vacant 0-2 only, as wasi-testsuite's renumber test asks", () => {
    const r = run("rules");
    assert.equal(r.code, 0);
    assert.deepEqual(lines(r.stdout), [
      "open: above stdio=1",
      "onto open: ok same fdstat=1 source closed=EBADF",
      "onto closed: EBADF",
      "onto never opened: EBADF",
      "onto itself: ok",
      "stdio onto itself: ok",
      "from closed: EBADF",
      "stdin away: ok new open above stdio=1 onto vacant 0=ok read 0 is a file=1",
    ]);
  });

  it("reopens stdin on a file after fclose(stdin)", () => {
    const r = run("freopen");
    assert.equal(r.code, 0);
    assert.deepEqual(lines(r.stdout), ["freopen stdin: ok fd=0 line=[line from the file]"]);
  });

  it("answers ESPIPE to fd_seek, fd_tell, fd_pread and fd_pwrite on stdio, which stay ttys", () => {
    const r = run("seek");
    assert.equal(r.code, 0);
    const fd = (n: number) =>
      `fd ${n}: fd_seek cur=ESPIPE fd_seek set=ESPIPE fd_tell=ESPIPE lseek=ESPIPE isatty=1`;
    assert.deepEqual(lines(r.stdout), [
      fd(0),
      fd(1),
      fd(2),
      "fd_pread stdin: ESPIPE fd_pwrite stdout: ESPIPE",
      "ftell stdout: -1 ESPIPE",
    ]);
  });
});
