/**
 * The guarded parts of one mapped range: the slots it holds in the fault
 * guard's table, by offset, so that `ffi/mapping.ts` can publish and withdraw
 * them as pages are mapped, moved and unmapped, and ask whether any of them
 * faulted.
 *
 * @module
 */
import { guardTable } from "./install.ts";
import type { GuardTable } from "./table.ts";

/** The parts of one range that the SIGBUS handler guards. */
export class GuardedParts {
  #table: GuardTable;
  // Slots with the range offsets they cover: [slot, start, end] per part.
  // Most ranges have one part (a map); a concatenation or a WebAssembly
  // memory may have many.
  #parts: number[] = [];

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
    if (slot >= 0) this.#parts.push(slot, offset, offset + length);
  }

  /** Withdraws every part inside `[start, end)`; returns the faults they counted. */
  removeWithin(start: number, end: number): number {
    const p = this.#parts;
    let faults = 0;
    let kept = 0;
    for (let i = 0; i < p.length; i += 3) {
      if (p[i + 1] >= start && p[i + 2] <= end) faults += this.#table.remove(p[i]);
      else {
        p[kept] = p[i], p[kept + 1] = p[i + 1], p[kept + 2] = p[i + 2];
        kept += 3;
      }
    }
    p.length = kept;
    return faults;
  }

  /** Withdraws every part; returns the faults they counted. */
  removeAll(): number {
    return this.removeWithin(-Infinity, Infinity);
  }

  /** Whether a fault was counted in a part that overlaps `[offset, offset + length)`. */
  faulted(offset: number, length: number): boolean {
    const p = this.#parts;
    for (let i = 0; i < p.length; i += 3) {
      if (p[i + 1] < offset + length && offset < p[i + 2] && this.#table.faultsOf(p[i]) > 0) {
        return true;
      }
    }
    return false;
  }
}
