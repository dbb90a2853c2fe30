/**
 * Every ArrayBuffer handed out over a mapping, so that all of them can be
 * detached before the memory under them goes away.
 *
 * A read through a view of unmapped memory kills the process; a detached
 * view reads as length 0 instead. CPython refuses to close a map while
 * buffers are exported; JavaScript cannot know which views are still
 * reachable, so the map detaches them all on `close()` and `resize()`.
 *
 * @module
 */
import type { Mapping } from "../ffi/mapping.ts";
import {
  appendOwn,
  ArrayBufferCtor,
  arrayBufferDetached,
  detachBuffer,
  Uint8ArrayCtor,
  uncurryThis,
} from "../ffi/primordials.ts";

// A symbol-keyed property on each buffer keeps its owner (the MMap) alive, so
// the FinalizationRegistry can never unmap memory that a live view covers.
const OWNER = Symbol("@seed/mmap owner");

// Every buffer handed out over memory the kernel maps shared, so that
// wait()/notify() can refuse a view of private memory (issue 11, case 5).
const sharedBuffers = new WeakSet<ArrayBuffer>();
const addShared: (set: WeakSet<ArrayBuffer>, b: ArrayBuffer) => void = uncurryThis(
  WeakSet.prototype.add,
);
const hasShared: (set: WeakSet<ArrayBuffer>, b: object) => boolean = uncurryThis(
  WeakSet.prototype.has,
);

// Every buffer over a map's memory (tracked or internal), so that a copy
// into one can tell that it may overlap its own source (see read_into.ts).
const mapBuffers = new WeakSet<ArrayBuffer>();

/** Whether `buffer` lies over some map's memory (a copy into it may overlap its source). */
export function isMapBuffer(buffer: object): boolean {
  return hasShared(mapBuffers, buffer);
}

/** Whether `buffer` was handed out by a map whose memory other processes share. */
export function isSharedMapBuffer(buffer: object): boolean {
  return hasShared(sharedBuffers, buffer);
}

// Captured at load: tracking must not go through anything a user can patch
// (a replaced Set.prototype.add or WeakRef.prototype.deref would hide a buffer).
const defineProperty = Object.defineProperty;
const WeakRefCtor = WeakRef;
const deref: (ref: WeakRef<ArrayBuffer>) => ArrayBuffer | undefined = uncurryThis(
  WeakRef.prototype.deref,
);

/**
 * The buffers of one map: an internal one over all of it (the library's
 * own fast path, never handed out), the public one (`bytes`, and every
 * `view()` cut from it), and windows where one buffer cannot cover the map.
 *
 * A buffer handed out can be moved away by standard JavaScript
 * (`transfer()`, `structuredClone` or `postMessage` with a transfer list, a
 * byte stream's `enqueue`): the original is detached and a new buffer, which
 * this set cannot see, holds the memory. The internal buffer is not affected
 * (the library keeps working), the public one is made again on next use,
 * and `detachAll()` reports that the memory may still be reachable, so
 * that the owner retires the range (zero pages, kept reserved) instead of
 * unmapping it.
 */
export class ViewSet {
  #owner: object;
  #mapping: Mapping | null = null;
  #main: Uint8Array | null = null;
  #mainBuffer: ArrayBuffer | null = null;
  #public: Uint8Array | null = null;
  #publicBuffer: ArrayBuffer | null = null;
  /** Windows, as weak references in a plain array (no iterator to patch). */
  #windows: WeakRef<ArrayBuffer>[] = [];
  /**
   * A buffer handed out was collected before `detachAll` (it may have been
   * moved first) or was found moved: the memory may be reachable.
   */
  #lost = false;
  #max: number;
  #shared: boolean;

  /**
   * @param owner the object every buffer handed out keeps alive
   * @param maxBufferLength the engine's largest ArrayBuffer
   * @param shared the kernel maps the memory shared (see `isSharedMapBuffer`)
   */
  constructor(owner: object, maxBufferLength: number, shared = false) {
    this.#owner = owner;
    this.#max = maxBufferLength;
    this.#shared = shared;
  }

  /** The engine's largest ArrayBuffer. */
  get maxBufferLength(): number {
    return this.#max;
  }

  /** Builds the internal buffer over a (new) mapping, when one buffer can hold it. */
  attach(mapping: Mapping | null): void {
    const length = mapping?.length ?? 0;
    this.#mapping = mapping;
    this.#public = this.#publicBuffer = null;
    if (length > this.#max) {
      this.#main = this.#mainBuffer = null;
      return;
    }
    const buffer = mapping && length ? mapping.buffer(0, length) : new ArrayBufferCtor(0);
    this.#main = new Uint8ArrayCtor(buffer);
    this.#mainBuffer = length ? buffer : null; // an empty buffer is not over the mapping
  }

  /**
   * The internal `Uint8Array` over the whole mapping, or `null` if it is too
   * large. Never hand it out: use `public()`.
   */
  get main(): Uint8Array | null {
    const buffer = this.#mainBuffer;
    if (buffer !== null && arrayBufferDetached(buffer)) this.#remakeMain();
    return this.#main;
  }

  /** The internal buffer under `main` (null when there is none): never hand it out. */
  get mainBuffer(): ArrayBuffer | null {
    return this.#mainBuffer;
  }

  /**
   * The internal buffer never reaches user code, but if it were moved away
   * anyway, a write through its detached view would be dropped without a
   * word: make it again, and count the memory as reachable.
   */
  #remakeMain(): void {
    this.#lost = true;
    const buffer = this.#mapping!.buffer(0, this.#mapping!.length);
    this.#main = new Uint8ArrayCtor(buffer);
    this.#mainBuffer = buffer;
  }

  /**
   * The `Uint8Array` over the whole mapping handed out as `bytes` (made on
   * first use, and again if the last one was moved away), or `null` if one
   * buffer cannot hold the map.
   */
  public(): Uint8Array | null {
    const buffer = this.#publicBuffer;
    if (buffer !== null && !arrayBufferDetached(buffer)) return this.#public;
    if (!this.#main) return null;
    if (buffer !== null) this.#lost = true; // moved away by someone else
    const length = this.#mainBuffer ? this.#mapping!.length : 0;
    const fresh = this.#own(length ? this.#mapping!.buffer(0, length) : new ArrayBufferCtor(0));
    this.#public = new Uint8ArrayCtor(fresh);
    this.#publicBuffer = length ? fresh : null;
    return this.#public;
  }

  /** A new tracked buffer over `[offset, offset + length)`. */
  window(mapping: Mapping, offset: number, length: number): ArrayBuffer {
    if (length > this.#max) {
      throw new RangeError(
        `a view of ${length} bytes is larger than the largest ArrayBuffer this runtime can make (${this.#max} bytes)`,
      );
    }
    if (length === 0) return new ArrayBufferCtor(0); // over no memory: nothing to track
    const buffer = this.#own(mapping.buffer(offset, length));
    if (this.#windows.length > 1024) this.#prune();
    // An own data property: an index setter on Array.prototype must not lose
    // the window (it would outlive the unmap undetached: SIGSEGV on use).
    appendOwn(this.#windows, new WeakRefCtor(buffer));
    return buffer;
  }

  /**
   * Detaches every buffer, the internal one included; views read as length 0.
   *
   * @returns true when the memory may still be reachable from JavaScript:
   *   a buffer was found already detached (moved away by someone else),
   *   could not be detached, or was collected without us seeing whether it
   *   had been moved first. The caller must then not unmap the range.
   */
  detachAll(): boolean {
    let reachable = this.#lost;
    this.#lost = false;
    const internal = this.#mainBuffer, shown = this.#publicBuffer;
    this.#main =
      this.#mainBuffer =
      this.#public =
      this.#publicBuffer =
        null;
    this.#mapping = null;
    if (internal && detachBuffer(internal) !== "detached") reachable = true;
    if (shown && detachBuffer(shown) !== "detached") reachable = true;
    const windows = this.#windows;
    this.#windows = [];
    for (let i = 0; i < windows.length; i++) {
      const buffer = deref(windows[i]!);
      if (buffer === undefined || detachBuffer(buffer) !== "detached") reachable = true;
    }
    return reachable;
  }

  #own(buffer: ArrayBuffer): ArrayBuffer {
    defineProperty(buffer, OWNER, { value: this.#owner });
    addShared(mapBuffers, buffer);
    if (this.#shared) addShared(sharedBuffers, buffer);
    return buffer;
  }

  #prune(): void {
    const live: WeakRef<ArrayBuffer>[] = [];
    for (let i = 0; i < this.#windows.length; i++) {
      const ref = this.#windows[i]!;
      if (deref(ref) === undefined) this.#lost = true;
      else appendOwn(live, ref);
    }
    this.#windows = live;
  }
}
