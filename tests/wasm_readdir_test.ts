// fd_readdir from cookie 0 reads the directory again, every time: a listing
// laid out before is reused only while the kernel says exactly what it said
// (same names, inode numbers and types), so a change between two calls is
// always seen.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { WASI } from "../wasm/mod.ts";
import { tempDir } from "./_helpers.ts";

const RIGHTS_READDIR = 1n << 14n;
const OFLAGS_DIRECTORY = 2;

/** A host with `dir` preopened as fd 3, called directly: (name, ino) of each entry. */
function lister(dir: string) {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const wasi = new WASI({ preopens: { "/d": dir }, memory });
  const calls = wasi.wasiImport;
  const bytes = new Uint8Array(memory.buffer);
  const view = new DataView(memory.buffer);
  const name = new TextEncoder().encode("sub");
  bytes.set(name, 0);
  assert.equal(
    calls.path_open(3, 0, 0, name.length, OFLAGS_DIRECTORY, RIGHTS_READDIR, 0n, 0, 16),
    0,
  );
  const fd = view.getUint32(16, true);
  const decoder = new TextDecoder();
  return {
    /** Entries from `cookie`, into a buffer of `size` bytes. */
    list(cookie = 0n, size = 4096): [string, bigint][] {
      assert.equal(calls.fd_readdir(fd, 1024, size, cookie, 32), 0);
      const used = view.getUint32(32, true);
      const out: [string, bigint][] = [];
      for (let at = 1024; at + 24 <= 1024 + used;) {
        const len = view.getUint32(at + 16, true);
        if (at + 24 + len > 1024 + used) break;
        out.push([
          decoder.decode(bytes.subarray(at + 24, at + 24 + len)),
          view.getBigUint64(at + 8, true),
        ]);
        at += 24 + len;
      }
      return out;
    },
    close: () => wasi.close(),
  };
}

describe("WASI fd_readdir", () => {
  it("sees every change between two listings from cookie 0", () => {
    const dir = tempDir();
    const sub = dir.path("sub");
    mkdirSync(sub);
    writeFileSync(`${sub}/b`, "");
    writeFileSync(`${sub}/a`, "");
    const l = lister(dir.dir);
    try {
      const names = () => l.list().map(([n]) => n);
      assert.deepEqual(names(), [".", "..", "a", "b"]);
      assert.deepEqual(names(), [".", "..", "a", "b"], "unchanged");
      writeFileSync(`${sub}/c`, "");
      assert.deepEqual(names(), [".", "..", "a", "b", "c"], "added");
      rmSync(`${sub}/a`);
      assert.deepEqual(names(), [".", "..", "b", "c"], "removed");
      // The same name, another file: its inode number changes.
      const before = l.list().find(([n]) => n === "b")![1];
      writeFileSync(`${sub}/b2`, "");
      renameSync(`${sub}/b2`, `${sub}/b`);
      const after = l.list().find(([n]) => n === "b")![1];
      assert.notEqual(after, before, "replaced");
      mkdirSync(`${sub}/d`);
      assert.deepEqual(names(), [".", "..", "b", "c", "d"], "a directory added");
      // Later cookies continue the listing read at cookie 0.
      assert.deepEqual(l.list(3n).map(([n]) => n), ["c", "d"]);
    } finally {
      l.close();
      dir.cleanup();
    }
  });
});
