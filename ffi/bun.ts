/**
 * The Bun backend: `bun:ffi` over the shared libc table.
 *
 * `bun:ffi` is loaded with `import.meta.require` when the backend is built,
 * never by a static import, so Deno can load this file's importers.
 *
 * @module
 */
import { type BunFFI, type BunFFIFunction, type BunFFIType, loadBunFFI } from "./bun_api.ts";
import type { Backend } from "./backend.ts";
import type { Platform } from "./platform.ts";
import { type Libc, LIBC_SYMBOLS, type NativeType, type SymbolDef } from "./symbols.ts";
import { openFirst, wrapAll } from "./_wrap.ts";
import { offThread } from "./bun_threads.ts";
// Captured at load: a spread call (`fn(...args)`) runs
// `Array.prototype[Symbol.iterator]` and a global `Number` can be replaced,
// either of which would otherwise choose the arguments and results of libc calls.
import { NumberCtor as Number, reflectApply, uncurryThis } from "./primordials.ts";
import { adaptVariadic, symbolTableFor } from "./variadic.ts";

const I64_FAST = "i64_fast";
const U64_FAST = "u64_fast";

const BUN_TYPES: Record<NativeType, BunFFIType> = {
  i32: "i32",
  u32: "u32",
  // The _fast types hand back a Number whenever the value fits one.
  i64: I64_FAST,
  u64: U64_FAST,
  usize: U64_FAST,
  isize: I64_FAST,
  pointer: "ptr",
  buffer: "buffer",
  void: "void",
};

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

/** The `bun:ffi` declaration of one entry of the shared table. */
export function toBunSymbol(def: SymbolDef): BunFFIFunction {
  return {
    args: def.parameters.map((t) => BUN_TYPES[t]),
    returns: BUN_TYPES[def.result],
  };
}

function wrap(fn: AnyFn, def: SymbolDef): AnyFn {
  // Already a Promise of a Number (bun_threads.ts).
  if (def.nonblocking) return fn;
  switch (def.result) {
    case "pointer":
      // ptr results are a Number, or null for NULL.
      return (...args) => reflectApply(fn, undefined, args) ?? 0;
    case "i64":
    case "u64":
    case "usize":
    case "isize":
      return (...args) => Number(reflectApply(fn, undefined, args));
    default:
      return fn;
  }
}

interface Searchable {
  indexOf(needle: Uint8Array): number;
  lastIndexOf(needle: Uint8Array): number;
}

/**
 * Bun's `Buffer.indexOf`/`lastIndexOf` over a view of the memory: SIMD
 * searches, faster than glibc's `memmem` and far faster than `memrchr` per
 * candidate (see bench/README.md).
 */
function nativeSearch(ffi: BunFFI): Backend["nativeSearch"] {
  const NodeBuffer = (globalThis as unknown as {
    Buffer: {
      from(buffer: ArrayBuffer, byteOffset: number, length: number): Searchable;
      prototype: Searchable;
    };
  }).Buffer;
  // Captured now: a patched Buffer.from or Buffer.prototype method would
  // otherwise be handed this view of the map, which nobody could detach.
  const from = NodeBuffer.from.bind(NodeBuffer);
  // Buffer.prototype.subarray would look up Buffer[Symbol.species] and hand
  // it the whole map: each search gets a Buffer made by `from` instead.
  const indexOf = uncurryThis(NodeBuffer.prototype.indexOf);
  const lastIndexOf = uncurryThis(NodeBuffer.prototype.lastIndexOf);
  const toArrayBuffer = ffi.toArrayBuffer;
  return {
    view(address, length) {
      const all = toArrayBuffer(address, 0, length);
      return {
        indexOf: (needle, start, end) => indexOf(from(all, start, end - start), needle),
        lastIndexOf: (needle, start, end) => lastIndexOf(from(all, start, end - start), needle),
      };
    },
  };
}

/** Builds the Bun backend; throws if libc cannot be loaded. */
export function createBunBackend(platform: Platform): Backend {
  const ffi = loadBunFFI();
  const table = symbolTableFor(LIBC_SYMBOLS, platform);
  const entries = Object.entries(table) as [string, SymbolDef][];
  const plain = entries.filter(([, d]) => !d.name && !d.optional);
  const { libPath, main } = openFirst(platform.libc, (libPath) => ({
    libPath,
    main: ffi.dlopen(libPath, Object.fromEntries(plain.map(([k, d]) => [k, toBunSymbol(d)]))),
  }));
  // bun:ffi binds a symbol under its C name and fails on a missing one, so
  // aliases and optional symbols each get a dlopen of their own.
  const load = (cName: string, def: SymbolDef): AnyFn | null => {
    try {
      const lib = ffi.dlopen(libPath, { [cName]: toBunSymbol(def) });
      return (lib.symbols as Record<string, AnyFn>)[cName]!;
    } catch (e) {
      if (def.optional) return null;
      throw e;
    }
  };
  const raw: Record<string, AnyFn | null> = { ...(main.symbols as Record<string, AnyFn>) };
  for (const [key, def] of entries) {
    // bun:ffi has no nonblocking calls: a helper Worker makes the call instead.
    if (def.nonblocking) raw[key] = offThread(libPath, def.name ?? key, def);
    else if (def.name || def.optional) raw[key] = load(def.name ?? key, def);
  }
  const libc = adaptVariadic(wrapAll(raw, wrap, table), platform) as Libc;
  const errnoAddress = (load(platform.errnoSymbol, {
    parameters: [],
    result: "pointer",
  }) as AnyFn)() as number;

  // Captured: `require("bun:ffi")` is one mutable object, shared with the
  // program, which could otherwise replace `ptr` (and so choose the address
  // where a file is mapped into a WebAssembly memory, or where sigaction
  // writes) or `read.i32` (errno). See also nativeSearch.
  const toArrayBuffer = ffi.toArrayBuffer;
  const ptr = ffi.ptr;
  const readI32 = ffi.read.i32;
  return {
    runtime: "bun",
    platform,
    libc,
    errno: () => readI32(errnoAddress, 0),
    arrayBuffer: (address, length) => toArrayBuffer(address, 0, length),
    nativeSearch: nativeSearch(ffi),
    // JavaScriptCore refuses ArrayBuffers over 4 GiB.
    maxBufferLength: 2 ** 32,
    addressOf: (data) => ptr(data),
    checkPathAccess() {
      // Bun has no permission sandbox.
    },
  };
}
