/**
 * The engine's own ceiling for a copy out of a map: a fresh
 * `new Uint8Array(n)` filled by `set()` from the map's view, in this process.
 * No library call that returns a new array can be faster; the copying API
 * (`read`, `slice`, `readline`) is measured against it.
 *
 * @module
 */
import v8 from "node:v8";
import vm from "node:vm";
import { MMap } from "../mod.ts";
import type { Impl } from "./_harness.ts";
import type { Inputs } from "./inputs.ts";

const bun = (globalThis as unknown as { Bun?: { gc(force: boolean): void } }).Bun;

/**
 * A full collection, before a repetition whose time depends on the
 * collector's state (fresh buffers): Bun's `gc(true)`, V8's `gc()` (exposed
 * here, so that `deno run -A bench/main.ts` needs no flag).
 */
export const collect: () => void = bun ? () => bun.gc(true) : (() => {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  return () => gc();
})();

/**
 * Bun: {@linkcode collect}, before each repetition of an implementation that
 * makes a fresh array per call (the library, the ceiling, `Bun.mmap`'s
 * `slice`) in the random 4 KiB cases. There the collector's state, which
 * one implementation leaves to the next in a round, decided the ratio: the
 * same code (a new array and one copy) ran 0.73x the ceiling in one case and
 * 1.24x in the next (2026-12-01 14:57-14:59), and in one process alternating
 * ran 0.8-1.3x of it by round. V8 (Deno): none, as before (its ratios held).
 */
export const COLLECT_IN_BUN: (() => void) | undefined = bun ? collect : undefined;

/** The name of the engine-ceiling reference row. */
export const CEILING = "engine: new Uint8Array(n) + set()";

/** The engine-ceiling reference: `run` gets a view over the whole text input. */
export function ceilingRef(
  inputs: Inputs,
  run: (main: Uint8Array) => unknown,
  before?: () => void,
): Impl {
  let main: Uint8Array | null = null;
  let map: MMap | null = null;
  return {
    name: CEILING,
    kind: "engine",
    setup: () => {
      if (!map || map.closed) map = MMap.open(inputs.text);
      main = map.bytes;
    },
    teardown: () => map?.close(),
    before,
    run: () => run(main!),
  };
}
