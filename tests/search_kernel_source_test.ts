// The search kernel ships as base64 bytes in src/search_kernel.ts, so that
// users need no compile step; its source is src/search_kernel.wat. This
// holds the two together: the bytes must be what the source assembles to.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import wabtInit from "wabt";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname);

function shippedBytes(): Uint8Array {
  const ts = readFileSync(`${root}src/search_kernel.ts`, "utf8");
  const b64 = /const SEARCH_KERNEL_WASM =\s*"([A-Za-z0-9+/=]+)"/.exec(ts)?.[1];
  assert.ok(b64, "no SEARCH_KERNEL_WASM constant in src/search_kernel.ts");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

describe("src/search_kernel.wat", () => {
  it("assembles to exactly the bytes src/search_kernel.ts ships", async () => {
    const source = readFileSync(`${root}src/search_kernel.wat`, "utf8");
    const wabt = await wabtInit();
    const parsed = wabt.parseWat("search_kernel.wat", source);
    let built: Uint8Array;
    try {
      built = new Uint8Array(parsed.toBinary({}).buffer);
    } finally {
      parsed.destroy();
    }
    const shipped = shippedBytes();
    assert.equal(shipped.length, built.length);
    assert.deepEqual(shipped, built);
  });
});
