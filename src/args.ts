/**
 * Argument checks shared by every public method: integers the way CPython's
 * `__index__` takes them, and option bags with no unknown names.
 *
 * @module
 */

/** A short description of a value's type, for error messages. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "Array";
  if (typeof value === "object") {
    return (value as object).constructor?.name ?? "object";
  }
  return typeof value;
}

/**
 * An integer argument: a safe-integer Number or a BigInt. Fractions, NaN,
 * infinities and other types are a `TypeError` (CPython:
 * "'float' object cannot be interpreted as an integer"); integers beyond
 * 2^53 are a `RangeError` (CPython: OverflowError).
 */
export function toInt(value: unknown, name: string): number {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value)) return value === 0 ? 0 : value;
    if (Number.isInteger(value)) {
      throw new RangeError(`${name} is too large: ${value} is beyond 2^53`);
    }
    throw new TypeError(`${name} must be an integer, not ${value}`);
  }
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`${name} is too large: ${value} is beyond 2^53`);
    }
    return Number(value);
  }
  throw new TypeError(`${name} must be an integer, not ${typeName(value)}`);
}

/** Like `toInt`, but `undefined` and `null` give `undefined`. */
export function toOptionalInt(value: unknown, name: string): number | undefined {
  return value === undefined || value === null ? undefined : toInt(value, name);
}

/** Throws a `TypeError` for an options object that is not one or has unknown names. */
export function checkOptions(
  options: unknown,
  allowed: readonly string[],
  what: string,
): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${what} options must be an object, not ${typeName(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(
        `'${key}' is an invalid option for ${what} (expected ${allowed.join(", ")})`,
      );
    }
  }
  return options as Record<string, unknown>;
}

/** A boolean option; `undefined` gives the default. */
export function toBool(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new TypeError(`${name} must be a boolean, not ${typeName(value)}`);
  }
  return value;
}
