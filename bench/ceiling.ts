/**
 * The engine's own ceiling for a copy out of a map: a fresh
 * `new Uint8Array(n)` filled by `set()` from the map's view, in this process.
 * No library call that returns a new array can be faster; the copying API
 * (`read`, `slice`, `readline`) is measured against it.
 *
 * @module
 */
import { MMap } from "../mod.ts";
import type { Impl } from "./_harness.ts";
import type { Inputs } from "./inputs.ts";

/** The name of the engine-ceiling reference row. */
export const CEILING = "engine: new Uint8Array(n) + set()";

/** The engine-ceiling reference: `run` gets a view over the whole text input. */
export function ceilingRef(inputs: Inputs, run: (main: Uint8Array) => unknown): Impl {
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
    run: () => run(main!),
  };
}
