/**
 * The guarded parts of one mapped range: the slots it holds in the fault
 * guard's table, by offset, so that `ffi/mapping.ts` can publish and withdraw
 * them as pages are mapped, moved and unmapped, and ask whether any of them
 * faulted.
 *
 * @module
 */
import { appendOwn } from "../primordials.ts";
import { guardTable } from "./install.ts";
import type { GuardTable } from "./table.ts";

// The list is walked by index and grown by own data properties: a replaced
// Array.prototype.push or [Symbol.iterator], or an index setter on
// Array.prototype, must not make a part go unrecorded (its slot would
// outlive its pages) or unasked after a fault.

/** One guarded part: its slot in the table and the offsets it covers. */
interface Part {
  slot: number;
  start: number;
  end: number;
}

/** The parts of one range that the SIGBUS handler guards. */
export class GuardedParts {
  #table: GuardTable;
  // Most ranges have one part (a map); a concatenation or a WebAssembly
  // memory may have many.
  #parts: Part[] = [];

  private constructor(table: GuardTable) {
    this.#table = table;
  }

  /** A new, empty set of parts; null where the guard is not active. */
  static make(): GuardedParts | null {
    const table = guardTable();
    return table ? new GuardedParts(table) : null;
  }

  /** Guards `[offset, offset + length)` of the range at `base` (a full table leaves it unguarded). */
  add(base: number, offset: number, length: number): void {
    if (length <= 0) return;
    const slot = this.#table.add(base + offset, base + offset + length);
    if (slot >= 0) appendOwn(this.#parts, { slot, start: offset, end: offset + length });
  }

  /** Withdraws every part inside `[start, end)`; returns the faults they counted. */
  removeWithin(start: number, end: number): number {
    let faults = 0;
    let kept = 0;
    const parts = this.#parts;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part.start >= start && part.end <= end) faults += this.#table.remove(part.slot);
      else this.#parts[kept++] = part;
    }
    this.#parts.length = kept;
    return faults;
  }

  /** Withdraws every part; returns the faults they counted. */
  removeAll(): number {
    return this.removeWithin(-Infinity, Infinity);
  }

  /** Whether a fault was counted in a part that overlaps `[offset, offset + length)`. */
  faulted(offset: number, length: number): boolean {
    const parts = this.#parts;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (
        part.start < offset + length && offset < part.end && this.#table.faultsOf(part.slot) > 0
      ) {
        return true;
      }
    }
    return false;
  }
}
