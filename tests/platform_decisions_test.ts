// The decisions the library makes per platform, checked here on Linux with
// each platform's table injected: how variadic C functions are declared
// (Apple arm64 passes variadic arguments on the stack), and that locks
// refuse to be made where there is no futex(2).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { findPlatform, type Platform } from "../ffi/platform.ts";
import { LIBC_SYMBOLS, type SymbolDef } from "../ffi/symbols.ts";
import {
  adaptVariadic,
  stackSlotForm,
  symbolTableFor,
  VARIADIC,
  variadicOnStack,
} from "../ffi/variadic.ts";
import { requireLocks } from "../ffi/futex.ts";
import { platform as here } from "../ffi/load.ts";
import { createDenoBackend } from "../ffi/deno.ts";
import { createBunBackend } from "../ffi/bun.ts";
import { runtime, tempDir } from "./_helpers.ts";

function table(os: string, arch: string): Platform {
  const p = findPlatform(os, arch);
  assert.ok(p, `${os} ${arch}`);
  return p;
}

const linuxX64 = table("linux", "x64");
const linuxArm64 = table("linux", "arm64");
const macX64 = table("darwin", "x64");
const macArm64 = table("darwin", "arm64");

describe("variadic C functions", () => {
  it("go on the stack on Apple arm64 only", () => {
    assert.deepEqual([linuxX64, linuxArm64, macX64, macArm64].map(variadicOnStack), [
      false,
      false,
      false,
      true,
    ]);
  });

  it("are declared as three fixed arguments where that is the variadic call", () => {
    for (const p of [linuxX64, linuxArm64, macX64]) {
      assert.equal(symbolTableFor(LIBC_SYMBOLS, p), LIBC_SYMBOLS);
    }
  });

  it("are declared with mode in the first stack slot on Apple arm64", () => {
    const t = symbolTableFor(LIBC_SYMBOLS, macArm64) as Record<string, SymbolDef>;
    for (const name of ["open", "shm_open"]) {
      const def = t[name];
      // path and flags in x0 and x1; x2-x7 filled and unread; mode as the ninth argument.
      assert.deepEqual(def.parameters, ["buffer", "i32", ...Array(6).fill("i64"), "i64"]);
      assert.equal(def.result, "i32");
    }
    assert.equal(t.shm_open.optional, true);
    // Everything else is declared as on every platform.
    for (const [name, def] of Object.entries(LIBC_SYMBOLS)) {
      if (name !== "open" && name !== "shm_open") assert.equal(t[name], def, name);
    }
    // Five named arguments would leave three registers to fill.
    const five = stackSlotForm({
      parameters: ["i32", "i32", "i32", "i32", "i32", "i32"],
      result: "i32",
    }, 5);
    assert.deepEqual(five.parameters, [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i64",
      "i64",
      "i64",
      "i64",
    ]);
  });

  it("are still called as open(path, flags, mode) by the library", () => {
    const seen: unknown[][] = [];
    const fake = {
      open: (...a: unknown[]) => seen.push(a),
      shm_open: (...a: unknown[]) => seen.push(a),
      close: (...a: unknown[]) => seen.push(a),
    };
    const path = new Uint8Array(1);
    const mac = adaptVariadic(fake, macArm64);
    mac.open(path, 0x201, 0o600);
    mac.shm_open(path, 0xa02, 0o640);
    mac.close(7);
    assert.deepEqual(seen, [
      [path, 0x201, 0, 0, 0, 0, 0, 0, 0o600],
      [path, 0xa02, 0, 0, 0, 0, 0, 0, 0o640],
      [7],
    ]);
    assert.equal(adaptVariadic(fake, linuxArm64), fake);
  });

  it("are all reviewed: every variadic C function in the table is listed", () => {
    // The variadic functions of POSIX, glibc and libSystem a table could bind.
    const variadicInC = new Set([
      "open",
      "openat",
      "shm_open",
      "fcntl",
      "ioctl",
      "syscall",
      "mremap",
      "prctl",
    ]);
    for (const [key, def] of Object.entries(LIBC_SYMBOLS) as [string, SymbolDef][]) {
      if (variadicInC.has(def.name ?? key)) assert.ok(VARIADIC[key], `${key} is variadic in C`);
    }
  });

  it("bind and call in this runtime in their stack-slot form", () => {
    // Linux's own library and numbers, declared as on Apple arm64: the
    // runtime's FFI must accept the nine-argument form. (The mode is not
    // read here: on Linux it would be in the wrong place.)
    const shape: Platform = { ...here, os: "darwin", arch: "aarch64" };
    const b = runtime === "deno" ? createDenoBackend(shape) : createBunBackend(shape);
    const t = tempDir("mmap-variadic-");
    try {
      writeFileSync(t.path("f"), "x");
      const path = new TextEncoder().encode(t.path("f") + "\0");
      const fd = b.libc.open(path, here.open.O_RDONLY | here.open.O_CLOEXEC, 0o600);
      assert.ok(fd >= 0, `open returned ${fd}`);
      assert.equal(b.libc.close(fd), 0);
    } finally {
      t.cleanup();
    }
  });
});

describe("locks", () => {
  it("refuse to be made where there is no futex(2), saying why", () => {
    for (const mac of [macX64, macArm64]) {
      assert.throws(() => requireLocks("Mutex", mac), {
        name: "Error",
        message:
          "Mutex needs Linux futex(2), which macOS does not have: @seed/mmap has no locks there",
      });
    }
    assert.equal(requireLocks("Semaphore", linuxArm64).sysFutex, 98);
    assert.equal(requireLocks("Semaphore", linuxX64).sysFutex, 202);
  });
});
