// The jco recipe (examples/mmap_component.ts): a component transpiled by jco
// maps a file through seed:mmap/mmap, run in a child process of this runtime.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { runScript, tempFile } from "./_helpers.ts";

const example = decodeURIComponent(
  new URL("../examples/mmap_component.ts", import.meta.url).pathname,
);

describe("jco component recipe", () => {
  it("lets a transpiled component sum a file it maps, and get errno for one it may not", () => {
    const bytes = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256);
    const path = tempFile(bytes);
    const res = runScript(example, [path]);
    assert.equal(res.status, 0, res.stderr);
    const sum = bytes.reduce((a, b) => a + b, 0);
    assert.match(
      res.stdout,
      new RegExp(`sum of 200000 bytes, mapped into the component: ${sum}\\n`),
    );
    assert.match(res.stdout, /a file the host did not hand out: -8 /);
  });

  it("was built from the interface in wasm/mmap.wit", () => {
    const file = (p: string) => decodeURIComponent(new URL(p, import.meta.url).pathname);
    const wit = readFileSync(file("../wasm/mmap.wit"), "utf8");
    const component = readFileSync(file("../examples/mmap_component/summer.component.wasm"))
      .toString("latin1");
    assert.match(wit, /^package seed:mmap@0\.1\.0;$/m);
    assert.ok(component.includes("seed:mmap/mmap@0.1.0"));
    for (const name of ["map", "unmap", "sum-file"]) {
      assert.match(wit, new RegExp(`[ %]${name}: func`));
      assert.ok(component.includes(name), name);
    }
  });
});
