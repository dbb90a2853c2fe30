/**
 * The differential fuzzer's generator: a seed gives one sequence (a file, a
 * way to open it, and operations with arguments), the same for CPython's
 * driver (differential_driver.py) and for MMap. Arguments are encoded so
 * that each side builds its own values: an integer may reach JavaScript as a
 * Number, a BigInt or -0, bytes as any typed array, DataView or ArrayBuffer.
 *
 * Hostile arguments are common (negatives, huge, NaN, fractions, wrong
 * types), but a few inputs are never generated, because CPython itself would
 * crash or the result depends on the machine, not the library:
 * - `prot` without PROT_READ or PROT_WRITE: CPython's first read is SIGSEGV;
 * - MAP_FIXED and MAP_FIXED_NOREPLACE: placing memory at address 0;
 * - lengths and sizes between 2^31 and 2^48 bytes: they would map (and read)
 *   gigabytes; sizes of 2^50 and more fail in the kernel on both sides;
 * - MADV_HWPOISON, MADV_SOFT_OFFLINE (destroy pages), MADV_FREE (contents
 *   then depend on memory pressure); MADV_REMOVE, MADV_WIPEONFORK and
 *   MADV_POPULATE_WRITE tell a read-only map from the private writable one
 *   underneath (README, "Deliberate differences"), and are tested apart.
 *
 * @module
 */
import { resolveSlice } from "../src/slice.ts";
import { fromHex, hex } from "./_helpers.ts";

/** An argument, as both sides decode it. */
export type Encoded =
  | { t: "int"; v: string; js?: "big" | "negzero" }
  | { t: "float"; v: string }
  | { t: "str"; v: string }
  | { t: "bytes"; v: string; js?: ByteKind; py?: "bytes" | "bytearray" | "memoryview" }
  | { t: "none" }
  | { t: "list" }
  | { t: "obj" }
  | { t: "bool"; v: boolean };

/** The JavaScript shapes bytes may take. */
export type ByteKind = "u8" | "sub" | "u16" | "dv" | "ab" | "i8";

/** One operation of a sequence. */
export interface OpSpec {
  op: string;
  args?: Encoded[];
  /** `flush()`'s options bag (JavaScript only; CPython 3.15 has flags). */
  opts?: { async?: boolean; invalidate?: boolean };
}

/** How the map is made. */
export interface OpenSpec {
  /** fd: a descriptor of the file; path: MMap.open; anon: fd -1; badfd; dir. */
  kind: "fd" | "path" | "anon" | "badfd" | "dir";
  mode?: "r" | "r+";
  fd?: Encoded;
  length?: Encoded;
  opts: Record<string, Encoded>;
}

/** One generated sequence. */
export interface SequenceSpec {
  seed: number;
  /** The file's initial bytes, base64. */
  file: string;
  open: OpenSpec;
  ops: OpSpec[];
  verbose?: boolean;
}

/** What the generator needs to know about CPython's side. */
export interface Features {
  trackfd: boolean;
  pagesize: number;
}

/** mulberry32: small, fast, and the same everywhere. */
export class Random {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

// Linux values; the constants test checks them against CPython.
const PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
const MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_SHARED_VALIDATE = 3;
const MAP_32BIT = 0x40, MAP_DENYWRITE = 0x800, MAP_LOCKED = 0x2000, MAP_NORESERVE = 0x4000;
const MAP_POPULATE = 0x8000, MAP_STACK = 0x20000, MAP_HUGETLB = 0x40000, MAP_SYNC = 0x80000;
const SAFE_ADVICE = [0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22];

// --- encoded values ----------------------------------------------------------

function int(r: Random, n: number | bigint): Encoded {
  const big = BigInt(n);
  const exact = Number(big);
  const fits = BigInt(exact) === big;
  if (!fits) return { t: "int", v: String(big), js: "big" };
  if (big === 0n && r.chance(0.1)) return { t: "int", v: "0", js: "negzero" };
  if (r.chance(Number.isSafeInteger(exact) ? 0.08 : 0.5)) {
    return { t: "int", v: String(big), js: "big" };
  }
  return { t: "int", v: String(big) };
}

const HUGE: readonly (number | bigint)[] = [
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  -(2 ** 31) - 1,
  2 ** 40,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 60,
  -(2 ** 60),
  2n ** 63n - 1n,
  2n ** 63n - 4096n,
  -(2n ** 63n),
  2 ** 63, // one past ssize_t: OverflowError
  -(2n ** 63n) - 1n,
  2 ** 64,
  1e300,
];

/** Something that is not an integer. */
function notInt(r: Random): Encoded {
  return r.pick<Encoded>([
    { t: "float", v: "1.5" },
    { t: "float", v: "-0.5" },
    { t: "float", v: "nan" },
    { t: "float", v: "inf" },
    { t: "float", v: "-inf" },
    { t: "str", v: "3" },
    { t: "list" },
    { t: "obj" },
    { t: "bool", v: true },
    { t: "bytes", v: "01" },
  ]);
}

/** An integer near the interesting values for a map of about `size` bytes. */
function anInt(r: Random, size: number, page: number): Encoded {
  const x = r.next();
  if (x < 0.5) return int(r, r.int(-2, size + 2));
  if (x < 0.7) return int(r, r.pick([0, 1, size, size - 1, size + 1, -1, -size, -size - 1]));
  if (x < 0.8) return int(r, r.pick([page, 2 * page, page - 1, page + 1, -page]));
  if (x < 0.9) return int(r, r.int(-3 * size - 5, 3 * size + 5));
  if (x < 0.96) return int(r, r.pick(HUGE));
  return notInt(r);
}

/** Like `anInt`, but sometimes null or omitted (`undefined`). */
function optionalInt(r: Random, size: number, page: number): Encoded | undefined {
  const x = r.next();
  if (x < 0.1) return { t: "none" };
  if (x < 0.2) return undefined;
  return anInt(r, size, page);
}

const ALPHABET = [0x61, 0x62, 0x0a, 0x00, 0x6f, 0x6e, 0x65, 0xff];

function randomBytes(r: Random, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const wide = r.chance(0.3);
  for (let i = 0; i < n; i++) out[i] = wide ? r.int(0, 255) : r.pick(ALPHABET);
  return out;
}

function bytesValue(r: Random, bytes: Uint8Array): Encoded {
  const kinds: ByteKind[] = bytes.length % 2 === 0
    ? ["u8", "u8", "sub", "u16", "dv", "ab", "i8"]
    : ["u8", "u8", "sub", "dv", "ab", "i8"];
  return {
    t: "bytes",
    v: hex(bytes),
    js: r.pick(kinds),
    py: r.pick(["bytes", "bytes", "bytearray", "memoryview"] as const),
  };
}

const TEXT = ["", "a", "ab", "one", "\n", "é", "héllo\n", "\u20ac", "b\na", "\u{1f600}"];

/** Data for write/setSlice: bytes of about `n` bytes, or a string, or junk. */
function data(r: Random, n: number): Encoded {
  const x = r.next();
  if (x < 0.7) return bytesValue(r, randomBytes(r, Math.max(0, n)));
  if (x < 0.85) return { t: "str", v: r.pick(TEXT) };
  return r.pick<Encoded>([
    { t: "int", v: "42" },
    { t: "none" },
    { t: "list" },
    { t: "float", v: "1.5" },
    { t: "obj" },
    { t: "bool", v: false },
  ]);
}

/** A search needle, often taken from the file so that it is found. */
function needle(r: Random, file: Uint8Array): Encoded {
  const x = r.next();
  if (x < 0.5 && file.length) {
    const at = r.int(0, file.length - 1);
    const n = r.int(0, Math.min(5, file.length - at));
    return bytesValue(r, file.slice(at, at + n));
  }
  if (x < 0.7) return bytesValue(r, randomBytes(r, r.int(0, 4)));
  if (x < 0.8) return { t: "str", v: r.pick(TEXT) };
  if (x < 0.9) return int(r, r.pick([0, 10, 97, 255, 256, -1, 2 ** 60]));
  return r.pick<Encoded>([
    { t: "none" },
    { t: "float", v: "97.5" },
    { t: "list" },
    { t: "obj" },
    { t: "bool", v: true },
  ]);
}

// --- opening -----------------------------------------------------------------

/** A valid access: a constant or its name. */
function goodAccess(r: Random): Encoded {
  return r.pick<Encoded>([
    int(r, 0),
    int(r, 1),
    int(r, 2),
    int(r, 3),
    { t: "str", v: "read" },
    { t: "str", v: "write" },
    { t: "str", v: "copy" },
    { t: "str", v: "default" },
  ]);
}

function accessValue(r: Random): Encoded {
  if (r.chance(0.55)) return goodAccess(r);
  return r.pick<Encoded>([
    int(r, 4),
    int(r, -1),
    int(r, 2 ** 40),
    { t: "str", v: "bogus" },
    { t: "float", v: "1.5" },
    { t: "none" },
  ]);
}

function flagsValue(r: Random): Encoded {
  if (r.chance(0.08)) return r.chance(0.5) ? notInt(r) : int(r, r.pick([2 ** 40, -(2 ** 40)]));
  return int(
    r,
    r.pick([
      MAP_SHARED,
      MAP_SHARED,
      MAP_PRIVATE,
      MAP_PRIVATE,
      MAP_SHARED_VALIDATE,
      MAP_SHARED | MAP_POPULATE,
      MAP_PRIVATE | MAP_NORESERVE,
      MAP_SHARED | MAP_STACK,
      MAP_PRIVATE | MAP_HUGETLB,
      MAP_SHARED | MAP_32BIT,
      MAP_PRIVATE | MAP_LOCKED,
      MAP_SHARED_VALIDATE | MAP_SYNC,
      MAP_SHARED | MAP_DENYWRITE,
      0,
    ]),
  );
}

function protValue(r: Random): Encoded {
  if (r.chance(0.08)) return r.chance(0.5) ? notInt(r) : int(r, 2 ** 40);
  return int(
    r,
    r.pick([
      PROT_READ,
      PROT_WRITE,
      PROT_READ | PROT_WRITE,
      PROT_READ | PROT_WRITE,
      PROT_READ | PROT_EXEC,
      PROT_READ | PROT_WRITE | PROT_EXEC,
      PROT_READ | 0x01000000, // PROT_GROWSDOWN: EINVAL here
    ]),
  );
}

function offsetValue(r: Random, fileSize: number, page: number): Encoded {
  const x = r.next();
  if (x < 0.6) return int(r, r.pick([0, 0, page, 2 * page]));
  if (x < 0.75) return int(r, r.pick([100, page + 1, fileSize, -page, -1]));
  if (x < 0.85) return int(r, r.pick([2 ** 62, 2n ** 63n - 1n, 2 ** 63, 2n ** 62n + 4096n]));
  return r.chance(0.5) ? notInt(r) : { t: "none" };
}

const FILE_SIZES = (page: number): number[] => [
  0,
  1,
  10,
  100,
  page - 1,
  page,
  page + 1,
  2 * page + 5,
  3 * page,
];

function fileLength(r: Random, fileSize: number, offset: number, page: number): Encoded {
  const rest = Math.max(0, fileSize - offset);
  const x = r.next();
  if (x < 0.4) return int(r, 0);
  if (x < 0.7) return int(r, r.int(1, Math.max(1, rest)));
  if (x < 0.8) return int(r, r.pick([rest, rest + 1, fileSize, page]));
  if (x < 0.9) return int(r, r.pick([-1, 2 ** 50, 2n ** 63n - 1n, 2 ** 64]));
  return r.chance(0.5) ? notInt(r) : { t: "none" };
}

function anonLength(r: Random, page: number): Encoded {
  const x = r.next();
  if (x < 0.75) return int(r, r.pick([1, 10, 100, page - 1, page, page + 1, 2 * page, 3 * page]));
  if (x < 0.9) return int(r, r.pick([0, -1, 2 ** 50, 2 ** 62, 2n ** 63n - 1n, 2 ** 64]));
  return notInt(r);
}

function openSpec(r: Random, f: Features, fileSize: number): [OpenSpec, number] {
  const kind = r.pick(
    [
      "fd",
      "fd",
      "fd",
      "fd",
      "path",
      "path",
      "path",
      "anon",
      "anon",
      "anon",
      "anon",
      "badfd",
      "dir",
    ] as const,
  );
  // Most maps open (their operations are the point); a third get hostile options.
  const tame = kind !== "badfd" && r.chance(0.7);
  return tame ? tameOpen(r, f, fileSize, kind) : hostileOpen(r, f, fileSize, kind);
}

/** Valid options, chosen so that most of these maps open. */
function tameOpen(
  r: Random,
  f: Features,
  fileSize: number,
  kind: OpenSpec["kind"],
): [OpenSpec, number] {
  const page = f.pagesize;
  const opts: Record<string, Encoded> = {};
  const pages = Math.floor(Math.max(0, fileSize - 1) / page);
  const offset = kind !== "anon" && r.chance(0.3) ? page * r.int(0, pages) : 0;
  if (offset) opts.offset = int(r, offset);
  const rest = fileSize - offset;
  const length = rest > 0 && r.chance(0.5) ? r.int(1, rest) : 0;
  const access = () => goodAccess(r);
  if (kind === "path") {
    if (r.chance(0.7)) opts.access = access();
    if (length || r.chance(0.3)) opts.length = int(r, length);
    return [{ kind, opts }, Math.max(1, length || rest)];
  }
  if (r.chance(0.5)) opts.access = access();
  else {
    if (r.chance(0.6)) opts.flags = int(r, r.pick([MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE]));
    if (r.chance(0.6)) {
      opts.prot = int(
        r,
        r.pick([PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC]),
      );
    }
  }
  if (f.trackfd && r.chance(0.2)) opts.trackfd = { t: "bool", v: r.chance(0.5) };
  if (kind === "anon") {
    const n = r.pick([1, 10, 100, page - 1, page, page + 1, 2 * page, 3 * page]);
    return [{ kind, opts, fd: int(r, -1), length: int(r, n) }, n];
  }
  return [
    { kind, opts, mode: kind === "dir" || r.chance(0.2) ? "r" : "r+", length: int(r, length) },
    Math.max(1, length || rest),
  ];
}

/** Options of every kind, valid or not. */
function hostileOpen(
  r: Random,
  f: Features,
  fileSize: number,
  kind: OpenSpec["kind"],
): [OpenSpec, number] {
  const page = f.pagesize;
  const opts: Record<string, Encoded> = {};
  let guess = fileSize;
  if (kind === "path") {
    if (r.chance(0.7)) opts.access = accessValue(r);
    if (r.chance(0.4)) opts.offset = offsetValue(r, fileSize, page);
    const offset = opts.offset?.t === "int" ? Math.max(0, Number(opts.offset.v)) : 0;
    if (r.chance(0.5)) opts.length = fileLength(r, fileSize, offset, page);
    return [{ kind, opts }, Math.max(1, fileSize - offset)];
  }
  if (r.chance(0.5)) opts.access = accessValue(r);
  if (r.chance(0.35)) opts.flags = flagsValue(r);
  if (r.chance(0.35)) opts.prot = protValue(r);
  if (f.trackfd && r.chance(0.2)) opts.trackfd = { t: "bool", v: r.chance(0.5) };
  const spec: OpenSpec = { kind, opts };
  if (kind === "anon") {
    spec.fd = int(r, -1);
    if (r.chance(0.1)) opts.offset = offsetValue(r, 0, page);
    spec.length = anonLength(r, page);
    guess = spec.length.t === "int" ? Math.min(3 * page, Math.abs(Number(spec.length.v))) : 16;
  } else if (kind === "badfd") {
    spec.fd = r.chance(0.7)
      ? int(r, r.pick([-2, -3, 1048583, 2 ** 31 - 1, 2 ** 31, 2 ** 40, -(2 ** 31) - 1]))
      : notInt(r);
    spec.length = anonLength(r, page);
    guess = 16;
  } else {
    spec.mode = kind === "dir" ? "r" : r.chance(0.75) ? "r+" : "r";
    if (r.chance(0.4)) opts.offset = offsetValue(r, fileSize, page);
    const offset = opts.offset?.t === "int" ? Math.max(0, Number(opts.offset.v)) : 0;
    if (r.chance(0.97)) spec.length = fileLength(r, fileSize, offset, page);
    guess = Math.max(1, fileSize - offset);
  }
  return [spec, guess];
}

// --- operations --------------------------------------------------------------

function op(r: Random, size: number, page: number, file: Uint8Array): OpSpec {
  const n = () => anInt(r, size, page);
  const opt = () => optionalInt(r, size, page);
  const trail = (...xs: (Encoded | undefined)[]): Encoded[] => {
    // Omitted arguments exist only at the end, as in Python.
    const out = [...xs];
    while (out.length && out[out.length - 1] === undefined) out.pop();
    return out.map((x) => x ?? { t: "none" });
  };
  let name = r.pick([
    "read",
    "read",
    "readByte",
    "readline",
    "readline",
    "write",
    "write",
    "writeByte",
    "seek",
    "seek",
    "seek",
    "tell",
    "find",
    "find",
    "rfind",
    "rfind",
    "count",
    "includes",
    "move",
    "resize",
    "slice",
    "slice",
    "at",
    "set",
    "setSlice",
    "setSlice",
    "flush",
    "madvise",
    "size",
    "length",
    "closed",
    "close",
    "iter",
    "repr",
    "bytes",
    "seekable",
  ]);
  // Fewer closes: a closed map only has one answer.
  if (name === "close" && r.chance(0.7)) name = "tell";
  switch (name) {
    case "read":
      return { op: name, args: trail(opt()) };
    case "write":
      return { op: name, args: [data(r, r.int(0, 8))] };
    case "writeByte":
      return {
        op: name,
        args: [r.chance(0.8) ? int(r, r.pick([0, 65, 129, 255, 256, -1, 2 ** 40])) : notInt(r)],
      };
    case "seek": {
      const whence = r.chance(0.5)
        ? undefined
        : r.chance(0.9)
        ? int(r, r.pick([0, 1, 2]))
        : r.chance(0.5)
        ? int(r, r.pick([3, -1, 2 ** 40]))
        : notInt(r);
      return { op: name, args: trail(n(), whence) };
    }
    case "find":
    case "rfind":
    case "count":
      return { op: name, args: trail(needle(r, file), opt(), opt()) };
    case "includes":
      return { op: name, args: [needle(r, file)] };
    case "move": {
      if (r.chance(0.5)) return { op: name, args: [n(), n(), n()] };
      const [d, s] = [r.int(0, size), r.int(0, size)];
      return { op: name, args: [int(r, d), int(r, s), int(r, r.int(0, size - Math.max(d, s)))] };
    }
    case "resize": {
      const x = r.next();
      const v = x < 0.6
        ? int(r, r.int(0, 3 * page + 100))
        : x < 0.75
        ? int(r, r.pick([0, 1, size, size + 1, page]))
        : x < 0.9
        ? int(r, r.pick([-1, 2 ** 50, 2n ** 63n - 1n, 2 ** 63]))
        : notInt(r);
      return { op: name, args: [v] };
    }
    case "slice": {
      const step = r.chance(0.6)
        ? undefined
        : r.chance(0.85)
        ? int(r, r.pick([1, 2, 3, -1, -2, -7, 0, 300, 2n ** 63n - 1n, -(2n ** 63n)]))
        : r.chance(0.5)
        ? { t: "none" } as Encoded
        : notInt(r);
      return { op: name, args: trail(opt(), opt(), step) };
    }
    case "at":
      return { op: name, args: [n()] };
    case "set":
      if (r.chance(0.5)) {
        return { op: name, args: [int(r, r.int(-size, size - 1)), int(r, r.int(0, 255))] };
      }
      return {
        op: name,
        args: [n(), r.chance(0.8) ? int(r, r.pick([0, 1, 97, 255, 256, -1, 2 ** 63])) : notInt(r)],
      };
    case "setSlice": {
      if (r.chance(0.6)) {
        // Bounds inside the map and data of the slice's length, as most callers write.
        const [a, b] = [r.int(-size, size), r.int(-size, size)];
        const step = r.pick([1, 1, 1, 2, 3, -1, -2]);
        const len = resolveSlice(size, a, b, step).count;
        return {
          op: name,
          args: [int(r, a), int(r, b), bytesValue(r, randomBytes(r, len)), int(r, step)],
        };
      }
      const step = r.chance(0.6) ? undefined : int(r, r.pick([1, 2, -1, -3, 0]));
      const len = r.chance(0.5) ? r.int(0, 6) : r.int(0, size);
      return { op: name, args: trail(opt(), opt(), data(r, len), step) };
    }
    case "flush": {
      const x = r.next();
      const args = x < 0.4
        ? []
        : x < 0.6
        ? trail(int(r, r.pick([0, page, 1])))
        : trail(opt(), opt());
      const spec: OpSpec = { op: name, args };
      if (r.chance(0.2)) spec.opts = { async: r.chance(0.5), invalidate: r.chance(0.5) };
      return spec;
    }
    case "madvise": {
      const advice = r.chance(0.85)
        ? int(r, r.pick(SAFE_ADVICE))
        : r.chance(0.5)
        ? int(r, r.pick([-1, 9999, 2 ** 31, 2 ** 40]))
        : notInt(r);
      const start = r.chance(0.4) ? undefined : n();
      const length = start === undefined ? undefined : opt();
      return { op: name, args: trail(advice, start, length) };
    }
    default:
      return { op: name };
  }
}

/** The sequence of a seed. */
export function generate(seed: number, f: Features): SequenceSpec {
  const r = new Random(seed);
  const fileSize = r.pick(FILE_SIZES(f.pagesize));
  const file = randomBytes(r, fileSize);
  const [open, guess] = openSpec(r, f, fileSize);
  const ops: OpSpec[] = [];
  const count = r.int(1, 24);
  for (let i = 0; i < count; i++) ops.push(op(r, guess, f.pagesize, file));
  return { seed, file: base64(file), open, ops };
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** The bytes of a base64 string. */
export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

// --- decoding on the JavaScript side -----------------------------------------

/** The JavaScript value of an encoded argument. */
export function decode(v: Encoded): unknown {
  switch (v.t) {
    case "int":
      if (v.js === "negzero") return -0;
      return v.js === "big" ? BigInt(v.v) : Number(v.v);
    case "float":
      return v.v === "nan"
        ? NaN
        : v.v === "inf"
        ? Infinity
        : v.v === "-inf"
        ? -Infinity
        : Number(v.v);
    case "str":
      return v.v;
    case "bytes": {
      const bytes = fromHex(v.v);
      switch (v.js) {
        case "sub": {
          const wider = new Uint8Array(bytes.length + 4);
          wider.set(bytes, 2);
          return wider.subarray(2, 2 + bytes.length);
        }
        case "u16":
          return new Uint16Array(bytes.buffer, 0, bytes.length / 2);
        case "dv":
          return new DataView(bytes.buffer);
        case "ab":
          return bytes.buffer;
        case "i8":
          return new Int8Array(bytes.buffer);
        default:
          return bytes;
      }
    }
    case "none":
      return null;
    case "list":
      return [1, 2];
    case "obj":
      return {};
    case "bool":
      return v.v;
  }
}
