/**
 * What Linux's `/proc/<pid>/stat` says of a process: its state (a zombie,
 * `Z`, has exited but not been reaped: `kill(pid, 0)` still finds it) and
 * its start time (field 22, clock ticks since boot), which tells a process
 * from a later one that got the same pid. Read through libc, as the rest of
 * the library reads files, and only where the runtime's permissions allow.
 *
 * @module
 */
import { closeFd, openFile } from "./files.ts";
import { backend } from "./load.ts";
import { typedArrayByteLength as lengthOf } from "./primordials.ts";

/** The two fields of `/proc/<pid>/stat` a lock owner's liveness needs. */
export interface ProcStat {
  /** One letter: `R`, `S`, `D`, `Z` (zombie), `X` (dead), ... */
  state: string;
  /** Field 22: when the process started, in clock ticks after boot. */
  startTime: number;
}

const buffer = new Uint8Array(1024);
const decoder = new TextDecoder();

/**
 * `/proc/<pid>/stat` (`"self"` for this process), or null where it cannot be
 * read. Read as the main thread's, `/proc/<pid>/task/<pid>/stat`, which
 * holds the same state and start time: qemu-user (which runs aarch64
 * containers on x86_64 hosts) answers `/proc/self/stat` and
 * `/proc/<its own pid>/stat` itself, with state `0` and a start time of its
 * own reckoning, ticks away from the kernel's that other processes read.
 */
export function procStat(pid: number | "self"): ProcStat | null {
  const b = backend();
  if (b.platform.os !== "linux") return null;
  const id = pid === "self" ? b.libc.getpid() : pid;
  let fd: number;
  try {
    fd = openFile(`/proc/${id}/task/${id}/stat`, { write: false });
  } catch {
    return null; // gone, no /proc, or denied by the runtime's permissions
  }
  try {
    const n = b.libc.pread(fd, buffer, lengthOf(buffer), 0);
    if (n <= 0) return null;
    const text = decoder.decode(buffer.subarray(0, n));
    // The command name (field 2) is in parentheses and may hold any byte.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const startTime = Number(fields[19]);
    if (!fields[0] || !Number.isSafeInteger(startTime)) return null;
    return { state: fields[0], startTime };
  } finally {
    closeFd(fd);
  }
}

/** A process's start time folded into 1..511 (0 means unknown), for a lock word's spare bits. */
export function startFingerprint(stat: ProcStat | null): number {
  return stat ? (stat.startTime % 511) + 1 : 0;
}
