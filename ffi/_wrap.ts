/**
 * Pieces both backends share: opening the first C library that loads, and
 * wrapping each raw symbol into the uniform `Libc` shape.
 *
 * @module
 */
import { LIBC_SYMBOLS, type SymbolDef } from "./symbols.ts";

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

/** Calls `open` on each candidate path until one loads; rethrows the first failure. */
export function openFirst<T>(paths: readonly string[], open: (path: string) => T): T {
  let first: unknown;
  for (const path of paths) {
    try {
      return open(path);
    } catch (e) {
      // A permission error is the same for every path: report it at once.
      if (
        e instanceof Error && /permission|NotCapable|--allow-ffi/i.test(`${e.name} ${e.message}`)
      ) {
        throw e;
      }
      first ??= e;
    }
  }
  throw first;
}

/**
 * Wraps every symbol of the shared table (as `table` declared it, see
 * variadic.ts); a missing optional symbol becomes `null`.
 */
export function wrapAll(
  raw: Record<string, AnyFn | null | undefined>,
  wrap: (fn: AnyFn, def: SymbolDef) => AnyFn,
  table: Record<string, SymbolDef> = LIBC_SYMBOLS,
): Record<string, AnyFn | null> {
  const out: Record<string, AnyFn | null> = {};
  for (const [key, def] of Object.entries(table) as [string, SymbolDef][]) {
    const fn = raw[key];
    out[key] = fn ? wrap(fn, def) : null;
  }
  return out;
}
