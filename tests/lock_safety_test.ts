// Locks lock only shared memory, answer a closed map with the library's
// error, and know a dead owner when they see one (issue 11, cases 5-7).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { MMap, Mutex, notify, PAGESIZE, Semaphore, wait, waitAsync } from "../mod.ts";
import { tempDir } from "./_helpers.ts";
import { lineFrom, SLOW, thisRuntime, uniqueName, withRegion } from "./sync_helpers.ts";

const CLOSED = { name: "TypeError", message: "mmap closed or invalid" };
const childScript = decodeURIComponent(new URL("./sync_child.ts", import.meta.url).pathname);

describe("locks refuse memory that is not shared (issue 11, case 5)", () => {
  it("Mutex and Semaphore on read, copy and private anonymous maps: a TypeError that says why", () => {
    const t = tempDir("mmap-lock-");
    try {
      const path = t.path("f.bin");
      writeFileSync(path, new Uint8Array(PAGESIZE));
      const cases: [string, () => MMap, RegExp][] = [
        ["read", () => MMap.open(path), /"read" access is private underneath/],
        ["copy", () => MMap.open(path, { access: "copy" }), /"copy" access is copy-on-write/],
        ["anonymous", () => MMap.anonymous(PAGESIZE, { shared: false }), /shared: false/],
      ];
      for (const [what, make, why] of cases) {
        using m = make();
        for (const build of [() => new Mutex(m, 0), () => new Semaphore(m, 0, 1)]) {
          assert.throws(build, (e: Error) => {
            assert.equal(e.name, "TypeError", what);
            assert.match(e.message, why);
            assert.match(e.message, /MMap\.shared\(name, length\)/);
            return true;
          });
        }
        const word = m.view(Int32Array, 0, 1);
        for (
          const call of [
            () => wait(word, 0, 1, 0),
            () => notify(word, 0),
            () => waitAsync(word, 0, 1, 0),
          ]
        ) {
          assert.throws(call, { name: "TypeError", message: /needs memory that every process/ });
        }
      }
      // An ordinary ArrayBuffer is private too; a SharedArrayBuffer serves threads.
      assert.throws(() => notify(new Int32Array(4), 0), TypeError);
      assert.equal(notify(new Int32Array(new SharedArrayBuffer(16)), 0), 0);
      // Shared memory still works.
      using shared = MMap.open(path, { access: "write" });
      using guard = new Mutex(shared, 0).lock(1000);
      assert.equal(guard.ownerDied, false);
    } finally {
      t.cleanup();
    }
  });
});

describe("locks and a patched Atomics", () => {
  it("Atomics replaced after import changes nothing Mutex, Semaphore and wait do", () => {
    using m = MMap.anonymous(PAGESIZE);
    const saved = {
      ...Object.fromEntries(Object.entries(Object.getOwnPropertyDescriptors(Atomics))),
    };
    const patched = ["load", "store", "exchange", "compareExchange", "add", "sub"];
    try {
      for (const k of patched) {
        Object.defineProperty(Atomics, k, {
          value: () => {
            throw new Error(`patched Atomics.${k} was called`);
          },
          configurable: true,
          writable: true,
        });
      }
      const mutex = new Mutex(m, 0);
      mutex.lock().unlock();
      const semaphore = new Semaphore(m, 8, 1);
      assert.equal(semaphore.tryAcquire(), true);
      semaphore.release();
      assert.equal(wait(m.view(Int32Array, 16, 1), 0, 1, 0), "not-equal");
    } finally {
      for (const k of patched) Object.defineProperty(Atomics, k, saved[k]!);
    }
  });
});

describe("locks of a closed map (issue 11, case 7)", () => {
  it("every Mutex, Semaphore and wait/notify call throws the closed-map TypeError", async () => {
    const m = MMap.anonymous(PAGESIZE);
    const mutex = new Mutex(m, 0);
    const semaphore = new Semaphore(m, 8, 1);
    const word = m.view(Int32Array, 16, 1);
    const guard = mutex.lock();
    m.close();
    const calls: [string, () => unknown][] = [
      ["lock", () => mutex.lock(10)],
      ["tryLock", () => mutex.tryLock()],
      ["unlock", () => mutex.unlock()],
      ["guard.unlock", () => guard.unlock()],
      ["owner", () => mutex.owner],
      ["acquire", () => semaphore.acquire(10)],
      ["tryAcquire", () => semaphore.tryAcquire()],
      ["release", () => semaphore.release()],
      ["value", () => semaphore.value],
      ["wait", () => wait(word, 0, 0, 10)],
      ["notify", () => notify(word, 0)],
    ];
    for (const [what, call] of calls) assert.throws(call, CLOSED, what);
    await assert.rejects(mutex.lockAsync(10), CLOSED);
    await assert.rejects(semaphore.acquireAsync(10), CLOSED);
  });

  it(
    "a lockAsync waiting when its map closes is rejected with the closed-map TypeError",
    SLOW,
    async () => {
      const name = uniqueName();
      const a = MMap.shared(name, PAGESIZE, { create: true, exclusive: true });
      const b = MMap.shared(name);
      try {
        using _held = new Mutex(a, 0).lock();
        const waiting = new Mutex(b, 0).lockAsync(30_000);
        await new Promise((r) => setTimeout(r, 50));
        b.close();
        await assert.rejects(waiting, CLOSED);
      } finally {
        a.close();
        b.close();
        MMap.unlinkShared(name);
      }
    },
  );
});

/** `/proc/<pid>/stat`'s state letter and start time. */
function stat(pid: number): { state: string; start: number } {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0]!, start: Number(fields[19]) };
}

describe("a dead owner is dead (issue 11, case 6)", () => {
  it("an owner killed and not yet reaped (a zombie) is taken over at once", SLOW, async () => {
    await withRegion(PAGESIZE, async (name, m) => {
      // `exec sleep` makes the shell a parent that never reaps: the killed
      // locker stays a zombie for as long as the test needs.
      const exe = process.execPath;
      const args = thisRuntime === "deno" ? `run --allow-all ${childScript}` : childScript;
      const shell = spawn("sh", ["-c", `"${exe}" ${args} hold ${name} & exec sleep 60`], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      try {
        const line = await lineFrom(shell, /locked (\d+)/);
        const pid = Number(/locked (\d+)/.exec(line)![1]);
        process.kill(pid, "SIGKILL");
        for (let i = 0; i < 200 && stat(pid).state !== "Z"; i++) {
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.equal(stat(pid).state, "Z", "the locker is a zombie");
        const mutex = new Mutex(m, 0);
        assert.equal(mutex.owner, pid);
        const started = performance.now();
        using guard = mutex.lock(3000);
        assert.equal(guard.ownerDied, true);
        assert.equal(guard.previousOwner, pid);
        assert.ok(performance.now() - started < 2500, "taken over without waiting out the timeout");
      } finally {
        shell.kill("SIGKILL");
      }
    });
  });

  it("a live process that got a dead owner's pid is not taken for the owner", () => {
    using m = MMap.anonymous(PAGESIZE);
    const words = m.view(Int32Array, 0, 2);
    const other = process.ppid; // alive, and not this process
    const fingerprint = (stat(other).start % 511) + 1;
    const mutex = new Mutex(m, 0);
    // The owner's start time as the lock word names it: the live process is the owner.
    words[0] = other;
    words[1] = 1 | (fingerprint << 22);
    assert.equal(mutex.tryLock(), null);
    assert.throws(() => mutex.lock(150), { code: "ETIMEDOUT" });
    // Another start time: the pid was reused by a later process, the owner is gone.
    words[1] = 1 | ((fingerprint % 511 + 1) << 22);
    using guard = mutex.tryLock();
    assert.ok(guard);
    assert.equal(guard.ownerDied, true);
    assert.equal(guard.previousOwner, other);
    // A lock word written without a start time (0) keeps kill(pid, 0)'s answer.
    guard.unlock();
    words[0] = other;
    words[1] = 1;
    assert.equal(mutex.tryLock(), null);
    words[0] = words[1] = 0;
  });
});
