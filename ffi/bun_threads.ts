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
import { accessorOf, appendOwn, ownList, uncurryThis } from "./primordials.ts";

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
// At most this many calls in flight, each on a Worker of its own; more wait
// in `queued`, in order, and each takes the Worker of a call that ended.
// Without a bound every pending async wait was a thread and a JavaScript
// heap (about 1.8 MB): 5000 acquireAsync() at once had Bun at 9 GB and not
// done after 150 s (Deno: 1 s), and more would exhaust memory or threads.
// Every call made here is a futex wait of at most 200 ms (ASYNC_SLICE_MS
// and the Mutex's slice, 100 ms; the Ring's LIVENESS_MS, 200 ms), so a
// queued call waits for a slice, never forever.
const MAX_BUSY = 64;
let busy = 0;
const queued: ((helper: Helper | null) => void)[] = ownList();
let queuedHead = 0;
const script = new URL("./bun_thread_worker.ts", import.meta.url).href;

// Bun's Worker, its methods and handler setters, and MessageEvent's `data`,
// captured at load: the request names the C function the helper calls and
// its arguments (addresses), so a replaced `Worker` or
// `Worker.prototype.postMessage` would choose any libc call on any memory,
// and a replaced `data` getter the result the caller acts on.
type AnyFn = (...args: never[]) => unknown;
const WorkerCtor = (globalThis as unknown as { Worker?: new (url: string) => BunWorker }).Worker;
const workerProto = WorkerCtor?.prototype as Record<string, unknown> | undefined;
const noWorker = (): never => {
  throw new TypeError("this runtime has no Worker");
};
const method = <F extends AnyFn>(
  name: string,
): (self: BunWorker, ...a: Parameters<F>) => unknown => {
  const f = workerProto?.[name];
  return typeof f === "function" ? uncurryThis(f as F) as never : noWorker;
};
const accessor = (proto: object | undefined, name: string, kind: "get" | "set") =>
  accessorOf(proto, name, kind) ?? noWorker;
const post = method<(value: unknown) => void>("postMessage");
const ref = method<() => void>("ref");
const unref = method<() => void>("unref");
const terminate = method<() => void>("terminate");
const setOnMessage = accessor(workerProto, "onmessage", "set") as (
  w: BunWorker,
  f: unknown,
) => void;
const setOnError = accessor(workerProto, "onerror", "set") as (w: BunWorker, f: unknown) => void;
const messageData = accessor(
  (globalThis as { MessageEvent?: { prototype: object } }).MessageEvent?.prototype,
  "data",
  "get",
) as (e: unknown) => Reply;

function spawn(): Helper {
  if (!WorkerCtor) noWorker();
  const worker = new WorkerCtor!(script);
  const helper: Helper = { worker, settle: null };
  setOnMessage(worker, (e: MessageEvent<Reply>) => {
    const settle = helper.settle;
    helper.settle = null;
    const reply = messageData(e);
    const next = takeQueued();
    if (next) next(helper); // this Worker makes the next call: busy stays
    else {
      busy--;
      if (idle.length < KEEP_IDLE) {
        unref(worker);
        appendOwn(idle, helper);
      } else {
        terminate(worker);
      }
    }
    settle?.(reply);
  });
  setOnError(worker, (e: ErrorEvent) => {
    e.preventDefault();
    const settle = helper.settle;
    helper.settle = null;
    terminate(worker);
    endCall();
    settle?.({ error: e.message });
  });
  return helper;
}

/** The oldest queued call, if any (by index: no patchable `shift`). */
function takeQueued(): ((helper: Helper | null) => void) | undefined {
  if (queuedHead === queued.length) return undefined;
  const next = queued[queuedHead]!;
  queued[queuedHead++] = undefined as never;
  if (queuedHead === queued.length) queued.length = queuedHead = 0;
  return next;
}

/** A call ends with no Worker to hand on: the oldest queued one starts on a new Worker instead. */
function endCall(): void {
  const next = takeQueued();
  if (next) next(null); // its place is this call's: busy stays
  else busy--;
}

/** An idle helper, or a new one. */
function helperNow(): Helper {
  // By index, not a patchable `pop`.
  if (idle.length > 0) {
    const helper = idle[idle.length - 1]!;
    idle.length--;
    return helper;
  }
  return spawn();
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
      // `given` is the Worker of the call that ended, or null for a new one.
      const start = (given: Helper | null) => {
        let helper: Helper;
        try {
          helper = given ?? helperNow();
          helper.settle = (reply) => {
            if ("error" in reply) reject(new Error(`${cName} on a helper Worker: ${reply.error}`));
            else resolve(reply.result);
          };
          ref(helper.worker);
          const request: Request = { libPath, cName, def: plain, args };
          post(helper.worker, request);
        } catch (e) {
          // No Worker (none could be made): this call ends, the next may start.
          endCall();
          reject(e);
        }
      };
      if (busy < MAX_BUSY) {
        busy++;
        start(null);
      } else appendOwn(queued, start);
    });
}
