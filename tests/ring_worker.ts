/**
 * The Worker of ring_worker_test.ts: opens the named region and produces or
 * consumes `n` messages (message i: 4 bytes of i) on the ring at offset 0.
 */
import { MMap, Ring } from "../mod.ts";

interface Task {
  task: "produce" | "consume";
  name: string;
  n: number;
}

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<Task>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = ({ data }) => {
  try {
    scope.postMessage(run(data));
  } catch (e) {
    scope.postMessage({ error: `${(e as Error).name}: ${(e as Error).message}` });
  }
};

function run(data: Task): { inOrder: boolean } {
  using m = MMap.shared(data.name);
  using ring = new Ring(m, 0, Ring.bytesFor(4096));
  const word = new Uint32Array(1);
  const bytes = new Uint8Array(word.buffer);
  let inOrder = true;
  for (let i = 0; i < data.n; i++) {
    if (data.task === "produce") {
      word[0] = i;
      if (!ring.push(bytes, 20_000)) throw new Error("ring full for 20 s");
    } else {
      if (ring.popInto(bytes, 20_000) !== 4 || word[0] !== i) inOrder = false;
    }
  }
  return { inOrder };
}
