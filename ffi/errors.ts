/**
 * The library's own error class. Everything else it throws is a built-in:
 * `RangeError` for ranges and sizes, `TypeError` for wrong types, a closed map
 * and writes to a read-only map.
 *
 * @module
 */
import { platform } from "./load.ts";

// strerror() texts, as glibc (and so CPython) prints them.
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  ESRCH: "No such process",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  E2BIG: "Argument list too long",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EFAULT: "Bad address",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  EXDEV: "Invalid cross-device link",
  ENODEV: "No such device",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  ENFILE: "Too many open files in system",
  EMFILE: "Too many open files",
  ETXTBSY: "Text file busy",
  EFBIG: "File too large",
  ENOSPC: "No space left on device",
  ESPIPE: "Illegal seek",
  EROFS: "Read-only file system",
  EPIPE: "Broken pipe",
  ERANGE: "Numerical result out of range",
  EDEADLK: "Resource deadlock avoided",
  ENAMETOOLONG: "File name too long",
  ENOSYS: "Function not implemented",
  ENOTEMPTY: "Directory not empty",
  ELOOP: "Too many levels of symbolic links",
  EOVERFLOW: "Value too large for defined data type",
  EOPNOTSUPP: "Operation not supported",
  ETIMEDOUT: "Connection timed out",
  EOWNERDEAD: "Owner died",
  ENOTRECOVERABLE: "State not recoverable",
};

const NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(platform.errno).map(([name, n]) => [n, name]),
);

/** The symbolic name of an errno value on this platform, e.g. `"ENOENT"`. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

/** The errno value of a symbolic name on this platform, e.g. `2` for `"ENOENT"`. */
export function errnoValue(code: string): number | undefined {
  return platform.errno[code];
}

/**
 * A failed system call, as CPython's `OSError`: `errno` is the number,
 * `code` its name (`"ENOENT"`), `syscall` the call that failed, and `path`
 * the file involved, where there is one.
 *
 * @example Telling a missing file apart
 * ```ts
 * import { MMap, MMapOSError } from "@seed/mmap";
 * try {
 *   MMap.open("/no/such/file");
 * } catch (e) {
 *   if (e instanceof MMapOSError && e.code === "ENOENT") console.log("missing");
 * }
 * ```
 */
export class MMapOSError extends Error {
  /** The errno value, e.g. 2. */
  readonly errno: number;
  /** The errno name, e.g. `"ENOENT"`. */
  readonly code: string;
  /** The system call that failed, e.g. `"open"`; `"SIGBUS"` for a fault in a map's pages. */
  readonly syscall: string;
  /** The file the call was about, if any. */
  readonly path?: string;

  /**
   * Builds the error for a failed call, with CPython's `[Errno N] text` message.
   *
   * @param errno the errno value
   * @param syscall the name of the failed call
   * @param path the file involved, if any
   * @param hint what the likely cause is, appended to the message
   * @param message a message of its own instead of `[Errno N] text: 'path'`
   */
  constructor(errno: number, syscall: string, path?: string, hint?: string, message?: string) {
    const code = errnoName(errno);
    const text = DESCRIPTIONS[code] ?? "Unknown error";
    const where = path === undefined ? "" : `: '${path}'`;
    super(
      message
        ? `${message} (${code})`
        : `[Errno ${errno}] ${text}${where} (${code}, ${syscall})${hint ? `: ${hint}` : ""}`,
    );
    this.name = "MMapOSError";
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    if (path !== undefined) this.path = path;
  }
}

/**
 * The error of a map whose file shrank or failed under it: the fault guard
 * (ffi/guard/) caught the fault and put a zero page in place of the lost one.
 */
export function faultError(path: string | undefined): MMapOSError {
  const file = path === undefined
    ? "the file behind this map"
    : `the file behind this map ('${path}')`;
  return new MMapOSError(
    errnoValue("EIO") ?? 5,
    "SIGBUS",
    path,
    undefined,
    `${file} shrank or failed under it: the pages it lost read as zeros now, and stores into ` +
      `them go nowhere (they never reach the file); close() the map, and map the file again`,
  );
}

/**
 * The `EINVAL` of a `madvise(MADV_REMOVE)` refused before the kernel saw it:
 * the advice frees whole pages of the file behind the map (it punches a hole
 * in the file), so a range that starts inside a page, or ends inside one
 * that is not the file's last, would zero bytes of the file it does not
 * name. `[start, end)` is the range as the caller gave it; `note` says more
 * about an end that could not be shown to be the end of the file.
 */
export function removeRangeError(
  start: number,
  end: number,
  page: number,
  startsInside: boolean,
  note?: string,
): MMapOSError {
  const where = startsInside
    ? `[${start}, ${end}) starts inside a page, whose bytes before it would be zeroed too`
    : `[${start}, ${end}) ends inside a page that is not the file's last, whose bytes after it ` +
      "would be zeroed too";
  return new MMapOSError(
    errnoValue("EINVAL") ?? 22,
    "madvise",
    undefined,
    `MADV_REMOVE frees whole pages of the file (it punches a hole in it), so the range must be ` +
      `page-aligned (PAGESIZE ${page}): it must start on a page boundary and end on one or at ` +
      `the end of the file; ${where}${note ? ` (${note})` : ""}; nothing was advised`,
  );
}
