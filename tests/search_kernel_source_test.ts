// The WebAssembly kernels ship as base64 bytes in TypeScript files, so that
// users need no compile step; their sources are the .wat files beside them.
// This holds each pair together: the bytes must be what the source assembles to.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import wabtInit from "wabt";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname);

/** [source, file with the bytes, name of the base64 constant] */
const KERNELS = [
  ["src/search_kernel.wat", "src/search_kernel.ts", "SEARCH_KERNEL_WASM"],
  ["src/lines_kernel.wat", "src/lines_kernel.ts", "LINES_KERNEL_WASM"],
] as const;

function shippedBytes(file: string, constant: string): Uint8Array {
  const ts = readFileSync(`${root}${file}`, "utf8");
  const b64 = new RegExp(`const ${constant} =\\s*"([A-Za-z0-9+/=]+)"`).exec(ts)?.[1];
  assert.ok(b64, `no ${constant} constant in ${file}`);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

describe("the WebAssembly kernels", () => {
  for (const [wat, file, constant] of KERNELS) {
    it(`${wat} assembles to exactly the bytes ${file} ships`, async () => {
      const source = readFileSync(`${root}${wat}`, "utf8");
      const wabt = await wabtInit();
      const parsed = wabt.parseWat(wat, source);
      let built: Uint8Array;
      try {
        built = new Uint8Array(parsed.toBinary({}).buffer);
      } finally {
        parsed.destroy();
      }
      const shipped = shippedBytes(file, constant);
      assert.equal(shipped.length, built.length);
      assert.deepEqual(shipped, built);
    });
  }
});
