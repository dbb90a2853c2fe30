/**
 * Turning whatever the host's file calls throw into a WASI errno, so that no
 * exception ever reaches a guest.
 *
 * @module
 */
import { ERRNO } from "./wasi_defs.ts";

/** Thrown inside the host to return `errno` from the current call. */
export class Errno {
  /** The WASI errno value. */
  readonly errno: number;
  /**
   * Carries an errno to the import boundary.
   *
   * @param errno the WASI errno value
   */
  constructor(errno: number) {
    this.errno = errno;
  }
}

// POSIX names whose WASI name is not simply the name without its "E".
const ALIASES: Readonly<Record<string, number>> = {
  EWOULDBLOCK: ERRNO.AGAIN,
  EOPNOTSUPP: ERRNO.NOTSUP,
  ENOTSUP: ERRNO.NOTSUP,
  EDEADLOCK: ERRNO.DEADLK,
  // node:fs's own codes for what the kernel would call EISDIR/EINVAL.
  ERR_FS_EISDIR: ERRNO.ISDIR,
  ERR_INVALID_ARG_VALUE: ERRNO.INVAL,
  ERR_INVALID_ARG_TYPE: ERRNO.INVAL,
  ERR_OUT_OF_RANGE: ERRNO.INVAL,
  ERR_FS_FILE_TOO_LARGE: ERRNO.FBIG,
};

/** The WASI errno of a POSIX error name such as `"ENOENT"`, or `EIO`. */
export function errnoFromCode(code: string): number {
  const alias = ALIASES[code];
  if (alias !== undefined) return alias;
  const value = (ERRNO as Record<string, number>)[code.slice(1)];
  return code.startsWith("E") && value !== undefined ? value : ERRNO.IO;
}

/**
 * The WASI errno for anything a host call threw: an `Errno`, an error with
 * a POSIX `code` (node:fs, `MMapOSError`), or a `RangeError` from reaching
 * outside guest memory (`EFAULT`).
 */
export function errnoOf(e: unknown): number {
  if (e instanceof Errno) return e.errno;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === "string") return errnoFromCode(code);
  if (e instanceof RangeError) return ERRNO.FAULT;
  return ERRNO.IO;
}
