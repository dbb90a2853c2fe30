/**
 * The guest import module `"mmap"`: `map`, `unmap`, `sync`, `advise`, as
 * `wasm/include/wasi_mmap.h` documents them for C guests. A guest maps the
 * file behind a WASI descriptor it opened with `path_open`; the host honours
 * the rights the descriptor was opened with.
 *
 * Every function returns 0 (or an address) on success and a negated WASI
 * errno on failure; none ever throws into the guest.
 *
 * @module
 */
import { fstatFull } from "../ffi/host_files.ts";
import {
  MADV_DONTNEED,
  MADV_NORMAL,
  MADV_RANDOM,
  MADV_SEQUENTIAL,
  MADV_WILLNEED,
  MAP_PRIVATE,
  MAP_SHARED,
  MS_ASYNC,
  MS_INVALIDATE,
  MS_SYNC,
  PAGESIZE,
  PROT_READ,
  PROT_WRITE,
} from "../src/constants.ts";
import type { Mapping } from "../ffi/mapping.ts";
import {
  bigIntAsIntN,
  BigIntCtor as BigInt,
  insertOwn,
  NumberCtor as Number,
  ownList,
  removeOwn,
} from "../ffi/primordials.ts";
import { kernelProtection } from "../src/access.ts";
import { Errno, errnoOf } from "./errno.ts";
import { fileKeyOfFd } from "./file_guard.ts";
import { GuestMemory, type Region, roundUp, WASM_PAGE } from "./guest_memory.ts";
import type { HostContext, Syscall } from "./host_context.ts";
import { ERRNO, FILETYPE, RIGHTS } from "./wasi_defs.ts";

/**
 * `prot` bits of the guest's `map` (wasi_mmap.h: `WASI_PROT_*`).
 *
 * @example Calling the import from JavaScript, as a guest would
 * ```ts
 * import { GUEST_MAP, GUEST_PROT, WASI } from "@seed/mmap/wasm";
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * const { mmap } = new WASI({ memory }).getImportObject();
 * const address = mmap.map(-1, 0n, 65536, GUEST_PROT.READ, GUEST_MAP.PRIVATE | GUEST_MAP.ANONYMOUS);
 * console.log(address); // 65536: a new page of zeros
 * ```
 */
export const GUEST_PROT = { READ: 1, WRITE: 2 } as const;
/**
 * `flags` bits of the guest's `map` (`WASI_MAP_*`): exactly one of SHARED
 * and PRIVATE, optionally ANONYMOUS.
 *
 * @example
 * ```ts
 * import { GUEST_MAP } from "@seed/mmap/wasm";
 * console.log(GUEST_MAP.SHARED | GUEST_MAP.ANONYMOUS); // 5
 * ```
 */
export const GUEST_MAP = { SHARED: 1, PRIVATE: 2, ANONYMOUS: 4 } as const;
/**
 * `flags` bits of the guest's `sync` (`WASI_MS_*`).
 *
 * @example
 * ```ts
 * import { GUEST_MS } from "@seed/mmap/wasm";
 * console.log(GUEST_MS.SYNC | GUEST_MS.INVALIDATE); // 6
 * ```
 */
export const GUEST_MS = { ASYNC: 1, INVALIDATE: 2, SYNC: 4 } as const;

// __wasi_advice_t order: normal, sequential, random, willneed, dontneed, noreuse.
const ADVICE: readonly (number | undefined)[] = [
  MADV_NORMAL,
  MADV_SEQUENTIAL,
  MADV_RANDOM,
  MADV_WILLNEED,
  MADV_DONTNEED,
  undefined, // noreuse: no Linux equivalent, accepted and ignored
];

/** The functions of the `"mmap"` import module for one WASI instance. */
export function guestMmap(ctx: HostContext): Record<string, Syscall> {
  const owner = {};
  // Ranges given back, sorted by start, never touching: a list with no
  // prototype, walked by index (a patched `push`, `sort` or `splice` could
  // otherwise hand out a range the guest still uses).
  const free = ownList<{ start: number; end: number }>();

  const take = (gm: GuestMemory, span: number): number => {
    let i = 0;
    while (i < free.length && free[i]!.end - free[i]!.start < span) i++;
    if (i === free.length) {
      try {
        return gm.grow(span);
      } catch (e) {
        // The memory is at its maximum (or 4 GiB).
        throw e instanceof RangeError ? new Errno(ERRNO.NOMEM) : e;
      }
    }
    const range = free[i]!;
    const start = range.start;
    range.start += span;
    if (range.start === range.end) removeOwn(free, i);
    return start;
  };

  const giveBack = (start: number, end: number): void => {
    let i = 0;
    while (i < free.length && free[i]!.start < start) i++;
    insertOwn(free, i, { start, end });
    // Joined with its neighbours where they touch.
    const after = free[i + 1];
    if (after && after.start === end) {
      free[i]!.end = after.end;
      removeOwn(free, i + 1);
    }
    const before = free[i - 1];
    if (before && before.end === start) {
      before.end = free[i]!.end;
      removeOwn(free, i);
    }
  };

  /** The guest's region holding `[start, end)`, or an errno. */
  const regionOf = (gm: GuestMemory, start: number, end: number): Region | number => {
    if (start % WASM_PAGE) return ERRNO.INVAL;
    const r = gm.regionAt(start, end);
    return r && r.owner === owner ? r : ERRNO.NOMEM;
  };

  /**
   * Runs `act` on the pages of `[address, address + length)` if map() made
   * them (0), else returns -EINVAL/-ENOMEM as msync and madvise do.
   */
  const onMapped = (
    address: number,
    length: number,
    act: (base: Mapping, addr: number, span: number) => void,
  ): number => {
    const gm = GuestMemory.of(ctx.memory());
    const addr = address >>> 0;
    const span = roundUp(length >>> 0, PAGESIZE);
    const r = regionOf(gm, addr, addr + span);
    if (typeof r === "number") return -r;
    if (span) act(gm.base(), addr, span);
    return 0;
  };

  const guarded = (fn: () => number) => {
    try {
      return fn();
    } catch (e) {
      return -errnoOf(e);
    }
  };

  return {
    map: (fd: number, offset: bigint, length: number, prot: number, flags: number): number =>
      guarded(() => {
        const gm = GuestMemory.of(ctx.memory());
        const len = length >>> 0;
        const off = bigIntAsIntN(64, offset);
        const share = flags & (GUEST_MAP.SHARED | GUEST_MAP.PRIVATE);
        if (gm.index64 || len === 0 || prot & ~3 || flags & ~7) return -ERRNO.INVAL;
        if (share !== GUEST_MAP.SHARED && share !== GUEST_MAP.PRIVATE) return -ERRNO.INVAL;
        if (off < 0n || off % BigInt(WASM_PAGE) || off > BigInt(Number.MAX_SAFE_INTEGER)) {
          return -ERRNO.INVAL;
        }
        const write = (prot & GUEST_PROT.WRITE) !== 0;
        const shared = share === GUEST_MAP.SHARED;
        let hostFd = -1;
        if (!(flags & GUEST_MAP.ANONYMOUS)) {
          const e = ctx.fds.get(fd >>> 0);
          if (e.kind !== "file" || e.filetype !== FILETYPE.REGULAR_FILE) return -ERRNO.NODEV;
          if (!(e.rights & RIGHTS.FD_READ)) return -ERRNO.NOTCAPABLE;
          if (shared && write && !(e.rights & RIGHTS.FD_WRITE)) return -ERRNO.NOTCAPABLE;
          hostFd = e.hostFd;
          // File pages only where the engine cannot move them (see GuestMemory.mayMove).
          if (gm.mayMove()) return -ERRNO.NOTSUP;
        }
        const span = roundUp(len, WASM_PAGE);
        const start = take(gm, span);
        const region = gm.claim(start, start + span, owner);
        try {
          // Free and freshly grown pages are zero already: only files need placing.
          if (hostFd >= 0) {
            const kernel = kernelProtection({
              access: 0,
              flags: shared ? MAP_SHARED : MAP_PRIVATE,
              prot: PROT_READ | (write ? PROT_WRITE : 0),
            });
            const size = Number(fstatFull(hostFd).size);
            const bytes = gm.placeFile(start, span, hostFd, Number(off), size, kernel);
            if (bytes > 0) gm.guard(region, fileKeyOfFd(hostFd), Number(off) + bytes);
          }
        } catch (e) {
          gm.forget(region);
          giveBack(start, start + span);
          throw e;
        }
        return start | 0;
      }),

    unmap: (address: number, length: number): number =>
      guarded(() => {
        const gm = GuestMemory.of(ctx.memory());
        const addr = address >>> 0;
        const end = addr + roundUp(length >>> 0, WASM_PAGE);
        if (end === addr) return -ERRNO.INVAL;
        const r = regionOf(gm, addr, end);
        if (typeof r === "number") return -(r === ERRNO.NOMEM ? ERRNO.INVAL : r);
        gm.placeZeros(addr, end - addr);
        // Pieces left on either side keep the file guard; forget() drops it with the last.
        if (r.start < addr) gm.insert({ start: r.start, end: addr, owner, guard: r.guard });
        if (end < r.end) gm.insert({ start: end, end: r.end, owner, guard: r.guard });
        gm.forget(r);
        giveBack(addr, end);
        return 0;
      }),

    sync: (address: number, length: number, flags: number): number =>
      guarded(() => {
        if (flags & ~7 || (flags & GUEST_MS.ASYNC && flags & GUEST_MS.SYNC)) return -ERRNO.INVAL;
        const host = (flags & GUEST_MS.ASYNC ? MS_ASYNC : 0) |
          (flags & GUEST_MS.SYNC ? MS_SYNC : 0) | (flags & GUEST_MS.INVALIDATE ? MS_INVALIDATE : 0);
        return onMapped(address, length, (base, addr, span) => base.sync(addr, span, host));
      }),

    advise: (address: number, length: number, advice: number): number =>
      guarded(() => {
        if (advice >>> 0 >= ADVICE.length) return -ERRNO.INVAL;
        const madv = ADVICE[advice];
        return onMapped(address, length, (base, addr, span) => {
          if (madv !== undefined) base.advise(addr, span, madv);
        });
      }),
  };
}
