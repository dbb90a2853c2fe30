/**
 * `Ring`: a lock-free single-producer single-consumer ring of byte messages
 * in shared memory, for processes and Workers of any runtime (and any
 * language that follows `ring_layout.ts`).
 *
 * The fast path is plain JavaScript: a few `Atomics.load`/`store` on the
 * header, a copy, no allocation but the copy a `pop` returns, no FFI. Each
 * side caches the other's index and reads it again only when the cached
 * value says "full" (producer) or "empty" (consumer), so the two cache
 * lines cross between cores once per batch, not once per message.
 *
 * Shared memory is input: every index and length read from it is checked
 * before use and a bad one is a `RingCorruptError`; all access goes through
 * typed arrays over the ring's own bytes, which the engine bounds-checks,
 * so no value in the ring can make the library touch memory outside it.
 *
 * @module
 */
import { futexWakeAt, processAlive, threadIdentity, wordAddress } from "../../ffi/futex.ts";
import { brandName, optionValue, toInt, typeName } from "../args.ts";
import { COPY_WAY, freshBytes } from "../fastpaths.ts";
import {
  beforeUnmap,
  isMMap,
  isSharedMap,
  type MMap,
  privateWindow,
  settleFaults,
} from "../mmap.ts";
import { faultCounter } from "../../ffi/guard/install.ts";
import { TOTAL_FAULTS } from "../../ffi/guard/table.ts";
import {
  appendOwn,
  arrayBufferDetached,
  arrayIncludes,
  ArrayPrototype,
  atomics,
  Int32ArrayCtor,
  isArray,
  isDetachedView,
  ownList,
  promiseReject,
  promiseResolve,
  promiseThen,
  removeOwn,
  setPrototypeOf,
  typedArrayKind as tagOf,
  typedArrayLength as lengthOf,
  typedArraySet as copyInto,
  typedArraySlice,
  typedArraySubarray,
  Uint32ArrayCtor,
  Uint8ArrayCtor,
  WeakRefCtor,
  weakRefDeref,
} from "../../ffi/primordials.ts";
import {
  type ByteArray,
  copyBytes,
  measure,
  Measured,
  measuredWords,
  messageBytes,
  SMALL,
} from "./ring_bytes.ts";
import {
  ASLEEP,
  capacityFor,
  checkHeader,
  CONSUMER,
  HEAD,
  HEADER_BYTES,
  MAX_CAPACITY,
  MIN_CAPACITY,
  PADDING,
  PRODUCER,
  RECORD_HEADER,
  RingCorruptError,
  setUpHeader,
  STATE,
  TAIL,
} from "./ring_layout.ts";
import { endIndex, endOffset, readRecords, writeRecords } from "./ring_records.ts";
import {
  changedTo,
  SLEEP,
  sleepUntilChange,
  spinWait,
  STRATEGIES,
  TIMED_OUT,
  UNSTARTED,
  type WaitStrategy,
  type Watch,
} from "./ring_wait.ts";
import { deadline, lockError, now, runAsync, runBlocking, type Steps } from "./steps.ts";

/**
 * The roles held by Ring objects of this thread, by the address of their
 * ring's head word: the role words name threads, so without this two
 * objects of one thread over one ring were both its producer, each writing
 * records where the other did (a wrong message, then a ring that looked
 * overwritten). Entries go when the object closes or its map does, and
 * hold the object weakly: a ring dropped unclosed must not keep its map
 * (and the map's memory) alive; its role then passes to the next object.
 */
const holders: { at: number; word: number; ring: WeakRef<Ring> }[] = ownList();

/** The live Ring object of this thread that holds role `word` of the ring whose head is at `at`. */
function holderOf(at: number, word: number): Ring | null {
  for (let i = holders.length - 1; i >= 0; i--) {
    const x = holders[i]!;
    const ring = weakRefDeref(x.ring);
    if (ring === undefined) removeOwn(holders, i);
    else if (x.at === at && x.word === word) return ring;
  }
  return null;
}

/**
 * Messages of one length back to back in the ring, given in place by
 * {@linkcode Ring.reserveMany} (to fill) and {@linkcode Ring.peekMany} (to
 * read): message `i` is the `length` bytes of `bytes` from `i * stride`.
 * The bytes between two messages are the next one's record header: the
 * ring's, not the caller's. `bytes` starts 8-byte aligned and `stride` is
 * a multiple of 8, so a `Float64Array` or `BigInt64Array` over it sees
 * each message at element `i * stride / 8`.
 *
 * @example
 * ```ts
 * import { MMap, Ring, type RingSlots } from "@seed/mmap";
 * using m = MMap.anonymous(4096);
 * const ring = new Ring(m, 0, 4096);
 * const slots: RingSlots = ring.reserveMany(4, 3)!;
 * console.log(slots.count, slots.stride, slots.bytes.length); // 3 16 36
 * ring.commit();
 * ```
 */
export interface RingSlots {
  /** The messages' memory in the ring (a view, detached when the map closes). */
  readonly bytes: Uint8Array;
  /** How many messages: at least 1. */
  readonly count: number;
  /** Each message's length in bytes. */
  readonly length: number;
  /** Bytes from one message's start to the next's: its 8-byte header and its bytes, padded to 8. */
  readonly stride: number;
}

/**
 * Options of a {@linkcode Ring}: how this side waits. Each process (and
 * each side) chooses its own; they work together in any combination.
 *
 * @example
 * ```ts
 * import { MMap, Ring, type RingOptions } from "@seed/mmap";
 * using m = MMap.anonymous(1 << 16);
 * const options: RingOptions = { wait: "yield", spins: 1000 };
 * const ring = new Ring(m, 0, 1 << 16, options);
 * ```
 */
export interface RingOptions {
  /** `"sleep"` (default), `"yield"` or `"spin"`: see {@linkcode WaitStrategy}. */
  wait?: WaitStrategy;
  /**
   * Looks at the other side's index before yielding or sleeping. By
   * default a side looks for about 50 microseconds (a few times what a
   * futex sleep and wake-up cost here), so that a stream of batches keeps
   * its consumer awake between batches and the producer makes no
   * FUTEX_WAKE per batch; an idle side still sleeps after those 50 us.
   * With `"sleep"` that default spin adapts: after waits in a row that
   * slept anyway it is short (about 3 us) until a wait sees the change
   * while spinning, so that two sides on a machine with no free core do
   * not each spin while the other waits for a core. A given `spins` is
   * kept as given.
   */
  spins?: number;
}

/** Looks before an async form sleeps on its helper thread. */
const DEFAULT_SPINS = 1000;
/** The default spin before yielding or sleeping, in milliseconds. */
const DEFAULT_SPIN_MS = 0.05;
/**
 * Looks a spinning `popInto` makes at an empty ring in its fast path (no
 * clock read: the general wait reads it after its own first looks).
 */
const QUICK_LOOKS = 1024;
/** The longest batch whose lengths `pushManyFrom` copies into a buffer it keeps. */
const SIZES_KEPT = 4096;

/** Whether `timeoutMs` needs no error: absent, or a number of at least 0 (Infinity too). */
const timeoutOk = (timeoutMs: unknown) =>
  timeoutMs === undefined || (typeof timeoutMs === "number" && timeoutMs >= 0);

/** `deadline`'s checks without reading the clock, for the paths that need no wait. */
function checkTimeout(timeoutMs: unknown, what: string): void {
  if (!timeoutOk(timeoutMs)) deadline(timeoutMs, what);
}
const align8 = (n: number) => (n + 7) & ~7;

/**
 * A single-producer single-consumer ring of byte messages stored in
 * `byteLength` bytes of a shared map (`MMap.shared`, or a file mapped with
 * `access: "write"`), for processes and Workers of Deno, Bun, or any
 * language that follows the layout in README. Zeroed memory is an empty
 * ring: every process constructs it with the same arguments, and the first
 * one writes the header.
 *
 * One thread produces (`push`, `reserve`/`commit`, `pushMany`,
 * `reserveMany`) and one consumes (`pop`, `popInto`, `peek`/`release`,
 * `popMany`, `peekMany`) at a time: each
 * role is claimed by the thread id of its first call and refused (`EBUSY`)
 * to a second live thread until `close()`. The producer never waits unless
 * the ring is full, the consumer unless it is empty; a waiting side that
 * finds the other side's process gone gets `EPIPE`.
 *
 * Messages are 0 to {@linkcode Ring.maxMessage} bytes (half the data area,
 * less 8), each stored as an 8-byte header and its bytes, 8-byte aligned.
 *
 * @example One process pushes, another pops
 * ```ts
 * import { MMap, Ring } from "@seed/mmap";
 * using m = MMap.shared("events", 1 << 16, { create: true });
 * using ring = new Ring(m, 0, 1 << 16);
 * ring.push(new TextEncoder().encode("hello"));
 * console.log(new TextDecoder().decode(ring.pop(1000)!)); // hello (here the same process pops)
 * MMap.unlinkShared("events");
 * ```
 */
export class Ring {
  /**
   * Bytes of the header before the data area.
   *
   * @example
   * ```ts
   * import { Ring } from "@seed/mmap";
   * console.log(Ring.HEADER_BYTES); // 256
   * ```
   */
  static readonly HEADER_BYTES: number = HEADER_BYTES;

  /**
   * The `byteLength` for a data area of `capacity` bytes (a power of two,
   * 64 to 2^30).
   *
   * @param capacity bytes of messages and their headers the ring holds at once
   * @returns `capacity` plus the header
   * @throws {RangeError} a capacity that is not a power of two in range
   *
   * @example
   * ```ts
   * import { Ring } from "@seed/mmap";
   * console.log(Ring.bytesFor(65536)); // 65792
   * ```
   */
  static bytesFor(capacity: number): number {
    const c = toInt(capacity, "capacity");
    if (c < MIN_CAPACITY || c > MAX_CAPACITY || (c & (c - 1)) !== 0) {
      throw new RangeError(
        `Ring.bytesFor: capacity must be a power of two from ${MIN_CAPACITY} to 2^30, not ${c}`,
      );
    }
    return c + HEADER_BYTES;
  }

  /**
   * Bytes of the data area: the largest power of two that fits in
   * `byteLength` after the header.
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * console.log(new Ring(m, 0, 4096).capacity); // 2048
   * ```
   */
  readonly capacity: number;
  /**
   * The longest message: half the data area less the 8-byte record header
   * (so that a message always fits, also after a wrap-around).
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * console.log(new Ring(m, 0, 4096).maxMessage); // 1016
   * ```
   */
  readonly maxMessage: number;

  // The header and data views sit on a buffer of the ring's own that user
  // code never sees; `peek` and `reserve` views are cut from another one
  // (`#shown`), so that moving theirs away leaves the ring working.
  readonly #map: MMap;
  readonly #offset: number;
  readonly #own: ArrayBuffer;
  readonly #h: Int32Array;
  readonly #d: Uint8Array;
  readonly #d32: Int32Array;
  #shown: ArrayBuffer | null = null;
  // The last argument each call site measured (see `measure`).
  #pushed = new Measured();
  #pushedAsync = new Measured();
  #target = new Measured();
  #batchData = new Measured();
  #batchTarget = new Measured();
  /** `pushManyFrom`'s copy of the lengths of a batch (made at its first call). */
  #sizes: Uint32Array | null = null;
  /** The process's fault count when this ring last found none in its map (see `#settle`). */
  #faultsSeen = faultCounter.words[TOTAL_FAULTS];
  /** A call is under way that may run user code (see `#enter`). */
  #busy = false;
  readonly #mask: number;
  /** The longest message the batch forms' word-copying loops (ring_records.ts) take. */
  readonly #limit: number;
  readonly #strategy: WaitStrategy;
  /** Looks `popInto`'s fast path makes at an empty ring before the general wait ("spin": some; else none). */
  readonly #quickLooks: number;
  readonly #spins: number;
  readonly #spinMs: number;
  readonly #producerWatch: Watch;
  readonly #consumerWatch: Watch;
  readonly #headAt: number;
  readonly #tailAt: number;
  #producing = false;
  #consuming = false;
  /** Cancels the map's call of `#giveUpRoles` before its memory goes (set while a role is held). */
  #unhook: (() => void) | null = null;
  // Producer: head as last stored, the write cursor (head plus what is
  // reserved and not yet committed), the last record reserved, the tail as
  // last read.
  // -1 is no index (not a multiple of 8): the first use reads the memory's.
  #head = -1;
  #cursor = -1;
  #lastRecord = -1;
  #lastLength = 0;
  #tailSeen = 0;
  // Consumer: tail as last stored, the read cursor (tail plus what is
  // peeked and not yet released), the head as last read, the length of the
  // record `#next` found.
  #tail = -1;
  #readCursor = -1;
  #headSeen = 0;
  #length = 0;
  #peeking = false;
  /**
   * This object's async pushes and pops that wait on another thread (see
   * `#noAsyncWait`), and how many times it was closed: a wait that began
   * before a `close()` ends without touching the ring when it wakes.
   */
  #asyncPushes = 0;
  #asyncPops = 0;
  #closes = 0;

  /**
   * The ring stored at `byteOffset` of `map`, `byteLength` bytes long. On
   * zeroed memory the first caller sets up an empty ring; every other
   * process must pass the same `byteOffset` and `byteLength`.
   *
   * @param map a shared, writable map (`MMap.shared`, `access: "write"`)
   * @param byteOffset where the ring starts: a multiple of 64 (a cache line)
   * @param byteLength its bytes: `Ring.bytesFor(capacity)`, or any length
   *   of at least 320 (the data area is the largest power of two that fits)
   * @param options how this side waits: {@linkcode RingOptions}
   * @throws {TypeError} `map` is not an MMap, is closed, or is private
   *   (`access: "copy"`, `MMap.anonymous(n, { shared: false })`) or read-only:
   *   no other process would see the messages
   * @throws {RangeError} a misaligned offset, bytes outside the map, too short
   * @throws {RingCorruptError} the memory holds something other than a ring
   *   of this size and version
   * @throws {MMapOSError} `EIO`: a page of the map faulted (its file was
   *   cut, or a hole of it found no room on a full file system); every
   *   later call of the ring throws it too
   *
   * @example A ring of 64 KiB after a 4 KiB area of one's own
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.shared("app", 4096 + Ring.bytesFor(65536), { create: true });
   * using ring = new Ring(m, 4096, Ring.bytesFor(65536), { wait: "sleep" });
   * MMap.unlinkShared("app");
   * ```
   */
  constructor(map: MMap, byteOffset: number, byteLength: number, options?: RingOptions) {
    if (!isMMap(map)) {
      throw new TypeError(`Ring: map must be an MMap, not ${brandName(map)}`);
    }
    const offset = toInt(byteOffset, "byteOffset");
    const length = toInt(byteLength, "byteLength");
    const o = options ?? {};
    if (typeof o !== "object") {
      throw new TypeError(`Ring: options must be an object, not ${typeName(o)}`);
    }
    // Each read once, and never from Object.prototype (see optionValue).
    const wait = optionValue(o, "wait"), givenSpins = optionValue(o, "spins");
    const strategy = (wait ?? "sleep") as WaitStrategy;
    if (!arrayIncludes(STRATEGIES, strategy)) {
      throw new TypeError(
        `Ring: wait must be "spin", "yield" or "sleep", not ${
          typeof strategy === "string" ? strategy : typeName(strategy)
        }`,
      );
    }
    const spins = givenSpins === undefined ? DEFAULT_SPINS : toInt(givenSpins, "spins");
    this.#spinMs = givenSpins === undefined ? DEFAULT_SPIN_MS : 0;
    if (spins < 0) throw new RangeError(`Ring: spins must be 0 or more, not ${spins}`);
    if (map.closed) throw new TypeError("mmap closed or invalid");
    if (!isSharedMap(map)) {
      throw new TypeError(
        "Ring: the map must be shared and writable (MMap.shared, or a file with " +
          'access: "write"): in a private or read-only map no other process sees the messages',
      );
    }
    if (offset % 64 !== 0 || offset < 0) {
      throw new RangeError(`Ring: byteOffset must be a multiple of 64, not ${offset}`);
    }
    if (length < HEADER_BYTES + MIN_CAPACITY) {
      throw new RangeError(
        `Ring: byteLength must be at least ${HEADER_BYTES + MIN_CAPACITY}, not ${length}`,
      );
    }
    if (offset + length > map.length) {
      throw new RangeError(
        `Ring needs ${length} bytes at byteOffset ${offset}, outside the map (${map.length} bytes)`,
      );
    }
    const capacity = capacityFor(length);
    this.capacity = capacity;
    this.maxMessage = capacity / 2 - RECORD_HEADER;
    this.#mask = capacity - 1;
    this.#limit = this.maxMessage < SMALL ? this.maxMessage : SMALL;
    this.#map = map;
    this.#offset = offset;
    const own = this.#own = privateWindow(map, offset, HEADER_BYTES + capacity);
    this.#h = new Int32ArrayCtor(own, 0, HEADER_BYTES / 4);
    this.#d = new Uint8ArrayCtor(own, HEADER_BYTES, capacity);
    this.#d32 = new Int32ArrayCtor(own, HEADER_BYTES, capacity / 4);
    this.#strategy = strategy;
    this.#quickLooks = strategy === "spin" ? QUICK_LOOKS : 0;
    this.#spins = spins;
    setUpHeader(this.#h, capacity, "Ring");
    // A header that went to the guard's zero page (a hole of a full file system, a cut file) is no ring.
    this.#settle();
    this.#headAt = wordAddress(this.#h, HEAD);
    this.#tailAt = wordAddress(this.#h, TAIL);
    this.#producerWatch = this.#watch(TAIL, CONSUMER, "consumer");
    this.#consumerWatch = this.#watch(HEAD, PRODUCER, "producer");
  }

  /**
   * The wait strategy of this side.
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * console.log(new Ring(m, 0, 4096).wait); // sleep
   * ```
   */
  get wait(): WaitStrategy {
    return this.#strategy;
  }

  /**
   * The thread id of the producer (its pid, in a single-threaded process),
   * or 0 when none has pushed since the last one closed.
   *
   * @throws {TypeError} the map was closed or resized (the ring is gone with it)
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * console.log(new Ring(m, 0, 4096).producer); // 0
   * ```
   */
  get producer(): number {
    this.#open(); // a closed or resized map: the library's TypeError, not the engine's
    return atomics.load(this.#h, PRODUCER);
  }

  /**
   * The thread id of the consumer, or 0.
   *
   * @throws {TypeError} the map was closed or resized
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * console.log(new Ring(m, 0, 4096).consumer); // 0
   * ```
   */
  get consumer(): number {
    this.#open();
    return atomics.load(this.#h, CONSUMER);
  }

  // --- producing -------------------------------------------------------------

  /**
   * Copies `bytes` into the ring as one message, waiting while it is full.
   *
   * @param bytes the message: a Uint8Array (any typed array, DataView,
   *   ArrayBuffer or string is taken as its bytes), at most `maxMessage` bytes
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns true, or false when the time ran out with the ring still full
   * @throws {TypeError} a message with no bytes left: its buffer was
   *   transferred (detached), or shrank below it
   * @throws {RangeError} a message longer than `maxMessage`
   * @throws {RingCorruptError} the ring's memory was overwritten
   * @throws {MMapOSError} `EPIPE` while waiting: the consumer's process is
   *   gone; `EBUSY`: another live thread is the producer
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * console.log(ring.push(Uint8Array.of(1, 2, 3), 100)); // true
   * ```
   */
  push(bytes: Uint8Array, timeoutMs?: number): boolean {
    // The common case in one run of code with no calls: the array pushed
    // last again (its elements `n - 1` and `n` say it still has `n` bytes;
    // see `measure`), at most #limit bytes, a valid timeout, this side as
    // its last call left it (no call under way, the role held: a closed or
    // resized map gave it up; nothing reserved; head where this side stored
    // it) and room
    // before the data area's end. Anything else takes the general path,
    // which checks it all again. The fault check comes once, before head is
    // stored: what a cut file's zero pages took is never published.
    const m = this.#pushed, n = m.length, h = this.#h, head = this.#head;
    if (
      bytes === m.bytes && n > 0 && n <= this.#limit && bytes[n - 1] !== undefined &&
      bytes[n] === undefined &&
      timeoutOk(timeoutMs) &&
      !this.#busy && this.#producing && this.#lastRecord < 0 && this.#cursor === head &&
      (h[HEAD]! & ~ASLEEP) === head
    ) {
      const rec = align8(RECORD_HEADER + n), pos = head & this.#mask, cap = this.#mask + 1;
      if (rec <= cap - pos && ((head - this.#tailSeen) >>> 0) + rec <= cap) {
        const d = this.#d, d32 = this.#d32, at = pos + RECORD_HEADER;
        d32[pos >> 2] = n;
        d32[(pos >> 2) + 1] = 0;
        for (let i = 0; i < n; i++) d[at + i] = bytes[i]!;
        this.#settle();
        const next = (head + rec) | 0;
        this.#head = this.#cursor = next;
        if (atomics.exchange(h, HEAD, next) & ASLEEP) futexWakeAt(h, this.#headAt);
        return true;
      }
    }
    return this.#pushAny(bytes, timeoutMs);
  }

  /** `push` in general: any message, any state. */
  #pushAny(bytes: Uint8Array, timeoutMs: number | undefined): boolean {
    let b = bytes;
    let n = measure(this.#pushed, b);
    // An empty one too: a detached array says 0 bytes (messageBytes tells).
    if (n <= 0 || n > SMALL) n = lengthOf(b = messageBytes(b, "Ring.push"));
    checkTimeout(timeoutMs, "Ring.push");
    this.#startPush(n, "Ring.push");
    const at = this.#place(n);
    if (at < 0) {
      if (timeoutMs === 0) return false;
      return this.#awaitRoom(n, timeoutMs, b) >= 0;
    }
    this.#fill(at, b, n);
    this.#publish();
    return true;
  }

  /**
   * {@linkcode Ring.push} without waiting.
   *
   * @param bytes the message
   * @returns false when the ring has no room for it now
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * let n = 0;
   * while (ring.tryPush(new Uint8Array(100))) n++;
   * console.log(n); // 18: the 2048-byte data area holds 18 records of 112 bytes
   * ```
   */
  tryPush(bytes: Uint8Array): boolean {
    return this.push(bytes, 0);
  }

  /**
   * {@linkcode Ring.push} without blocking the event loop: the wait for
   * room happens on another thread (Deno: a nonblocking FFI call; Bun: a
   * helper Worker), whatever this side's strategy.
   *
   * @param bytes the message; do not change it until the Promise settles
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns a Promise: true, or false when the time ran out
   *   (rejected with a TypeError when `close()` comes while it waits)
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * console.log(await ring.pushAsync(Uint8Array.of(7), 100)); // true
   * ```
   */
  pushAsync(bytes: Uint8Array, timeoutMs?: number): Promise<boolean> {
    try {
      let b = bytes;
      let n = measure(this.#pushedAsync, b);
      if (n <= 0 || n > SMALL) n = lengthOf(b = messageBytes(b, "Ring.pushAsync"));
      const end = deadline(timeoutMs, "Ring.pushAsync");
      this.#startPush(n, "Ring.pushAsync");
      const at = this.#place(n);
      if (at >= 0) {
        this.#fill(at, b, n);
        this.#publish();
        return promiseResolve(true);
      }
      // The copy and the publish happen in the step that finds the room, so
      // that other async pushes of this thread cannot come in between.
      return promiseThen(
        runAsync(this.#roomSteps(n, end, false, b)),
        (place) => place >= 0,
        (e) => promiseReject(this.#closedOr(e)),
      );
    } catch (e) {
      return promiseReject(this.#closedOr(e));
    }
  }

  /**
   * Pushes `messages` in order, publishing all that fit with one index
   * store, and waiting for room (then publishing again) as needed.
   *
   * @param messages the messages, each at most `maxMessage` bytes
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns how many were pushed: all of them, unless the time ran out
   * @throws {TypeError} a message with no bytes left (see `push`): all are checked first, none is pushed
   * @throws {RangeError} a message longer than `maxMessage` (those before it are pushed)
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * const batch = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)];
   * console.log(ring.pushMany(batch, 100)); // 3
   * ```
   */
  pushMany(messages: readonly Uint8Array[], timeoutMs?: number): number {
    const list = this.#messagesOf(messages, "Ring.pushMany");
    const count = list.length;
    const end = timeoutMs === 0 ? 0 : deadline(timeoutMs, "Ring.pushMany");
    if (count === 0) return 0;
    // Before the `try`: its `finally` publishes up to the cursor, which
    // holds reservations of the caller's while `#startPush` refuses them.
    this.#startPush(lengthOf(list[0]!), "Ring.pushMany");
    let done = 0;
    try {
      while (done < count) {
        const b = list[done]!;
        const n = lengthOf(b);
        if (done > 0) this.#checkLength(n, "Ring.pushMany");
        const at = this.#place(n);
        if (at < 0) {
          this.#publish();
          if (end === 0) break;
          if (this.#awaitRoom(n, end - now(), b) < 0) break;
        } else {
          this.#fill(at, b, n);
        }
        done++;
      }
    } finally {
      this.#publish();
    }
    return done;
  }

  /**
   * {@linkcode Ring.pushMany} without waiting: pushes what fits now.
   *
   * @param messages the messages
   * @returns how many were pushed
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * console.log(ring.tryPushMany([new Uint8Array(8), new Uint8Array(8)])); // 2
   * ```
   */
  tryPushMany(messages: readonly Uint8Array[]): number {
    return this.pushMany(messages, 0);
  }

  /**
   * Pushes the messages packed back to back in `data`, `lengths[i]` bytes
   * each (the mirror of {@linkcode Ring.popManyInto}: no array of messages,
   * no allocation), publishing all that fit with one index store and
   * waiting for room (then publishing again) as needed.
   *
   * @param data the messages, one after the other from its start: a
   *   Uint8Array, or an Int8Array or Uint8ClampedArray (any typed array of
   *   one-byte elements is taken as its bytes; nothing else is accepted)
   * @param lengths each message's length
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns how many were pushed: all of them, unless the time ran out
   * @throws {RangeError} lengths that add up to more than `data` holds, or
   *   one beyond `maxMessage` (nothing is pushed then)
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * console.log(ring.pushManyFrom(Uint8Array.of(1, 2, 3), Uint32Array.of(1, 2), 100)); // 2
   * console.log(ring.popMany()); // [ Uint8Array(1) [ 1 ], Uint8Array(2) [ 2, 3 ] ]
   * ```
   */
  pushManyFrom(
    data: Uint8Array | Int8Array | Uint8ClampedArray,
    lengths: Uint32Array,
    timeoutMs?: number,
  ): number {
    const room = this.#targetLength(this.#batchData, data, "Ring.pushManyFrom", "data");
    if (tagOf(lengths) !== "Uint32Array") {
      throw new TypeError(
        `Ring.pushManyFrom: lengths must be a Uint32Array, not ${brandName(lengths)}`,
      );
    }
    const count = lengthOf(lengths as unknown as Uint8Array);
    const end = timeoutMs === 0 ? 0 : deadline(timeoutMs, "Ring.pushManyFrom");
    // The lengths are the caller's memory: read once, into a copy, and
    // checked. The copy of a batch of up to SIZES_KEPT is this ring's own,
    // kept between calls: a new one per call was 4 KiB of garbage a batch of
    // 1024, and the collections it caused took a core from the other side.
    let sizes = this.#sizes;
    if (count > SIZES_KEPT) sizes = new Uint32ArrayCtor(count);
    else if (sizes === null) sizes = this.#sizes = new Uint32ArrayCtor(SIZES_KEPT);
    const max = this.maxMessage;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const n = sizes[i] = lengths[i]!;
      if (n > max) this.#checkLength(n, "Ring.pushManyFrom");
      total += n;
    }
    if (total > room) {
      throw new RangeError(
        `Ring.pushManyFrom: the lengths add up to ${total} bytes, data holds ${room}`,
      );
    }
    if (count === 0) return 0;
    this.#startPush(sizes[0]!, "Ring.pushManyFrom");
    const s32 = measuredWords(this.#batchData);
    const d = this.#d, d32 = this.#d32;
    const cap = this.capacity, mask = this.#mask;
    let done = 0;
    let from = 0;
    // The records are written here, the cursor in a local, while they fit
    // in the room the tail last read leaves (`free`) before the end of the
    // data area (`run`); #place handles the rest (a padding record, a new
    // look at the tail, then a wait).
    let cur = this.#cursor;
    let free = cap - ((cur - this.#tailSeen) >>> 0);
    let run = cap - (cur & mask);
    const limit = this.#limit;
    try {
      for (; done < count; done++) {
        if (s32 !== null) {
          done = writeRecords(
            d32,
            mask,
            cur,
            run < free ? run : free,
            s32,
            from,
            sizes,
            done,
            count,
            limit,
          );
          const used = (endIndex - cur) | 0;
          cur = endIndex;
          from = endOffset;
          run -= used;
          free -= used;
          if (done === count) break;
        }
        const n = sizes[done]!;
        const rec = (RECORD_HEADER + n + 7) & ~7;
        if (rec > run || rec > free) {
          this.#cursor = cur;
          let at = this.#place(n);
          if (at < 0) {
            this.#publish();
            if (end === 0) break;
            at = this.#awaitRoom(n, end - now(), null);
            if (at < 0) break;
          }
          copyBytes(d, d32, at, data, s32, from, n);
          from += n;
          cur = this.#cursor;
          free = cap - ((cur - this.#tailSeen) >>> 0);
          run = cap - (cur & mask);
          continue;
        }
        const pos = cur & mask;
        const w = pos >> 2;
        d32[w] = n;
        d32[w + 1] = 0;
        if (n <= SMALL && s32 !== null && (from & 3) === 0) {
          const b = from >> 2, words = n >> 2;
          for (let k = 0; k < words; k++) d32[w + 2 + k] = s32[b + k]!;
          for (let i = words << 2; i < n; i++) d[pos + RECORD_HEADER + i] = data[from + i]!;
        } else copyBytes(d, d32, pos + RECORD_HEADER, data, s32, from, n);
        from += n;
        cur = (cur + rec) | 0;
        run -= rec;
        free -= rec;
      }
    } finally {
      this.#cursor = cur;
      this.#publish();
    }
    return done;
  }

  /**
   * Reserves room for a message of `length` bytes and returns it as a view
   * into the ring, to be filled in place and published by
   * {@linkcode Ring.commit} (zero-copy). Several reservations may be made
   * before one `commit`, which publishes them all with one index store.
   * The view must not be used after `commit`. With reservations pending,
   * `reserve` does not wait for room (nobody could free it): null means
   * "commit first".
   *
   * @param length the message's length (or, with `commit(used)`, the most it may need)
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns the view, or null when the time ran out with the ring full
   * @throws {RangeError} a length beyond `maxMessage`
   * @throws {TypeError} a `pushAsync` of this ring is waiting (await it first: it
   *   would publish the reserved room with its message)
   *
   * @example Encode a string straight into the ring
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * const slot = ring.reserve(64)!;
   * const { written } = new TextEncoder().encodeInto("hi", slot);
   * ring.commit(written);
   * console.log(ring.tryPop()!.length); // 2
   * ```
   */
  reserve(length: number, timeoutMs?: number): Uint8Array | null {
    const n = toInt(length, "length");
    if (n < 0) throw new RangeError(`Ring.reserve: length must be 0 or more, not ${n}`);
    checkTimeout(timeoutMs, "Ring.reserve");
    this.#noAsyncWait("Ring.reserve", true);
    const pending = this.#lastRecord >= 0;
    if (pending) this.#startMore(n, "Ring.reserve");
    else this.#startPush(n, "Ring.reserve");
    let at = this.#place(n);
    if (at < 0) {
      // Waiting behind reservations of one's own that nobody can read would never end.
      if (timeoutMs === 0 || pending) return null;
      at = this.#awaitRoom(n, timeoutMs, null);
      if (at < 0) return null;
    }
    this.#lastLength = n;
    return new Uint8ArrayCtor(this.#shownBuffer(), at, n);
  }

  /**
   * Publishes every message reserved since the last commit, with one
   * index store, and wakes the consumer if it sleeps.
   *
   * @param used the length of the last reserved message, if it is shorter
   *   than reserved (its unused end is given back)
   * @throws {RangeError} `used` beyond the last reservation's length
   * @throws {TypeError} nothing is reserved
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * ring.reserve(1)![0] = 42;
   * ring.reserve(1)![0] = 43;
   * ring.commit(); // both at once
   * console.log(ring.tryPop()![0], ring.tryPop()![0]); // 42 43
   * ```
   */
  commit(used?: number): void {
    this.#enter("Ring.commit");
    const last = this.#lastRecord;
    if (last < 0) throw new TypeError("Ring.commit: nothing is reserved");
    if (used !== undefined) {
      const n = toInt(used, "used");
      const reserved = this.#lastLength;
      if (n < 0 || n > reserved) {
        throw new RangeError(`Ring.commit: used must be 0 to ${reserved}, not ${n}`);
      }
      this.#d32[last >> 2] = n;
      // The record ends at the cursor: give back what it does not use.
      this.#cursor = (this.#cursor - align8(RECORD_HEADER + reserved) +
        align8(RECORD_HEADER + n)) | 0;
    }
    this.#open(); // `used`'s valueOf, or any code since reserve(), may have closed the map
    this.#publish();
  }

  /**
   * Reserves up to `count` messages of `length` bytes each, back to back,
   * and returns them in place (zero-copy) to be filled and published by one
   * {@linkcode Ring.commit}: the batch form of {@linkcode Ring.reserve},
   * with no view and no copy per message. It gives as many as fit now
   * before the end of the data area (at least one: it waits for room for
   * one as `reserve` does), so a batch may come in two parts at the wrap.
   * The slots must not be used after `commit`.
   *
   * @param length each message's length (`commit(used)` may shorten the last)
   * @param count the most messages to reserve
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns the messages' memory, or null when the time ran out with the
   *   ring full (or, with reservations pending, when there is no room)
   * @throws {RangeError} a length beyond `maxMessage`, a count below 1
   * @throws {TypeError} a `pushAsync` of this ring is waiting (await it first)
   *
   * @example Fixed-size records written through a DataView
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * const { bytes, count, stride } = ring.reserveMany(8, 100)!;
   * const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
   * for (let i = 0; i < count; i++) dv.setFloat64(i * stride, i / 2, true);
   * ring.commit();
   * const got = ring.peekMany()!;
   * const view = new DataView(got.bytes.buffer, got.bytes.byteOffset, got.bytes.byteLength);
   * console.log(got.count, view.getFloat64(3 * got.stride, true)); // 100 1.5
   * ring.release();
   * ```
   */
  reserveMany(length: number, count: number, timeoutMs?: number): RingSlots | null {
    const n = toInt(length, "length");
    if (n < 0) throw new RangeError(`Ring.reserveMany: length must be 0 or more, not ${n}`);
    const most = count === Infinity ? Infinity : toInt(count, "count");
    if (most < 1) throw new RangeError(`Ring.reserveMany: count must be 1 or more, not ${most}`);
    checkTimeout(timeoutMs, "Ring.reserveMany");
    this.#noAsyncWait("Ring.reserveMany", true);
    const pending = this.#lastRecord >= 0;
    if (pending) this.#startMore(n, "Ring.reserveMany");
    else this.#startPush(n, "Ring.reserveMany");
    let at = this.#place(n);
    if (at < 0) {
      // Waiting behind reservations of one's own that nobody can read would never end.
      if (timeoutMs === 0 || pending) return null;
      at = this.#awaitRoom(n, timeoutMs, null);
      if (at < 0) return null;
    }
    // The first record is placed (after a padding record, where it had to
    // wrap); the rest follow it while they fit before the end of the data
    // area and in the room the tail leaves, looked at again once if short.
    const stride = align8(RECORD_HEADER + n);
    const first = at - RECORD_HEADER;
    const cap = this.capacity;
    const run = cap - first - stride;
    const fit = (room: number) => {
      const more = ((run < room ? run : room) / stride) | 0;
      return 1 + (most - 1 < more ? most - 1 : more);
    };
    let k = fit(cap - ((this.#cursor - this.#tailSeen) >>> 0));
    if (k < most && k <= run / stride) {
      this.#tailSeen = this.#loadTail(this.#head);
      k = fit(cap - ((this.#cursor - this.#tailSeen) >>> 0));
    }
    const d32 = this.#d32;
    for (let i = 1, w = (first + stride) >> 2; i < k; i++, w += stride >> 2) {
      d32[w] = n;
      d32[w + 1] = 0;
    }
    this.#cursor = (this.#cursor + (k - 1) * stride) | 0;
    this.#lastRecord = first + (k - 1) * stride;
    this.#lastLength = n;
    const bytes = new Uint8ArrayCtor(this.#shownBuffer(), at, (k - 1) * stride + n);
    return { bytes, count: k, length: n, stride };
  }

  // --- consuming -------------------------------------------------------------

  /**
   * Takes the next message, waiting while the ring is empty.
   *
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns a copy of the message, or null when the time ran out (in Deno,
   *   small copies are cut from a shared 64 KiB ArrayBuffer, as `MMap.read`
   *   results are: mind `byteOffset`, and `slice()` it before transferring
   *   its buffer)
   * @throws {RingCorruptError} the ring's memory was overwritten
   * @throws {MMapOSError} `EPIPE` while waiting: the producer's process is
   *   gone (messages it published before are still delivered first);
   *   `EBUSY`: another live thread is the consumer
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * ring.push(Uint8Array.of(5));
   * console.log(ring.pop(100)); // Uint8Array(1) [ 5 ]
   * console.log(ring.pop(10)); // null: empty
   * ```
   */
  pop(timeoutMs?: number): Uint8Array | null {
    checkTimeout(timeoutMs, "Ring.pop");
    this.#startPop("Ring.pop");
    const at = this.#nextWithin(timeoutMs);
    if (at < 0) return null;
    const out = this.#copy(at, this.#length);
    this.#free();
    return out;
  }

  /**
   * {@linkcode Ring.pop} without waiting.
   *
   * @returns a copy of the next message, or null when the ring is empty
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * console.log(new Ring(m, 0, 4096).tryPop()); // null
   * ```
   */
  tryPop(): Uint8Array | null {
    return this.pop(0);
  }

  /**
   * {@linkcode Ring.pop} without blocking the event loop: the wait happens
   * on another thread, whatever this side's strategy.
   *
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns a Promise of a copy of the message, or of null on timeout
   *   (rejected with a TypeError when `close()` comes while it waits)
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * setTimeout(() => ring.push(Uint8Array.of(9)), 10);
   * console.log(await ring.popAsync(1000)); // Uint8Array(1) [ 9 ]
   * ```
   */
  popAsync(timeoutMs?: number): Promise<Uint8Array | null> {
    try {
      const end = deadline(timeoutMs, "Ring.popAsync");
      this.#startPop("Ring.popAsync");
      const at = this.#next();
      if (at >= 0) return promiseResolve(this.#take(at));
      return promiseThen(
        runAsync(this.#popSteps(end)),
        undefined,
        (e) => promiseReject(this.#closedOr(e)),
      );
    } catch (e) {
      return promiseReject(this.#closedOr(e));
    }
  }

  /**
   * Copies the next message into `target` (no allocation), waiting while
   * the ring is empty.
   *
   * @param target where the message goes, from its start: a Uint8Array, or
   *   an Int8Array or Uint8ClampedArray (any typed array of one-byte elements
   *   receives the message's bytes; nothing else is accepted)
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns the message's length, or null when the time ran out
   * @throws {RangeError} the message is longer than `target` (it stays in the ring)
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * ring.push(Uint8Array.of(1, 2));
   * const buf = new Uint8Array(16);
   * console.log(ring.popInto(buf, 100), buf[1]); // 2 2
   * ```
   */
  popInto(
    target: Uint8Array | Int8Array | Uint8ClampedArray,
    timeoutMs?: number,
  ): number | null {
    // As in push: the target popped into last, a valid timeout, this side
    // as it left itself (the role held, nothing peeked, tail where it
    // stored it), and a record of at most #limit bytes that fits, found at
    // the first look or within #quickLooks; else the general path. Head is
    // checked as #checkHead does, the record as #checkRecord does; the
    // fault check comes before tail is stored (and the general path's
    // before an answer of "empty").
    const m = this.#target, room = m.length, h = this.#h, tail = this.#tail;
    if (
      target === m.bytes && room > 0 && target[room - 1] !== undefined &&
      target[room] === undefined &&
      timeoutOk(timeoutMs) &&
      !this.#busy && this.#consuming && !this.#peeking && (h[TAIL]! & ~ASLEEP) === tail
    ) {
      let hd = this.#headSeen;
      if (hd === tail) {
        hd = atomics.load(h, HEAD) & ~ASLEEP;
        if (timeoutMs !== 0) {
          for (let i = this.#quickLooks; i > 0 && hd === tail; i--) {
            hd = atomics.load(h, HEAD) & ~ASLEEP;
          }
        }
      }
      const used = (hd - tail) >>> 0, mask = this.#mask, cap = mask + 1;
      if (used !== 0 && used <= cap && (used & 7) === 0) {
        this.#headSeen = hd;
        const pos = tail & mask, n = this.#d32[pos >> 2]!;
        if (
          n >= 0 && n <= room && n <= this.#limit && RECORD_HEADER + n <= used &&
          pos + RECORD_HEADER + n <= cap
        ) {
          const d = this.#d, at = pos + RECORD_HEADER;
          for (let i = 0; i < n; i++) target[i] = d[at + i]!;
          this.#settle();
          const next = (tail + align8(RECORD_HEADER + n)) | 0;
          this.#tail = this.#readCursor = next;
          if (atomics.exchange(h, TAIL, next) & ASLEEP) futexWakeAt(h, this.#tailAt);
          return n;
        }
      }
    }
    return this.#popIntoAny(target, timeoutMs);
  }

  /** `popInto` in general: any target, any state, any record, a wait. */
  #popIntoAny(target: ByteArray, timeoutMs: number | undefined): number | null {
    const room = this.#targetLength(this.#target, target, "Ring.popInto");
    checkTimeout(timeoutMs, "Ring.popInto");
    this.#startPop("Ring.popInto");
    const at = this.#nextWithin(timeoutMs);
    if (at < 0) return null;
    const n = this.#length;
    if (n > room) {
      this.#readCursor = this.#tail;
      throw new RangeError(`Ring.popInto: the message is ${n} bytes, the target only ${room}`);
    }
    this.#copyOut(target, 0, at, n);
    this.#free();
    return n;
  }

  /**
   * Takes up to `max` messages that are there (waiting for the first),
   * freeing their room with one index store.
   *
   * @param max the most to take (default: all there are)
   * @param timeoutMs give up waiting for the first after this many milliseconds
   * @returns copies of the messages: empty when the time ran out
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * ring.pushMany([Uint8Array.of(1), Uint8Array.of(2)]);
   * console.log(ring.popMany(10, 100).length); // 2
   * ```
   */
  popMany(max: number = Infinity, timeoutMs?: number): Uint8Array[] {
    const most = max === Infinity ? Infinity : toInt(max, "max");
    checkTimeout(timeoutMs, "Ring.popMany");
    this.#startPop("Ring.popMany");
    if (most < 1) return [];
    let at = this.#nextWithin(timeoutMs);
    if (at < 0) return [];
    // Filled with no prototype, so that each store makes an own element
    // (an index setter on Array.prototype saw, or kept, the messages), then
    // made a plain Array. `#busy` stays as a second wall.
    const out = ownList<Uint8Array>();
    let k = 0;
    this.#busy = true;
    try {
      do out[k++] = this.#copy(at, this.#length); while (k < most && (at = this.#next()) >= 0);
    } finally {
      this.#busy = false;
      this.#open(); // a map closed meanwhile: its error, not the engine's
      this.#free();
    }
    return setPrototypeOf(out, ArrayPrototype);
  }

  /**
   * Copies the messages that are there (waiting for the first) into
   * `target` back to back, their lengths into `lengths`, and frees their
   * room with one index store: the batch form with no allocation.
   *
   * @param target where the messages go, one after the other from its
   *   start: a Uint8Array, or an Int8Array or Uint8ClampedArray (as for
   *   {@linkcode Ring.popInto})
   * @param lengths receives each message's length; its length bounds the count
   * @param timeoutMs give up waiting for the first after this many milliseconds
   * @returns how many messages were copied: 0 when the time ran out
   * @throws {RangeError} the first message alone is longer than `target`
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * ring.pushMany([Uint8Array.of(1), Uint8Array.of(2, 3)]);
   * const data = new Uint8Array(64), lengths = new Uint32Array(16);
   * console.log(ring.popManyInto(data, lengths, 100), lengths[1], data[2]); // 2 2 3
   * ```
   */
  popManyInto(
    target: Uint8Array | Int8Array | Uint8ClampedArray,
    lengths: Uint32Array,
    timeoutMs?: number,
  ): number {
    const room = this.#targetLength(this.#batchTarget, target, "Ring.popManyInto");
    checkTimeout(timeoutMs, "Ring.popManyInto");
    if (tagOf(lengths) !== "Uint32Array") {
      throw new TypeError(
        `Ring.popManyInto: lengths must be a Uint32Array, not ${brandName(lengths)}`,
      );
    }
    const most = lengthOf(lengths as unknown as Uint8Array);
    this.#startPop("Ring.popManyInto");
    if (most === 0) return 0;
    let at = this.#nextWithin(timeoutMs);
    if (at < 0) return 0;
    if (this.#length > room) {
      this.#readCursor = this.#tail;
      throw new RangeError(
        `Ring.popManyInto: the message is ${this.#length} bytes, the target only ${room}`,
      );
    }
    const t32 = measuredWords(this.#batchTarget);
    const d = this.#d, d32 = this.#d32;
    const mask = this.#mask, cap = this.capacity, max = this.maxMessage;
    let count = 0;
    let filled = 0;
    let n = this.#length;
    const limit = this.#limit;
    // The read cursor past the record at `at`, in a local; a plain record
    // inside what was published is read here, the rest (a padding record, a
    // new look at head) by #next.
    let cur = this.#readCursor;
    let head = this.#headSeen;
    try {
      for (;;) {
        if (n <= SMALL && t32 !== null && (filled & 3) === 0) {
          const a = filled >> 2, w = at >> 2, words = n >> 2;
          for (let k = 0; k < words; k++) t32[a + k] = d32[w + k]!;
          for (let i = words << 2; i < n; i++) target[filled + i] = d[at + i]!;
        } else copyBytes(target, t32, filled, d, d32, at, n);
        filled += n;
        lengths[count++] = n;
        if (count === most) break;
        if (t32 !== null) {
          count = readRecords(
            d32,
            mask,
            cap,
            cur,
            head,
            limit,
            t32,
            filled,
            room,
            lengths,
            count,
            most,
          );
          cur = endIndex;
          filled = endOffset;
          if (count === most) break;
        }
        const avail = (head - cur) >>> 0;
        const pos = cur & mask;
        let after: number;
        if (avail !== 0 && (n = d32[pos >> 2]!) !== PADDING) {
          if (n < 0 || n > max || RECORD_HEADER + n > avail || pos + RECORD_HEADER + n > cap) {
            this.#checkRecord(pos, n, avail);
          }
          at = pos + RECORD_HEADER;
          after = (cur + align8(RECORD_HEADER + n)) | 0;
        } else {
          this.#readCursor = cur;
          at = this.#next();
          if (at < 0) break;
          n = this.#length;
          after = this.#readCursor;
          head = this.#headSeen;
        }
        if (filled + n > room) break;
        cur = after;
      }
    } finally {
      this.#readCursor = cur;
      this.#free();
    }
    return count;
  }

  /**
   * Looks at the next message in place (zero-copy), waiting while the ring
   * is empty. The message stays in the ring until {@linkcode Ring.release};
   * several may be peeked before one `release` frees them all. The view must
   * not be used after `release` (the producer reuses the room). With
   * messages peeked that fill the ring, `peek` does not wait (nothing can
   * come before `release`): null means "release first".
   *
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns a view of the message in the ring, or null on timeout
   * @throws {TypeError} a `popAsync` of this ring is waiting (await it first: it
   *   would free the peeked message with the one it takes)
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * ring.push(Uint8Array.of(1, 2, 3));
   * const view = ring.peek(100)!;
   * console.log(view.length); // 3
   * ring.release();
   * ```
   */
  peek(timeoutMs?: number): Uint8Array | null {
    checkTimeout(timeoutMs, "Ring.peek");
    this.#startPeek("Ring.peek");
    const at = this.#peekWithin(timeoutMs);
    if (at < 0) return null;
    this.#settle();
    // Peeking only once the view is made: a map that failed leaves no peek to release.
    const view = new Uint8ArrayCtor(this.#shownBuffer(), at, this.#length);
    this.#peeking = true;
    return view;
  }

  /**
   * Looks at the next messages in place (zero-copy), waiting while the
   * ring is empty: the batch form of {@linkcode Ring.peek}, for messages of
   * one length. It gives the run of messages, up to `max`, that have the
   * first one's length and lie back to back before the end of the data
   * area; they stay in the ring until {@linkcode Ring.release}. A message
   * of another length ends the run (the next call starts with it).
   *
   * @param max the most messages to look at (default: all there are)
   * @param timeoutMs give up after this many milliseconds (default: never)
   * @returns the messages' memory, or null on timeout (at once when the
   *   messages peeked already fill the ring: release them first)
   * @throws {RingCorruptError} the ring's memory was overwritten
   * @throws {TypeError} a `popAsync` of this ring is waiting (await it first)
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * ring.pushManyFrom(Uint8Array.of(1, 2, 3, 4, 5), Uint32Array.of(1, 1, 1, 2));
   * const { bytes, count, stride } = ring.peekMany()!;
   * console.log(count, bytes[0], bytes[stride], bytes[2 * stride]); // 3 1 2 3
   * ring.release();
   * console.log(ring.tryPop()); // Uint8Array(2) [ 4, 5 ]
   * ```
   */
  peekMany(max: number = Infinity, timeoutMs?: number): RingSlots | null {
    const most = max === Infinity ? Infinity : toInt(max, "max");
    if (most < 1) throw new RangeError(`Ring.peekMany: max must be 1 or more, not ${most}`);
    checkTimeout(timeoutMs, "Ring.peekMany");
    this.#startPeek("Ring.peekMany");
    const at = this.#peekWithin(timeoutMs);
    if (at < 0) return null;
    // #next checked the first record; each one after it that says the same
    // length and lies inside what is published and the data area is as good.
    const n = this.#length;
    const stride = align8(RECORD_HEADER + n);
    const d32 = this.#d32;
    const last = this.capacity - stride; // the last place a record of this stride fits
    // Head is looked at again once, where what was seen of it runs out.
    let cur = this.#readCursor;
    let pos = at - RECORD_HEADER + stride;
    let avail = (this.#headSeen - cur) >>> 0;
    let looked = false;
    let k = 1;
    for (; k < most && pos <= last; k++) {
      if (avail < stride) {
        if (looked) break;
        looked = true;
        // Checked against what this run has read: a head behind it moved back
        // (a hostile peer), and `avail` from it would wrap to 4 GiB.
        this.#readCursor = cur;
        this.#headSeen = this.#loadHead();
        avail = (this.#headSeen - cur) >>> 0;
        if (avail < stride) break;
      }
      if (d32[pos >> 2] !== n) break;
      pos += stride;
      avail -= stride;
      cur = (cur + stride) | 0;
    }
    this.#readCursor = cur;
    this.#settle();
    const bytes = new Uint8ArrayCtor(this.#shownBuffer(), at, (k - 1) * stride + n);
    this.#peeking = true;
    return { bytes, count: k, length: n, stride };
  }

  /**
   * Frees the room of every message peeked since the last release, with
   * one index store, and wakes the producer if it sleeps.
   *
   * @throws {TypeError} nothing was peeked
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * ring.push(Uint8Array.of(1));
   * ring.peek(0);
   * ring.release();
   * console.log(ring.tryPop()); // null
   * ```
   */
  release(): void {
    this.#enter("Ring.release");
    if (!this.#peeking) throw new TypeError("Ring.release: nothing was peeked");
    this.#open(); // as commit: a map closed or resized since the peek
    this.#free();
  }

  /**
   * Gives up this thread's claims on the producer and consumer roles, so
   * that another thread may take them; messages stay in the ring.
   * Reservations not committed are dropped; peeked messages stay unread;
   * a `pushAsync` or `popAsync` still waiting rejects with a TypeError when
   * it wakes, having touched nothing.
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * const ring = new Ring(m, 0, 4096);
   * ring.push(Uint8Array.of(1));
   * ring.close();
   * console.log(ring.producer); // 0
   * ```
   */
  close(): void {
    if (this.#busy) this.#enter("Ring.close");
    this.#unhook?.();
    this.#unhook = null;
    this.#giveUpRoles();
    this.#lastRecord = -1;
    this.#head =
      this.#cursor =
      this.#tail =
      this.#readCursor =
        -1;
    this.#peeking = false;
    // Async waits begun before are over (#roomSteps, #dataSteps): none counts now.
    this.#closes++;
    this.#asyncPushes = this.#asyncPops = 0;
    this.#pushed.forget();
    this.#pushedAsync.forget();
    this.#target.forget();
    this.#batchData.forget();
    this.#batchTarget.forget();
  }

  /**
   * {@linkcode Ring.close} at the end of a `using` block.
   *
   * @example
   * ```ts
   * import { MMap, Ring } from "@seed/mmap";
   * using m = MMap.anonymous(4096);
   * {
   *   using ring = new Ring(m, 0, 4096);
   *   ring.push(Uint8Array.of(1));
   * }
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Clears the role words this thread holds (by `close()`, or by the map's
   * close or resize just before the memory goes, so that a map closed
   * first leaves no role held by a live thread that can no longer use it).
   */
  #giveUpRoles(): void {
    const producing = this.#producing, consuming = this.#consuming;
    this.#producing = this.#consuming = false;
    for (let i = holders.length - 1; i >= 0; i--) {
      if (weakRefDeref(holders[i]!.ring) === this) removeOwn(holders, i);
    }
    // Only the map's close (or resize) detaches the ring's own buffer, and
    // the map calls this before it does.
    if (arrayBufferDetached(this.#own)) return;
    const me = threadIdentity().tid;
    const h = this.#h;
    if (producing) atomics.compareExchange(h, PRODUCER, me, 0);
    if (consuming) atomics.compareExchange(h, CONSUMER, me, 0);
  }

  // --- internals: producer ---------------------------------------------------

  /**
   * The messages as real Uint8Arrays, read once, before the ring is
   * touched: an element's getter (or a Proxy's trap) may run any code,
   * `close()` and `pop()` of this ring included.
   */
  #messagesOf(messages: readonly Uint8Array[], what: string): Uint8Array[] {
    if (!isArray(messages)) {
      throw new TypeError(`${what}: messages must be an Array, not ${typeName(messages)}`);
    }
    const count = messages.length;
    // No prototype: no Array.prototype setter or getter swaps a checked message.
    const list = ownList<Uint8Array>();
    for (let i = 0; i < count; i++) list[i] = messageBytes(messages[i], what);
    return list;
  }

  /**
   * Refuses a call made from user code that runs inside another call of
   * this ring (an index setter on Array.prototype while `popMany` fills its
   * result): the ring's cursors are in flux then.
   */
  #enter(what: string): void {
    if (this.#busy) {
      throw new TypeError(
        `${what}: the ring is busy: called from user code (a getter, a setter, a patched ` +
          `prototype) that runs inside another call of this ring`,
      );
    }
  }

  /**
   * Throws when the map under the ring was closed (or resized). A word of
   * a detached Int32Array reads as undefined (no user code runs on an
   * element read): cheaper than the `detached` getter, once per call.
   */
  #open(): void {
    if (this.#h[STATE] === undefined) throw this.#closedError();
    this.#settle();
  }

  /**
   * Throws the map's `EIO` when one of its pages faulted (another process
   * cut the file under the ring): the fault guard put zero pages there, so
   * what this side reads is not the ring and what it stores reaches no one.
   * One load and compare when nothing faulted.
   */
  #settle(): void {
    const count = faultCounter.words[TOTAL_FAULTS];
    if (count === this.#faultsSeen) return;
    settleFaults(this.#map);
    this.#faultsSeen = count;
  }

  #closedError(): TypeError {
    return this.#map.closed
      ? new TypeError("mmap closed or invalid")
      : new TypeError("Ring: the map was resized under the ring: make a new Ring over it");
  }

  /** `e`, or the library's error when the map was closed under a pending wait. */
  #closedOr(e: unknown): unknown {
    return arrayBufferDetached(this.#own) && !(e instanceof RingCorruptError)
      ? this.#closedError()
      : e;
  }

  /** The buffer `peek` and `reserve` views are cut from (made again if moved away). */
  #shownBuffer(): ArrayBuffer {
    const shown = this.#shown;
    if (shown !== null && !arrayBufferDetached(shown)) return shown;
    return (this.#shown = privateWindow(this.#map, this.#offset + HEADER_BYTES, this.capacity));
  }

  #detachedTarget(name: string, what: string): never {
    throw new TypeError(`${what}: the ${name}'s buffer is detached (it was transferred)`);
  }

  #checkLength(n: number, what: string): void {
    if (n > this.maxMessage) {
      throw new RangeError(
        `${what}: a message of ${n} bytes is longer than this ring's maxMessage (${this.maxMessage})`,
      );
    }
  }

  /** Before a producer operation: the role, the length, and head as memory has it. */
  #startPush(n: number, what: string): void {
    this.#enter(what);
    this.#open();
    if (!this.#producing) this.#claim(PRODUCER, "producer", what);
    if (this.#lastRecord >= 0 && what !== "Ring.reserve") {
      throw new TypeError(`${what}: commit() the reserved messages first`);
    }
    this.#checkLength(n, what);
    // Head is this side's own word: a plain read tells whether anyone else
    // (another Ring object, a hostile process) moved it; then it is read again.
    if ((this.#h[HEAD]! & ~ASLEEP) !== this.#head || this.#cursor !== this.#head) {
      const head = atomics.load(this.#h, HEAD) & ~ASLEEP;
      if ((head & 7) !== 0) this.#corrupt(`head index ${head >>> 0} is not a multiple of 8`);
      this.#head = this.#cursor = head;
      this.#tailSeen = this.#loadTail(head);
    }
  }

  /**
   * Before a reservation added to pending ones (`reserve`, `reserveMany`):
   * the checks of `#startPush` that still apply. The role is held (giving it
   * up drops the reservations), but the map may have been closed or resized
   * since: then the records would go to memory that is no longer the ring's.
   */
  #startMore(n: number, what: string): void {
    this.#enter(what);
    this.#open();
    this.#checkLength(n, what);
  }

  /** The tail index, checked against `head` and the cursor (see `#checkTail`). */
  #loadTail(head: number): number {
    return this.#checkTail(head, atomics.load(this.#h, TAIL) & ~ASLEEP);
  }

  /**
   * `t`, a tail index read from memory, once checked against `head` and
   * what this side placed past it (reserved, or written and not yet
   * published: the cursor): all of it at most `capacity` ahead of tail. A
   * record is placed only where the tail seen leaves room for it, and tail
   * only moves on, so a tail that leaves no room for what is placed moved
   * back; `reserveMany`, which counts its slots by the room a tail leaves,
   * made a negative count of one.
   */
  #checkTail(head: number, t: number): number {
    const used = (head - t) >>> 0;
    const placed = (this.#cursor - head) >>> 0;
    if (used + placed > this.capacity || (used & 7) !== 0) {
      this.#corrupt(
        `tail index ${t >>> 0} is ${used} bytes behind head ${head >>> 0}` +
          (placed === 0 ? "" : `, which ${placed} bytes placed past it follow`),
      );
    }
    return t;
  }

  /**
   * Places a record of `n` bytes at the cursor (after a padding record
   * where it would not fit before the end); returns where its bytes go in
   * the data area, or -1 when the ring has no room for it yet.
   */
  #place(n: number): number {
    const cap = this.capacity;
    const rec = align8(RECORD_HEADER + n);
    let cur = this.#cursor;
    let pos = cur & this.#mask;
    const toEnd = cap - pos;
    const need = rec <= toEnd ? rec : toEnd + rec;
    if (((cur - this.#tailSeen) >>> 0) + need > cap) {
      this.#tailSeen = this.#loadTail(this.#head);
      if (((cur - this.#tailSeen) >>> 0) + need > cap) return -1;
    }
    const d32 = this.#d32;
    if (rec > toEnd) {
      d32[pos >> 2] = PADDING;
      d32[(pos >> 2) + 1] = 0;
      cur = (cur + toEnd) | 0;
      pos = 0;
    }
    d32[pos >> 2] = n;
    d32[(pos >> 2) + 1] = 0;
    this.#cursor = (cur + rec) | 0;
    this.#lastRecord = pos;
    return pos + RECORD_HEADER;
  }

  #fill(at: number, b: Uint8Array, n: number): void {
    const d = this.#d;
    if (n <= SMALL) { for (let i = 0; i < n; i++) d[at + i] = b[i]!; }
    else copyInto(d, b, at);
  }

  /** Stores head (publishing what was placed), waking a sleeping consumer. */
  #publish(): void {
    this.#lastRecord = -1;
    this.#settle(); // the message went to a zero page: not published, not true
    const cur = this.#cursor;
    if (cur === this.#head) return;
    const h = this.#h;
    this.#head = cur;
    if (atomics.exchange(h, HEAD, cur) & ASLEEP) futexWakeAt(h, this.#headAt);
  }

  /**
   * Waits on this thread, as this side's strategy says, until a record of
   * `n` bytes fits, and places it (copying `b` in and publishing it, if
   * given); returns where its bytes go, or -1 when `timeoutMs` ran out.
   */
  #awaitRoom(n: number, timeoutMs: number | undefined, b: Uint8Array | null): number {
    this.#neverAlone(timeoutMs, CONSUMER);
    const w = this.#producerWatch;
    w.end = UNSTARTED;
    for (;;) {
      const found = spinWait(w, this.#tailSeen, timeoutMs);
      if (found === TIMED_OUT) return -1;
      if (found === SLEEP) return runBlocking(this.#roomSteps(n, w.end, true, b));
      this.#tailSeen = this.#checkTail(this.#head, changedTo);
      const at = this.#place(n);
      if (at >= 0) {
        if (b) this.#fill(at, b, n), this.#publish();
        return at;
      }
    }
  }

  /**
   * Sleeps until a record of `n` bytes fits, and places it (copying `b` in
   * and publishing it, if given); returns where its bytes go, or -1 on
   * timeout. `blocking`: after `#awaitRoom`'s spins (so no more spins).
   */
  *#roomSteps(n: number, end: number, blocking: boolean, b: Uint8Array | null): Steps<number> {
    const w = this.#producerWatch;
    const closes = this.#closes;
    if (!blocking) this.#asyncPushes++;
    try {
      for (;;) {
        const seen = this.#tailSeen;
        if (!(yield* sleepUntilChange(w, seen, end, blocking ? 0 : this.#spins))) return -1;
        if (this.#closes !== closes) this.#closedWhileWaiting("Ring.pushAsync", "room");
        const at = this.#place(n);
        if (at < 0) continue;
        if (b) this.#fill(at, b, n), this.#publish();
        return at;
      }
    } finally {
      if (!blocking && this.#closes === closes) this.#asyncPushes--;
    }
  }

  // --- internals: consumer ---------------------------------------------------

  /** Before a consumer operation: the role, and tail as memory has it. */
  #startPop(what: string): void {
    this.#enter(what);
    this.#open();
    if (!this.#consuming) this.#claim(CONSUMER, "consumer", what);
    if (this.#peeking) throw new TypeError(`${what}: release() the peeked messages first`);
    // Tail is this side's own word: as head for the producer.
    if ((this.#h[TAIL]! & ~ASLEEP) !== this.#tail) {
      const tail = atomics.load(this.#h, TAIL) & ~ASLEEP;
      if ((tail & 7) !== 0) this.#corrupt(`tail index ${tail >>> 0} is not a multiple of 8`);
      this.#tail = this.#headSeen = tail;
    }
    this.#readCursor = this.#tail;
  }

  /**
   * Before `peek` or `peekMany`: `#startPop`, or with messages peeked
   * already (tail stays where they began) the checks of it that still apply:
   * the map may have been closed or resized since.
   */
  #startPeek(what: string): void {
    this.#noAsyncWait(what, false);
    if (!this.#peeking) return this.#startPop(what);
    this.#enter(what);
    this.#open();
  }

  /**
   * The bytes of a Uint8Array argument, by the engine's own getters (an own
   * `length`, a getter, a Proxy or a borrowed prototype never decide how
   * many bytes are copied or how long a message is).
   */
  #targetLength(m: Measured, target: unknown, what: string, name = "target"): number {
    const n = measure(m, target);
    if (n < 0) {
      throw new TypeError(
        `${what}: ${name} must be a Uint8Array (or an Int8Array or Uint8ClampedArray), not ` +
          brandName(target),
      );
    }
    if (n === 0 && isDetachedView(target)) this.#detachedTarget(name, what);
    return n;
  }

  /** The head index, checked against tail and the read cursor. */
  #loadHead(): number {
    return this.#checkHead(atomics.load(this.#h, HEAD) & ~ASLEEP);
  }

  /** `hd`, a head index read from memory, once checked against tail and the read cursor. */
  #checkHead(hd: number): number {
    const used = (hd - this.#tail) >>> 0;
    if (
      used > this.capacity || (used & 7) !== 0 || used < ((this.#readCursor - this.#tail) >>> 0)
    ) {
      this.#corrupt(`head index ${hd >>> 0} is ${used} bytes ahead of tail ${this.#tail >>> 0}`);
    }
    return hd;
  }

  /**
   * Finds the next record at the read cursor (skipping a padding record),
   * checks it, and moves the cursor past it; returns where its bytes are
   * in the data area (its length in `#length`), or -1 when there is none.
   */
  #next(): number {
    const cap = this.capacity;
    const d32 = this.#d32;
    let cur = this.#readCursor;
    let avail = (this.#headSeen - cur) >>> 0;
    for (;;) {
      if (avail === 0) {
        this.#headSeen = this.#loadHead();
        avail = (this.#headSeen - cur) >>> 0;
        if (avail === 0) return -1;
      }
      const pos = cur & this.#mask;
      const n = d32[pos >> 2]!;
      if (n === PADDING) {
        const toEnd = cap - pos;
        if (toEnd > avail) this.#corrupt(`a padding record at ${pos} runs past head`);
        cur = (cur + toEnd) | 0;
        avail -= toEnd;
        this.#readCursor = cur;
        continue;
      }
      this.#checkRecord(pos, n, avail);
      this.#length = n;
      this.#readCursor = (cur + align8(RECORD_HEADER + n)) | 0;
      return pos + RECORD_HEADER;
    }
  }

  /** The next record (`#next`), or unless `timeoutMs` is 0 one waited for; -1 when none came. */
  #nextWithin(timeoutMs: number | undefined): number {
    const at = this.#next();
    return at >= 0 || timeoutMs === 0 ? at : this.#awaitRecord(timeoutMs);
  }

  /**
   * `#nextWithin` for `peek` and `peekMany`: with messages peeked that fill
   * the data area, the producer has no byte to publish another in until
   * `release()`, so a wait would never end (as `reserve`'s behind
   * reservations of one's own): -1 at once.
   */
  #peekWithin(timeoutMs: number | undefined): number {
    const at = this.#next();
    if (at >= 0 || timeoutMs === 0) return at;
    if (this.#peeking && ((this.#readCursor - this.#tail) >>> 0) === this.capacity) return -1;
    return this.#awaitRecord(timeoutMs);
  }

  /** Throws unless a record of `n` bytes at `pos` lies inside what is published and the data area. */
  #checkRecord(pos: number, n: number, avail: number): void {
    if (
      n < 0 || n > this.maxMessage || RECORD_HEADER + n > avail ||
      pos + RECORD_HEADER + n > this.capacity
    ) {
      this.#corrupt(
        `a record at ${pos} says ${n >>> 0} bytes, with ${avail} published and ` +
          `maxMessage ${this.maxMessage}`,
      );
    }
  }

  #copyOut(target: ByteArray, offset: number, at: number, n: number): void {
    const d = this.#d;
    if (n <= SMALL) { for (let i = 0; i < n; i++) target[offset + i] = d[at + i]!; }
    else copyInto(target, typedArraySubarray(d, at, at + n), offset);
  }

  /**
   * A copy of `n` bytes at `at`, made the way this engine makes copies
   * fastest (src/fastpaths.ts: in Deno, small ones are cut from a shared
   * 64 KiB slab, as `read` and `slice` results are).
   */
  #copy(at: number, n: number): Uint8Array {
    if (COPY_WAY === "slice") return typedArraySlice(this.#d, at, at + n);
    const out = freshBytes(n);
    this.#copyOut(out, 0, at, n);
    return out;
  }

  #take(at: number): Uint8Array {
    const out = this.#copy(at, this.#length);
    this.#free();
    return out;
  }

  /** Stores tail (freeing what was read), waking a sleeping producer. */
  #free(): void {
    this.#peeking = false;
    this.#settle(); // what was read came from a zero page: not a message
    const cur = this.#readCursor;
    if (cur === this.#tail) return;
    const h = this.#h;
    this.#tail = cur;
    if (atomics.exchange(h, TAIL, cur) & ASLEEP) futexWakeAt(h, this.#tailAt);
  }

  /** Waits for a record and takes a copy of it (in the step that finds it). */
  *#popSteps(end: number): Steps<Uint8Array | null> {
    const at = yield* this.#dataSteps(end, false);
    return at < 0 ? null : this.#take(at);
  }

  /**
   * Waits on this thread, as this side's strategy says, for a record;
   * returns where its bytes are, or -1 when `timeoutMs` ran out.
   */
  #awaitRecord(timeoutMs: number | undefined): number {
    this.#neverAlone(timeoutMs, PRODUCER);
    const w = this.#consumerWatch;
    w.end = UNSTARTED;
    for (;;) {
      const found = spinWait(w, this.#headSeen, timeoutMs);
      if (found === TIMED_OUT) return -1;
      if (found === SLEEP) return runBlocking(this.#dataSteps(w.end, true));
      // The head the wait saw, checked, not loaded again.
      this.#headSeen = this.#checkHead(changedTo);
      const at = this.#next();
      if (at >= 0) return at;
    }
  }

  /**
   * Sleeps until there is a record; returns where its bytes are, or -1 on
   * timeout. `blocking`: after `#awaitRecord`'s spins (so no more spins).
   */
  *#dataSteps(end: number, blocking: boolean): Steps<number> {
    const w = this.#consumerWatch;
    const closes = this.#closes;
    if (!blocking) this.#asyncPops++;
    try {
      for (;;) {
        const seen = this.#headSeen;
        if (!(yield* sleepUntilChange(w, seen, end, blocking ? 0 : this.#spins))) return -1;
        if (this.#closes !== closes) this.#closedWhileWaiting("Ring.popAsync", "a message");
        const at = this.#next();
        if (at >= 0) return at;
      }
    } finally {
      if (!blocking && this.#closes === closes) this.#asyncPops--;
    }
  }

  // --- internals: both -------------------------------------------------------

  /**
   * Before a blocking wait: one with no end, by the thread that also holds
   * the `other` role (through this object or another), can never end. No
   * other thread or process may take that role while this thread waits,
   * so nothing can publish or free what it waits for. `EDEADLK`, as a
   * Mutex locked twice by its holder; with a timeout the wait runs out.
   */
  #neverAlone(timeoutMs: number | undefined, other: number): void {
    if (timeoutMs !== undefined && timeoutMs !== Infinity) return;
    if (atomics.load(this.#h, other) !== threadIdentity().tid) return;
    const producer = other === PRODUCER;
    throw lockError(
      "EDEADLK",
      producer ? "Ring.pop" : "Ring.push",
      producer
        ? "the ring is empty, and this thread is also its producer: no message can come " +
          "while it waits with no timeout (produce from another thread or process, or give a timeout)"
        : "the ring is full, and this thread is also its consumer: no room can come " +
          "while it waits with no timeout (consume from another thread or process, or give a timeout)",
    );
  }

  /**
   * Refuses a zero-copy call (`reserve`, `reserveMany`, `peek`,
   * `peekMany`) while an async call of the same side waits on another
   * thread: the step that ends that wait publishes (a push) or frees (a
   * pop) up to this side's cursor, which would take the slots reserved or
   * peeked meanwhile with it: reserved slots published before they were
   * filled or committed, peeked messages freed (and given back to the
   * producer) while still read, and that popAsync given the message after
   * them.
   */
  #noAsyncWait(what: string, producing: boolean): void {
    if ((producing ? this.#asyncPushes : this.#asyncPops) === 0) return;
    throw new TypeError(
      producing
        ? `${what}: a pushAsync() of this ring is waiting for room: await it first (it ` +
          "publishes up to this side's cursor, so it would publish the slots before commit())"
        : `${what}: a popAsync() of this ring is waiting for a message: await it first (it ` +
          "frees up to this side's cursor, so it would free the messages before release())",
    );
  }

  /** An async wait that outlived a `close()` of this object: it ends without touching the ring. */
  #closedWhileWaiting(what: string, awaited: string): never {
    throw new TypeError(
      `${what}: the Ring was closed (close()) while this call waited for ${awaited}`,
    );
  }

  #claim(word: number, role: string, what: string): void {
    const h = this.#h;
    const me = threadIdentity().tid;
    const other = holderOf(this.#headAt, word);
    if (other !== null && other !== this) {
      throw lockError(
        "EBUSY",
        what,
        `another Ring object of this thread is this ring's ${role} (use that one, or close() it first)`,
      );
    }
    for (;;) {
      const owner = atomics.load(h, word);
      if (owner === me) break;
      if (owner !== 0 && processAlive(owner)) {
        throw lockError(
          "EBUSY",
          what,
          `thread ${owner} is this ring's ${role} (one at a time: close() hands the role over)`,
        );
      }
      if (atomics.compareExchange(h, word, owner, me) === owner) break;
    }
    if (word === PRODUCER) this.#producing = true;
    else this.#consuming = true;
    if (other === null) appendOwn(holders, { at: this.#headAt, word, ring: new WeakRefCtor(this) });
    this.#unhook ??= beforeUnmap(this.#map, () => {
      this.#unhook = null;
      this.#giveUpRoles();
    });
  }

  #watch(index: number, peer: number, role: string): Watch {
    const h = this.#h;
    return {
      h,
      index,
      at: wordAddress(h, index),
      strategy: this.#strategy,
      spins: this.#spins,
      spinMs: this.#spinMs,
      end: UNSTARTED,
      nextCheck: 0,
      futile: 0,
      probes: 0,
      check: () => {
        this.#open();
        checkHeader(h, this.capacity, "Ring");
        const tid = atomics.load(h, peer);
        if (tid === 0 || processAlive(tid)) return;
        // Forget the dead peer, so that a new one may take its place.
        atomics.compareExchange(h, peer, tid, 0);
        throw lockError(
          "EPIPE",
          index === HEAD ? "Ring.pop" : "Ring.push",
          `the ${role} (thread ${tid}) is gone`,
        );
      },
    };
  }

  #corrupt(detail: string): never {
    this.#settle(); // zeros the fault guard put there are the map's EIO, not a corrupt ring
    throw new RingCorruptError(`Ring: ${detail}: the ring's shared memory was overwritten`);
  }
}
