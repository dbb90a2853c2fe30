// Child process for fault_reads_test.ts: maps a 4-page file, cuts it to one
// page behind the map's back, then reads the map as argv[2] says and prints
// one JSON line of what the reader got. A fault the guard missed would kill
// the process: an exit status the parent asserts on. Never imported.
import { rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { MMap, PAGESIZE } from "../mod.ts";

const how = process.argv[2];
const path = `${tmpdir()}/seed-fault-reads-${process.pid}.bin`;
try {
  writeFileSync(path, new Uint8Array(4 * PAGESIZE).fill(1));
  using m = MMap.open(path);
  truncateSync(path, PAGESIZE);
  if (how === "stream" || how === "byob") {
    const chunks: number[][] = [];
    let error: string | undefined;
    const stream = m.stream(0, undefined, { chunkSize: PAGESIZE });
    try {
      if (how === "stream") {
        for await (const chunk of stream) chunks.push([chunk.length, chunk[0]!, chunk.at(-1)!]);
      } else {
        const reader = stream.getReader({ mode: "byob" });
        for (;;) {
          const { done, value } = await reader.read(new Uint8Array(PAGESIZE));
          if (done) break;
          chunks.push([value.length, value[0]!, value.at(-1)!]);
        }
      }
    } catch (e) {
      error = (e as { code?: string }).code;
    }
    console.log(JSON.stringify({ chunks, error, faulted: m.faulted }));
  } else if (how === "push") {
    // A replaced Array.prototype.push while the map is made: its guarded
    // part went unrecorded, so a fault in it was never reported and at()
    // answered the zero that the guard put there, as if it were the file.
    m.close();
    writeFileSync(path, new Uint8Array(4 * PAGESIZE).fill(1));
    const push = Array.prototype.push;
    Array.prototype.push = function (this: unknown[]) {
      return this.length;
    };
    let cut: MMap;
    try {
      cut = MMap.open(path);
    } finally {
      Array.prototype.push = push;
    }
    using again = cut;
    truncateSync(path, PAGESIZE);
    let seen: unknown;
    try {
      seen = { value: again.at(3 * PAGESIZE) };
    } catch (e) {
      seen = { error: (e as { code?: string }).code };
    }
    console.log(JSON.stringify({ seen, faulted: again.faulted }));
  } else throw new Error(`unknown case ${how}`);
} finally {
  rmSync(path, { force: true });
}
