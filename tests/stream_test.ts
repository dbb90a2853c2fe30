// m.stream(): the map as a Web byte stream, chunks copied, usable as a
// Response body, with slice()'s rules for start and end.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { MMap } from "../mod.ts";
import { concatBytes, tempDir } from "./_helpers.ts";

const data = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256);

async function chunks(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

describe("MMap.stream", () => {
  it("is a Response body with the file's bytes", async () => {
    const t = tempDir();
    try {
      writeFileSync(t.path("a.bin"), data);
      using m = MMap.open(t.path("a.bin"));
      const body = new Uint8Array(await new Response(m.stream()).arrayBuffer());
      assert.deepEqual(body, data);
      assert.equal(m.tell(), 0);
    } finally {
      t.cleanup();
    }
  });

  it("gives chunks of chunkSize that are copies with their own buffers", async () => {
    using m = MMap.anonymous(data.length);
    m.write(data);
    const parts = await chunks(m.stream(0, null, { chunkSize: 65536 }));
    assert.deepEqual(parts.map((p) => p.length), [65536, 65536, 65536, 200_000 - 3 * 65536]);
    for (const p of parts) {
      assert.equal(p.byteOffset, 0);
      assert.equal(p.buffer.byteLength, p.length);
      assert.notEqual(p.buffer, m.bytes.buffer);
    }
    assert.deepEqual(concatBytes(parts), data);
    // A copy: changing the map afterwards does not change a chunk.
    const first = parts[0]!;
    const before = first[0];
    m.set(0, (before! + 1) % 256);
    assert.equal(first[0], before);
  });

  it("takes start and end as slice() does", async () => {
    using m = MMap.anonymous(1000);
    m.write(data.subarray(0, 1000));
    const cases: [number | null | undefined, number | null | undefined][] = [
      [10, 20],
      [-100, null],
      [null, -990],
      [500, 100],
      [-5000, 5000],
      [undefined, undefined],
      [999, 1000],
    ];
    for (const [a, b] of cases) {
      const got = concatBytes(await chunks(m.stream(a, b, { chunkSize: 7 })));
      assert.deepEqual(got, m.slice(a, b), `stream(${a}, ${b})`);
    }
  });

  it("serves BYOB readers into their own buffers", async () => {
    using m = MMap.anonymous(1000);
    m.write(data.subarray(0, 1000));
    const reader = m.stream().getReader({ mode: "byob" });
    const parts: Uint8Array[] = [];
    let buffer = new ArrayBuffer(300);
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(buffer));
      if (done) break;
      parts.push(value.slice());
      buffer = value.buffer;
    }
    assert.deepEqual(parts.map((p) => p.length), [300, 300, 300, 100]);
    assert.deepEqual(concatBytes(parts), data.subarray(0, 1000));
  });

  it("errors when the map is closed under it, and ends early when it shrinks", async () => {
    const closing = MMap.anonymous(4096 * 4);
    const reader = closing.stream(0, null, { chunkSize: 4096 }).getReader();
    assert.equal((await reader.read()).value?.length, 4096);
    closing.close();
    await assert.rejects(reader.read(), { name: "TypeError", message: "mmap closed or invalid" });

    using m = MMap.anonymous(4096 * 4);
    const r = m.stream(0, null, { chunkSize: 4096 }).getReader();
    await r.read();
    m.resize(6000);
    assert.equal((await r.read()).value?.length, 6000 - 4096);
    assert.equal((await r.read()).done, true);
  });

  it("checks its arguments", () => {
    using m = MMap.anonymous(10);
    assert.throws(() => m.stream(0, 10, { chunkSize: 0 }), RangeError);
    assert.throws(() => m.stream(0, 10, { chunkSize: 1.5 }), TypeError);
    assert.throws(() => m.stream(0, 10, { chunk: 4 } as never), TypeError);
    assert.throws(() => m.stream("1" as never), TypeError);
    const closing = MMap.anonymous(10);
    assert.throws(
      () =>
        closing.stream(0, 10, {
          get chunkSize() {
            closing.close();
            return 4;
          },
        }),
      { name: "TypeError", message: "mmap closed or invalid" },
    );
    assert.throws(() => closing.stream(), { name: "TypeError", message: "mmap closed or invalid" });
  });
});
