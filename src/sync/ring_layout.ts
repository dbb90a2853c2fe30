/**
 * The Ring's binary layout, its header's set-up and checks, and its error
 * class. Everything another language needs to join a ring is here (and in
 * README's "Ring layout"; `examples/ring_peer.py` is a reader and writer).
 *
 * All numbers are little-endian; offsets are from the ring's `byteOffset`,
 * which is a multiple of 64, so each 64-byte line below is a cache line.
 *
 *   line 0   0  u32 state: 0 fresh, -tid while being set up, MAGIC when ready
 *            4  u32 version (1)
 *            8  u32 capacity: bytes of the data area, a power of two
 *           12  u32 header bytes (256): where the data area starts
 *           16  i32 producer: thread id of the producing thread, 0 for none
 *           20  i32 consumer: thread id of the consuming thread, 0 for none
 *   line 1  64  u32 head: bytes ever written, wrapping at 2^32, a multiple of 8;
 *               bit 0 set by a consumer going to sleep on it
 *   line 2 128  u32 tail: bytes ever consumed, the same way; bit 0 set by a
 *               producer going to sleep on it
 *   line 3 192  reserved (0)
 *          256  the data area: `capacity` bytes
 *
 * A record starts at `index % capacity` and is 8-byte aligned: a u32 length,
 * a u32 that is 0 (reserved), then the payload, padded with anything to a
 * multiple of 8. A record never wraps: where one would not fit before the
 * end of the data area, the producer writes a padding record (length
 * 0xffffffff) that covers the rest, and the record starts at 0. The
 * producer writes records, then publishes them with one store of head; the
 * consumer reads them, then frees them with one store of tail. A side about
 * to sleep sets bit 0 of the other side's index (compare-and-swap from the
 * value it saw) and futex-waits on that word; the other side publishes with
 * an exchange and calls FUTEX_WAKE only when the old value had bit 0 set.
 * So the fast path makes no system call, and no wake-up is lost: the
 * publish either comes before the compare-and-swap (which then fails) or
 * after it (and sees the bit).
 *
 * @module
 */
import { processAlive, schedYield, threadIdentity } from "../../ffi/futex.ts";
import { atomics, monotonicNow } from "../../ffi/primordials.ts";

/** "RING" in memory order. */
export const MAGIC = 0x474e4952;
/** The layout's version: a peer that finds another refuses the ring. */
export const VERSION = 1;
/** Bytes before the data area. */
export const HEADER_BYTES = 256;
/** A record's length word and its reserved word. */
export const RECORD_HEADER = 8;
/** The length word of a padding record. */
export const PADDING = -1;
/** The smallest and the largest data area. */
export const MIN_CAPACITY = 64;
export const MAX_CAPACITY = 2 ** 30;

// Int32 word indices into the header.
export const STATE = 0;
export const VERSION_WORD = 1;
export const CAPACITY_WORD = 2;
export const HEADER_WORD = 3;
export const PRODUCER = 4;
export const CONSUMER = 5;
export const HEAD = 16;
export const TAIL = 32;
/** Bit 0 of head or tail: the other side sleeps on this word. */
export const ASLEEP = 1;

/**
 * The ring's shared memory holds something no ring protocol can produce: an
 * index or a record length outside the ring, a header of another version or
 * size. Another process wrote garbage there (or another layout); the ring
 * cannot be trusted until it is set up again (zeroed).
 *
 * @example
 * ```ts
 * import { MMap, Ring, RingCorruptError } from "@seed/mmap";
 * using m = MMap.anonymous(4096);
 * const ring = new Ring(m, 0, 4096);
 * m.view(Int32Array, 64, 1)[0] = 12345; // a hostile head index
 * try {
 *   ring.tryPop();
 * } catch (e) {
 *   console.log(e instanceof RingCorruptError); // true
 * }
 * ```
 */
export class RingCorruptError extends RangeError {
  /**
   * Made by the ring when a check fails.
   *
   * @param message what was found
   *
   * @example
   * ```ts
   * import { RingCorruptError } from "@seed/mmap";
   * console.log(new RingCorruptError("x").name); // RingCorruptError
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "RingCorruptError";
  }
}

/** The capacity a region of `byteLength` bytes gives: the largest power of two that fits. */
export function capacityFor(byteLength: number): number {
  let c = MIN_CAPACITY;
  while (c * 2 <= byteLength - HEADER_BYTES && c * 2 <= MAX_CAPACITY) c *= 2;
  return c;
}

const SETUP_WAIT_MS = 5000;

/**
 * Sets up a fresh (zeroed) header, or waits for the process setting it up,
 * then checks it: magic, version, capacity, header size. A set-up left half
 * done by a thread that died is taken over.
 */
export function setUpHeader(h: Int32Array, capacity: number, where: string): void {
  const me = threadIdentity().tid;
  const end = monotonicNow() + SETUP_WAIT_MS;
  for (let spins = 0;; spins++) {
    const s = atomics.load(h, STATE);
    if (s === MAGIC) break;
    const settingUp = s < 0 && !processAlive(-s) ? s : s === 0 ? 0 : null;
    if (settingUp !== null && atomics.compareExchange(h, STATE, settingUp, -me) === settingUp) {
      atomics.store(h, VERSION_WORD, VERSION);
      atomics.store(h, CAPACITY_WORD, capacity);
      atomics.store(h, HEADER_WORD, HEADER_BYTES);
      atomics.store(h, STATE, MAGIC);
      break;
    }
    if (s > 0) {
      throw new RingCorruptError(
        `${where}: no ring here (state word 0x${(s >>> 0).toString(16)}, not 0 or "RING")`,
      );
    }
    if (monotonicNow() > end) {
      throw new RingCorruptError(`${where}: thread ${-s} has been setting the ring up for 5 s`);
    }
    if (spins > 100) schedYield();
  }
  checkHeader(h, capacity, where);
}

/** Throws unless the header is a ready ring of this version and `capacity`. */
export function checkHeader(h: Int32Array, capacity: number, where: string): void {
  const s = atomics.load(h, STATE);
  if (s !== MAGIC) {
    throw new RingCorruptError(`${where}: the ring's header was overwritten (state word ${s})`);
  }
  const v = atomics.load(h, VERSION_WORD);
  if (v !== VERSION) {
    throw new RingCorruptError(`${where}: ring layout version ${v}, this library reads ${VERSION}`);
  }
  const c = atomics.load(h, CAPACITY_WORD);
  const hb = atomics.load(h, HEADER_WORD);
  if (c !== capacity || hb !== HEADER_BYTES) {
    throw new RingCorruptError(
      `${where}: the ring here has a ${c}-byte data area after a ${hb}-byte header, but this ` +
        `byteLength gives ${capacity} after ${HEADER_BYTES}: every process must pass the same ` +
        `byteOffset and byteLength`,
    );
  }
}
