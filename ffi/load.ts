/**
 * Picks the backend for the running runtime, once, on first use.
 *
 * Importing never fails: on a runtime or OS that cannot be served, or in Deno
 * without `--allow-ffi`, the first call that needs libc throws an error that
 * says why, and every later call throws the same error.
 *
 * @module
 */
import type { Backend } from "./backend.ts";
import { FALLBACK_PLATFORM, findPlatform, type Platform } from "./platform.ts";
import { createDenoBackend } from "./deno.ts";
import { createBunBackend } from "./bun.ts";

interface Host {
  runtime: "deno" | "bun" | "other";
  os: string;
  arch: string;
}

function detectHost(): Host {
  const g = globalThis as unknown as {
    Bun?: unknown;
    Deno?: { build?: { os: string; arch: string }; dlopen?: unknown };
    process?: { platform: string; arch: string };
  };
  if (g.Bun !== undefined && g.process) {
    return { runtime: "bun", os: g.process.platform, arch: g.process.arch };
  }
  if (g.Deno?.build && typeof g.Deno.dlopen === "function") {
    return { runtime: "deno", os: g.Deno.build.os, arch: g.Deno.build.arch };
  }
  const p = g.process;
  return { runtime: "other", os: p?.platform ?? "unknown", arch: p?.arch ?? "unknown" };
}

const host = detectHost();
const found = findPlatform(host.os, host.arch);

/** The constants of this machine (Linux x86_64's where the platform is unknown). */
export const platform: Platform = found ?? FALLBACK_PLATFORM;

let cached: Backend | undefined;
let failure: Error | undefined;

function create(): Backend {
  if (host.runtime === "other") {
    throw new Error(
      "@seed/mmap needs Deno or Bun: this runtime has no FFI that it can use",
    );
  }
  if (!found) {
    throw new Error(
      `@seed/mmap supports Linux and macOS on x86_64 and aarch64, not ${host.os} ${host.arch}`,
    );
  }
  try {
    return host.runtime === "deno" ? createDenoBackend(found) : createBunBackend(found);
  } catch (e) {
    const err = e as Error;
    if (host.runtime === "deno" && /ffi/i.test(err.message) && err.name !== "Error") {
      // Keep Deno's own class (NotCapable) so callers can test for it.
      const Ctor = err.constructor as new (msg: string, opts: ErrorOptions) => Error;
      throw new Ctor(
        "@seed/mmap calls libc through FFI: run Deno with --allow-ffi",
        { cause: err },
      );
    }
    throw new Error(
      `@seed/mmap could not load the C library (${found.libc.join(", ")}): ${err.message}`,
      { cause: err },
    );
  }
}

/** The backend; throws a clear error where none can run. */
export function backend(): Backend {
  if (cached) return cached;
  if (failure) throw failure;
  try {
    return (cached = create());
  } catch (e) {
    failure = e as Error;
    throw failure;
  }
}

/**
 * The backend if it can be had without asking the user anything (Deno would
 * prompt for `--allow-ffi` on a terminal), else `undefined`. For values that
 * are read at import time.
 */
export function quietBackend(): Backend | undefined {
  if (cached) return cached;
  if (failure || !found || host.runtime === "other") return undefined;
  if (host.runtime === "deno") {
    const deno = (globalThis as unknown as {
      Deno: { permissions: { querySync(d: { name: "ffi" }): { state: string } } };
    }).Deno;
    if (deno.permissions.querySync({ name: "ffi" }).state !== "granted") return undefined;
  }
  try {
    return backend();
  } catch {
    return undefined;
  }
}

/** The runtime running this code. */
export const runtimeName: Host["runtime"] = host.runtime;
