/**
 * Access modes: the names users pass, CPython's rules for combining `access`
 * with `flags`/`prot`, and the protection actually asked of the kernel.
 *
 * @module
 */
import { toCInt, typeName } from "./args.ts";
import {
  ACCESS_COPY,
  ACCESS_DEFAULT,
  ACCESS_READ,
  ACCESS_WRITE,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_HUGETLB,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  PROT_READ,
  PROT_WRITE,
} from "./constants.ts";

/**
 * An access mode: an `ACCESS_*` constant or its name.
 *
 * @example
 * ```ts
 * import { ACCESS_COPY, MMap } from "@seed/mmap";
 * Deno.writeTextFileSync("a.bin", "abc");
 * using r = MMap.open("a.bin", { access: "read" });
 * using c = MMap.open("a.bin", { access: ACCESS_COPY });
 * Deno.removeSync("a.bin");
 * ```
 */
export type AccessMode =
  | typeof ACCESS_DEFAULT
  | typeof ACCESS_READ
  | typeof ACCESS_WRITE
  | typeof ACCESS_COPY
  | "default"
  | "read"
  | "write"
  | "copy";

const NAMES: Readonly<Record<string, number>> = {
  default: ACCESS_DEFAULT,
  read: ACCESS_READ,
  write: ACCESS_WRITE,
  copy: ACCESS_COPY,
};

/**
 * The `ACCESS_*` number of an access option. An unknown name gives -1, which
 * `resolveProtection` refuses in CPython's order (after "can't specify both").
 */
export function parseAccess(value: unknown): number {
  if (typeof value === "string") return NAMES[value] ?? -1;
  if (typeof value !== "number" && typeof value !== "bigint") {
    throw new TypeError(`access must be an ACCESS_* constant or a name, not ${typeName(value)}`);
  }
  return toCInt(value, "access");
}

/** The name CPython's repr uses for an access value. */
export function accessName(access: number): string {
  return ["ACCESS_DEFAULT", "ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY"][access] ?? "?";
}

/** What a map was asked for, once CPython's rules have been applied. */
export interface Protection {
  access: number;
  flags: number;
  prot: number;
}

/**
 * CPython's `new_mmap_object` rules: `access` replaces `flags`/`prot`, and
 * under ACCESS_DEFAULT the access is derived from `prot`. `MAP_FIXED` and
 * `MAP_FIXED_NOREPLACE` are refused: with no address to give, they ask for
 * memory at address 0 (which a privileged process gets, and which no
 * ArrayBuffer may cover; CPython then hands back a map that says it is closed).
 */
export function resolveProtection(
  access: number,
  flags: number | undefined,
  prot: number | undefined,
): Protection {
  const f = flags ?? MAP_SHARED;
  const p = prot ?? (PROT_READ | PROT_WRITE);
  if (f & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    throw new RangeError(
      "MAP_FIXED and MAP_FIXED_NOREPLACE need an address, which MMap never takes",
    );
  }
  // Huge pages with MAP_NORESERVE are taken from the pool only when first
  // touched, and a touch the pool cannot serve is SIGBUS: with no huge pages
  // configured (the default) the first load of a new map killed the process
  // (exit 135, Deno and Bun; anonymous memory has no fault guard). Without
  // MAP_NORESERVE the kernel reserves them up front, or fails with ENOMEM.
  if (MAP_HUGETLB !== 0 && f & MAP_HUGETLB && f & MAP_NORESERVE) {
    throw new RangeError(
      "MAP_HUGETLB with MAP_NORESERVE reserves no huge pages, and touching one the pool " +
        "cannot give is SIGBUS: leave MAP_NORESERVE out, so that mmap reserves them or fails",
    );
  }
  if (access !== ACCESS_DEFAULT && (f !== MAP_SHARED || p !== (PROT_READ | PROT_WRITE))) {
    throw new RangeError("mmap can't specify both access and flags, prot.");
  }
  switch (access) {
    case ACCESS_READ:
      return { access, flags: MAP_SHARED, prot: PROT_READ };
    case ACCESS_WRITE:
      return { access, flags: MAP_SHARED, prot: PROT_READ | PROT_WRITE };
    case ACCESS_COPY:
      return { access, flags: MAP_PRIVATE, prot: PROT_READ | PROT_WRITE };
    case ACCESS_DEFAULT: {
      const rw = PROT_READ | PROT_WRITE;
      const derived = (p & rw) === rw
        ? ACCESS_DEFAULT
        : p & PROT_WRITE
        ? ACCESS_WRITE
        : ACCESS_READ;
      return { access: derived, flags: f, prot: p };
    }
    default:
      throw new RangeError("mmap invalid access parameter.");
  }
}

/**
 * The flags and protection handed to `mmap(2)`. A store through a view into
 * a page without PROT_WRITE (or PROT_READ) kills the process, and JavaScript
 * has no read-only typed arrays; so such maps are made private and
 * read-write underneath. The API still refuses to write to them, and a store
 * through a view changes only this process's copy, never the file.
 *
 * Flags with no valid sharing type are left alone, so that the kernel
 * refuses them as it refuses CPython (EINVAL). `MAP_SHARED_VALIDATE` makes
 * the kernel check the other flags, and a private map checks nothing: then
 * `probe` asks the caller to map once exactly as requested first, to get the
 * kernel's verdict (EOPNOTSUPP for `MAP_SYNC` on most file systems, say).
 */
export function kernelProtection(
  p: Protection,
): { flags: number; prot: number; probe: boolean } {
  if (p.prot & PROT_WRITE) return { flags: p.flags, prot: p.prot | PROT_READ, probe: false };
  const shared = MAP_SHARED | MAP_SHARED_VALIDATE;
  const type = p.flags & shared;
  return {
    flags: type === 0 ? p.flags : (p.flags & ~shared) | MAP_PRIVATE,
    prot: p.prot | PROT_READ | PROT_WRITE,
    probe: type === MAP_SHARED_VALIDATE,
  };
}
