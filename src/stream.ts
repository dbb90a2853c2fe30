/**
 * A map's bytes as a Web `ReadableStream`, for `Response` bodies, `pipeTo`
 * and `for await`. Chunks are copies: a view of the map is detached when the
 * map is closed or resized, and a stream's consumers keep chunks, or
 * transfer their buffers, after the code that made the stream has moved on.
 *
 * @module
 */
import { checkOptions, toOptionalInt } from "./args.ts";
import {
  mathMin,
  typedArrayBuffer,
  typedArrayByteLength,
  typedArrayByteOffset,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";

/**
 * Options of `MMap.stream`.
 *
 * @example
 * ```ts
 * import { MMap } from "@seed/mmap";
 * using m = MMap.anonymous(1 << 20);
 * const body = m.stream(0, null, { chunkSize: 1 << 16 }); // 16 chunks of 64 KiB
 * console.log((await new Response(body).arrayBuffer()).byteLength); // 1048576
 * ```
 */
export interface StreamOptions {
  /** Bytes per chunk (default 65536); a BYOB reader's buffer may ask for fewer. */
  chunkSize?: number;
}

/** The default chunk: 64 KiB, as node:fs streams and `Bun.file().stream()` use. */
export const DEFAULT_CHUNK_SIZE = 1 << 16;

/** The `chunkSize` of `stream()`'s options, checked (read once). */
export function chunkSizeOf(options: StreamOptions | undefined): number {
  const o = checkOptions(options, ["chunkSize"], "stream");
  const chunkSize = toOptionalInt(o.chunkSize, "chunkSize") ?? DEFAULT_CHUNK_SIZE;
  if (chunkSize < 1) throw new RangeError("chunkSize must be at least 1");
  return chunkSize;
}

/**
 * A byte stream over `[from, to)`, read through `copy(offset, into)` one
 * chunk at a time, only when a reader asks (nothing is read ahead). `end()`
 * is the map's length now, so that a map that shrank ends the stream early;
 * `copy` throws when the map is closed, and the stream errors with that.
 */
export function byteStream(
  from: number,
  to: number,
  chunkSize: number,
  end: () => number,
  copy: (offset: number, into: Uint8Array) => void,
): ReadableStream<Uint8Array> {
  let at = from;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const stop = mathMin(to, end());
      const request = controller.byobRequest;
      if (at >= stop) {
        controller.close();
        request?.respond(0);
        return;
      }
      const view = request?.view;
      if (request && view) {
        // The reader's view, measured by the engine's getters (not its properties).
        const n = mathMin(typedArrayByteLength(view), stop - at);
        const into = new Uint8ArrayCtor(typedArrayBuffer(view), typedArrayByteOffset(view), n);
        copy(at, into);
        at += n;
        request.respond(n);
      } else {
        const n = mathMin(chunkSize, stop - at);
        const chunk = new Uint8ArrayCtor(n);
        copy(at, chunk);
        at += n;
        controller.enqueue(chunk);
      }
    },
  }, { highWaterMark: 0 });
}
