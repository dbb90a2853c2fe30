/**
 * Named POSIX shared memory for {@linkcode MMap.shared}: checking names and
 * options, opening the object and giving it its size.
 *
 * @module
 */
import { closeFd, statFd, truncateFd } from "../ffi/files.ts";
import { platform } from "../ffi/load.ts";
import { shmOpen, shmUnlink } from "../ffi/shm.ts";
import { checkOptions, toBool, toOptionalInt, typeName } from "./args.ts";

/**
 * Options of {@linkcode MMap.shared}.
 *
 * @example
 * ```ts
 * import { MMap } from "@seed/mmap";
 * using m = MMap.shared("jobs", 4096, { create: true, mode: 0o600 });
 * MMap.unlinkShared("jobs");
 * ```
 */
export interface SharedOptions {
  /** Create the region if it does not exist, and grow it to `length` if it is shorter. */
  create?: boolean;
  /** Create the region, failing with `EEXIST` if it exists already (implies `create`). */
  exclusive?: boolean;
  /** Permission bits of a region this call creates (default `0o600`: this user only). */
  mode?: number;
}

/**
 * A shared memory name, checked, without its optional leading slash:
 * `"counter"` and `"/counter"` name the same region (`/dev/shm/counter` on
 * Linux).
 */
export function sharedName(name: unknown): string {
  if (typeof name !== "string") {
    throw new TypeError(`shared memory name must be a string, not ${typeName(name)}`);
  }
  const bare = name.startsWith("/") ? name.slice(1) : name;
  if (bare.length === 0) throw new RangeError("shared memory name must not be empty");
  if (bare.includes("/")) {
    throw new TypeError(
      `shared memory name must not contain '/' after its first character: '${name}'`,
    );
  }
  if (bare.includes("\0")) throw new TypeError("shared memory name must not contain a null byte");
  if (bare === "." || bare === "..") {
    throw new TypeError(`shared memory name must not be '.' or '..': '${name}'`);
  }
  const max = platform.shm?.nameMax ?? 255;
  const bytes = new TextEncoder().encode(bare).length;
  if (bytes > max) {
    throw new RangeError(`shared memory name is too long: ${bytes} bytes, at most ${max}`);
  }
  return bare;
}

/**
 * Opens (and with `create`, creates and sizes) the region `name`. Returns its
 * descriptor, which the caller maps and closes, and the length to map.
 */
export function openShared(
  name: unknown,
  length: unknown,
  options: unknown,
): { fd: number; length: number } {
  const o = checkOptions(options, ["create", "exclusive", "mode"], "MMap.shared");
  const bare = sharedName(name);
  const size = toOptionalInt(length, "length") ?? 0;
  const exclusive = toBool(o.exclusive, "exclusive", false);
  const create = toBool(o.create, "create", false) || exclusive;
  const mode = toOptionalInt(o.mode, "mode") ?? 0o600;
  if (size < 0) throw new RangeError("memory mapped length must be positive");
  if (create && size === 0) {
    throw new RangeError("MMap.shared needs a length above 0 to create a region");
  }
  if (mode < 0 || mode > 0o7777) throw new RangeError(`mode must be 0 to 0o7777, not ${mode}`);
  const fd = shmOpen(bare, { create, exclusive, mode });
  try {
    if (create && statFd(fd, bare).size < size) truncateFd(fd, size, bare);
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  return { fd, length: size };
}

/** Removes the region `name` (see {@linkcode MMap.unlinkShared}). */
export function unlinkShared(name: unknown): void {
  shmUnlink(sharedName(name));
}
