import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { MMap, MMapOSError, Mutex, notify, Semaphore, wait, waitAsync } from "../mod.ts";
import {
  childResult,
  deadPid,
  otherRuntime,
  SLOW,
  thisRuntime,
  wakeWhenAsleep,
} from "./sync_helpers.ts";

function osError(code: string, syscall: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof MMapOSError, `expected MMapOSError, got ${e}`);
    assert.equal(e.code, code);
    assert.equal(e.syscall, syscall);
    return true;
  };
}

/** Counts event-loop turns while `promise` is pending: more than 0 means it did not block. */
async function ticksWhile<T>(promise: Promise<T>): Promise<{ value: T; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    return { value: await promise, ticks };
  } finally {
    clearInterval(timer);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pretends process `pid` holds `mutex`'s lock (the words at `offset` of `m`). */
function holdAs(m: MMap, offset: number, pid: number): void {
  const w = m.view(Int32Array, offset, 2);
  Atomics.store(w, 0, pid);
  Atomics.store(w, 1, pid);
}

describe("Mutex", () => {
  it("takes 8 bytes, and zeroed memory is an unlocked mutex", () => {
    assert.equal(Mutex.BYTES, 8);
    using m = MMap.anonymous(64);
    const mutex = new Mutex(m, 8);
    assert.equal(mutex.owner, 0);
    const guard = mutex.lock();
    assert.equal(mutex.owner, process.pid);
    assert.equal(guard.ownerDied, false);
    assert.equal(guard.previousOwner, 0);
    assert.notDeepEqual([...m.bytes.subarray(8, 16)], [0, 0, 0, 0, 0, 0, 0, 0]);
    guard.unlock();
    assert.equal(mutex.owner, 0);
    assert.deepEqual([...m.bytes], new Array(64).fill(0));
  });

  it("a `using` guard unlocks at the end of its block, and unlocking twice does nothing", () => {
    using m = MMap.anonymous(8);
    const mutex = new Mutex(m, 0);
    {
      using _ = mutex.lock();
      assert.equal(mutex.owner, process.pid);
    }
    assert.equal(mutex.owner, 0);
    const guard = mutex.lock();
    guard.unlock();
    guard.unlock();
    assert.equal(mutex.owner, 0);
  });

  it("tryLock() returns a guard when free and null when another process holds it", () => {
    using m = MMap.anonymous(8);
    const mutex = new Mutex(m, 0);
    const guard = mutex.tryLock();
    assert.ok(guard);
    guard.unlock();
    holdAs(m, 0, process.ppid);
    assert.equal(mutex.tryLock(), null);
    assert.equal(mutex.owner, process.ppid);
  });

  it("lock() on a lock this thread holds is EDEADLK, not a hang", () => {
    using m = MMap.anonymous(8);
    const mutex = new Mutex(m, 0);
    using _ = mutex.lock();
    assert.throws(() => mutex.lock(), osError("EDEADLK", "Mutex.lock"));
    assert.equal(mutex.tryLock(), null);
  });

  it("unlock() by a thread that does not hold the lock is EPERM", () => {
    using m = MMap.anonymous(8);
    const mutex = new Mutex(m, 0);
    assert.throws(() => mutex.unlock(), osError("EPERM", "Mutex.unlock"));
    holdAs(m, 0, process.ppid);
    assert.throws(() => mutex.unlock(), /this thread does not hold the lock/);
    assert.equal(mutex.owner, process.ppid);
  });

  it("lock(timeoutMs) gives up with ETIMEDOUT while a live process holds it", () => {
    using m = MMap.anonymous(8);
    holdAs(m, 0, process.ppid);
    const mutex = new Mutex(m, 0);
    assert.throws(() => mutex.lock(30), osError("ETIMEDOUT", "Mutex.lock"));
    assert.throws(() => mutex.lock(0), /still held by process/);
    assert.equal(mutex.owner, process.ppid);
  });

  it("takes over a lock whose owner died, and says so (EOWNERDEAD)", SLOW, async () => {
    using m = MMap.anonymous(16);
    const dead = await deadPid();
    holdAs(m, 0, dead);
    const guard = new Mutex(m, 0).lock(5000);
    assert.equal(guard.ownerDied, true);
    assert.equal(guard.previousOwner, dead);
    guard.unlock();
    // The next lock is an ordinary one again.
    using again = new Mutex(m, 0).lock();
    assert.equal(again.ownerDied, false);
    // tryLock() takes over a dead owner's lock too.
    holdAs(m, 8, dead);
    const tried = new Mutex(m, 8).tryLock();
    assert.equal(tried?.ownerDied, true);
    assert.equal(tried?.previousOwner, dead);
    tried?.unlock();
  });

  it("lockAsync() resolves at once when free, and otherwise without blocking the event loop", async () => {
    using m = MMap.anonymous(8);
    const mutex = new Mutex(m, 0);
    const first = await mutex.lockAsync();
    // Another task of this thread queues behind the holder instead of failing.
    const second = mutex.lockAsync(10_000);
    setTimeout(() => first.unlock(), 30);
    const { value: guard, ticks } = await ticksWhile(second);
    assert.ok(ticks > 0, "the event loop did not run while lockAsync waited");
    assert.equal(guard.ownerDied, false);
    assert.equal(mutex.owner, process.pid);
    guard.unlock();
  });

  it("lockAsync(timeoutMs) rejects with ETIMEDOUT while a live process holds it", async () => {
    using m = MMap.anonymous(8);
    holdAs(m, 0, process.ppid);
    await assert.rejects(new Mutex(m, 0).lockAsync(30), osError("ETIMEDOUT", "Mutex.lockAsync"));
    await assert.rejects(new Mutex(m, 0).lockAsync(-1), RangeError);
  });

  it("checks its arguments", () => {
    using m = MMap.anonymous(16);
    assert.throws(() => new Mutex({} as MMap, 0), {
      name: "TypeError",
      message: "Mutex: map must be an MMap, not Object",
    });
    assert.throws(() => new Mutex(m, 2), /byteOffset must be a multiple of 4, not 2/);
    assert.throws(() => new Mutex(m, 12), {
      name: "RangeError",
      message: "Mutex needs 8 bytes at byteOffset 12, outside the map (16 bytes)",
    });
    assert.throws(() => new Mutex(m, -4), RangeError);
    assert.throws(() => new Mutex(m, 0.5), TypeError);
    const mutex = new Mutex(m, 0);
    assert.throws(() => mutex.lock(-1), /timeoutMs must be 0 or more, not -1/);
    assert.throws(() => mutex.lock(NaN), RangeError);
    assert.throws(() => mutex.lock("1" as unknown as number), TypeError);
    const closed = MMap.anonymous(8);
    const orphan = new Mutex(closed, 0);
    closed.close();
    assert.throws(() => orphan.lock(), TypeError);
    assert.throws(() => new Mutex(closed, 0), /mmap closed or invalid/);
  });
});

describe("Semaphore", () => {
  it("sets the count of fresh memory once; later constructors leave it", () => {
    assert.equal(Semaphore.BYTES, 8);
    using m = MMap.anonymous(16);
    const s = new Semaphore(m, 0, 2);
    assert.equal(s.value, 2);
    assert.equal(s.tryAcquire(), true);
    assert.equal(new Semaphore(m, 0, 50).value, 1);
    assert.equal(new Semaphore(m, 8).value, 0);
  });

  it("tryAcquire, acquire and release(n) count units", () => {
    using m = MMap.anonymous(8);
    const s = new Semaphore(m, 0, 1);
    assert.equal(s.acquire(), true);
    assert.equal(s.tryAcquire(), false);
    assert.equal(s.acquire(20), false);
    s.release(3);
    assert.equal(s.value, 3);
    assert.equal(s.acquire(0), true);
    assert.equal(s.value, 2);
  });

  it("acquireAsync() waits for a release without blocking the event loop", async () => {
    using m = MMap.anonymous(8);
    const s = new Semaphore(m, 0);
    setTimeout(() => s.release(), 30);
    const { value, ticks } = await ticksWhile(s.acquireAsync(10_000));
    assert.equal(value, true);
    assert.ok(ticks > 0);
    assert.equal(s.value, 0);
    assert.equal(await s.acquireAsync(20), false);
    // Several waiters, one release(n) wakes them all.
    const waiters = [s.acquireAsync(10_000), s.acquireAsync(10_000), s.acquireAsync(10_000)];
    await sleep(20);
    s.release(3);
    assert.deepEqual(await Promise.all(waiters), [true, true, true]);
    assert.equal(s.value, 0);
  });

  it("checks its arguments and its limits", () => {
    using m = MMap.anonymous(16);
    assert.throws(() => new Semaphore(m, 0, -1), /initial must be 0 to 2147483646, not -1/);
    assert.throws(() => new Semaphore(m, 0, 2 ** 31), RangeError);
    assert.throws(() => new Semaphore(m, 10), RangeError);
    assert.throws(() => new Semaphore(m, 0, 1.5), TypeError);
    const s = new Semaphore(m, 0, Semaphore.MAX - 1);
    assert.throws(() => s.release(0), /n must be 1 or more/);
    assert.throws(() => s.release(2), /more than the largest count/);
    s.release();
    assert.equal(s.value, Semaphore.MAX);
    assert.throws(() => s.acquire(-5), RangeError);
  });
});

describe("wait and notify", () => {
  it("wait() says not-equal at once, and timed-out when nobody notifies", () => {
    using m = MMap.anonymous(16);
    const v = m.view(Int32Array);
    v[1] = 5;
    assert.equal(wait(v, 1, 4), "not-equal");
    assert.equal(wait(v, 1, 5, 0), "timed-out");
    assert.equal(wait(v, 1, 5, 20), "timed-out");
    assert.equal(notify(v, 1), 0);
  });

  it("waitAsync() is woken by notify() and lets the event loop run meanwhile", SLOW, async () => {
    using m = MMap.anonymous(16);
    const v = m.view(Int32Array);
    const sleeping = ticksWhile(waitAsync(v, 2, 0, 30_000));
    assert.equal(await wakeWhenAsleep(v, 2, 1), 1);
    const { value, ticks } = await sleeping;
    assert.equal(value, "ok");
    assert.ok(ticks > 0);
    Atomics.store(v, 2, 1);
    assert.equal(await waitAsync(v, 2, 0), "not-equal");
    assert.equal(await waitAsync(v, 2, 1, 20), "timed-out");
  });

  it("notify(view, index, count) wakes at most count waiters", SLOW, async () => {
    using m = MMap.anonymous(16);
    const v = m.view(Int32Array);
    const waiters = [0, 1, 2].map(() => waitAsync(v, 0, 0, 30_000));
    assert.equal(await wakeWhenAsleep(v, 0, 2), 2);
    assert.equal(await wakeWhenAsleep(v, 0, 1), 1);
    assert.deepEqual(await Promise.all(waiters), ["ok", "ok", "ok"]);
    assert.equal(notify(v, 0, 0), 0);
  });

  it("checks its arguments", () => {
    using m = MMap.anonymous(16);
    const v = m.view(Int32Array);
    assert.throws(() => wait(new Uint32Array(4) as never, 0, 0), {
      name: "TypeError",
      message: "wait: view must be an Int32Array, not Uint32Array",
    });
    assert.throws(() => wait(v, 4, 0), /index 4 is outside the view \(0 to 3\)/);
    assert.throws(() => notify(v, -1), RangeError);
    assert.throws(() => wait(v, 0, 2 ** 32), /expected must fit in 32 bits/);
    assert.throws(() => wait(v, 0, 0, -1), RangeError);
    assert.throws(() => notify(v, 0, -1), /count must be 0 or more/);
    assert.throws(() => waitAsync(v, 0, 0.5), TypeError);
    // 0xffffffff and -1 are the same 32 bits.
    v[0] = -1;
    assert.equal(wait(v, 0, 0xffffffff, 0), "timed-out");
    m.close();
    assert.throws(() => wait(v, 0, 0), /mmap closed or invalid/);
  });
});

describe("async waits and the process's life", () => {
  for (const which of [thisRuntime, otherRuntime]) {
    it(`a ${which} process whose async waits have ended exits by itself`, SLOW, async () => {
      // child() kills a child that is still running after a minute: the result would then throw.
      const r = await childResult<{ wait: string; locked: string }>(which, "async-exit");
      assert.deepEqual(r, { wait: "timed-out", locked: "ETIMEDOUT" });
    });
  }
});
