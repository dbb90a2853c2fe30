/**
 * Installs the fault guard's SIGBUS handler, once per process, and says
 * whether it is active.
 *
 * The handler is machine code (code.ts, assembled from sigbus_<arch>.S) in
 * a page of its own: written while read+write, then made read+exec with
 * `mprotect` (never writable and executable at once). At 2048 bytes into
 * that page is its data area: a magic string and version, the table's
 * address, the previous SIGBUS handler, the page size. A second copy of the
 * library (a Worker, a module loaded twice) finds the handler through
 * `sigaction`, recognizes the page by its magic, and uses the same table
 * instead of stacking a handler of its own.
 *
 * @module
 */
import type { Backend } from "../backend.ts";
import { pageSize } from "../files.ts";
import { backend, platform } from "../load.ts";
import { SIGBUS_HANDLER } from "./code.ts";
import { GuardTable, TABLE_BYTES, TOTAL_FAULTS } from "./table.ts";
import {
  BigIntCtor,
  DataViewCtor,
  dataViewGetBigUint64 as getU64,
  dataViewGetUint32 as getU32,
  dataViewGetUint8 as getU8,
  dataViewSetBigUint64 as setU64,
  dataViewSetInt32 as setI32,
  dataViewSetUint32 as setU32,
  dataViewSetUint8 as setU8,
  Int32ArrayCtor,
  NumberCtor,
  typedArraySet,
  typedArraySubarray,
  Uint8ArrayCtor,
} from "../primordials.ts";

/**
 * Whether faults in mapped files are caught in this process, and why or why not.
 *
 * @example
 * ```ts
 * import { MMap } from "@seed/mmap";
 * const { active, reason } = MMap.faultGuard;
 * console.log(active, reason);
 * ```
 */
export interface FaultGuardStatus {
  /** True when maps of files made from now on are guarded (unless `guard: false`). */
  readonly active: boolean;
  /** How it came to be: installed, reused, switched off, or why it cannot run here. */
  readonly reason: string;
}

/** Where the data area starts in the handler's page (the sources' DATA). */
const DATA = 2048;
const MAGIC = "seedmmap";
/**
 * The handler's machine code and its magic bytes, decoded at load, and every
 * step of the install by the engine's own functions (captured in
 * ffi/primordials.ts): the install runs at the first guarded map, after the
 * program's code, and a replaced `parseInt` chose the bytes made executable
 * as the SIGBUS handler, a replaced `BigInt`, `Uint8Array.prototype.set` or
 * `DataView.prototype.setBigUint64` gave it the wrong table: each killed the
 * process at the first cut file, or ran the program's bytes in the handler.
 */
const CODE: Readonly<Record<string, Uint8Array>> = decodeAll(SIGBUS_HANDLER);
const MAGIC_BYTES = new Uint8ArrayCtor(MAGIC.length);
for (let i = 0; i < MAGIC.length; i++) MAGIC_BYTES[i] = MAGIC.charCodeAt(i);
const VERSION = 1;

/**
 * The process-wide fault counter that every map compares with the count it
 * last saw: one typed-array load per method. Until the guard is installed it
 * is a zero that never changes.
 */
export const faultCounter: { words: Int32Array; readonly at: number } = {
  words: new Int32ArrayCtor(TOTAL_FAULTS + 1),
  at: TOTAL_FAULTS,
};

/** `SEED_MMAP_GUARD=0` (or `off`, `false`, `no`) switches the guard off for the process. */
const switchedOff = readSwitch();

let table: GuardTable | null | undefined;
let status: FaultGuardStatus = { active: false, reason: "not installed yet" };

/** The table of guarded ranges, installing the handler on first use; null where it cannot run. */
export function guardTable(): GuardTable | null {
  if (table !== undefined) return table;
  try {
    table = install(backend());
  } catch (e) {
    table = null;
    status = { active: false, reason: `could not be installed: ${(e as Error).message}` };
  }
  if (table) faultCounter.words = table.words;
  return table;
}

/** Whether the guard is active (installing it if it can be). */
export function faultGuardStatus(): FaultGuardStatus {
  guardTable();
  return status;
}

function install(b: Backend): GuardTable | null {
  if (switchedOff) {
    status = { active: false, reason: "switched off by SEED_MMAP_GUARD" };
    return null;
  }
  const code = CODE[platform.arch];
  const sigaction = b.libc.sigaction;
  const numbers = platform.sigbus;
  if (platform.os !== "linux" || !code || !sigaction || !numbers) {
    status = {
      active: false,
      reason:
        `no SIGBUS handler for ${platform.os} ${platform.arch} (Linux x86_64 and aarch64 only)`,
    };
    return null;
  }
  const { SIGBUS } = numbers;
  const page = pageSize();
  const old = new Uint8ArrayCtor(numbers.sigactionBytes);
  if (sigaction(SIGBUS, 0, b.addressOf(old)) !== 0) {
    throw new Error(`sigaction failed (errno ${b.errno()})`);
  }
  const oldView = new DataViewCtor(old.buffer);
  const previous = NumberCtor(getU64(oldView, 0, true));

  const found = previous > 1 && previous % page === 0 ? ours(b, previous) : 0;
  if (found) {
    status = { active: true, reason: "reused the handler another copy of @seed/mmap installed" };
    return new GuardTable(b.arrayBuffer(found, TABLE_BYTES));
  }

  const { map, prot } = b.platform;
  const tableAddress = b.libc.mmap(
    0,
    TABLE_BYTES,
    prot.PROT_READ | prot.PROT_WRITE,
    map.MAP_PRIVATE | map.MAP_ANONYMOUS | (map.MAP_NORESERVE ?? 0),
    -1,
    0,
  );
  if (tableAddress === -1) throw new Error(`mmap of the table failed (errno ${b.errno()})`);
  const codeAddress = b.libc.mmap(
    0,
    page,
    prot.PROT_READ | prot.PROT_WRITE,
    map.MAP_PRIVATE | map.MAP_ANONYMOUS,
    -1,
    0,
  );
  if (codeAddress === -1) {
    b.libc.munmap(tableAddress, TABLE_BYTES);
    throw new Error(`mmap of the handler's page failed (errno ${b.errno()})`);
  }
  const codePage = b.arrayBuffer(codeAddress, page);
  const bytes = new Uint8ArrayCtor(codePage);
  typedArraySet(bytes, code, 0);
  const data = new DataViewCtor(codePage, DATA, 48);
  for (let i = 0; i < MAGIC_BYTES.length; i++) setU8(data, i, MAGIC_BYTES[i]!);
  setU32(data, 8, VERSION, true);
  setU64(data, 16, BigIntCtor(tableAddress), true);
  setU64(data, 24, BigIntCtor(previous), true);
  setU64(data, 32, ~BigIntCtor(page - 1) & 0xffffffffffffffffn, true);
  setU64(data, 40, BigIntCtor(page), true);
  // Executable only once it is no longer writable. (On aarch64, making a
  // page executable brings the instruction cache up to date.)
  if (b.libc.mprotect(codeAddress, page, prot.PROT_READ | prot.PROT_EXEC) !== 0) {
    const errno = b.errno();
    b.libc.munmap(codeAddress, page);
    b.libc.munmap(tableAddress, TABLE_BYTES);
    status = {
      active: false,
      reason: `the system refused an executable page for the SIGBUS handler (errno ${errno})`,
    };
    return null;
  }

  const act = new Uint8ArrayCtor(numbers.sigactionBytes);
  const actView = new DataViewCtor(act.buffer);
  setU64(actView, 0, BigIntCtor(codeAddress), true);
  // The previous handler is entered from this one: let it run with the mask it asked for.
  typedArraySet(
    act,
    typedArraySubarray(old, numbers.maskAt, numbers.maskAt + numbers.maskBytes),
    numbers.maskAt,
  );
  setI32(actView, numbers.flagsAt, numbers.SA_SIGINFO | numbers.SA_ONSTACK, true);
  const before = new Uint8ArrayCtor(numbers.sigactionBytes);
  if (sigaction(SIGBUS, b.addressOf(act), b.addressOf(before)) !== 0) {
    const errno = b.errno();
    b.libc.munmap(codeAddress, page);
    b.libc.munmap(tableAddress, TABLE_BYTES);
    throw new Error(`sigaction failed (errno ${errno})`);
  }
  const replaced = NumberCtor(getU64(new DataViewCtor(before.buffer), 0, true));
  if (replaced !== previous) {
    // Another thread (a Worker) installed a handler between the two calls:
    // put it back, and use its table if it is ours. (The page and table made
    // here stay mapped: a fault may be running this handler right now.)
    sigaction(SIGBUS, b.addressOf(before), 0);
    const theirs = replaced > 1 && replaced % page === 0 ? ours(b, replaced) : 0;
    if (!theirs) throw new Error("another SIGBUS handler was installed at the same time");
    status = { active: true, reason: "reused the handler another copy of @seed/mmap installed" };
    return new GuardTable(b.arrayBuffer(theirs, TABLE_BYTES));
  }
  status = { active: true, reason: "installed" };
  // The handler's page and the table live as long as the process.
  return new GuardTable(b.arrayBuffer(tableAddress, TABLE_BYTES));
}

/** The table address if `handler` is the start of a page of ours, else 0. */
function ours(b: Backend, handler: number): number {
  const data = new DataViewCtor(b.arrayBuffer(handler + DATA, 24));
  for (let i = 0; i < MAGIC_BYTES.length; i++) {
    if (getU8(data, i) !== MAGIC_BYTES[i]) return 0;
  }
  if (getU32(data, 8, true) !== VERSION) return 0;
  return NumberCtor(getU64(data, 16, true));
}

/** Each architecture's code as bytes (run at load, before any program code). */
function decodeAll(hex: Readonly<Record<string, string>>): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = { __proto__: null } as never;
  for (const arch of Object.keys(hex)) out[arch] = hexBytes(hex[arch]!);
  return out;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8ArrayCtor(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function readSwitch(): boolean {
  const name = "SEED_MMAP_GUARD";
  const g = globalThis as unknown as {
    Deno?: {
      env: { get(k: string): string | undefined };
      permissions: { querySync(d: { name: "env"; variable: string }): { state: string } };
    };
    process?: { env: Record<string, string | undefined> };
  };
  let value: string | undefined;
  try {
    if (g.Deno) {
      // Never prompt: without env access for this variable, the guard stays on.
      if (g.Deno.permissions.querySync({ name: "env", variable: name }).state === "granted") {
        value = g.Deno.env.get(name);
      }
    } else value = g.process?.env[name];
  } catch {
    value = undefined;
  }
  return value !== undefined && /^(0|off|false|no)$/i.test(value.trim());
}
