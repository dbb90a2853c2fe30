// The module's constants against CPython's mmap module (every name it has on
// this machine), and against the Linux headers for the names it lacks.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as mod from "../mod.ts";
import { platform } from "../ffi/load.ts";
import { python } from "./_helpers.ts";

// <sys/mman.h> and <linux/mman.h> on x86_64, as printed by a C program
// compiled with gcc against glibc 2.36; CPython's mmap lacks these (MS_* come
// in 3.15, MAP_32BIT and MAP_NORESERVE in 3.13).
const LINUX_HEADERS: Record<string, number> = {
  PROT_NONE: 0,
  MS_ASYNC: 1,
  MS_INVALIDATE: 2,
  MS_SYNC: 4,
  MAP_SHARED_VALIDATE: 0x03,
  MAP_FIXED: 0x10,
  MAP_32BIT: 0x40,
  MAP_GROWSDOWN: 0x100,
  MAP_LOCKED: 0x2000,
  MAP_NORESERVE: 0x4000,
  MAP_NONBLOCK: 0x10000,
  MAP_HUGETLB: 0x40000,
  MAP_SYNC: 0x80000,
  MAP_FIXED_NOREPLACE: 0x100000,
  MADV_WIPEONFORK: 18,
  MADV_KEEPONFORK: 19,
  MADV_COLD: 20,
  MADV_PAGEOUT: 21,
  MADV_POPULATE_READ: 22,
  MADV_POPULATE_WRITE: 23,
  MADV_DONTNEED_LOCKED: 24,
  MADV_COLLAPSE: 25,
  MADV_SOFT_OFFLINE: 101,
};

const exported = mod as unknown as Record<string, unknown>;

describe("constants", () => {
  it("match every constant of CPython's mmap module on this machine", () => {
    const cpython = python(`
import json, mmap
print(json.dumps({k: getattr(mmap, k) for k in dir(mmap) if k.isupper()}))
`) as Record<string, number>;
    assert.ok(Object.keys(cpython).length > 30, "CPython's mmap exported too few constants");
    for (const [name, value] of Object.entries(cpython)) {
      assert.equal(exported[name], value, name);
    }
  });

  it("match the Linux headers where CPython has no such name", () => {
    assert.equal(
      platform.os,
      "linux",
      "these values are Linux's; other systems need their own list",
    );
    for (const [name, value] of Object.entries(LINUX_HEADERS)) {
      if (name === "MAP_32BIT" && platform.arch !== "x86_64") continue;
      assert.equal(exported[name], value, name);
    }
  });

  it("give ACCESS_* CPython's values, and a page-sized ALLOCATIONGRANULARITY", () => {
    assert.deepEqual(
      [mod.ACCESS_DEFAULT, mod.ACCESS_READ, mod.ACCESS_WRITE, mod.ACCESS_COPY],
      [0, 1, 2, 3],
    );
    assert.equal(mod.ALLOCATIONGRANULARITY, mod.PAGESIZE);
    assert.ok(mod.PAGESIZE >= 4096 && (mod.PAGESIZE & (mod.PAGESIZE - 1)) === 0);
  });
});
