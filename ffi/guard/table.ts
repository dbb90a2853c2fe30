/**
 * The table of guarded address ranges that the SIGBUS handler reads
 * (sigbus_x86_64.S, sigbus_aarch64.S). It lives in process memory, not in a
 * JavaScript heap, so every Worker and every copy of the library in the
 * process shares it; slots are claimed with compare-and-swap.
 *
 * Layout (the handler's sources say the same):
 * - header, 64 bytes: u32 slots in use (a high-water mark the handler scans
 *   up to), u32 faults in every range;
 * - slot i at 64 + 32 * i: u32 state, u32 faults, u64 start, u64 end.
 *
 * A slot's state is `generation << 2 | status` (0 free, 1 being written,
 * 2 live), and every change bumps the generation: the handler reads the
 * state, the range, and the state again, and trusts the range only when
 * both reads agree, so a range is never half-visible to it.
 *
 * @module
 */

import { atomics, Int32ArrayCtor, mathFloor } from "../primordials.ts";

/** Header bytes before the first slot. */
const HEADER = 64;
/** Bytes per slot. */
const SLOT = 32;
/** Slots in the table: one per guarded range (a map, or one file of a concatenation). */
export const SLOTS = 1 << 16;
/** Bytes of memory the table needs. */
export const TABLE_BYTES = HEADER + SLOTS * SLOT;

// The engine's own Atomics, Math.floor and Int32Array, captured at load: a
// program that replaced them made slots that never went live, or ranges with
// the wrong high word, and the handler then let a cut file's SIGBUS kill the
// process.
const { compareExchange, load, store } = atomics;

const FREE = 0;
const BUSY = 1;
const LIVE = 2;
/** Index of the header's fault counter, in 32-bit words. */
export const TOTAL_FAULTS = 1;

/** The next state word: the generation goes up, the status is `status`. */
function bump(state: number, status: number): number {
  return ((((state >>> 2) + 1) & 0x3fffffff) << 2) | status;
}

/** This module's handle on the process's table. */
export class GuardTable {
  /** The table as 32-bit words. */
  readonly words: Int32Array;
  /** Where to look for a free slot first. */
  #hint = 0;

  /** @param buffer the table's memory (TABLE_BYTES long) */
  constructor(buffer: ArrayBuffer) {
    this.words = new Int32ArrayCtor(buffer, 0, TABLE_BYTES / 4);
  }

  /**
   * Publishes the range `[start, end)` (addresses); returns its slot, or -1
   * when the table is full (the range then stays unguarded).
   */
  add(start: number, end: number): number {
    const w = this.words;
    for (let n = 0; n < SLOTS; n++) {
      const slot = (this.#hint + n) % SLOTS;
      const at = (HEADER + slot * SLOT) >> 2;
      // Plain loads where they may be stale (the compare-and-swap decides):
      // V8 does not inline Atomics on memory it does not own (~50 ns each).
      const state = w[at] ?? 0;
      if ((state & 3) !== FREE) continue;
      // Claim it: another thread may be claiming the same slot. While it is
      // BUSY the handler skips it, and the release store of LIVE below orders
      // these plain stores before it.
      if (compareExchange(w, at, state, state | BUSY) !== state) continue;
      w[at + 1] = 0;
      storeAddress(w, at + 2, start);
      storeAddress(w, at + 4, end);
      // The handler scans slots below the high-water mark: raise it first.
      for (let high = w[0] ?? 0; high <= slot; high = load(w, 0)) {
        if (compareExchange(w, 0, high, slot + 1) === high) break;
      }
      store(w, at, bump(state, LIVE));
      this.#hint = slot + 1;
      return slot;
    }
    return -1;
  }

  /** Faults counted in the slot's range so far. */
  faultsOf(slot: number): number {
    return this.words[((HEADER + slot * SLOT) >> 2) + 1] ?? 0;
  }

  /** Withdraws the slot's range; returns the faults it counted. */
  remove(slot: number): number {
    const w = this.words;
    const at = (HEADER + slot * SLOT) >> 2;
    // Only the claimer writes a live slot's state: a plain load is exact.
    const faults = w[at + 1] ?? 0;
    store(w, at, bump(w[at] ?? 0, FREE));
    if (slot < this.#hint) this.#hint = slot;
    return faults;
  }
}

/** Stores a u64 address as two 32-bit words (little-endian, as both architectures are). */
function storeAddress(w: Int32Array, at: number, address: number): void {
  w[at] = address % 2 ** 32;
  w[at + 1] = mathFloor(address / 2 ** 32);
}
