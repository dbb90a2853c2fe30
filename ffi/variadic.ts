/**
 * The variadic C functions of the symbol table, and how each platform's ABI
 * wants their variadic arguments passed.
 *
 * Deno's and Bun's FFI call every function as if all its arguments were
 * fixed. Where the ABI passes variadic arguments as it passes fixed ones,
 * that is the variadic call: on x86_64 (System V, Linux and macOS) they go in
 * the same registers, and AL, which the callee reads only to decide whether
 * to spill vector registers, does not matter; on Linux aarch64 (AAPCS64) they
 * go in x0-x7 like fixed ones. Apple's arm64 ABI differs: every variadic
 * argument goes on the stack, in an 8-byte slot of its own from the stack
 * pointer, while fixed ones fill x0-x7. There, `open(path, flags, mode)`
 * declared with three fixed arguments puts `mode` in x2, where `open` never
 * looks: a file it creates would get whatever the stack held as its mode.
 *
 * So on Apple arm64 each variadic function is declared as that ABI places its
 * arguments: the named ones, fixed arguments that fill the rest of x0-x7 (the
 * callee never reads them), then the variadic ones, which become the first
 * stack slots, where `va_arg` reads them. JavaScript still calls
 * `libc.open(path, flags, mode)`; `adaptVariadic` inserts the padding.
 * Untested on a Mac: it follows Apple's "Writing ARM64 code for Apple
 * platforms".
 *
 * The review of every variadic function in the table:
 * - `open(path, flags, ...)`, `shm_open(name, oflag, ...)`: `mode` is
 *   variadic. Declared per platform here.
 * - `syscall(nr, ...)`: called only for futex(2) and gettid(2), which only
 *   Linux has (macOS refuses to build a lock: see `requireLocks` in
 *   futex.ts), on x86_64 and aarch64, where the fixed form is the variadic
 *   call.
 * - `mremap(old, oldLength, newLength, flags, ...)`: Linux only.
 * - `fcntl`, `ioctl`, `openat`: not in the table.
 *
 * @module
 */
import type { Platform } from "./platform.ts";
import type { NativeType, SymbolDef } from "./symbols.ts";

/** Variadic functions of the table: how many of their arguments are named. */
export const VARIADIC: Readonly<Record<string, { readonly named: number }>> = {
  open: { named: 2 },
  shm_open: { named: 2 },
  // Linux only (see above): listed so that the table has no unreviewed entry.
  syscall: { named: 1 },
  syscallAsync: { named: 1 },
  mremap: { named: 4 },
};

/** The variadic functions declared in their stack-slot form, with their named arguments. */
const RESHAPED: ReadonlyArray<readonly [string, 2]> = [["open", 2], ["shm_open", 2]];

/** Integer and pointer arguments that go in registers before the stack (x0-x7). */
const REGISTER_ARGS = 8;

/** True where variadic arguments go on the stack although fixed ones would not: Apple arm64. */
export function variadicOnStack(p: Pick<Platform, "os" | "arch">): boolean {
  return p.os === "darwin" && p.arch === "aarch64";
}

/**
 * The declaration of `def`, a variadic function with `named` named
 * arguments, in Apple arm64's stack-slot form: registers filled, then each
 * variadic argument as a 64-bit slot.
 */
export function stackSlotForm(def: SymbolDef, named: number): SymbolDef {
  const pad: NativeType[] = Array(REGISTER_ARGS - named).fill("i64");
  const slots: NativeType[] = def.parameters.slice(named).map(() => "i64");
  return { ...def, parameters: [...def.parameters.slice(0, named), ...pad, ...slots] };
}

/** The symbol table as `p` must declare it (`table` itself where nothing changes). */
export function symbolTableFor<T extends Record<string, SymbolDef>>(table: T, p: Platform): T {
  if (!variadicOnStack(p)) return table;
  const out: Record<string, SymbolDef> = { ...table };
  for (const [key, named] of RESHAPED) {
    const def = out[key];
    if (def) out[key] = stackSlotForm(def, named);
  }
  return out as T;
}

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

/**
 * Puts back the call shape the rest of the library uses
 * (`open(path, flags, mode)`) over functions declared by `symbolTableFor`.
 */
export function adaptVariadic<L extends Record<string, AnyFn | null>>(libc: L, p: Platform): L {
  if (!variadicOnStack(p)) return libc;
  const out: Record<string, AnyFn | null> = { ...libc };
  for (const [key] of RESHAPED) {
    const fn = libc[key];
    if (!fn) continue;
    // Written out, never a spread or `slice`, which a patched Array.prototype
    // would run (see ffi/primordials.ts): both reshaped functions take two
    // named arguments and one variadic `mode`.
    out[key] = (a: unknown, b: unknown, mode: unknown) => fn(a, b, 0, 0, 0, 0, 0, 0, mode);
  }
  return out as L;
}
