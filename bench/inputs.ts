/**
 * The bench's input files, generated once into a directory and reused while
 * their sizes match: a text of log lines with 16-byte needles planted at 5%
 * and 95%, a file of float64s, a small file, a file to write to and a file
 * to scan cold.
 *
 * @module
 */
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Needles of 16 bytes that occur once in the text; "common" ones start and end with a frequent byte. */
export const NEEDLES = {
  /** Planted at 95%: starts and ends with a space, as many bytes of the text do. */
  late_common: " 95%-needle-xq! ",
  /** Planted at 95%: first and last bytes never occur elsewhere. */
  late_rare: "~95%-needle-xq!~",
  /** Planted at 5%. */
  early_common: " 5%-needle-xqz! ",
  early_rare: "~5%-needle-xqz!~",
} as const;

/** Sizes of the inputs. */
export interface Sizes {
  text: number;
  floats: number;
  small: number;
  write: number;
  cold: number;
}

/** The full run's sizes, and the quick run's. */
export const FULL: Sizes = {
  text: 1 << 30,
  floats: 1 << 30,
  small: 4096,
  write: 256 << 20,
  cold: 256 << 20,
};
export const QUICK: Sizes = {
  text: 32 << 20,
  floats: 32 << 20,
  small: 4096,
  write: 8 << 20,
  cold: 16 << 20,
};

/** Paths of the inputs. */
export interface Inputs {
  dir: string;
  text: string;
  floats: string;
  small: string;
  write: string;
  cold: string;
  /** Where each needle was planted. */
  needleAt: Record<keyof typeof NEEDLES, number>;
}

// A small deterministic PRNG (xorshift32), so the text is the same everywhere.
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const LEVELS = ["INFO ", "DEBUG", "WARN ", "ERROR"];
const PATHS = ["/api/v1/items", "/api/v1/users", "/static/app.js", "/health", "/api/v2/search"];

/** One block of log lines, about `size` bytes, ending with a newline. */
function logBlock(size: number, seed: number): Uint8Array {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pad = (n: number, w: number) => String(n).padStart(w, "0");
  const lines: string[] = [];
  let total = 0;
  while (total < size) {
    const line = `2024-03-${pad(1 + int(28), 2)}T${pad(int(24), 2)}:${pad(int(60), 2)}:${
      pad(int(60), 2)
    }.${pad(int(1000), 3)}Z ${LEVELS[int(4)]} [worker-${1 + int(32)}] GET ${PATHS[int(5)]}/${
      int(99999)
    } status=${[200, 200, 200, 404, 500][int(5)]} bytes=${100 + int(99900)} ms=${1 + int(999)}\n`;
    lines.push(line);
    total += line.length;
  }
  return new TextEncoder().encode(lines.join(""));
}

function upToDate(path: string, size: number): boolean {
  return existsSync(path) && statSync(path).size === size;
}

/** Writes `size` bytes made by repeating `block`, with patches applied. */
function writeRepeated(
  path: string,
  size: number,
  block: Uint8Array,
  patches: [number, Uint8Array][],
): void {
  const fd = openSync(path, "w");
  try {
    for (let o = 0; o < size; o += block.length) {
      const chunk = block.slice(0, Math.min(block.length, size - o));
      for (const [at, bytes] of patches) {
        const rel = at - o;
        if (rel + bytes.length > 0 && rel < chunk.length) {
          for (let i = 0; i < bytes.length; i++) {
            if (rel + i >= 0 && rel + i < chunk.length) chunk[rel + i] = bytes[i];
          }
        }
      }
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
}

/** Makes (or reuses) the inputs in `dir`. */
export function prepareInputs(dir: string, sizes: Sizes, log: (s: string) => void): Inputs {
  mkdirSync(dir, { recursive: true });
  const tag = (name: string, size: number) => join(dir, `${name}-${size}.bin`);
  const text = tag("text", sizes.text);
  const enc = new TextEncoder();
  // Needles go at the start of a line near 5% and 95%, replacing text.
  const needleAt = {
    early_common: Math.floor(sizes.text * 0.05),
    early_rare: Math.floor(sizes.text * 0.05) + 4096,
    late_common: Math.floor(sizes.text * 0.95),
    late_rare: Math.floor(sizes.text * 0.95) + 4096,
  };
  if (!upToDate(text, sizes.text)) {
    log(`generating ${text}`);
    const block = logBlock(Math.min(sizes.text, 64 << 20), 1);
    writeRepeated(
      text,
      sizes.text,
      block,
      (Object.keys(needleAt) as (keyof typeof NEEDLES)[]).map((k) => [
        needleAt[k],
        enc.encode(NEEDLES[k]),
      ]),
    );
  }
  const floats = tag("floats", sizes.floats);
  if (!upToDate(floats, sizes.floats)) {
    log(`generating ${floats}`);
    // Quarters of small integers: every sum is exact, in any order.
    const block = new Float64Array(1 << 20);
    for (let i = 0; i < block.length; i++) block[i] = (i % 1000) * 0.25;
    writeRepeated(floats, sizes.floats, new Uint8Array(block.buffer), []);
  }
  const small = tag("small", sizes.small);
  if (!upToDate(small, sizes.small)) {
    writeRepeated(small, sizes.small, logBlock(sizes.small, 2), []);
  }
  const write = tag("write", sizes.write);
  if (!upToDate(write, sizes.write)) {
    writeRepeated(write, sizes.write, new Uint8Array(1 << 20), []);
  }
  const cold = tag("cold", sizes.cold);
  if (!upToDate(cold, sizes.cold)) {
    log(`generating ${cold}`);
    writeRepeated(cold, sizes.cold, logBlock(Math.min(sizes.cold, 16 << 20), 3), []);
  }
  return { dir, text, floats, small, write, cold, needleAt };
}
