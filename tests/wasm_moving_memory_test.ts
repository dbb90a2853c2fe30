/**
 * A WebAssembly memory the engine may move when it grows gets no file
 * pages: moved, it left them behind in memory the engine reused, and a
 * shared placement wrote other buffers' bytes into the file (Bun, from the
 * eighth memory alive); the WASI guest's "mmap" import gets ENOTSUP there.
 * Each case runs in a child, which controls how many memories are alive.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { runScript, runtime, tempDir } from "./_helpers.ts";

const child = decodeURIComponent(new URL("./_moving_memory_child.ts", import.meta.url).pathname);

function run(others: number): Record<string, unknown> {
  const t = tempDir("mmap-moving-");
  try {
    const path = t.path("data.bin");
    writeFileSync(path, new Uint8Array(65536).fill(0x41));
    const res = runScript(child, [path, `${others}`]);
    assert.equal(res.status, 0, res.stderr);
    return JSON.parse(res.stdout);
  } finally {
    t.cleanup();
  }
}

describe("file pages only in memories that cannot move", () => {
  it("among many memories: the file keeps its bytes; Bun refuses an unreserved memory", () => {
    const r = run(16);
    // A shared memory never moves, in either engine: mapped, and the file untouched.
    assert.equal(r.sharedMayMove, false);
    assert.equal(r.shared, "mapped");
    assert.equal(r.sharedFile, 0x41);
    assert.ok(
      (r.wasiShared as number) > 0,
      `the guest's map into a shared memory: ${r.wasiShared}`,
    );
    if (runtime === "bun") {
      assert.equal(r.plainMayMove, true, "JavaScriptCore allocates the 17th memory unreserved");
      assert.match(String(r.plain), /^TypeError: .*no address-space reservation.*shared: true/);
      assert.equal(r.wasiPlain, -58, "the guest's map: ENOTSUP, before any grow");
    } else {
      assert.ok((r.wasiPlain as number) > 0, `the guest's map: ${r.wasiPlain}`);
      assert.equal(r.plainMayMove, false, "V8 reserves every growable memory");
      assert.equal(r.plain, "mapped");
      assert.equal(r.plainFile, 0x41);
    }
  });

  it("with no other memory: both engines reserve, the file maps and keeps its bytes", () => {
    const r = run(0);
    assert.equal(r.plainMayMove, false);
    assert.equal(r.plain, "mapped");
    assert.equal(r.plainFile, 0x41);
    assert.equal(r.shared, "mapped");
    assert.ok((r.wasiPlain as number) > 0, `the guest's map: ${r.wasiPlain}`);
  });
});
