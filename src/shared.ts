/**
 * Named POSIX shared memory for {@linkcode MMap.shared}: checking names and
 * options, opening the object and giving it its size.
 *
 * @module
 */
import { closeFd, statFd, truncateFd } from "../ffi/files.ts";
import { type Created, openCreating } from "../ffi/create.ts";
import { platform } from "../ffi/load.ts";
import { shmOpen, shmUnlink } from "../ffi/shm.ts";
import { growFile } from "../ffi/space.ts";
import {
  encodeUtf8,
  stringIndexOf,
  stringSlice,
  typedArrayByteLength as lengthOf,
} from "../ffi/primordials.ts";
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
  /**
   * Grow the region without reserving its memory (default `false`). Risk: when
   * `/dev/shm` is full, the first store into the unreserved part kills the
   * process with `SIGBUS`. Also the default of the map's
   * {@linkcode MMap.resize}.
   */
  sparse?: boolean;
  /** Catch faults in the region's pages (default `true`; see {@linkcode MMap.faulted}). */
  guard?: boolean;
}

/** An opened region: its descriptor, the length to map, and how to undo the opening. */
export interface OpenedRegion {
  fd: number;
  length: number;
  sparse: boolean;
  guard: boolean;
  /** After a failure: removes a region this call created, or shrinks one it grew back. */
  undo(): void;
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
  // Captured string methods: a patched `includes` let "a/../../x" through.
  const bare = name[0] === "/" ? stringSlice(name, 1) : name;
  if (bare.length === 0) throw new RangeError("shared memory name must not be empty");
  if (stringIndexOf(bare, "/") >= 0) {
    throw new TypeError(
      `shared memory name must not contain '/' after its first character: '${name}'`,
    );
  }
  if (stringIndexOf(bare, "\0") >= 0) {
    throw new TypeError("shared memory name must not contain a null byte");
  }
  if (bare === "." || bare === "..") {
    throw new TypeError(`shared memory name must not be '.' or '..': '${name}'`);
  }
  const max = platform.shm?.nameMax ?? 255;
  const bytes = lengthOf(encodeUtf8(bare));
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
): OpenedRegion {
  const o = checkOptions(
    options,
    ["create", "exclusive", "mode", "sparse", "guard"],
    "MMap.shared",
  );
  const bare = sharedName(name);
  const size = toOptionalInt(length, "length") ?? 0;
  const exclusive = toBool(o.exclusive, "exclusive", false);
  const create = toBool(o.create, "create", false) || exclusive;
  const mode = toOptionalInt(o.mode, "mode") ?? 0o600;
  const sparse = toBool(o.sparse, "sparse", false);
  const guard = toBool(o.guard, "guard", true);
  if (size < 0) throw new RangeError("memory mapped length must be positive");
  if (create && size === 0) {
    throw new RangeError("MMap.shared needs a length above 0 to create a region");
  }
  if (mode < 0 || mode > 0o7777) throw new RangeError(`mode must be 0 to 0o7777, not ${mode}`);
  // Knowing whether this call made the region lets a failure remove it again.
  const { fd, created }: Created = exclusive
    ? { fd: shmOpen(bare, { create, exclusive, mode }), created: true }
    : create
    ? openCreating((step) =>
      shmOpen(bare, { create: step !== "existing", exclusive: step === "new", mode })
    )
    : { fd: shmOpen(bare, { create, exclusive, mode }), created: false };
  let grewFrom: number | undefined;
  const undo = () => {
    try {
      if (created) shmUnlink(bare);
      else if (grewFrom !== undefined) truncateFd(fd, grewFrom, bare);
    } catch { /* the caller reports the failure that led here */ }
  };
  try {
    const before = create ? statFd(fd, bare).size : size;
    if (before < size) {
      // On tmpfs, posix_fallocate takes the pages now: a full /dev/shm is ENOSPC here.
      growFile(fd, before, size, sparse, `/${bare}`);
      grewFrom = before;
    }
  } catch (e) {
    undo();
    closeFd(fd);
    throw e;
  }
  return { fd, length: size, sparse, guard, undo };
}

/** Removes the region `name` (see {@linkcode MMap.unlinkShared}). */
export function unlinkShared(name: unknown): void {
  shmUnlink(sharedName(name));
}
