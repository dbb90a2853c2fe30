/**
 * Argument checks shared by every public method: integers the way CPython's
 * `__index__` converters take them, and option bags with no unknown names.
 *
 * @module
 */
import {
  arrayIncludes,
  arrayJoin,
  BigIntCtor,
  getPrototypeOf,
  hasOwn,
  isArray,
  isInteger,
  isSafeInteger,
  isView,
  NumberCtor,
  objectKeys,
  ObjectPrototype,
  ownDescriptor,
  typedArrayKind,
} from "../ffi/primordials.ts";

/**
 * A short description of a value's type, for error messages: the name of
 * the nearest `constructor` on its chain, read from data properties only.
 * It runs no getter and lets no trap's error out (a Proxy, a `constructor`
 * getter that throws a RangeError or closes the map): the message of a
 * misuse must not become another error.
 */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  try {
    if (isArray(value)) return "Array";
    for (let p: object | null = value; p !== null; p = getPrototypeOf(p)) {
      const ctor = ownDescriptor(p, "constructor");
      if (!ctor) continue;
      const fn: unknown = ctor.value;
      const name = typeof fn === "function" ? ownDescriptor(fn, "name")?.value : undefined;
      return typeof name === "string" && name !== "" ? name : "object";
    }
  } catch { /* a Proxy's trap threw, or it was revoked */ }
  return "object";
}

/**
 * What `value` is, for an error message: a typed array's real kind (a
 * Float64Array given Uint8Array's prototype says Float64Array), and a
 * look-alike of a typed array or an MMap (a Proxy, a borrowed prototype)
 * called one.
 */
export function brandName(value: unknown): string {
  const kind = typedArrayKind(value);
  if (kind !== undefined) return kind;
  const name = typeName(value);
  const posing = typeof value === "object" && value !== null && !isView(value) &&
    (name === "MMap" || (name !== "Array" && name.endsWith("Array")));
  return posing
    ? `${
      name === "MMap" ? "an" : "a"
    } ${name} look-alike (a Proxy, or an object given its prototype)`
    : name;
}

/** The range of C's `ssize_t` (CPython's `Py_ssize_t`) on 64-bit platforms. */
export const SSIZE_MAX = 2n ** 63n - 1n;
const SSIZE_MIN = -(2n ** 63n);
const TWO_63 = 2 ** 63;

/** The error class CPython raises when an integer does not fit its C type. */
type Overflow = RangeErrorConstructor | TypeErrorConstructor;

function notInteger(value: unknown, name: string): TypeError {
  const what = typeof value === "number" ? String(value) : typeName(value);
  return new TypeError(`${name} must be an integer, not ${what}`);
}

/**
 * An integer argument, as CPython's `Py_ssize_t` converters take it: a
 * Number with no fraction, or a BigInt. Fractions, NaN, infinities and other
 * types are a `TypeError` ("'float' object cannot be interpreted as an
 * integer"); integers outside the 64-bit `ssize_t` range are a `RangeError`
 * (CPython: OverflowError), or `overflow` where CPython raises another class.
 *
 * Integers beyond 2^53 come back rounded to the nearest Number: every map
 * and file is smaller than that, so they only ever compare as "too large".
 * Where the exact value matters (alignment, overflow checks, a size handed to
 * the kernel), use `toSsize`.
 */
export function toInt(value: unknown, name: string, overflow: Overflow = RangeError): number {
  if (typeof value === "number") {
    if (isSafeInteger(value)) return value === 0 ? 0 : value;
    if (!isInteger(value)) throw notInteger(value, name);
    if (value >= TWO_63 || value < -TWO_63) throw tooLarge(name, value, overflow);
    return value;
  }
  if (typeof value === "bigint") return NumberCtor(checkSsize(value, name, overflow));
  throw notInteger(value, name);
}

/** Like `toInt`, but exact: the value as a BigInt. */
export function toSsize(value: unknown, name: string): bigint {
  if (typeof value === "number") {
    if (!isInteger(value)) throw notInteger(value, name);
    return checkSsize(BigIntCtor(value), name, RangeError);
  }
  if (typeof value === "bigint") return checkSsize(value, name, RangeError);
  throw notInteger(value, name);
}

function checkSsize(value: bigint, name: string, overflow: Overflow): bigint {
  if (value > SSIZE_MAX || value < SSIZE_MIN) throw tooLarge(name, value, overflow);
  return value;
}

function tooLarge(name: string, value: number | bigint, overflow: Overflow): Error {
  return new overflow(`${name} is too large to convert to C ssize_t: ${value}`);
}

/**
 * An argument CPython reads as a C `int` (a descriptor, flags, an advice
 * value, `whence`): outside -2^31..2^31-1 is a `RangeError`
 * ("signed integer is greater than maximum"), as it would otherwise be cut
 * down to 32 bits on its way to libc.
 */
export function toCInt(value: unknown, name: string): number {
  const n = toInt(value, name);
  if (n > 0x7fffffff) throw new RangeError(`${name}: signed integer is greater than maximum`);
  if (n < -0x80000000) throw new RangeError(`${name}: signed integer is less than minimum`);
  return n;
}

/** Like `toInt`, but `undefined` and `null` give `undefined`. */
export function toOptionalInt(value: unknown, name: string): number | undefined {
  return value === undefined || value === null ? undefined : toInt(value, name);
}

/**
 * A slice bound, as CPython's `_PyEval_SliceIndex`: `undefined`/`null` are
 * omitted, integers beyond the `ssize_t` range are clamped to it (never an
 * error), anything else is a `TypeError`.
 */
export function toSliceIndex(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && isSafeInteger(value)) return value === 0 ? 0 : value;
  if (typeof value === "bigint" || (typeof value === "number" && isInteger(value))) {
    const n = NumberCtor(value);
    return n >= TWO_63 ? TWO_63 : n < -TWO_63 ? -TWO_63 : n;
  }
  throw new TypeError(
    `slice indices must be integers or null (${name} is ${
      typeof value === "number" ? value : typeName(value)
    })`,
  );
}

/**
 * Checks an options object and takes a snapshot of it: a `TypeError` for
 * something that is not an object or has unknown names; otherwise a plain
 * object (no prototype) holding each allowed option, read exactly once. The
 * caller never touches the user's object again, so a getter cannot answer
 * one thing to a check and another to the code that acts on it.
 */
export function checkOptions(
  options: unknown,
  allowed: readonly string[],
  what: string,
): Record<string, unknown> {
  const snapshot: Record<string, unknown> = Object.create(null);
  if (options === undefined || options === null) return snapshot;
  if (typeof options !== "object" || isArray(options)) {
    throw new TypeError(`${what} options must be an object, not ${typeName(options)}`);
  }
  const keys = objectKeys(options);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (!arrayIncludes(allowed, key)) {
      throw new TypeError(
        `'${key}' is an invalid option for ${what} (expected ${arrayJoin(allowed, ", ")})`,
      );
    }
  }
  for (let i = 0; i < allowed.length; i++) {
    const key = allowed[i]!;
    const value = optionValue(options, key);
    if (value !== undefined) snapshot[key] = value;
  }
  return snapshot;
}

/** `o[key]`, read once, or `undefined` when only Object.prototype has it (see below). */
export function optionValue(o: object, key: string): unknown {
  return fromObjectPrototype(o, key) ? undefined : (o as Record<string, unknown>)[key];
}

/**
 * Whether the nearest object holding `key` on the chain of `o` is
 * `Object.prototype`: an option nobody gave, put there by a program (or a
 * library that merges JSON into objects) for every object at once. With
 * `Object.prototype.guard = false` every map opened without options lost
 * the fault guard, and a cut file then killed the process. Options given by
 * the object itself or by a class of the caller's still count.
 */
function fromObjectPrototype(o: object, key: string): boolean {
  for (let p: object | null = o; p !== null; p = getPrototypeOf(p)) {
    if (hasOwn(p, key)) return p === ObjectPrototype;
  }
  return false;
}

/** A boolean option; `undefined` gives the default. */
export function toBool(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new TypeError(`${name} must be a boolean, not ${typeName(value)}`);
  }
  return value;
}
