import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type MMap, MMapOSError, Mutex, notify, wait, waitAsync } from "../mod.ts";
import { start } from "../examples/_peers.ts";
import { patience, scaled } from "./_emulation.ts";
import {
  child,
  childResult,
  finished,
  lastJson,
  lineFrom,
  otherRuntime,
  SLOW,
  thisRuntime,
  withRegion,
} from "./sync_helpers.ts";

const example = (name: string) => new URL(`../examples/${name}`, import.meta.url);

/** Starts a `hold` child in the other runtime and resolves once it holds the mutex of region `name`. */
async function startHolder(name: string) {
  const holder = child(otherRuntime, "hold", name);
  const done = finished(holder);
  await lineFrom(holder, /^locked/);
  return { holder, done };
}

/** Lets the `hold` child holding the mutex of `m` unlock and exit. */
function releaseHolder(m: MMap): void {
  const flag = m.view(Int32Array, 16, 1);
  Atomics.store(flag, 0, 1);
  notify(flag, 0);
}

interface LockReport {
  ownerDied: boolean;
  previousOwner: number;
}

describe("Mutex across processes (Deno and Bun)", () => {
  const increments = scaled(100_000, 5_000);
  it(
    `4 processes (2 Deno, 2 Bun) x ${
      increments.toLocaleString("en-US")
    } increments under the Mutex make exactly ${(4 * increments).toLocaleString("en-US")}`,
    SLOW,
    async () => {
      await withRegion(4096, async (name, m) => {
        const runtimes = ["deno", "deno", "bun", "bun"] as const;
        const runs = runtimes.map((r) =>
          finished(start(r, example("shared_counter.ts"), ["--child", name, `${increments}`, "4"]))
        );
        const results = await Promise.all(runs);
        for (const r of results) {
          assert.equal(r.status, 0);
          assert.deepEqual(Object.keys(lastJson(r.stdout)), ["pid", "deadOwners"]);
        }
        // A plain (not atomic) Float64: only mutual exclusion keeps every add.
        assert.equal(m.view(Float64Array, 16, 1)[0], 4 * increments);
        assert.equal(new Mutex(m, 0).owner, 0);
      });
    },
  );

  it(
    "a lock held by another process times out, then is handed over when it unlocks",
    SLOW,
    async () => {
      await withRegion(4096, async (name, m) => {
        const { holder, done: holderDone } = await startHolder(name);
        const mutex = new Mutex(m, 0);
        assert.equal(mutex.owner, holder.pid);
        assert.equal(mutex.tryLock(), null);
        assert.throws(
          () => mutex.lock(50),
          (e) => e instanceof MMapOSError && e.code === "ETIMEDOUT",
        );
        // Sleep in lockAsync while the holder is told to let go.
        const pending = mutex.lockAsync(patience(20_000));
        releaseHolder(m);
        const guard = await pending;
        assert.equal(guard.ownerDied, false);
        assert.equal((await holderDone).status, 0);
        guard.unlock();
      });
    },
  );

  it(
    "SIGKILL of the holder: a sleeping locker in each runtime carries on, one of them told ownerDied",
    SLOW,
    async () => {
      await withRegion(4096, async (name, m) => {
        const { holder, done: holderDone } = await startHolder(name);
        const lockers = (["deno", "bun"] as const).map((r) => child(r, "lock", name));
        const lockersDone = lockers.map(finished);
        await Promise.all(lockers.map((c) => lineFrom(c, /^waiting/)));
        holder.kill("SIGKILL");
        assert.equal((await holderDone).signal, "SIGKILL");
        const reports = (await Promise.all(lockersDone)).map((r) => {
          assert.equal(r.status, 0);
          return lastJson<LockReport>(r.stdout);
        });
        const died = reports.filter((r) => r.ownerDied);
        assert.equal(died.length, 1, JSON.stringify(reports));
        assert.equal(died[0].previousOwner, holder.pid);
        assert.equal(m.view(Int32Array, 24, 1)[0], 2);
        // And the lock is an ordinary one again.
        using guard = new Mutex(m, 0).lock(1000);
        assert.equal(guard.ownerDied, false);
      });
    },
  );

  it("the next locker after a SIGKILL takes over at once, in this runtime", SLOW, async () => {
    await withRegion(4096, async (name, m) => {
      const { holder, done: holderDone } = await startHolder(name);
      holder.kill("SIGKILL");
      await holderDone;
      const guard = new Mutex(m, 0).lock(5000);
      assert.equal(guard.ownerDied, true);
      assert.equal(guard.previousOwner, holder.pid);
      guard.unlock();
    });
  });
});

describe(`wait and notify across processes (${thisRuntime} and ${otherRuntime})`, () => {
  it("wait() is woken by another process's notify()", SLOW, async () => {
    await withRegion(4096, async (name, m) => {
      const flag = m.view(Int32Array, 16, 1);
      const notifier = childResult<{ woken: number }>(otherRuntime, "notify", name, "100");
      // Blocks this thread; the child runs on its own.
      assert.equal(wait(flag, 0, 0, patience(20_000)), "ok");
      assert.equal((await notifier).woken, 1);
      // The child sets the flag after its notify.
      assert.equal(Atomics.load(flag, 0), 1);
    });
  });

  it("waitAsync() is woken by another process's notify()", SLOW, async () => {
    await withRegion(4096, async (name, m) => {
      const flag = m.view(Int32Array, 16, 1);
      const notifier = childResult<{ woken: number }>(otherRuntime, "notify", name, "100");
      assert.equal(await waitAsync(flag, 0, 0, patience(20_000)), "ok");
      assert.equal((await notifier).woken, 1);
    });
  });
});

describe("examples/semaphore_ring.ts", () => {
  // 0.9 s natively, minutes under emulation: fewer messages there, the same checks.
  const messages = scaled(1_000_000, 20_000);
  it(
    `moves ${
      messages.toLocaleString("en-US")
    } messages ${thisRuntime} -> ${otherRuntime} through Semaphores, none lost or repeated`,
    SLOW,
    async () => {
      const run = await finished(start(thisRuntime, example("semaphore_ring.ts"), [`${messages}`]));
      assert.equal(run.status, 0, run.stdout);
      const report = lastJson<{
        sent: { messages: number; hash: number };
        received: { messages: number; hash: number; inOrder: boolean };
        ok: boolean;
      }>(run.stdout);
      assert.equal(report.sent.messages, messages);
      assert.equal(report.received.messages, messages);
      assert.equal(report.received.inOrder, true);
      assert.equal(report.received.hash, report.sent.hash);
      assert.equal(report.ok, true);
    },
  );
});
