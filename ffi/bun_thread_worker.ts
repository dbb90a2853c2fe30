/**
 * The helper Worker of `bun_threads.ts`: makes one blocking C call per
 * message and posts back its result. Bun only.
 *
 * @module
 */
import { loadBunFFI } from "./bun_api.ts";
import { toBunSymbol } from "./bun.ts";
import type { Reply, Request } from "./bun_threads.ts";

const ffi = loadBunFFI();
const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<Request>) => void) | null;
  postMessage(reply: Reply): void;
};
type Call = (...args: number[]) => number | bigint;
const loaded = new Map<string, Call>();

scope.onmessage = (e) => {
  const { libPath, cName, def, args } = e.data;
  try {
    const key = `${libPath}\0${cName}`;
    let fn = loaded.get(key);
    if (!fn) {
      const symbols = ffi.dlopen(libPath, { [cName]: toBunSymbol(def) }).symbols;
      fn = (symbols as Record<string, Call>)[cName]!;
      loaded.set(key, fn);
    }
    scope.postMessage({ result: Number(fn(...args)) });
  } catch (err) {
    scope.postMessage({ error: String((err as Error)?.message ?? err) });
  }
};
