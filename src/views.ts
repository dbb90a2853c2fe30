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

// A symbol-keyed property on each buffer keeps its owner (the MMap) alive, so
// the FinalizationRegistry can never unmap memory that a live view covers.
const OWNER = Symbol("@seed/mmap owner");

/** The buffers of one map: the main one over all of it, and windows. */
export class ViewSet {
  #owner: object;
  #main: Uint8Array | null = null;
  #windows = new Set<WeakRef<ArrayBuffer>>();
  #max: number;

  /**
   * @param owner the object every buffer keeps alive
   * @param maxBufferLength the engine's largest ArrayBuffer
   */
  constructor(owner: object, maxBufferLength: number) {
    this.#owner = owner;
    this.#max = maxBufferLength;
  }

  /** The engine's largest ArrayBuffer. */
  get maxBufferLength(): number {
    return this.#max;
  }

  /** Builds the main buffer over a (new) mapping, when one buffer can hold it. */
  attach(mapping: Mapping | null): void {
    const length = mapping?.length ?? 0;
    if (length > this.#max) {
      this.#main = null;
      return;
    }
    this.#main = new Uint8Array(
      this.#own(mapping ? mapping.buffer(0, length) : new ArrayBuffer(0)),
    );
  }

  /** A `Uint8Array` over the whole mapping, or `null` if it is too large. */
  get main(): Uint8Array | null {
    return this.#main;
  }

  /** A new tracked buffer over `[offset, offset + length)`. */
  window(mapping: Mapping, offset: number, length: number): ArrayBuffer {
    if (length > this.#max) {
      throw new RangeError(
        `a view of ${length} bytes is larger than the largest ArrayBuffer this runtime can make (${this.#max} bytes)`,
      );
    }
    const buffer = this.#own(mapping.buffer(offset, length));
    if (this.#windows.size > 1024) this.#prune();
    this.#windows.add(new WeakRef(buffer));
    return buffer;
  }

  /** Detaches every buffer handed out; their views read as length 0. */
  detachAll(): void {
    if (this.#main) detach(this.#main.buffer as ArrayBuffer);
    this.#main = null;
    for (const ref of this.#windows) {
      const buffer = ref.deref();
      if (buffer) detach(buffer);
    }
    this.#windows.clear();
  }

  #own(buffer: ArrayBuffer): ArrayBuffer {
    Object.defineProperty(buffer, OWNER, { value: this.#owner });
    return buffer;
  }

  #prune(): void {
    for (const ref of this.#windows) {
      if (ref.deref() === undefined) this.#windows.delete(ref);
    }
  }
}

function detach(buffer: ArrayBuffer): void {
  if (!buffer.detached) buffer.transfer(0);
}
