/**
 * The Worker of sync_worker_test.ts: opens the named region the main thread
 * made and does one task per message, replying with one message per step.
 */
import { MMap, Mutex, Semaphore, wait } from "../mod.ts";
import { wakeWhenAsleep } from "./sync_helpers.ts";

interface Task {
  task: "count" | "countAsync" | "hold" | "wait" | "notify" | "acquire" | "watch";
  name: string;
  n?: number;
  /** "watch": the lock's state to look out for. */
  pid?: number;
  word1?: number;
}

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<Task>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async ({ data }) => {
  using m = MMap.shared(data.name);
  const mutex = new Mutex(m, 0);
  const flag = m.view(Int32Array, 16, 1);
  const counter = m.view(Float64Array, 24, 1);
  switch (data.task) {
    case "count":
      for (let i = 0; i < data.n!; i++) {
        using _ = mutex.lock(10_000);
        counter[0] += 1;
      }
      scope.postMessage("counted");
      break;
    case "countAsync":
      for (let i = 0; i < data.n!; i++) {
        using _ = await mutex.lockAsync(10_000);
        counter[0] += 1;
      }
      scope.postMessage("counted");
      break;
    case "hold": {
      const guard = mutex.lock(10_000);
      scope.postMessage("locked");
      while (Atomics.load(flag, 0) === 0) wait(flag, 0, 0);
      guard.unlock();
      scope.postMessage("unlocked");
      break;
    }
    case "wait":
      scope.postMessage("waiting");
      scope.postMessage(wait(flag, 0, 0, 10_000));
      break;
    case "notify":
      scope.postMessage(await wakeWhenAsleep(flag, 0, 1));
      break;
    case "acquire":
      scope.postMessage(new Semaphore(m, 8).acquire(10_000));
      break;
    case "watch": {
      // Until told to stop: how often the lock's two words, read at one
      // instant (one 8-byte atomic load), say `pid` owns the lock while word
      // 1 still holds `word1`, a fingerprint `pid` never writes. Two 4-byte
      // loads cannot tell that state from the lock going round to the dead
      // owner and back between them, which the test itself makes happen.
      const both = m.view(BigInt64Array, 0, 1);
      const want = (BigInt(data.word1! >>> 0) << 32n) | BigInt(data.pid!);
      let seen = 0;
      let looks = 0;
      scope.postMessage("watching");
      while (Atomics.load(flag, 0) !== 2) {
        if ((Atomics.load(both, 0) & 0xffffffff3fffffffn) === want) seen++;
        looks++;
      }
      scope.postMessage({ seen, looks });
      break;
    }
  }
};
