/**
 * Globals a program can replace after the library loaded (`Number.isSafeInteger`,
 * `Math.min`, `BigInt`, `Array.prototype[Symbol.iterator]`, which every spread
 * call runs) never decide which memory libc touches: the library holds the
 * engine's own functions, captured at load, and `Mapping` refuses any range
 * outside its pages before it calls libc. Each case runs in a child process
 * (tests/_intrinsics_child.ts), since before the fix each one killed the
 * process or wiped memory next to the map.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runScript, runtime } from "./_helpers.ts";

const child = new URL("./_intrinsics_child.ts", import.meta.url).pathname;

function run(how: string): { result: unknown; heapIntact: boolean } {
  const res = runScript(child, [how], ["--allow-all", "--no-check"]);
  assert.equal(res.signal, null, `${how}: killed by ${res.signal}\n${res.stderr}`);
  assert.equal(res.status, 0, `${how}: exit status ${res.status}\n${res.stderr}`);
  const seen = JSON.parse(res.stdout.trim().split("\n").pop()!);
  assert.equal(seen.heapIntact, true, `${how}: memory next to the map was changed`);
  return seen;
}

describe("patched globals never reach libc", () => {
  it("Number.isSafeInteger answering true lets no NaN through as an offset", () => {
    const { result } = run("isSafeInteger");
    const names = (result as { error?: string }[]).map((r) => r.error);
    assert.deepEqual(names, ["TypeError", "TypeError", "TypeError", "TypeError"]);
    assert.match((result as { message: string }[])[0]!.message, /dest must be an integer, not NaN/);
  });

  it("Math.min answering 16 MiB does not stretch madvise past the map", () => {
    assert.deepEqual(run("Math.min").result, { ok: true });
  });

  it("a replaced array iterator does not change the arguments of memmove or madvise", () => {
    assert.deepEqual(run("iterator").result, [{ ok: true }, { ok: true }]);
  });

  it("a replaced BigInt does not change the addresses handed to libc", () => {
    assert.deepEqual(run("BigInt").result, [{ ok: true }, { ok: true }]);
  });

  it("a patched typed-array length does not size the WASI host's pread or pwrite", () => {
    assert.deepEqual(run("wasi-length").result, {
      errnos: [0, 0, 0, 0],
      nread: 16,
      nwritten: 16,
      bytesAfterIovec: 0,
      fileSize: 16,
      fileByte: 0x42,
    });
  });

  it("a patched WebAssembly.Memory buffer getter or instanceof never picks where files are mapped", () => {
    // The file's first byte in the real memory, and none of it in the impostor.
    assert.deepEqual(run("memory-buffer").result, {
      mapped: { ok: true, value: [0x41, -1] },
      faked: "TypeError",
    });
  });

  it("a patched WebAssembly.Memory buffer getter never picks where the search kernel puts pages", () => {
    // Every newline counted, the first 4-newline run found, and no page of the impostor touched.
    assert.deepEqual(run("kernel-memory").result, {
      counted: { ok: true, value: [1 << 20, 1 << 19] },
      touched: 0,
    });
  });

  it("WebAssembly, Worker and SharedArrayBuffer replaced before the first search reach neither kernel nor helper", () => {
    const size = 9 << 20;
    const right = { ok: true, value: [2, size - 3, size - 4] };
    assert.deepEqual(run("kernel-globals").result, { seen: [right, right, right], leaked: [] });
  });

  it("Bun: a replaced bun:ffi ptr never picks where files are mapped", {
    skip: runtime !== "bun" && "Bun only",
  }, () => {
    assert.deepEqual(run("bun:ffi").result, { ok: true, value: [0x41, 0] });
  });

  it("an index setter on Array.prototype loses none of the library's own lists", () => {
    // The cut file's fault is the map's (EIO), and the concatenation has its three files.
    assert.deepEqual(run("index-setter").result, {
      cut: "MMapOSError",
      code: "EIO",
      faulted: true,
      joined: { ok: true, value: [24576, 3, 0x42, 0x43, 0x44] },
    });
  });

  it("patched array methods and index setters lose no buffer that close() must detach", () => {
    assert.deepEqual(run("lists").result, {
      push: { error: "TypeError", message: "mmap closed or invalid" },
      across: 0,
      kept: [],
      advised: false,
    });
  });

  it("options on Object.prototype count for nobody: the guard stays, no guest gets a preopen", () => {
    // The cut file's fault is the map's MMapOSError, and fd 3 is EBADF (8): no preopen.
    assert.deepEqual(run("object-prototype").result, {
      cut: "MMapOSError",
      preopen: 8,
      concat: "MMapOSError", // ENOENT: the missing file stays missing
      created: false,
      wait: "sleep",
    });
  });

  it(
    "Bun: a replaced Worker or Worker.prototype.postMessage never sees a blocking call's request",
    {
      skip: runtime !== "bun" && "Bun only",
    },
    () => {
      assert.deepEqual(run("bun-worker").result, { locked: true, seen: [] });
    },
  );

  it("replaced Math.floor, Atomics, parseInt, BigInt, set and setBigUint64 leave the fault guard whole", () => {
    // The cut file's fault is the map's EIO, from the handler this library installed.
    assert.deepEqual(run("guard-install").result, { cut: "MMapOSError", status: "installed" });
  });

  it("a replaced Uint8Array constructor or DataView getter sizes no buffer libc writes into", () => {
    assert.deepEqual(run("constructors").result, {
      opened: { ok: true, value: [11, 0x68] },
      stat: 0,
      listed: 0,
      filetype: 3,
      used: true,
    });
  });

  it("Mapping refuses every range outside its pages with a RangeError, before libc", () => {
    const { result } = run("mapping");
    for (const r of result as { error?: string; message?: string }[]) {
      assert.equal(r.error, "RangeError", JSON.stringify(r));
      assert.match(r.message!, /outside the 4096 bytes mapped here/);
    }
  });
});
