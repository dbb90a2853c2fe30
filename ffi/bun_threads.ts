/**
 * Blocking libc calls made on helper Workers, for Bun.
 *
 * `bun:ffi` has no `nonblocking` option (Deno's runs the call on a thread of
 * its own pool). Here each pending call gets a Worker of its own: the Worker
 * makes the blocking call (a futex wait, say) and posts the result back, so
 * the caller's event loop keeps running. Workers are reused; an idle one is
 * unref'd so that it never keeps the process alive, and a busy one is ref'd,
 * as a pending Deno call is. Cost: one thread per call in flight (spawned on
 * first need, about a millisecond) and two `postMessage`s per call (tens of
 * microseconds).
 *
 * @module
 */
import type { SymbolDef } from "./symbols.ts";

/** Bun's Worker: a DOM Worker that can stop keeping the process alive. */
interface BunWorker extends Worker {
  ref(): void;
  unref(): void;
}

/** What the helper posts back. */
export type Reply = { result: number } | { error: string };

/** What the helper is asked to do. */
export interface Request {
  libPath: string;
  cName: string;
  def: SymbolDef;
  args: number[];
}

interface Helper {
  worker: BunWorker;
  settle: ((reply: Reply) => void) | null;
}

// Idle helpers kept for reuse; more than this many are terminated.
const KEEP_IDLE = 4;
const idle: Helper[] = [];
const script = new URL("./bun_thread_worker.ts", import.meta.url).href;

function spawn(): Helper {
  const worker = new Worker(script) as BunWorker;
  const helper: Helper = { worker, settle: null };
  worker.onmessage = (e: MessageEvent<Reply>) => {
    const settle = helper.settle;
    helper.settle = null;
    if (idle.length < KEEP_IDLE) {
      worker.unref();
      idle.push(helper);
    } else {
      worker.terminate();
    }
    settle?.(e.data);
  };
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    const settle = helper.settle;
    helper.settle = null;
    worker.terminate();
    settle?.({ error: e.message });
  };
  return helper;
}

/**
 * A function that runs the C function `cName` of `libPath` on a helper
 * Worker and resolves with its result.
 */
export function offThread(
  libPath: string,
  cName: string,
  def: SymbolDef,
): (...args: number[]) => Promise<number> {
  const plain: SymbolDef = { parameters: def.parameters, result: def.result };
  return (...args) =>
    new Promise((resolve, reject) => {
      const helper = idle.pop() ?? spawn();
      helper.settle = (reply) => {
        if ("error" in reply) reject(new Error(`${cName} on a helper Worker: ${reply.error}`));
        else resolve(reply.result);
      };
      helper.worker.ref();
      const request: Request = { libPath, cName, def: plain, args };
      helper.worker.postMessage(request);
    });
}
