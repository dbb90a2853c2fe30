/**
 * The other process of the cross-process tests (run by Deno or Bun):
 * `sync_child.ts <role> <args...>`. Each role prints one JSON line when done,
 * or a line its parent waits for.
 */
import process from "node:process";
import { MMap, Mutex, notify, wait, waitAsync } from "../mod.ts";
import { wakeWhenAsleep } from "./sync_helpers.ts";
import { patience } from "./_emulation.ts";

const [role, name, arg] = process.argv.slice(2);

/** A map of the named region, or of the file when `name` is a path. */
function openMap(): MMap {
  return name.startsWith("/tmp") ? MMap.open(name, { access: "write" }) : MMap.shared(name);
}

function print(value: unknown): void {
  console.log(JSON.stringify(value));
}

switch (role) {
  // Atomic read-modify-writes without a lock: Int32 add at 0, BigInt64 add at
  // 8, a compareExchange loop at 16. Every one must count.
  case "atomics": {
    using m = openMap();
    const i32 = m.view(Int32Array, 0, 1);
    const i64 = m.view(BigInt64Array, 8, 1);
    const cas = m.view(Int32Array, 16, 1);
    const ready = m.view(Int32Array, 20, 1);
    // Start together with the parent, so that the two really overlap.
    Atomics.add(ready, 0, 1);
    notify(ready, 0);
    for (let n = Atomics.load(ready, 0); n < 2; n = Atomics.load(ready, 0)) wait(ready, 0, n, 5000);
    for (let i = 0; i < Number(arg); i++) {
      Atomics.add(i32, 0, 1);
      Atomics.add(i64, 0, 3n);
      for (;;) {
        const old = Atomics.load(cas, 0);
        if (Atomics.compareExchange(cas, 0, old, old + 2) === old) break;
      }
    }
    print({ done: true });
    break;
  }
  // Lock the mutex at 0, say so, then sleep until word 16 turns 1 (or
  // forever: the parent may SIGKILL this process while it holds the lock).
  case "hold": {
    using m = openMap();
    const guard = new Mutex(m, 0).lock(patience(10_000));
    console.log(`locked ${process.pid}`);
    const flag = m.view(Int32Array, 16, 1);
    while (Atomics.load(flag, 0) === 0) wait(flag, 0, 0);
    guard.unlock();
    print({ unlocked: true });
    break;
  }
  // Announce, then lock the mutex at 0 (sleeping until it can), add 1 to the
  // Int32 at 24 and unlock; report what the guard found.
  case "lock": {
    using m = openMap();
    const mutex = new Mutex(m, 0);
    console.log(`waiting ${process.pid}`);
    const t0 = performance.now();
    using guard = mutex.lock(Number(arg ?? patience(20_000)));
    m.view(Int32Array, 24, 1)[0] += 1;
    print({
      ownerDied: guard.ownerDied,
      previousOwner: guard.previousOwner,
      waitedMs: performance.now() - t0,
    });
    break;
  }
  // After `arg` ms, wake the sleeper on word 16 (notifying until there is
  // one), then set the word to 1.
  case "notify": {
    using m = openMap();
    const flag = m.view(Int32Array, 16, 1);
    await new Promise((r) => setTimeout(r, Number(arg)));
    const woken = await wakeWhenAsleep(flag, 0, 1);
    Atomics.store(flag, 0, 1);
    print({ woken });
    break;
  }
  // Async waits that time out, then nothing: the process must end by itself
  // (Bun's helper Workers are unref'd when idle).
  case "async-exit": {
    using m = MMap.anonymous(8);
    const mutex = new Mutex(m, 0);
    const guard = mutex.lock();
    const locked = await mutex.lockAsync(30).catch((e) => e.code);
    guard.unlock();
    print({ wait: await waitAsync(m.view(Int32Array), 1, 0, 30), locked });
    break;
  }
  default:
    throw new Error(`unknown role ${role}`);
}
