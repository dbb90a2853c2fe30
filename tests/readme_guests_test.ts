// README.md's WebAssembly blocks ship their tiny guests as base64, so that
// they run as written; the sources are examples/readme/*.wat. This holds the
// two together: each source must assemble to bytes the README carries.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import wabtInit from "wabt";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
// String literals joined by `+` across lines read as one string.
const readme = readFileSync(`${root}README.md`, "utf8").replace(/"\s*\+\s*"/g, "");

describe("README.md's WebAssembly guests", () => {
  for (const name of ["sum", "cat"]) {
    it(`carries what examples/readme/${name}.wat assembles to`, async () => {
      const wabt = await wabtInit();
      const parsed = wabt.parseWat(
        `${name}.wat`,
        readFileSync(`${root}examples/readme/${name}.wat`, "utf8"),
      );
      let built: Uint8Array;
      try {
        built = new Uint8Array(parsed.toBinary({}).buffer);
      } finally {
        parsed.destroy();
      }
      const b64 = btoa(String.fromCharCode(...built));
      assert.ok(readme.includes(`"${b64}"`), `README.md lacks ${name}.wasm as ${b64}`);
    });
  }
});
