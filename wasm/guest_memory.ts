/**
 * A `WebAssembly.Memory` as this library places file pages into it: its
 * index type, its base address (checked after every `grow`), the ranges
 * already mapped, and the two placements there are (file pages, zero pages).
 *
 * Rules that keep the host process alive (a fault inside WebAssembly code is
 * fatal in Deno): pages are never mapped without `PROT_WRITE` (read access
 * is private and writable), and no page wholly past the end of the file is
 * ever mapped from the file (the rest of the range gets zero pages).
 *
 * @module
 */
import { Mapping } from "../ffi/mapping.ts";
import {
  appendOwn,
  BigIntCtor as BigInt,
  bufferByteLength,
  insertOwn,
  isSharedArrayBuffer,
  mathCeil,
  mathMax,
  mathMin,
  NumberCtor as Number,
  ownList,
  registerFinalizer,
  removeItemOwn,
  removeOwn,
  weakMapGet,
  weakMapSet,
} from "../ffi/primordials.ts";
import { isMemory, memoryBuffer, memoryGrow } from "../ffi/memory_brand.ts";
import { reserveSpace } from "../ffi/space.ts";
import { runtimeName } from "../ffi/load.ts";
import { MAP_PRIVATE, MAP_SHARED, PAGESIZE, PROT_READ, PROT_WRITE } from "../src/constants.ts";
import { type FileGuard, guardFile, releaseFile } from "./file_guard.ts";

/** The WebAssembly page size. */
export const WASM_PAGE = 65536;

/** Rounds `n` up to a multiple of `to`. */
export function roundUp(n: number, to: number): number {
  return mathCeil(n / to) * to;
}

/** The engine moves memories allocated without a reservation when they grow (JavaScriptCore). */
const MOVES_UNRESERVED = runtimeName === "bun";

/** Why no file is mapped into a memory that {@linkcode GuestMemory.mayMove}. */
export const MAY_MOVE = "this WebAssembly.Memory has no address-space reservation behind it, so " +
  "the engine may move it when it grows and leave mapped file pages in memory it then reuses " +
  "(Bun allocates memories so beyond its first few): map files into a shared memory " +
  "(new WebAssembly.Memory({ initial, maximum, shared: true })), or keep fewer memories alive";

/** A mapped range `[start, end)` of guest memory and who placed it. */
export interface Region {
  start: number;
  end: number;
  readonly owner: object;
  guard?: FileGuard;
}

// File guards outlive a memory nobody unmapped: release them when it is collected.
const orphaned = new FinalizationRegistry<FileGuard[]>((guards) => {
  for (let i = 0; i < guards.length; i++) releaseFile(guards[i]!);
});

const known = new WeakMap<WebAssembly.Memory, GuestMemory>();

/**
 * The memory under a guest, as seen by every mapping placed into it. Its
 * bookkeeping (the regions, the file guards) is walked by index loops over
 * lists with no prototype, through captured WeakMap methods: a patched
 * `Array.prototype.findIndex` made `claim` miss an overlap, and so map a
 * file over a live one.
 */
export class GuestMemory {
  /** The engine's memory object. */
  readonly memory: WebAssembly.Memory;
  /** True for a memory64 memory (indices and `grow` take BigInt). */
  readonly index64: boolean;
  /** True for a shared memory (its buffer is a SharedArrayBuffer). */
  readonly shared: boolean;
  /** Mapped ranges, sorted by start, never overlapping (a list with no methods). */
  readonly regions: Region[] = ownList();
  #base: Mapping | null = null;
  #guards: FileGuard[] = ownList();
  #mayMove: boolean | undefined;

  private constructor(memory: WebAssembly.Memory) {
    this.memory = memory;
    this.shared = isSharedArrayBuffer(memoryBuffer(memory));
    this.index64 = isMemory64(memory);
    this.#base = this.#borrow();
    registerFinalizer(orphaned, memory, this.#guards);
  }

  /** The one `GuestMemory` of a memory. */
  static of(memory: unknown): GuestMemory {
    if (!isMemory(memory)) {
      throw new TypeError("memory must be a WebAssembly.Memory");
    }
    let g = weakMapGet(known, memory);
    if (!g) weakMapSet(known, memory, g = new GuestMemory(memory));
    return g;
  }

  /** The memory's current size in bytes. */
  get byteLength(): number {
    return bufferByteLength(memoryBuffer(this.memory));
  }

  #borrow(): Mapping | null {
    const buffer = memoryBuffer(this.memory);
    return bufferByteLength(buffer) === 0 ? null : Mapping.borrow(buffer);
  }

  /**
   * Throws if the engine moved the memory since it was first seen: every
   * page mapped into it would then be gone. Memories that can move get no
   * file pages ({@linkcode GuestMemory.mayMove}), so this is a tripwire for
   * the rest (a memory with no file in it yet, an engine that moved one
   * with a reservation), not a code path.
   */
  base(): Mapping {
    const now = this.#borrow();
    if (!now) throw new RangeError("the WebAssembly memory has no pages to map into");
    if (!this.#base) this.#base = now;
    if (!now.sameAddress(this.#base)) {
      throw new Error(
        "the engine moved this WebAssembly.Memory to another address after memory.grow: " +
          "pages mapped into it are gone, so @seed/mmap refuses to map, flush or unmap there",
      );
    }
    this.#base.grewTo(now);
    return this.#base;
  }

  /**
   * Whether the engine may move this memory to another address when it
   * grows. JavaScriptCore (Bun) gives its first few memories a reservation
   * of 4 GiB and more, and allocates later ones (or any, under a virtual
   * memory limit) inside its heap, whence `grow` copies them elsewhere:
   * the file pages placed in one would stay behind, in memory the engine
   * then reuses for other buffers (a shared placement wrote their bytes
   * into the file). So in Bun a memory with no reservation right after its
   * last byte gets no file pages (one that can never grow is refused too:
   * the engine does not say). V8 (Deno) reserves every growable memory up
   * to its maximum, and shared memories never move (their
   * SharedArrayBuffers stay valid); where the kernel cannot be asked (no
   * `/proc`), the engine is trusted. Asked once: a reservation stays for
   * the memory's life.
   */
  mayMove(): boolean {
    if (this.#mayMove !== undefined) return this.#mayMove;
    if (this.shared || !MOVES_UNRESERVED) return this.#mayMove = false;
    const now = this.#borrow();
    if (!now) return false; // no pages yet: asked again when it has some
    const kind = now.kindAfter();
    return this.#mayMove = kind !== null && kind !== "reserved";
  }

  /** Grows the memory by enough pages for `bytes`; returns the offset of the new pages. */
  grow(bytes: number): number {
    const pages = roundUp(bytes, WASM_PAGE) / WASM_PAGE;
    let old: number;
    try {
      old = Number(memoryGrow(this.memory, this.index64 ? BigInt(pages) : pages));
    } catch (e) {
      throw new RangeError(
        `cannot grow the WebAssembly memory by ${pages} pages: ${(e as Error).message}`,
        { cause: e },
      );
    }
    this.base();
    return old * WASM_PAGE;
  }

  /** Records `[start, end)` as mapped by `owner`; a `RangeError` if it overlaps a mapping. */
  claim(start: number, end: number, owner: object): Region {
    const regions = this.regions;
    let i = 0;
    while (i < regions.length && regions[i]!.end <= start) i++;
    const next = regions[i];
    if (next && next.start < end) {
      throw new RangeError(
        `[${start}, ${end}) overlaps a file already mapped at [${next.start}, ${next.end})`,
      );
    }
    // Every field its own, `guard` too: a `guard` on Object.prototype is no region's.
    const region: Region = { start, end, owner, guard: undefined };
    insertOwn(regions, i, region);
    return region;
  }

  /** The region that holds all of `[start, end)`, if one does. */
  regionAt(start: number, end: number): Region | undefined {
    const regions = this.regions;
    for (let i = 0; i < regions.length; i++) {
      const r = regions[i]!;
      if (r.start <= start && end <= r.end) return r;
    }
    return undefined;
  }

  /** Forgets a region (its pages must already be zero pages again). */
  forget(region: Region): void {
    const regions = this.regions;
    const guard = region.guard;
    let shared = false;
    for (let i = regions.length - 1; i >= 0; i--) {
      if (regions[i] === region) removeOwn(regions, i);
      else if (guard && regions[i]!.guard === guard) shared = true;
    }
    if (guard && !shared) {
      removeItemOwn(this.#guards, guard);
      releaseFile(guard);
    }
  }

  /** Adds a region made by splitting another (it shares the other's file guard). */
  insert(region: Region): void {
    const regions = this.regions;
    let i = 0;
    while (i < regions.length && regions[i]!.start <= region.start) i++;
    insertOwn(regions, i, region);
  }

  /** Keeps the file behind `region` from being cut below `end` while the region lives. */
  guard(region: Region, key: string, end: number): void {
    region.guard = guardFile(key, end);
    appendOwn(this.#guards, region.guard);
  }

  /**
   * Maps `span` bytes at `start` (both multiples of PAGESIZE): `fd`'s pages
   * from `fileOffset` up to the page holding its last byte, then zero pages.
   * A shared writable placement reserves the file's blocks first. Returns how
   * many bytes of the file are mapped.
   */
  placeFile(
    start: number,
    span: number,
    fd: number,
    fileOffset: number,
    fileSize: number,
    kernel: { flags: number; prot: number },
    path?: string,
    guard = true,
  ): number {
    const base = this.base();
    if (this.mayMove()) throw new TypeError(MAY_MOVE);
    const fileBytes = mathMax(0, mathMin(span, fileSize - fileOffset));
    // Stores through a shared writable map need the file's blocks: holes in
    // the range (a guest's ftruncate makes them) are reserved now, so that a
    // full disk is ENOSPC from this call, not SIGBUS at the first store.
    if (kernel.flags & MAP_SHARED && kernel.prot & PROT_WRITE) {
      reserveSpace(fd, fileOffset, fileBytes, path);
    }
    const filePages = roundUp(fileBytes, PAGESIZE);
    if (filePages > 0) {
      base.mapFixed(start, filePages, kernel.prot, kernel.flags, fd, fileOffset, path, guard);
    }
    try {
      if (span > filePages) this.placeZeros(start + filePages, span - filePages);
    } catch (e) {
      if (filePages > 0) this.placeZeros(start, filePages);
      throw e;
    }
    return fileBytes;
  }

  /**
   * Whether a file page in `[start, end)` faulted (its file shrank or
   * failed): the fault guard put a zero page there.
   */
  faultedIn(start: number, end: number): boolean {
    return this.#base?.faulted(start, end - start) ?? false;
  }

  /** Replaces `[start, start + span)` with zeroed anonymous read-write pages. */
  placeZeros(start: number, span: number): void {
    this.base().mapFixed(start, span, PROT_READ | PROT_WRITE, MAP_PRIVATE, -1, 0);
  }
}

/**
 * True for a memory64 memory. There is no type reflection in the engines
 * tested, but `grow` converts its argument first: a BigInt is refused by a
 * 32-bit memory before anything grows, and `grow(0n)` changes nothing in a
 * 64-bit one (it only renews `memory.buffer`).
 */
function isMemory64(memory: WebAssembly.Memory): boolean {
  try {
    memoryGrow(memory, 0n);
    return true;
  } catch {
    return false;
  }
}
