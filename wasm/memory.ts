/**
 * `mapIntoMemory`: a file's pages placed straight into a WebAssembly
 * instance's linear memory, so that guest loads and stores are loads and
 * stores on the file.
 *
 * @module
 */
import { closeFd, openFile, statFd } from "../ffi/files.ts";
import { ACCESS_COPY, ACCESS_READ, ACCESS_WRITE, MS_SYNC, PAGESIZE } from "../src/constants.ts";
import { kernelProtection, parseAccess, resolveProtection } from "../src/access.ts";
import { brandName, checkOptions, toBool, toInt, toOptionalInt, typeName } from "../src/args.ts";
import { errnoValue, faultError, MMapOSError } from "../ffi/errors.ts";
import { fileOfMap, isMMap, type MMap } from "../src/mmap.ts";
import { type FileSource, resolveSource } from "../src/open_source.ts";
import { fileKeyOfFd } from "./file_guard.ts";
import { GuestMemory, type Region, roundUp } from "./guest_memory.ts";

/**
 * Where the pages come from: a path, a `file:` URL, an open descriptor or an open `MMap`'s file.
 *
 * @example
 * ```ts
 * import { MMap } from "@seed/mmap";
 * import { mapIntoMemory } from "@seed/mmap/wasm";
 * Deno.writeTextFileSync("data.bin", "x".repeat(100));
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * using byPath = mapIntoMemory(memory, "data.bin");
 * using file = MMap.open("data.bin");
 * using byMap = mapIntoMemory(memory, file);
 * Deno.removeSync("data.bin");
 * ```
 */
export type MemorySource = FileSource | MMap;

/**
 * Options of {@linkcode mapIntoMemory}.
 *
 * @example
 * ```ts
 * import { mapIntoMemory } from "@seed/mmap/wasm";
 * Deno.writeTextFileSync("data.bin", "x".repeat(100));
 * const memory = new WebAssembly.Memory({ initial: 4 });
 * using m = mapIntoMemory(memory, "data.bin", { access: "copy", offset: 0, length: 100, address: 65536 });
 * Deno.removeSync("data.bin");
 * ```
 */
export interface MapIntoMemoryOptions {
  /**
   * `"read"` (default for a path or descriptor): guest stores land in a
   * private copy, never in the file. `"write"`: stores reach the file
   * (`flush()` to be sure they are on disk). `"copy"`: private, like read,
   * for guests that mean to write. An `MMap` source defaults to its own mode.
   */
  access?: "read" | "write" | "copy" | number;
  /** Where in the file to start: a multiple of `ALLOCATIONGRANULARITY` (default 0). */
  offset?: number;
  /**
   * Bytes to map (default: the rest of the file). Past the end of the file
   * the range holds zero pages that never reach the file.
   */
  length?: number;
  /**
   * Guest byte offset to map at: a multiple of `PAGESIZE`, inside the
   * memory. By default the memory grows by enough new pages.
   */
  address?: number;
  /**
   * Catch faults in the file's pages (default `true`): if the file shrinks
   * under the guest, the lost pages read as zeros and `faulted` turns true,
   * instead of the process dying of `SIGBUS`.
   */
  guard?: boolean;
}

const ACCESS_NAMES: Readonly<Record<number, "read" | "write" | "copy">> = {
  [ACCESS_READ]: "read",
  [ACCESS_WRITE]: "write",
  [ACCESS_COPY]: "copy",
};

let create!: (
  gm: GuestMemory,
  region: Region,
  length: number,
  fileBytes: number,
  access: number,
  path: string | undefined,
) => MemoryMapping;

/**
 * A file mapped into a WebAssembly memory by {@linkcode mapIntoMemory}.
 *
 * @example Map, read from the guest's point of view, unmap
 * ```ts
 * import { mapIntoMemory } from "@seed/mmap/wasm";
 * Deno.writeTextFileSync("greeting.txt", "hello");
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * using m = mapIntoMemory(memory, "greeting.txt");
 * const bytes = new Uint8Array(memory.buffer, m.address, m.length);
 * console.log(new TextDecoder().decode(bytes)); // "hello"
 * Deno.removeSync("greeting.txt");
 * ```
 */
export class MemoryMapping {
  /** Guest byte offset of the first mapped byte (a guest pointer). */
  readonly address: number;
  /** Mapped bytes, as asked for. */
  readonly length: number;
  /** The access mode. */
  readonly access: "read" | "write" | "copy";
  #gm: GuestMemory;
  #region: Region | null;
  #fileBytes: number;
  #path: string | undefined;
  #faulted = false;

  static {
    create = (gm, region, length, fileBytes, access, path) =>
      new MemoryMapping(gm, region, length, fileBytes, access, path);
  }

  private constructor(
    gm: GuestMemory,
    region: Region,
    length: number,
    fileBytes: number,
    access: number,
    path: string | undefined,
  ) {
    this.#gm = gm;
    this.#path = path;
    this.#region = region;
    this.address = region.start;
    this.length = length;
    this.#fileBytes = fileBytes;
    this.access = ACCESS_NAMES[access]!;
  }

  /**
   * True once `unmap()` has run.
   *
   * @example
   * ```ts
   * import { mapIntoMemory } from "@seed/mmap/wasm";
   * Deno.writeTextFileSync("a.txt", "a");
   * const m = mapIntoMemory(new WebAssembly.Memory({ initial: 1 }), "a.txt");
   * m.unmap();
   * console.log(m.closed); // true
   * Deno.removeSync("a.txt");
   * ```
   */
  get closed(): boolean {
    return this.#region === null;
  }

  /**
   * True once a page of the range faulted: the file shrank under the guest
   * (or its device failed), and the fault guard put zero pages where the
   * lost pages were, so the guest read zeros instead of the process dying.
   * `flush()` then throws `MMapOSError` (code `"EIO"`); `unmap()` works.
   *
   * @example
   * ```ts
   * import { mapIntoMemory } from "@seed/mmap/wasm";
   * Deno.writeTextFileSync("steady.bin", "abc");
   * using m = mapIntoMemory(new WebAssembly.Memory({ initial: 1 }), "steady.bin");
   * console.log(m.faulted); // false
   * Deno.removeSync("steady.bin");
   * ```
   */
  get faulted(): boolean {
    const region = this.#region;
    if (!this.#faulted && region) this.#faulted = this.#gm.faultedIn(region.start, region.end);
    return this.#faulted;
  }

  /**
   * Writes the guest's stores back to the file (`msync(MS_SYNC)`) for
   * `"write"` access; does nothing for `"read"` and `"copy"`, whose stores
   * never reach the file.
   *
   * @throws {TypeError} after `unmap()`
   * @throws {MMapOSError} `EIO` once the file shrank or failed under the range (`faulted`)
   * @throws {Error} if the engine moved the memory (no engine tested does)
   * @throws {MMapOSError} when `msync(2)` fails
   *
   * @example
   * ```ts
   * import { mapIntoMemory } from "@seed/mmap/wasm";
   * Deno.writeTextFileSync("counter.bin", "\0\0\0\0");
   * const memory = new WebAssembly.Memory({ initial: 1 });
   * using m = mapIntoMemory(memory, "counter.bin", { access: "write" });
   * new Uint32Array(memory.buffer, m.address, 1)[0] = 42;
   * m.flush();
   * Deno.removeSync("counter.bin");
   * ```
   */
  flush(): void {
    const region = this.#live();
    if (this.faulted) throw faultError(this.#path);
    const base = this.#gm.base();
    if (this.access !== "write" || this.#fileBytes === 0) return;
    base.sync(region.start, roundUp(this.#fileBytes, PAGESIZE), MS_SYNC);
  }

  /**
   * Puts zeroed anonymous read-write pages back over the range (never a
   * hole: the guest may still touch it). Calling it again does nothing.
   *
   * @throws {MMapOSError} when `mmap(2)` fails
   *
   * @example
   * ```ts
   * import { mapIntoMemory } from "@seed/mmap/wasm";
   * Deno.writeTextFileSync("b.txt", "b");
   * const memory = new WebAssembly.Memory({ initial: 1 });
   * const m = mapIntoMemory(memory, "b.txt");
   * m.unmap();
   * console.log(new Uint8Array(memory.buffer)[m.address]); // 0
   * Deno.removeSync("b.txt");
   * ```
   */
  unmap(): void {
    const region = this.#region;
    if (!region) return;
    this.#gm.placeZeros(region.start, region.end - region.start);
    this.#region = null;
    this.#gm.forget(region);
  }

  /**
   * Unmaps at the end of a `using` block.
   *
   * @example
   * ```ts
   * import { mapIntoMemory } from "@seed/mmap/wasm";
   * Deno.writeTextFileSync("c.txt", "c");
   * {
   *   using _m = mapIntoMemory(new WebAssembly.Memory({ initial: 1 }), "c.txt");
   * } // unmapped here
   * Deno.removeSync("c.txt");
   * ```
   */
  [Symbol.dispose](): void {
    this.unmap();
  }

  #live(): Region {
    if (!this.#region) throw new TypeError("the mapping was unmapped");
    return this.#region;
  }
}

/** The descriptor to map, whether this call opened it, and the default access. */
function openSource(
  source: unknown,
  access: number | undefined,
): { fd: number; owned: boolean; access: number; path?: string } {
  // By its private state: a Proxy of an MMap or an object an
  // `MMap[Symbol.hasInstance]` vouches for is no map (nor a real one refused).
  if (isMMap(source)) {
    const f = fileOfMap(source as MMap);
    if (f.fd < 0) {
      throw new TypeError("the MMap has no file descriptor (anonymous, or trackfd: false)");
    }
    const own = f.access === ACCESS_READ || f.access === ACCESS_COPY ? f.access : ACCESS_WRITE;
    return { fd: f.fd, owned: false, access: access ?? own, path: f.path };
  }
  if (typeName(source) === "MMap") {
    throw new TypeError(`source must be an open MMap, not ${brandName(source)}`);
  }
  const a = access ?? ACCESS_READ;
  if (typeof source === "number" || typeof source === "bigint") {
    const fd = toInt(source, "fd");
    if (fd < 0) throw new RangeError(`fd must be a file descriptor, not ${fd}`);
    return { fd, owned: false, access: a };
  }
  if (typeof source !== "object" && typeof source !== "string") {
    throw new TypeError(
      `source must be a path, a file: URL, a descriptor, a FileHandle or an MMap, not ${
        typeName(source)
      }`,
    );
  }
  // Paths, URLs and FileHandles as MMap.open takes them (and refuses FsFile, Bun.file()).
  const r = resolveSource(source, "mapIntoMemory");
  if (r.path === undefined) return { fd: r.fd, owned: false, access: a };
  return {
    fd: openFile(r.path, { write: a === ACCESS_WRITE }),
    owned: true,
    access: a,
    path: r.path,
  };
}

function checkAccess(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const a = parseAccess(value);
  if (!ACCESS_NAMES[a]) throw new RangeError("access must be read, write or copy");
  return a;
}

/**
 * Maps a file into a WebAssembly memory at a page-aligned guest offset:
 * the guest's loads read the file and, with `access: "write"`, its stores
 * write it. By default the memory grows by enough new pages to hold the
 * range; `memory.grow` keeps the base address (the library checks, and
 * refuses to go on if an engine ever moved it). In Bun, a memory that
 * `grow` could move (one JavaScriptCore gave no address-space reservation:
 * from about the eighth alive) gets no file; a shared memory always can.
 *
 * Safe by construction: read access is mapped private and writable (a guest
 * store never faults and never reaches the file), and pages past the end of
 * the file are zero pages, never file pages (touching those would kill the
 * process). Works with imported and exported memories, shared memories, and
 * (in Deno) memory64 memories.
 *
 * @param memory the guest's memory (`instance.exports.memory`, or the one you imported)
 * @param source a path, a `file:` URL, an open descriptor, a `node:fs` `FileHandle`, or an open `MMap`
 * @param options `access`, `offset`, `length`, `address`
 * @returns the mapping: `address` is the guest pointer to its first byte
 * @throws {TypeError} a memory that is not a `WebAssembly.Memory`, a bad
 *   source, a memory the engine may move when it grows (Bun)
 * @throws {RangeError} an unaligned offset or address, an empty file, an
 *   offset past the end of the file, a range outside the memory or over
 *   another mapping, a memory that cannot grow enough
 * @throws {MMapOSError} when opening or mapping the file fails; `ENOSPC`
 *   (from `posix_fallocate`) when `access: "write"` finds holes in the range
 *   and the file system has no room to fill them (nothing is mapped)
 *
 * @example Let a guest sum a file it never had to read
 * ```ts
 * import { mapIntoMemory } from "@seed/mmap/wasm";
 * Deno.writeFileSync("numbers.bin", new Uint8Array([1, 2, 3]));
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * using m = mapIntoMemory(memory, "numbers.bin");
 * // Pass m.address and m.length to the guest; here JS reads the same bytes.
 * const bytes = new Uint8Array(memory.buffer, m.address, m.length);
 * console.log(bytes.reduce((a, b) => a + b, 0)); // 6
 * Deno.removeSync("numbers.bin");
 * ```
 *
 * @tags allow-ffi, allow-read, allow-write
 */
export function mapIntoMemory(
  memory: WebAssembly.Memory,
  source: MemorySource,
  options?: MapIntoMemoryOptions,
): MemoryMapping {
  const o = checkOptions(
    options,
    ["access", "offset", "length", "address", "guard"],
    "mapIntoMemory",
  );
  const gm = GuestMemory.of(memory);
  const access = checkAccess(o.access);
  const offset = toOptionalInt(o.offset, "offset") ?? 0;
  const want = toOptionalInt(o.length, "length");
  const address = toOptionalInt(o.address, "address");
  const guard = toBool(o.guard, "guard", true);
  if (offset < 0 || offset % PAGESIZE !== 0) {
    throw new RangeError(`offset must be a multiple of ALLOCATIONGRANULARITY (${PAGESIZE})`);
  }
  if (want !== undefined && want < 0) throw new RangeError("length must not be negative");
  if (address !== undefined && (address < 0 || address % PAGESIZE !== 0)) {
    throw new RangeError(`address must be a multiple of PAGESIZE (${PAGESIZE}), not ${address}`);
  }
  const src = openSource(source, access);
  try {
    const st = statFd(src.fd, src.path);
    if (!st.isFile) {
      throw new MMapOSError(
        errnoValue(st.isDirectory ? "EISDIR" : "ENODEV") ?? 19,
        "mmap",
        src.path,
      );
    }
    if (st.size === 0 && !want) throw new RangeError("cannot mmap an empty file");
    if (offset >= st.size && !want) throw new RangeError("mmap offset is greater than file size");
    const length = want || st.size - offset;
    const span = roundUp(length, PAGESIZE);
    let start = address;
    if (start === undefined) start = gm.grow(span);
    else if (gm.base() && start + span > gm.byteLength) {
      throw new RangeError(
        `[${start}, ${start + span}) is beyond the memory's ${gm.byteLength} bytes`,
      );
    }
    const key = fileKeyOfFd(src.fd);
    const kernel = kernelProtection(resolveProtection(src.access, undefined, undefined));
    const region = gm.claim(start, start + span, {});
    let fileBytes: number;
    try {
      fileBytes = gm.placeFile(start, span, src.fd, offset, st.size, kernel, src.path, guard);
      gm.guard(region, key, offset + fileBytes);
    } catch (e) {
      gm.forget(region);
      throw e;
    }
    return create(gm, region, length, fileBytes, src.access, src.path);
  } finally {
    if (src.owned) closeFd(src.fd);
  }
}
