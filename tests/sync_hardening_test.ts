/**
 * Mutex, Semaphore and wait/notify against their own users: maps whose
 * `view` or `length` lie, views of the map moved away under a lock, maps
 * closed under a pending wait, patched globals. Every case ends in the lock
 * still working, or in the library's own error of the documented class;
 * never a lock over memory no other process sees, a lock that cannot be
 * unlocked, or a process that cannot exit. Cases that could hang or kill
 * the process run in a child process.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { MMap, Mutex, Semaphore } from "../mod.ts";

const SZ = 4096;

describe("lock words are the library's own", () => {
  it("a Mutex and a Semaphore keep working when the map's views are moved away", () => {
    const m = MMap.anonymous(SZ);
    try {
      const mutex = new Mutex(m, 0);
      const sem = new Semaphore(m, 8, 1);
      const guard = mutex.lock();
      assert.equal(sem.tryAcquire(), true);
      // Standard JavaScript a program may run on the map's own views.
      (m.bytes.buffer as ArrayBuffer).transfer();
      structuredClone(m.view(Int32Array), { transfer: [m.view(Int32Array).buffer as ArrayBuffer] });
      assert.equal(mutex.owner, process.pid);
      guard.unlock();
      assert.equal(mutex.owner, 0);
      mutex.lock().unlock();
      sem.release();
      assert.equal(sem.value, 1);
      assert.equal(m.closed, false);
    } finally {
      m.close();
    }
  });

  it("a map whose own `view` lies still gets its lock words in the map", () => {
    const m = MMap.anonymous(SZ);
    try {
      const words = m.view(Int32Array, 0, 4);
      // A private buffer in place of the map's memory: no other process would see the lock.
      Object.defineProperty(m, "view", { value: () => new Int32Array(new SharedArrayBuffer(16)) });
      const mutex = new Mutex(m, 0);
      const guard = mutex.lock();
      assert.equal(Atomics.load(words, 0) & 0x3fffffff, process.pid, "the owner is in the map");
      guard.unlock();
      new Semaphore(m, 8, 5);
      assert.equal(Atomics.load(words, 2), 6, "the count (plus one) is in the map");
    } finally {
      m.close();
    }
  });

  it("a map whose own `length` lies gets the library's RangeError, not a lock past its end", () => {
    const m = MMap.anonymous(SZ);
    try {
      Object.defineProperty(m, "length", { value: 1 << 30 });
      assert.throws(() => new Mutex(m, SZ), RangeError);
      assert.throws(() => new Semaphore(m, SZ + 8), RangeError);
    } finally {
      m.close();
    }
  });
});
