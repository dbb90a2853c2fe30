/**
 * What the suite does differently when it runs under emulation: the one
 * place that says so. `scripts/aarch64.mjs` (`npm run aarch64 -- test`) runs
 * the suite on the Linux aarch64 builds of Deno and Bun under qemu-user and
 * sets `SEED_EMULATED=1`.
 *
 * Under emulation, every case still runs and checks what it checks, except:
 * - the slowest cases run on smaller inputs (`scaled`) and get more time
 *   (`EMULATION_TIME`): qemu runs JIT-compiled code 10 to 50 times slower;
 * - the cases listed in `QEMU_CANNOT` are skipped, with the reason: qemu-user
 *   answers those system calls itself instead of passing them to the kernel,
 *   or the runtime cannot run that code under qemu at all. They run natively
 *   as always.
 */
import process from "node:process";
import { runtime } from "./_helpers.ts";
import type { Divergence, Result } from "./differential_run.ts";
import type { Encoded, SequenceSpec } from "./differential_gen.ts";

/** True when the suite runs under an emulator (`SEED_EMULATED=1`). */
export const emulated: boolean = process.env.SEED_EMULATED === "1";

/** `full` natively, `small` under emulation: for a case's input size, never for what it checks. */
export function scaled(full: number, small: number): number {
  return emulated ? small : full;
}

/**
 * Test options for a case that takes seconds natively: under emulation it
 * may take minutes (Bun's default timeout is 5 s; Deno has none).
 */
export const EMULATION_TIME: { timeout?: number } = emulated ? { timeout: 600_000 } : {};

/**
 * What qemu-user (Debian's 7.2) does not model, and so what the cases that
 * test it cannot check under emulation. Each reason names the system call.
 */
export const QEMU_CANNOT = {
  madviseAdvice: "qemu-user's madvise returns 0 for advice it does not pass to the kernel, " +
    "even for an invalid one such as -1, so the kernel's EINVAL for an advice a map refuses " +
    "cannot be seen",
  mapSharedValidate: "qemu-user refuses MAP_SHARED_VALIDATE with EINVAL, where the kernel " +
    "checks the flags it is given",
  protGrowsdown: "qemu-user's mmap refuses PROT_GROWSDOWN with EINVAL, where the kernel " +
    "accepts it",
  resizableBuffer: "Bun (JavaScriptCore) aborts the whole process at " +
    "new ArrayBuffer(n, { maxByteLength }) under qemu-user: its mprotect of the memory it " +
    "reserved fails with ENOMEM there (Deno's V8 is not affected)",
  openat2: "qemu-user (7.2) does not know openat2 and answers ENOSYS, so the WASI host " +
    "takes its other path (/proc/self/fd), which its own case checks under emulation too",
  populate: "qemu-user drops MAP_POPULATE from the flags of the mmap it passes to the kernel, " +
    "and answers madvise(MADV_POPULATE_READ) itself, so populate maps nothing in at open",
} as const;

/** The entries of `QEMU_CANNOT` that hold for one runtime only. */
const ONLY_UNDER: Partial<Record<keyof typeof QEMU_CANNOT, "bun" | "deno">> = {
  resizableBuffer: "bun",
};

/**
 * Test options for a case that needs what qemu cannot model: none natively;
 * under emulation (in the runtime it concerns), a skip that says why.
 */
export function needsKernel(what: keyof typeof QEMU_CANNOT): { skip?: string } {
  const only = ONLY_UNDER[what];
  if (!emulated || (only && only !== runtime)) return {};
  return { skip: `not under emulation: ${QEMU_CANNOT[what]}` };
}

/**
 * Which of `QEMU_CANNOT` explains a divergence of the differential fuzzer
 * (tests/differential_test.ts) under emulation, or null: the first
 * difference must be the very call qemu answers itself, answered as qemu
 * answers it. Natively, nothing is explained away.
 */
export function qemuExplains(d: Divergence, spec: SequenceSpec): keyof typeof QEMU_CANNOT | null {
  if (!emulated) return null;
  const py = d.cpython as Result | null;
  const js = d.mmap as Result | null;
  const int = (v: Encoded | undefined): number => (v?.t === "int" ? Number(v.v) : 0);
  if (d.at === "open" && js?.e === "MMapOSError" && js.errno === EINVAL && py?.e !== js.e) {
    if ((int(spec.open.opts.flags) & MAP_SHARED_VALIDATE) === MAP_SHARED_VALIDATE) {
      return "mapSharedValidate";
    }
    if (int(spec.open.opts.prot) & PROT_GROWSDOWN) return "protGrowsdown";
  }
  if (typeof d.at === "number" && d.op?.op === "madvise" && py?.e === "OSError" && !js?.e) {
    return "madviseAdvice";
  }
  return null;
}

const EINVAL = 22;
const MAP_SHARED_VALIDATE = 0x03;
const PROT_GROWSDOWN = 0x01000000;

/**
 * A time limit of `ms` natively, ten times that under emulation: for how
 * long a test waits for another process before it calls the wait failed
 * (an emulated runtime takes seconds to start, and more on a loaded machine).
 */
export function patience(ms: number): number {
  return emulated ? ms * 10 : ms;
}
