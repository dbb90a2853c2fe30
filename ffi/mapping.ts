/**
 * One mapped address range, and the libc calls that act on it. The address
 * never leaves this object: the facade sees offsets and ArrayBuffers only.
 *
 * Callers check ranges and raise the errors users see; this layer checks
 * again, with captured intrinsics, that every range it hands to libc or to
 * an ArrayBuffer lies inside its own pages: the last line between a value
 * that went wrong above (a patched `Math.min` or `Number.isSafeInteger`, a
 * NaN that passed a comparison) and a store into memory that is not the map.
 *
 * @module
 */
import { type AddressKind, addressKind } from "./vm_areas.ts";
import type { Backend, SearchView } from "./backend.ts";
import { removeRangeError } from "./errors.ts";
import { lastError, pageSize } from "./files.ts";
import { backend } from "./load.ts";
import {
  ArrayBufferCtor,
  bufferByteLength,
  detachBuffer,
  isInteger,
  isSafeInteger,
  mathMax,
  mathMin,
  typedArrayByteLength as lengthOf,
  typedArrayLastIndexOf,
  Uint8ArrayCtor,
} from "./primordials.ts";
import { GuardedParts } from "./guard/parts.ts";

/** Linux's `MREMAP_FIXED` (the same on every architecture; only Linux has mremap). */
const MREMAP_FIXED = 2;

/** Below this many bytes a libc call beats building an engine view to search. */
const NATIVE_MIN = 1 << 12;

/** A live `mmap(2)` region. */
export class Mapping {
  #b: Backend;
  #address: number;
  #length: number;
  #borrowed: boolean;
  /**
   * Bytes mapped before `#address`: where an unaligned file offset was
   * asked for, the pages start at the page boundary below it and the range
   * this object shows starts at the requested byte.
   */
  #skip = 0;
  /** The engine's search view over the whole range, made on first use. */
  #search: SearchView | null = null;
  /** Called once when the range is unmapped or moved (see `onRelease`). */
  #onRelease: (() => void) | null = null;
  /** The parts of the range the fault guard watches (file pages only). */
  #guards: GuardedParts | null = null;
  /** A fault was seen in a copy of these pages elsewhere (see `noteFault`). */
  #faulted = false;

  private constructor(b: Backend, address: number, length: number, borrowed = false) {
    this.#b = b;
    this.#address = address;
    this.#length = length;
    this.#borrowed = borrowed;
  }

  /**
   * `mmap(2)`: maps `length` bytes of `fd` (or anonymous memory for fd -1)
   * from `offset`. File pages are guarded against faults unless `guard` is false.
   * An `offset` that is not a multiple of the page size maps from the page
   * boundary below it, and the range starts at `offset`.
   */
  static map(
    length: number,
    prot: number,
    flags: number,
    fd: number,
    offset: number,
    path?: string,
    guard = true,
  ): Mapping {
    // Any whole size goes to the kernel (too large is its ENOMEM, as in CPython); NaN never.
    if (!isInteger(length) || length < 0 || !isInteger(offset) || offset < 0) {
      throw new RangeError(`@seed/mmap: cannot map ${length} bytes from offset ${offset}`);
    }
    const b = backend();
    const skip = offset === 0 || length === 0 ? 0 : offset % pageSize();
    const address = b.libc.mmap(0, length + skip, prot, flags, fd, offset - skip);
    if (address === -1) throw lastError("mmap", path);
    const m = new Mapping(b, address + skip, length);
    m.#skip = skip;
    if (fd !== -1 && guard) m.#guard(0, length);
    return m;
  }

  /**
   * Reserves `length` bytes of address space that cannot be touched
   * (`PROT_NONE`), for pieces to be placed into with `mapFixed`.
   */
  static reserve(length: number): Mapping {
    const b = backend();
    const { map, prot } = b.platform;
    const address = b.libc.mmap(
      0,
      length,
      prot.PROT_NONE,
      map.MAP_PRIVATE | map.MAP_ANONYMOUS | (map.MAP_NORESERVE ?? 0),
      -1,
      0,
    );
    if (address === -1) throw lastError("mmap");
    return new Mapping(b, address, length);
  }

  /**
   * The memory under an ArrayBuffer this library did not map (a
   * WebAssembly memory, say), to place file pages into with `mapFixed`.
   * `unmap()` refuses: the engine owns that memory.
   */
  static borrow(buffer: ArrayBuffer): Mapping {
    const b = backend();
    return new Mapping(b, b.addressOf(buffer), bufferByteLength(buffer), true);
  }

  /**
   * A borrowed range whose memory grew in place (WebAssembly `grow`) takes
   * the length of `now`, a fresh borrow of the same memory, so that pages
   * may be placed in the new part.
   */
  grewTo(now: Mapping): void {
    if (this.#borrowed && now.#address === this.#address && now.#length > this.#length) {
      this.#length = now.#length;
    }
  }

  /**
   * `mmap(2)` with `MAP_FIXED` over `[offset, offset + length)` of this
   * range: replaces those pages with `fd`'s pages from `fileOffset` (or
   * anonymous zero pages for fd -1). `offset` and `length` must be
   * page-aligned and inside the range; the caller checks. File pages are
   * guarded against faults unless `guard` is false.
   */
  mapFixed(
    offset: number,
    length: number,
    prot: number,
    flags: number,
    fd: number,
    fileOffset: number,
    path?: string,
    guard = true,
  ): void {
    this.#within(offset, length);
    const { map } = this.#b.platform;
    const want = this.#address + offset;
    const anon = fd === -1 ? map.MAP_ANONYMOUS : 0;
    const got = this.#b.libc.mmap(want, length, prot, flags | map.MAP_FIXED | anon, fd, fileOffset);
    if (got === -1) throw lastError("mmap", path);
    if (got !== want) throw new Error(`mmap(MAP_FIXED) placed pages at ${got}, not ${want}`);
    this.#guards?.removeWithin(offset, offset + length);
    if (fd !== -1 && guard) this.#guard(offset, length);
  }

  /**
   * Maps this range's pages a second time, at `offset` of `target` (a
   * reserved or borrowed range), with `mremap(2)` and an old size of 0: the
   * two stay one memory. Only shared maps can be doubled so; returns false
   * for private ones and where there is no `mremap` (macOS). `length` is
   * this range's, rounded up to whole pages; the caller checks it fits.
   */
  shareInto(target: Mapping, offset: number, length: number): boolean {
    const { libc, platform } = this.#b;
    if (!libc.mremap || !platform.mremapMayMove || this.#length === 0) return false;
    const want = target.#address + offset;
    const got = libc.mremap(this.#address, 0, length, platform.mremapMayMove | MREMAP_FIXED, want);
    if (got !== want) return false;
    if (this.#guards) target.#guard(offset, length);
    return true;
  }

  /** Publishes `[offset, offset + length)` to the fault guard (where it is active). */
  #guard(offset: number, length: number): void {
    this.#guards ??= GuardedParts.make();
    this.#guards?.add(this.#address, offset, length);
  }

  /**
   * Whether a page of `[offset, offset + length)` (all of it by default)
   * faulted since it was mapped, that is, read as zeros because the file
   * behind it shrank or failed; or `noteFault()` was called.
   */
  faulted(offset = 0, length: number = this.#length): boolean {
    return this.#faulted || (this.#guards?.faulted(offset, length) ?? false);
  }

  /** Records a fault seen in a copy of these pages elsewhere (the search kernel's memory). */
  noteFault(): void {
    this.#faulted = true;
  }

  /**
   * Registers `fn` to run once when this range is unmapped or moved, so
   * that whoever copied its address somewhere (a second mapping of its
   * pages) can let go. One callback per range; a new one replaces it.
   */
  onRelease(fn: (() => void) | null): void {
    this.#onRelease = fn;
  }

  #released(): void {
    this.#search = null;
    const fn = this.#onRelease;
    this.#onRelease = null;
    fn?.();
  }

  /** `mprotect(2)` over a page-aligned part of the range. */
  protect(offset: number, length: number, prot: number): void {
    this.#within(offset, length);
    if (this.#b.libc.mprotect(this.#address + offset, length, prot) !== 0) {
      throw lastError("mprotect");
    }
  }

  /** True when both objects start at the same address. */
  sameAddress(other: Mapping): boolean {
    return this.#address === other.#address;
  }

  /**
   * How the address space holds the byte right after this range (see
   * ffi/vm_areas.ts): "reserved" behind a WebAssembly memory that grows in
   * place; null where the kernel cannot be asked.
   */
  kindAfter(): AddressKind | null {
    return addressKind(this.#address + this.#length);
  }

  /** Length in bytes; 0 once unmapped. */
  get length(): number {
    return this.#length;
  }

  /** A new zero-copy ArrayBuffer over `[offset, offset + length)`. */
  buffer(offset: number, length: number): ArrayBuffer {
    this.#within(offset, length);
    if (length === 0) return new ArrayBufferCtor(0);
    return this.#b.arrayBuffer(this.#address + offset, length);
  }

  /**
   * `msync(2)` over a page-aligned range; in a range that starts past a page
   * boundary (an unaligned file offset), from the boundary below `offset`.
   */
  sync(offset: number, length: number, flags: number): void {
    this.#within(offset, length);
    const at = this.#pageBelow(offset);
    if (this.#b.libc.msync(at, length + (this.#address + offset - at), flags) !== 0) {
      throw lastError("msync");
    }
  }

  /**
   * `madvise(2)`; from a page boundary as `sync` is. Except `MADV_REMOVE`,
   * which frees the file's pages behind the range (it punches a hole in the
   * file, and the kernel rounds the length up to whole pages): it is never
   * widened. Its range must start on a page boundary and end on one, or at
   * the end of the file (`endsFile`, which the caller checked: the kernel
   * frees a file's last page only up to the file's size); anything else is
   * `EINVAL` before the kernel sees it, since bytes outside the range would
   * be zeroed in the file.
   */
  advise(offset: number, length: number, advice: number, endsFile = false): void {
    this.#within(offset, length);
    if (advice === this.#b.platform.madv.MADV_REMOVE) {
      const startsInside = !this.onPage(offset);
      if (startsInside || !(endsFile || this.onPage(offset + length))) {
        throw removeRangeError(offset, offset + length, pageSize(), startsInside);
      }
    }
    const at = this.#pageBelow(offset);
    if (this.#b.libc.madvise(at, length + (this.#address + offset - at), advice) !== 0) {
      throw lastError("madvise");
    }
  }

  /**
   * Whether byte `offset` of the range starts a page: of memory, and so of
   * the file behind it (its pages are mapped from a page boundary of the
   * file, also where the range itself starts past one).
   */
  onPage(offset: number): boolean {
    return (this.#address + offset) % pageSize() === 0;
  }

  /**
   * `mremap(2)` with MREMAP_MAYMOVE. Returns false where the C library has
   * no `mremap` (macOS); the caller then unmaps and maps again.
   */
  remap(newLength: number): boolean {
    if (!isInteger(newLength) || newLength < 0) {
      throw new RangeError(`@seed/mmap: cannot remap to ${newLength} bytes`);
    }
    const { libc, platform } = this.#b;
    if (!libc.mremap || !platform.mremapMayMove) return false;
    const skip = this.#skip;
    const address = libc.mremap(
      this.#address - skip,
      this.#length + skip,
      newLength + skip,
      platform.mremapMayMove,
      0,
    );
    if (address === -1) throw lastError("mremap");
    this.#released();
    this.#address = address + skip;
    this.#length = newLength;
    if (this.#guards) {
      if (this.#guards.removeAll() > 0) this.#faulted = true;
      this.#guards.add(address, 0, newLength);
    }
    return true;
  }

  /**
   * Gives the range up without unmapping it, for memory that a JavaScript
   * buffer we no longer know may still reach (one moved away by
   * `transfer()` or `postMessage`): the pages are replaced by private
   * anonymous zero pages (`MAP_FIXED | MAP_NORESERVE`, no memory until
   * written) that stay reserved for the life of the process. The file's
   * pages are let go; such a buffer reads zeros and its stores go nowhere.
   * If even that fails, the old pages stay mapped: never unmapped memory.
   * Idempotent.
   */
  retire(): void {
    if (this.#borrowed) throw new TypeError("cannot retire memory this library did not map");
    if (this.#length === 0) return;
    const { map, prot } = this.#b.platform;
    const got = this.#b.libc.mmap(
      this.#address,
      this.#length,
      prot.PROT_READ | prot.PROT_WRITE,
      map.MAP_PRIVATE | map.MAP_ANONYMOUS | map.MAP_FIXED | (map.MAP_NORESERVE ?? 0),
      -1,
      0,
    );
    // Zero pages cannot fault: the fault guard lets go (unless the file's pages stayed).
    if (got === this.#address) this.#guards?.removeAll();
    this.#released();
    this.#length = 0;
  }

  /** `munmap(2)`. Idempotent. */
  unmap(): void {
    if (this.#borrowed) throw new TypeError("cannot unmap memory this library did not map");
    if (this.#length === 0) return;
    this.#guards?.removeAll();
    if (this.#b.libc.munmap(this.#address - this.#skip, this.#length + this.#skip) !== 0) {
      throw lastError("munmap");
    }
    this.#released();
    this.#length = 0;
  }

  /**
   * Throws unless `[offset, offset + length)` is a range of whole bytes
   * inside this mapping. A NaN fails every comparison here, so it fails.
   */
  #within(offset: number, length: number): void {
    if (
      isSafeInteger(offset) && isSafeInteger(length) && offset >= 0 && length >= 0 &&
      offset <= this.#length - length
    ) return;
    throw new RangeError(
      `@seed/mmap: bytes [${offset}, ${offset} + ${length}) are outside the ${this.#length} ` +
        "bytes mapped here; nothing was read or written",
    );
  }

  /**
   * The address of `offset`, or of the page boundary below it when the range
   * is unaligned. (One number, not a pair: destructuring an array runs
   * `Array.prototype[Symbol.iterator]`, which a program can replace.)
   */
  #pageBelow(offset: number): number {
    const at = this.#address + offset;
    return this.#skip === 0 ? at : at - (at % pageSize());
  }

  /** Copies `dst`'s bytes (its true length, not its `length` property) from `offset` into `dst`. */
  copyOut(offset: number, dst: Uint8Array): void {
    const n = lengthOf(dst);
    this.#within(offset, n);
    if (n) this.#b.libc.copyOut(dst, this.#address + offset, n);
  }

  /** Copies `src` (its true length) into the mapping at `offset`. */
  copyIn(offset: number, src: Uint8Array): void {
    const n = lengthOf(src);
    this.#within(offset, n);
    if (n) this.#b.libc.copyIn(this.#address + offset, src, n);
  }

  /** `memmove(3)` inside the mapping. */
  move(dest: number, src: number, count: number): void {
    this.#within(dest, count);
    this.#within(src, count);
    if (count) this.#b.libc.memmove(this.#address + dest, this.#address + src, count);
  }

  /** Offset of the first `needle` in `[start, end)`, or -1 (`memmem(3)`). */
  indexOf(needle: Uint8Array, start: number, end: number): number {
    const n = lengthOf(needle);
    if (end - start < n) return -1;
    this.#within(start, end - start);
    const native = end - start >= NATIVE_MIN ? this.#searchView() : null;
    if (native) {
      const at = native.indexOf(needle, start, end);
      return at < 0 ? -1 : start + at;
    }
    const at = this.#b.libc.memmem(this.#address + start, end - start, needle, n);
    return at === 0 ? -1 : at - this.#address;
  }

  /** Offset of the first `byte` in `[start, end)`, or -1 (`memchr(3)`). */
  indexOfByte(byte: number, start: number, end: number): number {
    if (end <= start) return -1;
    this.#within(start, end - start);
    const at = this.#b.libc.memchr(this.#address + start, byte, end - start);
    return at === 0 ? -1 : at - this.#address;
  }

  /**
   * Offset of the last `needle` in `[start, end)`, or -1. libc has no
   * `memrmem`: blocks are searched with `memmem` from the end, growing from
   * 64 KiB so that a needle near the end is found at once (or the engine's
   * own search where it is faster).
   */
  lastIndexOf(needle: Uint8Array, start: number, end: number): number {
    const n = lengthOf(needle);
    if (end - start < n) return -1;
    this.#within(start, end - start);
    const native = this.#searchView();
    if (native) {
      const at = native.lastIndexOf(needle, start, end);
      return at < 0 ? -1 : start + at;
    }
    let block = mathMax(1 << 16, 2 * n);
    for (let hi = end;;) {
      const lo = mathMax(start, hi - block);
      const at = this.indexOf(needle, lo, hi);
      if (at >= 0) return this.#lastFrom(needle, at, hi);
      if (lo === start) return -1;
      hi = lo + n - 1; // the next block overlaps this one by n - 1 bytes
      if (block < 1 << 24) block *= 2;
    }
  }

  /**
   * The last `needle` in `[at, hi)`, given one at `at`: halves the part
   * after the last one found, so dense matches cost O(log) searches.
   */
  #lastFrom(needle: Uint8Array, at: number, hi: number): number {
    const n = lengthOf(needle);
    for (let from = at + 1; hi - from >= n;) {
      const mid = from + ((hi - from) >> 1);
      const right = this.indexOf(needle, mid, hi);
      if (right >= 0) {
        at = right;
        from = right + 1;
        continue;
      }
      // None starts at mid or later: look before it.
      hi = mathMin(hi, mid + n - 1);
      const left = this.indexOf(needle, from, hi);
      if (left < 0) break;
      at = left;
      from = left + 1;
    }
    return at;
  }

  #searchView(): SearchView | null {
    if (this.#search) return this.#search;
    const native = this.#b.nativeSearch;
    if (!native || this.#length === 0 || this.#length > this.#b.maxBufferLength) return null;
    return (this.#search = native.view(this.#address, this.#length));
  }

  /** Offset of the last `byte` in `[start, end)`, or -1 (`memrchr(3)`). */
  lastIndexOfByte(byte: number, start: number, end: number): number {
    if (end <= start) return -1;
    this.#within(start, end - start);
    const memrchr = this.#b.libc.memrchr;
    if (memrchr) {
      const at = memrchr(this.#address + start, byte, end - start);
      return at === 0 ? -1 : at - this.#address;
    }
    // No memrchr (macOS): scan back through bounded windows.
    const step = mathMin(this.#b.maxBufferLength, 1 << 26);
    for (let hi = end; hi > start; hi -= step) {
      const lo = mathMax(start, hi - step);
      // Captured intrinsics on a buffer nobody else sees, detached at once:
      // it is not tracked, so it must not outlive this call (or munmap).
      const window = this.buffer(lo, hi - lo);
      const at = typedArrayLastIndexOf(new Uint8ArrayCtor(window), byte);
      detachBuffer(window);
      if (at >= 0) return lo + at;
    }
    return -1;
  }
}
