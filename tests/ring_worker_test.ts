import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Ring } from "../mod.ts";
import { SLOW, thisRuntime, withRegion } from "./sync_helpers.ts";
import { patience, scaled } from "./_emulation.ts";

const script = new URL("./ring_worker.ts", import.meta.url).href;
const BYTES = Ring.bytesFor(4096);
/** Messages per case; fewer under emulation (tests/_emulation.ts), where each costs ~50 times more. */
const N = scaled(200_000, 20_000);

function runWorker(
  task: "produce" | "consume",
  name: string,
  n = N,
  timeoutMs?: number,
  wait?: "spin" | "yield" | "sleep",
): Promise<{ inOrder: boolean }> {
  const worker = new Worker(script, { type: "module" });
  return new Promise<{ inOrder: boolean }>((resolve, reject) => {
    worker.onmessage = (e) => e.data.error ? reject(new Error(e.data.error)) : resolve(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
    };
    worker.postMessage({ task, name, n, timeoutMs, wait });
  }).finally(() => worker.terminate());
}

describe(`Ring between Workers of one ${thisRuntime} process`, () => {
  it(
    "a Worker produces, the main thread consumes with popAsync (the event loop runs)",
    SLOW,
    async () => {
      await withRegion(BYTES, async (name, m) => {
        const ring = new Ring(m, 0, BYTES);
        const done = runWorker("produce", name);
        let ticks = 0;
        const timer = setInterval(() => ticks++, 1);
        let inOrder = true;
        try {
          for (let i = 0; i < N; i++) {
            const b = await ring.popAsync(patience(20_000));
            if (!b) throw new Error(`popAsync timed out after ${i} messages`);
            if (b.length !== 4 || new DataView(b.buffer, b.byteOffset).getUint32(0, true) !== i) {
              inOrder = false;
            }
          }
        } finally {
          clearInterval(timer);
        }
        assert.equal(inOrder, true);
        assert.deepEqual(await done, { inOrder: true });
        assert.ok(ticks > 0);
      });
    },
  );

  it("the main thread produces with pushAsync, a Worker consumes", SLOW, async () => {
    await withRegion(BYTES, async (name, m) => {
      const ring = new Ring(m, 0, BYTES);
      const done = runWorker("consume", name);
      const word = new Uint32Array(1);
      for (let i = 0; i < N; i++) {
        word[0] = i;
        if (!await ring.pushAsync(new Uint8Array(word.buffer), patience(20_000))) {
          throw new Error(`pushAsync timed out after ${i} messages`);
        }
      }
      assert.deepEqual(await done, { inOrder: true });
    });
  });

  it(
    "a second thread that tries the producer role while the first holds it gets EBUSY",
    SLOW,
    async () => {
      await withRegion(BYTES, async (name, m) => {
        const ring = new Ring(m, 0, BYTES);
        ring.push(Uint8Array.of(1));
        // The Worker's first push is refused: this thread is the producer.
        await assert.rejects(runWorker("produce", name), /EBUSY/);
        // Once this thread closes its side, the Worker may take the role.
        ring.close();
        ring.pop();
        const producer = runWorker("produce", name);
        for (let i = 0; i < N; i++) {
          assert.deepEqual(ring.pop(patience(20_000)), new Uint8Array(Uint32Array.of(i).buffer));
        }
        assert.deepEqual(await producer, { inOrder: true });
      });
    },
  );

  it("a Worker whose wait times out says so, with how many messages it got", SLOW, async () => {
    await withRegion(BYTES, async (name, m) => {
      const ring = new Ring(m, 0, BYTES);
      ring.push(Uint8Array.of(0, 0, 0, 0));
      ring.close();
      await assert.rejects(runWorker("consume", name, 3, 50), {
        message: "Error: consume: timed out after 1 messages (the ring stayed empty)",
      });
    });
  });

  it(
    "an index overwritten while the other side spins on it: RingCorruptError, no message made of it",
    SLOW,
    async () => {
      await withRegion(BYTES, async (name, m) => {
        const header = m.view(Int32Array, 0, 64);
        const ring = new Ring(m, 0, BYTES);
        /** Waits for the Worker to claim its role and spin a while, then writes `value` at `word`. */
        const overwrite = async (role: () => number, word: number, value: number) => {
          while (role() === 0) await new Promise((r) => setTimeout(r, 1));
          await new Promise((r) => setTimeout(r, 20));
          header[word] = value;
        };
        // A head no producer could publish (12340 bytes ahead of tail, in a 4096-byte ring).
        let consumer = runWorker("consume", name, 1, patience(20_000), "spin");
        await overwrite(() => ring.consumer, 16, 12340);
        await assert.rejects(consumer, /RingCorruptError: Ring: head index 12340/);
        // A tail no consumer could store, while the producer spins for room.
        m.view(Uint8Array).fill(0);
        const full = new Ring(m, 0, BYTES);
        while (full.tryPush(new Uint8Array(500)));
        full.close();
        consumer = runWorker("produce", name, 1, patience(20_000), "yield");
        await overwrite(() => full.producer, 32, 12340);
        await assert.rejects(consumer, /RingCorruptError: Ring: tail index 12340/);
      });
    },
  );
});
