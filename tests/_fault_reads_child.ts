// Child process for fault_reads_test.ts: for each case of argv[2] (comma-
// separated) maps a 4-page file of its own, cuts it to one page behind the
// map's back, then reads the map as the case says and prints `@case NAME
// JSON` of what the reader got. Cases that change no global share one
// process (a child costs ~13 s under emulated Deno). A fault the guard missed
// would kill the process: an exit status the parent asserts on. Never imported.
import { rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { MMap, PAGESIZE, Ring } from "../mod.ts";
import { searchHelperReady } from "../src/search_kernel.ts";

async function run(how: string): Promise<unknown> {
  const path = `${tmpdir()}/seed-fault-reads-${process.pid}-${how}.bin`;
  try {
    const ringCase = how === "ring" || how === "ring-wait" || how === "ring-warm";
    writeFileSync(path, new Uint8Array(4 * PAGESIZE).fill(ringCase ? 0 : 1));
    using m = MMap.open(path, { access: ringCase ? "write" : "read" });
    if (!ringCase) truncateSync(path, PAGESIZE);
    if (ringCase) {
      // Another process cut the file under a Ring: the guard's zero pages are
      // not the ring. Before: tryPop said empty (null) and tryPush true (the
      // message went nowhere), a failed peek left the ring "peeking", and a
      // waiting pop called the ring corrupt.
      const ring = new Ring(m, 0, 4 * PAGESIZE);
      ring.push(Uint8Array.of(1, 2, 3));
      const code = (f: () => unknown) => {
        try {
          return { value: f() };
        } catch (e) {
          return { error: (e as { code?: string }).code ?? (e as Error).name };
        }
      };
      if (how === "ring-warm") {
        // push and popInto given the arrays of their last call take a short
        // path: its records here lie on the second page, which the cut takes
        // while the header's page stays, so only the fault check sees it.
        const msg = new Uint8Array(8).fill(1), tgt = new Uint8Array(8);
        ring.pop(0);
        for (;;) {
          ring.push(msg);
          ring.popInto(tgt, 0);
          if (m.view(Int32Array, 0, 64)[16]! >= PAGESIZE) break; // head, past the first page
        }
        ring.push(msg);
        truncateSync(path, PAGESIZE);
        return ({
          popInto: code(() => ring.popInto(tgt, 0)),
          push: code(() => ring.push(msg)),
          faulted: m.faulted,
        });
      } else if (how === "ring") {
        truncateSync(path, 0);
        return ({
          tryPop: code(() => ring.tryPop()),
          tryPush: code(() => ring.tryPush(Uint8Array.of(4))),
          peek: code(() => ring.peek(0)),
          popMany: code(() => ring.popMany(10, 0)),
          popInto: code(() => ring.popInto(new Uint8Array(8), 0)),
          popManyInto: code(() => ring.popManyInto(new Uint8Array(8), new Uint32Array(4), 0)),
          tryPushMany: code(() => ring.tryPushMany([Uint8Array.of(5)])),
          pushManyFrom: code(() => ring.pushManyFrom(Uint8Array.of(6), Uint32Array.of(1), 0)),
          reserve: code(() => ring.reserve(4, 0)),
          faulted: m.faulted,
        });
      } else {
        ring.pop(0);
        setTimeout(() => truncateSync(path, 0), 50);
        let seen: unknown;
        await ring.popAsync(5000).then(
          (v) => seen = { value: v },
          (e) => seen = { error: e.code ?? e.name },
        );
        return ({ seen, faulted: m.faulted });
      }
    } else if (how === "helper") {
      // The search kernel's helper thread reads its chunks of a file that was
      // cut under it: the fault is on the helper's thread, in the kernel's
      // copy of the map's pages, and must still be the map's EIO.
      m.close();
      const size = 9 << 20;
      writeFileSync(path, new Uint8Array(size).fill(0x61));
      using big = MMap.open(path);
      big.find("\n\n"); // starts the helper
      const before = searchHelperReady(60_000);
      truncateSync(path, PAGESIZE);
      const seen = [];
      for (const f of [() => big.find("\n\n"), () => big.rfind("\n\n"), () => big.count("\n")]) {
        try {
          seen.push({ value: f() });
        } catch (e) {
          seen.push({ error: (e as { code?: string }).code });
        }
      }
      return { seen, helped: searchHelperReady(0) > before, faulted: big.faulted };
    } else if (how === "stream" || how === "byob") {
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
      return ({ chunks, error, faulted: m.faulted });
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
      return ({ seen, faulted: again.faulted });
    } else throw new Error(`unknown case ${how}`);
  } finally {
    rmSync(path, { force: true });
  }
}

for (const how of process.argv[2].split(",")) {
  console.log(`@case ${how} ${JSON.stringify(await run(how))}`);
}
