// MMap.concat over sparse files whose total, or one of which, is larger than
// Bun's 4 GiB ArrayBuffer cap: every method must go through the mappings then.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { MMap } from "../mod.ts";
import { runtime, tempDir, text } from "./_helpers.ts";

const GiB = 2 ** 30;

/** A sparse file of `size` bytes with `marks` written at their offsets. */
function sparse(path: string, size: number, marks: [number, string][]): void {
  const fd = openSync(path, "w+");
  try {
    ftruncateSync(fd, size);
    for (const [at, s] of marks) writeSync(fd, new TextEncoder().encode(s), 0, s.length, at);
  } finally {
    closeSync(fd);
  }
}

describe("MMap.concat beyond 4 GiB (sparse files)", () => {
  it("one range of 6 GiB: bytes where the runtime can, windows and methods everywhere", () => {
    const t = tempDir();
    try {
      const a = t.path("a.bin");
      const b = t.path("b.bin");
      sparse(a, 3 * GiB, [[3 * GiB - 3, "nee"]]);
      sparse(b, 3 * GiB, [[0, "dle"], [GiB, "mark"]]);
      using m = MMap.concat([a, b], { access: "write" });
      assert.equal(m.contiguous, true);
      assert.equal(m.length, 6 * GiB);
      if (runtime === "bun") {
        assert.throws(() => m.bytes, { name: "RangeError", message: /largest ArrayBuffer/ });
      } else {
        assert.equal(m.bytes.length, 6 * GiB);
      }
      assert.equal(m.find("needle", 3 * GiB - 100, 3 * GiB + 100), 3 * GiB - 3);
      assert.equal(m.rfind("needle", 3 * GiB - 100, 3 * GiB + 100), 3 * GiB - 3);
      assert.equal(m.count("e", 3 * GiB - 100, 3 * GiB + 100), 3);
      assert.equal(text(m.slice(4 * GiB, 4 * GiB + 4)), "mark");
      const across = m.view(Uint8Array, 3 * GiB - 3, 6);
      assert.equal(text(across), "needle");
      m.seek(3 * GiB - 2);
      m.write("EEDL");
      m.flush(3 * GiB - 4096, 8192);
      assert.equal(text(across), "nEEDLe");
      m.close();
      assert.equal(across.length, 0);
      const fd = openSync(b, "r");
      const head = new Uint8Array(3);
      readSync(fd, head, 0, 3, 0);
      closeSync(fd);
      assert.equal(text(head), "DLe");
    } finally {
      t.cleanup();
    }
  });

  it("a file over 4 GiB followed by others that cannot share its range", () => {
    const t = tempDir();
    try {
      const big = t.path("big.bin");
      const size = 4 * GiB + 5; // not page-sized: the next file gets its own range
      sparse(big, size, [[size - 4, "spli"]]);
      const small = t.path("small.bin");
      sparse(small, 10, [[0, "t here"]]);
      using m = MMap.concat([big, small], { access: "write" });
      assert.equal(m.contiguous, false);
      assert.equal(m.length, size + 10);
      assert.equal(m.find("split here", size - 100), size - 4);
      assert.equal(m.rfind("split", -200), size - 4);
      assert.equal(m.at(size - 4), "s".charCodeAt(0));
      assert.equal(text(m.view(Uint8Array, size - 4, 4)), "spli");
      assert.throws(() => m.view(Uint8Array, size - 4, 8), RangeError);
      m.setSlice(size - 2, size + 2, "LI T");
      assert.equal(text(m.slice(size - 4, size + 6)), "spLI There");
      m.set(size - 5, 33);
      assert.equal(m.at(size - 5), 33);
    } finally {
      t.cleanup();
    }
  });
});
