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
import {
  decodeUtf8,
  isSafeInteger,
  NumberCtor,
  stringIndexOf,
  stringLastIndexOf,
  stringSlice,
  typedArrayByteLength as lengthOf,
  typedArraySubarray,
} from "./primordials.ts";

/** The two fields of `/proc/<pid>/stat` a lock owner's liveness needs. */
export interface ProcStat {
  /** One letter: `R`, `S`, `D`, `Z` (zombie), `X` (dead), ... */
  state: string;
  /** Field 22: when the process started, in clock ticks after boot. */
  startTime: number;
}

const buffer = new Uint8Array(1024);

/**
 * `/proc/<pid>/stat` (`"self"` for this process), or null where it cannot be
 * read. Read as the main thread's, `/proc/<pid>/task/<pid>/stat`, which
 * holds the same state and start time: qemu-user (which runs aarch64
 * containers on x86_64 hosts) answers `/proc/self/stat` and
 * `/proc/<its own pid>/stat` itself, with state `0` and a start time of its
 * own reckoning, ticks away from the kernel's that other processes read.
 */
export function procStat(pid: number | "self", group?: number): ProcStat | null {
  const b = backend();
  if (b.platform.os !== "linux") return null;
  const id = pid === "self" ? b.libc.getpid() : pid;
  let fd: number;
  try {
    // `group`: thread `id` of that process only (another process's thread of that id is not it).
    fd = openFile(`/proc/${group ?? id}/task/${id}/stat`, { write: false });
  } catch {
    return null; // gone, no /proc, or denied by the runtime's permissions
  }
  try {
    const n = b.libc.pread(fd, buffer, lengthOf(buffer), 0);
    if (n <= 0) return null;
    // Parsed with captured string methods: a patched `split` answering "Z"
    // made a live lock owner look dead, and its lock was taken from it.
    const text = decodeUtf8(typedArraySubarray(buffer, 0, n));
    // The command name (field 2) is in parentheses and may hold any byte.
    const from = stringLastIndexOf(text, ")") + 2;
    const state = field(text, from, 0);
    const startTime = NumberCtor(field(text, from, 19));
    if (!state || !isSafeInteger(startTime)) return null;
    return { state, startTime };
  } finally {
    closeFd(fd);
  }
}

/** The space-separated field `k` of `text` from `from` ("" past the end). */
function field(text: string, from: number, k: number): string {
  let at = from;
  for (let i = 0; i < k; i++) {
    const space = stringIndexOf(text, " ", at);
    if (space < 0) return "";
    at = space + 1;
  }
  const end = stringIndexOf(text, " ", at);
  return stringSlice(text, at, end < 0 ? text.length : end);
}

/** A process's start time folded into 1..511 (0 means unknown), for a lock word's spare bits. */
export function startFingerprint(stat: ProcStat | null): number {
  return stat ? (stat.startTime % 511) + 1 : 0;
}
