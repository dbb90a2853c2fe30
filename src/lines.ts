/**
 * `lines()`: the lines of a range of a map as zero-copy `Uint8Array` views,
 * each with its `"\n"` (the last without one when the range does not end in
 * one), so that joined they are the range's bytes. The views are the map's
 * own memory: they follow its lifetime rules (detached on close and resize).
 *
 * Newlines are found many at a time by the kernel of src/lines_kernel.ts;
 * a line is then one view, made with the captured `Uint8Array` constructor
 * over the map's buffer. A line that no one buffer covers (it runs from one
 * file of a concatenation into a file mapped elsewhere, or across the
 * windows of a map too large for one ArrayBuffer) is copied.
 *
 * @module
 */
import { toOptionalInt } from "./args.ts";
import { ArrayBufferCtor, Uint8ArrayCtor } from "../ffi/primordials.ts";
import { detached } from "./byte_views.ts";
import { found, FOUND_MAX, SCAN_CHUNK, scanNewlines } from "./lines_kernel.ts";
import { clampRange } from "./slice.ts";
import type { ByteWindow, WindowSource } from "./windows.ts";

/** `[start, end)` of `lines(start, end)`: slice rules, as `find` takes them; the default is all. */
export function lineRange(start: unknown, end: unknown, length: number): [number, number] {
  const a = toOptionalInt(start, "start") ?? 0;
  const b = toOptionalInt(end, "end") ?? length;
  return clampRange(length, a, b);
}

/** The iterators' base: `Iterator` where the engine has it, for `map`, `filter`, `take`... */
const IteratorBase = (typeof Iterator === "function" ? Iterator : Object) as unknown as new () =>
IteratorObject<Uint8Array, undefined, unknown>;

// A line's view is made with the captured `Uint8Array` constructor over the
// window's buffer, in both engines: in Bun a whole 1 GiB pass took ~0.76-0.82
// s that way against ~1.25-1.40 s by `subarray` of a view (the two alternating
// in one process, machine otherwise quiet); in V8 ~35 ns a view against ~120.
// Making a view of a detached buffer throws, which the fast path relies on.

/** The iterator whose scan {@linkcode found} holds now. */
let owner: LineIterator | null = null;

/**
 * Iterates the lines of `[start, end)` of a {@linkcode WindowSource}.
 *
 * State: `#pos` is where the next line starts; the newlines after it up to
 * `#scanned` are `found[#next..#count)` (offsets from `#base`) while this
 * iterator is `owner`; when another iterator has scanned since, they are
 * found again.
 */
export class LineIterator extends IteratorBase {
  #src: WindowSource;
  #end: number;
  #pos: number;
  #done = false;
  #epoch: unknown;
  #window: ByteWindow | null = null;
  #buffer: ArrayBufferLike = new ArrayBufferCtor(0);
  /** `#buffer` offset minus map offset, for the current window. */
  #delta = 0;
  #mayMove = false;
  #base = 0;
  #next = 0;
  #count = 0;
  #scanned = 0;

  /**
   * @param src the map
   * @param start the first byte (already resolved and clamped)
   * @param end the end of the range (likewise); later clamped to the map's length
   */
  constructor(src: WindowSource, start: number, end: number) {
    super();
    this.#src = src;
    this.#pos = start;
    this.#end = end;
    this.#scanned = start;
    this.#epoch = src.epoch();
  }

  /** The next line: a view of the map's memory, or a copy when no buffer covers it whole. */
  override next(): IteratorResult<Uint8Array, undefined> {
    // The common case: the next newline is known and the window's buffer is
    // live. A closed or resized map has detached it, and making a view of a
    // detached buffer throws: then the slow path finds out which. Every
    // newline listed lies before the end (a scan never goes past it).
    const i = this.#next;
    if (i < this.#count && owner === this) {
      const pos = this.#pos;
      const stop = this.#base + found[i]! + 1;
      try {
        const value = new Uint8ArrayCtor(this.#buffer, this.#delta + pos, stop - pos);
        this.#next = i + 1;
        this.#pos = stop;
        return { value, done: false };
      } catch { /* detached */ }
    }
    return this.#slow();
  }

  /** Every other case: the end, a closed or moved map, a scan to make. */
  #slow(): IteratorResult<Uint8Array, undefined> {
    if (this.#done) return { value: undefined, done: true };
    const length = this.#src.length(); // throws once the map is closed
    const pos = this.#pos;
    const end = this.#end < length ? this.#end : length;
    if (pos >= end) {
      this.#done = true;
      return { value: undefined, done: true };
    }
    return this.#scan(pos, end);
  }

  /** Finds the end of the line at `pos` by scanning on, moving windows as needed. */
  #scan(pos: number, end: number): IteratorResult<Uint8Array, undefined> {
    const src = this.#src;
    const epoch = src.epoch();
    if (epoch !== this.#epoch || (this.#mayMove && detached(this.#buffer))) {
      this.#epoch = epoch;
      this.#window = null;
    }
    // Newlines listed but not yet used are lost when another scan overwrote them.
    if (owner !== this || this.#next < this.#count || this.#window === null) this.#scanned = pos;
    let w = this.#window;
    if (w === null || pos < w.start || pos >= w.end) w = this.#adopt(src.window(pos));
    for (;;) {
      const limit = end < w.end ? end : w.end;
      while (this.#scanned < limit) {
        const from = this.#scanned;
        const to = limit - from > SCAN_CHUNK ? from + SCAN_CHUNK : limit;
        const c = scanNewlines(this.#buffer, this.#delta + from, this.#delta + to);
        owner = this;
        this.#base = from;
        this.#count = c;
        this.#next = 0;
        this.#scanned = c === FOUND_MAX ? from + found[c - 1]! + 1 : to;
        if (c > 0) {
          const stop = from + found[this.#next++]! + 1;
          this.#pos = stop;
          return {
            value: new Uint8ArrayCtor(this.#buffer, this.#delta + pos, stop - pos),
            done: false,
          };
        }
      }
      if (limit === end) {
        // The last line, without a newline.
        this.#pos = end;
        return {
          value: new Uint8ArrayCtor(this.#buffer, this.#delta + pos, end - pos),
          done: false,
        };
      }
      // The line goes on past this window: one that starts nearer may hold it.
      const nearer = src.window(pos);
      if (nearer.end > w.end) {
        w = this.#adopt(nearer);
        continue;
      }
      return this.#across(pos, end, w.end);
    }
  }

  /**
   * A line from `pos` that runs on at `from` into memory mapped elsewhere:
   * finds its end in the windows that follow and copies it.
   */
  #across(pos: number, end: number, from: number): IteratorResult<Uint8Array, undefined> {
    const src = this.#src;
    let stop = end;
    search: for (let at = from; at < end;) {
      const w = this.#adopt(src.window(at));
      const limit = end < w.end ? end : w.end;
      for (; at < limit;) {
        const to = limit - at > SCAN_CHUNK ? at + SCAN_CHUNK : limit;
        const c = scanNewlines(this.#buffer, this.#delta + at, this.#delta + to);
        owner = this;
        if (c > 0) {
          stop = at + found[0]! + 1;
          break search;
        }
        at = to;
      }
    }
    this.#count = 0;
    this.#next = 0;
    this.#scanned = stop;
    this.#pos = stop;
    return { value: src.copy(pos, stop - pos), done: false };
  }

  #adopt(w: ByteWindow): ByteWindow {
    this.#window = w;
    this.#buffer = w.buffer;
    this.#delta = w.byteOffset - w.start;
    this.#mayMove = w.mayMove;
    return w;
  }

  /** The iterator itself (iterators are iterable). */
  override [Symbol.iterator](): this {
    return this;
  }
}
