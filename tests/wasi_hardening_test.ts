/**
 * The WASI host against the program around it: globals replaced after the
 * library loaded (clocks, `Atomics.wait`, `crypto.getRandomValues`) decide
 * nothing a guest's call does.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { WASI } from "../wasm/mod.ts";
import { dataValue, withPatches } from "./_helpers.ts";

describe("WASI host and the program's globals", () => {
  it("poll_oneoff and random_get use the clocks, sleep and random source captured at load", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const wasi = new WASI({ memory });
    wasi.initialize({ exports: {} } as WebAssembly.Instance);
    const dv = new DataView(memory.buffer);
    // One relative clock subscription of 20 ms on the monotonic clock, at 0.
    dv.setBigUint64(0, 7n, true); // userdata
    dv.setUint8(8, 0); // EVENTTYPE.CLOCK
    dv.setUint32(16, 1, true); // CLOCK.MONOTONIC
    dv.setBigUint64(24, 20_000_000n, true);
    dv.setUint16(40, 0, true);
    const calls: string[] = [];
    const realHrtime = process.hrtime.bigint;
    const call = wasi.wasiImport as Record<string, (...a: number[]) => number>;
    const t0 = realHrtime();
    withPatches(
      [
        // A clock that stands still would make the sleep endless; a wait that does nothing, none.
        [process.hrtime, "bigint", dataValue(() => (calls.push("hrtime"), 0n))],
        [Atomics, "wait", dataValue(() => (calls.push("wait"), "ok"))],
        [crypto, "getRandomValues", dataValue((b: Uint8Array) => (calls.push("random"), b))],
      ],
      () => {
        assert.equal(call.poll_oneoff!(0, 64, 1, 128), 0);
        assert.equal(call.random_get!(256, 64), 0);
        assert.equal(call.clock_time_get!(0, 0, 512), 0);
      },
    );
    assert.deepEqual(calls, []);
    assert.ok(realHrtime() - t0 >= 19_000_000n, "it slept the 20 ms asked for");
    assert.equal(dv.getUint32(128, true), 1, "one event");
    assert.equal(dv.getBigUint64(64, true), 7n, "the subscription's");
    assert.notEqual(dv.getBigUint64(256, true), 0n, "random bytes written");
  });
});
