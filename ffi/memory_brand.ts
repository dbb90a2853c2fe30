/**
 * `WebAssembly.Memory`'s own `buffer` getter and `grow` method, captured
 * when the module loads. The host and `mapIntoMemory` place file pages at the
 * address of a memory's buffer: a program that replaced
 * `WebAssembly.Memory.prototype.buffer` (or `Symbol.hasInstance`, which
 * `instanceof` asks) could otherwise hand them another ArrayBuffer of its
 * own, and the file's pages would be mapped over that buffer's memory, which
 * the engine may give to other objects later. The getter is also the brand
 * check: it throws for anything that is not a real memory. In `ffi/`, so that
 * `src/` (the search kernel's own memory) and `wasm/` can both use it.
 *
 * @module
 */
import { accessorOf, uncurryThis } from "./primordials.ts";

// A runtime without WebAssembly (the library then searches without its
// kernels) has no memory to check: every call below is a TypeError there.
const MemoryPrototype = typeof WebAssembly === "undefined"
  ? undefined
  : WebAssembly.Memory.prototype;
const noWebAssembly = (): never => {
  throw new TypeError("WebAssembly is not available in this runtime");
};
const bufferGetter: (memory: WebAssembly.Memory) => ArrayBuffer =
  accessorOf(MemoryPrototype, "buffer") ?? noWebAssembly;
const growMethod: (memory: WebAssembly.Memory, delta: number) => number = MemoryPrototype
  ? uncurryThis(MemoryPrototype.grow as (this: WebAssembly.Memory, delta: number) => number)
  : noWebAssembly;

/** `memory.buffer` of a real `WebAssembly.Memory` (a `TypeError` for anything else). */
export function memoryBuffer(memory: WebAssembly.Memory): ArrayBuffer {
  return bufferGetter(memory);
}

/** `memory.grow(delta)` of a real `WebAssembly.Memory`; `delta` is a BigInt for memory64. */
export function memoryGrow(memory: WebAssembly.Memory, delta: number | bigint): number {
  return growMethod(memory, delta as number);
}

/** Whether `value` is a real `WebAssembly.Memory`, by its internal slots (no `instanceof`). */
export function isMemory(value: unknown): value is WebAssembly.Memory {
  if (typeof value !== "object" || value === null) return false;
  try {
    bufferGetter(value as WebAssembly.Memory);
    return true;
  } catch {
    return false;
  }
}

// WebAssembly's constructors and the instance's `exports` getter, captured
// too: the search kernel is made on first use, and a program that replaced
// `WebAssembly.Instance` (or `Module`, `Memory`) by then was handed the
// kernel's memory, with a map's pages in it, and answered `count` and `find`
// for it (a count larger than the map, a match past its end).
const Wasm = typeof WebAssembly === "undefined" ? undefined : {
  Memory: WebAssembly.Memory,
  Module: WebAssembly.Module,
  Instance: WebAssembly.Instance,
  exports: accessorOf(WebAssembly.Instance.prototype, "exports")! as (
    instance: WebAssembly.Instance,
  ) => Record<string, unknown>,
};

/** `new WebAssembly.Memory(descriptor)` by the captured constructor. */
export function newMemory(descriptor: WebAssembly.MemoryDescriptor): WebAssembly.Memory {
  if (!Wasm) return noWebAssembly();
  return new Wasm.Memory(descriptor);
}

/** The exports of a new instance of `bytes`, by the captured constructors and getter. */
export function instantiate(
  bytes: Uint8Array<ArrayBuffer>,
  imports?: Record<string, Record<string, unknown>>,
): Record<string, unknown> {
  if (!Wasm) return noWebAssembly();
  return Wasm.exports(new Wasm.Instance(new Wasm.Module(bytes), imports as never));
}
