/**
 * The Worker of ring_worker_test.ts: opens the named region and produces or
 * consumes `n` messages (message i: 4 bytes of i) on the ring at offset 0.
 */
import { MMap, Ring } from "../mod.ts";
import { patience } from "./_emulation.ts";

interface Task {
  task: "produce" | "consume";
  name: string;
  n: number;
  /** Each wait's timeout (default: patience(20_000)). */
  timeoutMs?: number;
  /** The Worker's wait strategy (default: the Ring's). */
  wait?: "spin" | "yield" | "sleep";
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

/** `inOrder`, and where it is false, the first message that was not the next one. */
interface Outcome {
  inOrder: boolean;
  firstWrong?: { at: number; got: number | "wrong length" };
}

/**
 * Produces or consumes; a wait that times out ends the run with its own
 * error ("timed out after N messages"), never as a message out of order.
 */
function run(data: Task): Outcome {
  using m = MMap.shared(data.name);
  using ring = new Ring(m, 0, Ring.bytesFor(4096), { wait: data.wait });
  const word = new Uint32Array(1);
  const bytes = new Uint8Array(word.buffer);
  const timeoutMs = data.timeoutMs ?? patience(20_000);
  const out: Outcome = { inOrder: true };
  for (let i = 0; i < data.n; i++) {
    if (data.task === "produce") {
      word[0] = i;
      if (!ring.push(bytes, timeoutMs)) {
        throw new Error(`${data.task}: timed out after ${i} messages (the ring stayed full)`);
      }
    } else {
      const n = ring.popInto(bytes, timeoutMs);
      if (n === null) {
        throw new Error(`${data.task}: timed out after ${i} messages (the ring stayed empty)`);
      }
      if (n === 4 && word[0] === i) continue;
      if (out.inOrder) out.firstWrong = { at: i, got: n !== 4 ? "wrong length" : word[0] };
      out.inOrder = false;
    }
  }
  return out;
}
