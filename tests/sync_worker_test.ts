import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MMapOSError, Mutex, notify, Semaphore, waitAsync } from "../mod.ts";
import { deadPid, SLOW, thisRuntime, wakeWhenAsleep, withRegion } from "./sync_helpers.ts";
import process from "node:process";
import { scaled } from "./_emulation.ts";

const script = new URL("./sync_worker.ts", import.meta.url).href;

/** A Worker running tests/sync_worker.ts, and a way to read its replies in order. */
function startWorker(): { worker: Worker; next(): Promise<unknown> } {
  const worker = new Worker(script, { type: "module" });
  const replies: unknown[] = [];
  const waiting: ((v: unknown) => void)[] = [];
  worker.onmessage = (e) => {
    const w = waiting.shift();
    if (w) w(e.data);
    else replies.push(e.data);
  };
  worker.onerror = (e) => {
    e.preventDefault();
    waiting.shift()?.(new Error(e.message));
  };
  return {
    worker,
    next: () =>
      replies.length
        ? Promise.resolve(replies.shift())
        : new Promise((resolve) => waiting.push(resolve)),
  };
}

describe(`Workers in one ${thisRuntime} process`, () => {
  it(
    "the main thread and three Workers count under one Mutex of a named region",
    SLOW,
    async () => {
      await withRegion(4096, async (name, m) => {
        const workers = [startWorker(), startWorker(), startWorker()];
        try {
          // Four threads on two cores: fewer rounds under emulation.
          const n = scaled(20_000, 5_000);
          const nAsync = scaled(2_000, 500);
          workers[0].worker.postMessage({ task: "count", name, n });
          workers[1].worker.postMessage({ task: "count", name, n });
          workers[2].worker.postMessage({ task: "countAsync", name, n: nAsync });
          const mutex = new Mutex(m, 0);
          const counter = m.view(Float64Array, 24, 1);
          for (let i = 0; i < nAsync; i++) {
            using _ = await mutex.lockAsync(10_000);
            counter[0] += 1;
          }
          for (const w of workers) assert.equal(await w.next(), "counted");
          assert.equal(counter[0], 2 * n + 2 * nAsync);
        } finally {
          for (const w of workers) w.worker.terminate();
        }
      });
    },
  );

  it(
    "a lock held by a Worker belongs to its thread: the main thread waits, and may not unlock it",
    SLOW,
    async () => {
      await withRegion(4096, async (name, m) => {
        const w = startWorker();
        try {
          w.worker.postMessage({ task: "hold", name });
          assert.equal(await w.next(), "locked");
          const mutex = new Mutex(m, 0);
          assert.equal(mutex.tryLock(), null);
          assert.throws(
            () => mutex.unlock(),
            (e) => e instanceof MMapOSError && e.code === "EPERM",
          );
          assert.throws(
            () => mutex.lock(30),
            (e) => e instanceof MMapOSError && e.code === "ETIMEDOUT",
          );
          const pending = mutex.lockAsync(10_000);
          const flag = m.view(Int32Array, 16, 1);
          Atomics.store(flag, 0, 1);
          notify(flag, 0);
          const guard = await pending;
          assert.equal(guard.ownerDied, false);
          assert.equal(await w.next(), "unlocked");
          guard.unlock();
        } finally {
          w.worker.terminate();
        }
      });
    },
  );

  it(
    "a takeover from a dead owner never shows the new owner beside the dead one's fingerprint",
    SLOW,
    async () => {
      // A locker that reads that state judges the live new owner by the dead
      // one's start time, calls it dead, and takes the lock from it: two
      // holders. A Worker watches the words while this thread takes the lock
      // over again and again from a dead process.
      await withRegion(4096, async (name, m) => {
        const dead = await deadPid();
        const stale = 12345 | (777 << 22);
        const words = m.view(Int32Array, 0, 2);
        const flag = m.view(Int32Array, 16, 1);
        const w = startWorker();
        try {
          w.worker.postMessage({ task: "watch", name, pid: process.pid, word1: stale });
          assert.equal(await w.next(), "watching");
          const mutex = new Mutex(m, 0);
          let taken = 0;
          const rounds = scaled(20_000, 2_000);
          for (let i = 0; i < rounds; i++) {
            // The dead owner's state, written as the lock writes a change of owner.
            Atomics.store(words, 1, 0);
            Atomics.store(words, 0, dead);
            Atomics.store(words, 1, stale);
            const guard = mutex.tryLock();
            if (guard?.ownerDied) taken++;
          }
          Atomics.store(flag, 0, 2);
          const { seen, looks } = await w.next() as { seen: number; looks: number };
          assert.equal(taken, rounds);
          assert.ok(looks > 0);
          assert.equal(seen, 0, `${seen} of ${looks} looks saw this process beside the stale word`);
          Atomics.store(words, 1, 0);
          Atomics.store(words, 0, 0);
        } finally {
          w.worker.terminate();
        }
      });
    },
  );

  it("wait/notify and Semaphores between the main thread and a Worker", SLOW, async () => {
    await withRegion(4096, async (name, m) => {
      const flag = m.view(Int32Array, 16, 1);
      const w = startWorker();
      try {
        // The Worker sleeps in wait(); the main thread wakes it.
        w.worker.postMessage({ task: "wait", name });
        assert.equal(await w.next(), "waiting");
        // Woken without a change of value: only a notify can end its wait with "ok".
        assert.equal(await wakeWhenAsleep(flag, 0, 1), 1);
        assert.equal(await w.next(), "ok");
        // The main thread sleeps in waitAsync(); the Worker wakes it.
        const sleeping = waitAsync(flag, 0, 0, 10_000);
        w.worker.postMessage({ task: "notify", name });
        assert.equal(await sleeping, "ok");
        assert.equal(await w.next(), 1);
        // A Semaphore released here lets the Worker's acquire() through.
        const sem = new Semaphore(m, 8);
        w.worker.postMessage({ task: "acquire", name });
        sem.release();
        assert.equal(await w.next(), true);
        assert.equal(sem.value, 0);
      } finally {
        w.worker.terminate();
      }
    });
  });
});
