/**
 * A map's memory as zero-copy windows: stretches that one ArrayBuffer covers
 * (all of an `MMap` when one buffer can hold it; one file run of an
 * `MMapConcat`; 1 GiB windows of maps larger than the engine's largest
 * buffer). `lines()` hands out views of them and `readInto` copies from
 * them, with `TypedArray.prototype.set`, the engine's own memmove. Every
 * window's buffer is tracked by the map's `ViewSet`, so it is detached before
 * the memory under it goes away.
 *
 * @module
 */
import type { Mapping } from "../ffi/mapping.ts";
import { mathMin, typedArrayBuffer, uncurryThis } from "../ffi/primordials.ts";
import { detached } from "./byte_views.ts";
import { COPY_BY_MEMCPY } from "./fastpaths.ts";
import { PAGESIZE } from "./constants.ts";
import type { Pieces } from "./pieces.ts";
import type { ViewSet } from "./views.ts";

/** A stretch of a map that one ArrayBuffer covers without copying. */
export interface ByteWindow {
  /** A buffer the map tracks (detached with its other views). */
  readonly buffer: ArrayBufferLike;
  /** Where in `buffer` the map's byte `start` lies. */
  readonly byteOffset: number;
  /** The map offsets the window covers: `[start, end)`. */
  readonly start: number;
  readonly end: number;
  /**
   * The buffer may be detached while the map stays open (a resize) without
   * `epoch` saying so: check before each use.
   */
  readonly mayMove: boolean;
}

/** A map, as `lines()` and `readInto` see it. */
export interface WindowSource {
  /** The map's length now; throws the closed-map error once it is closed. */
  length(): number;
  /** Changes whenever the map's memory moves (a resize): windows taken before are stale. */
  epoch(): unknown;
  /** The window holding `offset` (`0 <= offset < length`), reaching as far as one buffer can. */
  window(offset: number): ByteWindow;
  /** A copy of `[offset, offset + count)`, for a line no window covers whole. */
  copy(offset: number, count: number): Uint8Array;
  /**
   * Copies `dst`'s length of bytes from `offset` into `dst` with libc's
   * `memmove`, where that is faster than `set` (see `COPY_BY_MEMCPY`);
   * overlap is allowed (the target may be over the map's own memory).
   */
  memcpy?(offset: number, dst: Uint8Array): void;
}

/** Windows over maps larger than one ArrayBuffer: 1 GiB, a multiple of any page size. */
const WINDOW = 2 ** 30;

/**
 * A tracked window of `mapping`, which holds the map's bytes
 * `[pieceStart, pieceEnd)` from its own offset 0: all of it, or (when it is
 * larger than one ArrayBuffer can be) {@linkcode WINDOW} bytes from the page
 * holding `offset`.
 */
function windowOf(
  views: ViewSet,
  mapping: Mapping,
  pieceStart: number,
  pieceEnd: number,
  offset: number,
  mayMove: boolean,
): ByteWindow {
  const size = pieceEnd - pieceStart;
  let from = 0;
  let n = size;
  if (size > views.maxBufferLength) {
    const local = offset - pieceStart;
    from = local - (local % PAGESIZE);
    n = mathMin(size - from, WINDOW, views.maxBufferLength);
  }
  const start = pieceStart + from;
  return { buffer: views.window(mapping, from, n), byteOffset: 0, start, end: start + n, mayMove };
}

function holds(w: ByteWindow | null, offset: number): w is ByteWindow {
  return w !== null && offset >= w.start && offset < w.end && !(w.mayMove && detached(w.buffer));
}

/** What an `MMap` gives {@linkcode mapWindows}. */
export interface MapParts {
  /** The length now; throws on a closed map. */
  length(): number;
  /** The map's view over all of it, or null when one buffer cannot hold it. */
  main(): Uint8Array | null;
  /** The mapping (for windows when there is no main view). */
  mapping(): Mapping;
  views: ViewSet;
  copy(offset: number, count: number): Uint8Array;
}

/** An `MMap`'s windows: its main view, or 1 GiB windows; the last one is kept. */
export function mapWindows(map: MapParts): WindowSource {
  let main: Uint8Array | null = null;
  let last: ByteWindow | null = null;
  return {
    length: map.length,
    epoch: map.main,
    window(offset) {
      const now = map.main();
      if (now) {
        if (now !== main || last === null) {
          main = now;
          last = {
            buffer: typedArrayBuffer(now),
            byteOffset: 0,
            start: 0,
            end: map.length(),
            mayMove: false,
          };
        }
        return last;
      }
      main = null;
      if (holds(last, offset)) return last;
      return (last = windowOf(map.views, map.mapping(), 0, map.length(), offset, true));
    },
    copy: map.copy,
    ...(COPY_BY_MEMCPY ? { memcpy: (offset, dst) => map.mapping().copyOut(offset, dst) } : {}),
  };
}

// Captured: a patched Map.prototype.get could hand lines() a window of its own.
const MapCtor = Map;
const mapGet: <K, V>(map: Map<K, V>, key: K) => V | undefined = uncurryThis(Map.prototype.get);
const mapSet: <K, V>(map: Map<K, V>, key: K, value: V) => void = uncurryThis(Map.prototype.set);

/**
 * An `MMapConcat`'s windows: one per piece (a run of files in one address
 * range), kept, and made again when a user moved one away (a line's buffer
 * transferred).
 */
export function piecesWindows(
  live: () => Pieces,
  length: () => number,
  views: ViewSet,
): WindowSource {
  const windows = new MapCtor<number, ByteWindow>();
  return {
    length,
    epoch: () => null,
    window(offset) {
      const p = live().pieceAt(offset);
      const kept = mapGet(windows, p.start) ?? null;
      if (holds(kept, offset)) return kept;
      const w = windowOf(views, p.mapping, p.start, p.end, offset, true);
      mapSet(windows, p.start, w);
      return w;
    },
    copy: (offset, count) => live().copy(offset, count),
  };
}
