// Child process for hostile_test.ts ("advice that would kill the process"):
// for each case of argv[2] (comma-separated) makes a map in the folder
// argv[3], gives it the advice the case names, records what madvise() said,
// then touches every page of the map (a load, and a store where the map is
// writable) and prints `@case NAME JSON`. An advice that reached the kernel
// and made the pages deadly kills this process (SIGSEGV, exit 139), an exit
// status the parent asserts on. Run by the current runtime; never imported.
import { writeFileSync } from "node:fs";
import process from "node:process";
import { ACCESS_READ, MMap, type MMapConcat, PAGESIZE } from "../mod.ts";

const [names, dir] = process.argv.slice(2);
/** Linux's MADV_GUARD_INSTALL (6.13), which the library exports no constant for. */
const GUARD_INSTALL = 102;

function open(how: string): MMap | MMapConcat {
  const a = `${dir}/${how}-a.bin`, b = `${dir}/${how}-b.bin`;
  writeFileSync(a, new Uint8Array(2 * PAGESIZE).fill(7));
  writeFileSync(b, new Uint8Array(PAGESIZE).fill(8));
  if (how === "guard_anonymous") return MMap.anonymous(2 * PAGESIZE);
  if (how === "guard_file") return MMap.open(a, { access: "write" });
  if (how === "guard_read") return MMap.open(a, { access: ACCESS_READ });
  if (how === "guard_concat") return MMap.concat([a, b]);
  throw new Error(`unknown case ${how}`);
}

for (const how of names!.split(",")) {
  const m = open(how);
  let said: unknown = "accepted";
  try {
    m.madvise(GUARD_INSTALL, 0, PAGESIZE);
  } catch (e) {
    const err = e as { name?: string; code?: string; syscall?: string };
    said = { name: err.name, code: err.code, syscall: err.syscall };
  }
  let sum = 0;
  for (let i = 0; i < m.length; i += PAGESIZE) sum += m.at(i);
  if (how !== "guard_read") m.bytes[0] = 1;
  m.close();
  console.log(`@case ${how} ${JSON.stringify({ said, sum })}`);
}
