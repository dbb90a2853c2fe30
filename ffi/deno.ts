/**
 * The Deno backend: `Deno.dlopen` over the shared libc table.
 *
 * Deno passes 64-bit integers as BigInt (a Number takes a slow path), so
 * pointers are declared `usize` and the wrappers convert at the boundary.
 *
 * @module
 */
import type { Backend } from "./backend.ts";
import type { Platform } from "./platform.ts";
import { type Libc, LIBC_SYMBOLS, type NativeType, type SymbolDef, WIDE_TYPES } from "./symbols.ts";
import { openFirst, wrapAll } from "./_wrap.ts";
import {
  type DenoApi,
  denoApi,
  type DenoForeignFunction,
  type DenoNativeType,
  type DenoPointer,
} from "./deno_api.ts";
import { adaptVariadic, symbolTableFor } from "./variadic.ts";
// The engine's own conversions and calls, captured at load: a program that
// replaces the global `BigInt` or `Number`, or `Array.prototype[Symbol.iterator]`
// (which a spread call runs), would otherwise choose the addresses and sizes
// handed to libc.
import {
  accessorOf,
  BigIntCtor as BigInt,
  NumberCtor as Number,
  reflectApply,
  uncurryThis,
} from "./primordials.ts";

const DENO_TYPES: Record<NativeType, DenoNativeType | "void"> = {
  i32: "i32",
  u32: "u32",
  i64: "i64",
  u64: "u64",
  usize: "usize",
  isize: "isize",
  // Raw addresses as usize were measured ~7x faster than pointer objects.
  pointer: "usize",
  buffer: "buffer",
  void: "void",
};

function toDenoSymbol(def: SymbolDef): DenoForeignFunction {
  return {
    ...(def.name ? { name: def.name } : {}),
    parameters: def.parameters.map((t) => DENO_TYPES[t] as DenoNativeType),
    result: DENO_TYPES[def.result],
    ...(def.optional ? { optional: true } : {}),
    ...(def.nonblocking ? { nonblocking: true } : {}),
  };
}

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

function wrap(fn: AnyFn, def: SymbolDef): AnyFn {
  const wide = def.parameters.map((t) => WIDE_TYPES.has(t));
  const wideResult = WIDE_TYPES.has(def.result);
  // Nothing to convert (open, close, fstat, ...): the raw symbol is the call.
  if (!wideResult && !wide.includes(true)) return fn;
  // deno-lint-ignore no-explicit-any
  return (...args: any[]) => {
    for (let i = 0; i < args.length; i++) {
      if (wide[i]) args[i] = BigInt(args[i]);
    }
    const r = reflectApply(fn, undefined, args);
    if (def.nonblocking) return wideResult ? r.then(Number) : r;
    return wideResult ? Number(r) : r;
  };
}

type Raw = Record<string, AnyFn | null>;

/**
 * The calls made per line, per record or per open file, written out by hand: the generic wrapper's argument loop and spread cost more than
 * the C call itself (measured ~60 ns against ~16 ns for `memchr`; see
 * bench/README.md).
 */
function hotPaths(raw: Raw): Partial<Record<keyof Libc, AnyFn>> {
  const memchr = raw.memchr!, memrchr = raw.memrchr, memmem = raw.memmem!;
  const copyOut = raw.copyOut!, copyIn = raw.copyIn!, memmove = raw.memmove!;
  const mmap = raw.mmap!, munmap = raw.munmap!, syscall = raw.syscall!;
  // The WASI host's fd_read/fd_write/fd_pread/fd_pwrite on files.
  const pread = raw.pread!, pwrite = raw.pwrite!;
  return {
    // futex(2) for the locks and the Ring: the generic wrapper took ~1.5 us here.
    syscall: (n: number, a: number, b: number, c: number, d: number, e: number, f: number) =>
      Number(syscall(BigInt(n), BigInt(a), BigInt(b), BigInt(c), BigInt(d), BigInt(e), BigInt(f))),
    pread: (fd: number, buf: Uint8Array, n: number, off: number) =>
      Number(pread(fd, buf, BigInt(n), BigInt(off))),
    pwrite: (fd: number, buf: Uint8Array, n: number, off: number) =>
      Number(pwrite(fd, buf, BigInt(n), BigInt(off))),
    mmap: (p: number, n: number, prot: number, flags: number, fd: number, off: number) =>
      Number(mmap(BigInt(p), BigInt(n), prot, flags, fd, BigInt(off))),
    munmap: (p: number, n: number) => munmap(BigInt(p), BigInt(n)),
    memchr: (p: number, c: number, n: number) => Number(memchr(BigInt(p), c, BigInt(n))),
    ...(memrchr
      ? {
        memrchr: (p: number, c: number, n: number) => Number(memrchr(BigInt(p), c, BigInt(n))),
      }
      : {}),
    memmem: (p: number, n: number, needle: Uint8Array, k: number) =>
      Number(memmem(BigInt(p), BigInt(n), needle, BigInt(k))),
    copyOut: (dst: Uint8Array, p: number, n: number) => copyOut(dst, BigInt(p), BigInt(n)),
    copyIn: (p: number, src: Uint8Array, n: number) => copyIn(BigInt(p), src, BigInt(n)),
    memmove: (d: number, s: number, n: number) => memmove(BigInt(d), BigInt(s), BigInt(n)),
  };
}

/** Builds the Deno backend; throws if FFI is not permitted or libc is missing. */
export function createDenoBackend(platform: Platform): Backend {
  const Deno = denoApi();
  const table = symbolTableFor(LIBC_SYMBOLS, platform);
  const symbols = Object.fromEntries(
    Object.entries(table).map(([k, d]) => [k, toDenoSymbol(d)]),
  );
  symbols.errnoLocation = {
    name: platform.errnoSymbol,
    parameters: [],
    result: "pointer",
  };
  const lib = openFirst(platform.libc, (path) => Deno.dlopen(path, symbols));
  const raw = lib.symbols as Raw;
  const libc = adaptVariadic({ ...wrapAll(raw, wrap, table), ...hotPaths(raw) }, platform) as Libc;
  const errnoView = new Deno.UnsafePointerView(
    (raw.errnoLocation as AnyFn)() as DenoPointer,
  );

  const checkAccess = permissionCheck ?? permissionCheckOf(Deno);
  // Captured now: a patched Deno.UnsafePointerView would otherwise be handed
  // every buffer made over a map, the library's own included.
  const { create: pointerAt, of: pointerOf, value: pointerValue } = Deno.UnsafePointer;
  const getArrayBuffer = Deno.UnsafePointerView.getArrayBuffer;
  return {
    runtime: "deno",
    platform,
    libc,
    errno: () => errnoView.getInt32(),
    arrayBuffer(address, length) {
      const p = pointerAt(BigInt(address));
      if (p === null) throw new RangeError("Cannot view address 0");
      return getArrayBuffer(p, length);
    },
    maxBufferLength: Number.MAX_SAFE_INTEGER,
    addressOf(data) {
      return Number(pointerValue(pointerOf(data)));
    },
    checkPathAccess: checkAccess,
  };
}

/**
 * Deno's `--deny-read`/`--deny-write` check for a path, with
 * `Deno.permissions.querySync` and the status's `state`/`partial` getters
 * captured when this module loads: a program that replaces them later (or
 * puts `read` on `Object.prototype`, or replaces the array iterator) does not
 * make a denied path pass. It keeps honest code honest; code that holds
 * `--allow-ffi` can reach libc itself.
 */
function permissionCheckOf(Deno: DenoApi): (path: string, write: boolean) => void {
  const permissions = Deno.permissions;
  const query = uncurryThis(permissions.querySync);
  const first = query(permissions, { name: "read" });
  const status = Object.getPrototypeOf(first) as object;
  const getter = (key: string) =>
    accessorOf(status, key) ?? ((s: unknown) => (s as Record<string, unknown>)[key]);
  const stateOf = getter("state") as (s: unknown) => string;
  const partialOf = getter("partial") as (s: unknown) => boolean | undefined;
  const NotCapable = Deno.errors.NotCapable;
  // Granted for every path (no --deny-* carving): no need to ask per path.
  // Deno updates these status objects in place on a revoke.
  const whole: Record<string, unknown> = Object.create(null);
  whole.read = first;
  const one = (name: "read" | "write", path: string) => {
    const all = whole[name] ??= query(permissions, { name });
    if (stateOf(all) === "granted" && !partialOf(all)) return;
    if (stateOf(query(permissions, { name, path })) === "denied") {
      throw new NotCapable(
        `Requires ${name} access to "${path}", which was denied: ` +
          `@seed/mmap will not go around Deno's permissions through libc`,
      );
    }
  };
  return (path, write) => {
    one("read", path);
    if (write) one("write", path);
  };
}

const permissionCheck = (globalThis as { Deno?: DenoApi }).Deno?.permissions
  ? permissionCheckOf(denoApi())
  : null;
