/**
 * The engine's own intrinsics, captured when the module loads, as Node's
 * internals capture their "primordials": every value that decides how many
 * bytes libc or a copy touches is read through these, never through a
 * property lookup that a user can override (an own `length`, a patched
 * prototype getter, a replaced `ArrayBuffer.prototype.transfer`, a Proxy).
 * Tampering with the globals after this module loaded changes nothing here.
 *
 * It lives in `ffi/`, the lowest layer, so that both `ffi/` and `src/` can
 * import it without an import going upwards.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

const { bind, call } = Function.prototype;
const defineProperty = Object.defineProperty;
/** `Math.trunc`, captured. */
export const mathTrunc: (x: number) => number = Math.trunc;

/**
 * `uncurryThis(f)(self, ...args)` is `f.call(self, ...args)`, immune to a
 * later change of `Function.prototype.call`: the intrinsic gets its own
 * `call` property, fixed (non-writable, non-configurable), so `f.call` is
 * always the engine's. That form is as fast as a method call in both
 * engines (a bound `call`, Node's form, costs JavaScriptCore ~50 ns a call).
 * Where the property cannot be fixed (a frozen intrinsic), the bound form.
 */
export function uncurryThis<F extends AnyFn>(
  fn: F,
): (self: unknown, ...args: Parameters<F>) => ReturnType<F> {
  try {
    defineProperty(fn, "call", { value: call, writable: false, configurable: false });
  } catch { /* frozen, or fixed before us */ }
  if (Object.getOwnPropertyDescriptor(fn, "call")?.value !== call) return bind.bind(call)(fn);
  const pinned = fn as unknown as { call(self: unknown, ...args: unknown[]): ReturnType<F> };
  // Every intrinsic used here takes at most four arguments; a missing one is
  // passed as undefined, which each of them reads as omitted (not
  // `lastIndexOf`, which reads an undefined `fromIndex` as 0: see below).
  return ((self: unknown, a: unknown, b: unknown, c: unknown, d: unknown) =>
    pinned.call(self, a, b, c, d)) as never;
}

/**
 * The engine's own `get` or `set` accessor of `key` on `proto`, uncurried
 * (`accessorOf(P, "k", "get")(x)` is `x.k` as `P` defines it, whatever
 * changes later), or `undefined` where `proto` is missing or has no such
 * accessor: the one place the library captures an accessor.
 */
export function accessorOf(
  proto: object | undefined,
  key: PropertyKey,
  kind: "get" | "set" = "get",
  // deno-lint-ignore no-explicit-any
): ((self: unknown, ...args: any[]) => any) | undefined {
  const fn = proto && Object.getOwnPropertyDescriptor(proto, key)?.[kind];
  return fn ? uncurryThis(fn as AnyFn) : undefined;
}

const getter = (proto: object, key: PropertyKey): AnyFn => {
  const fn = accessorOf(proto, key, "get");
  if (!fn) throw new Error(`@seed/mmap: the engine has no ${String(key)} getter`);
  return fn;
};

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;

/** `ta.byteLength` of a real typed array (a `TypeError` for anything else). */
export const typedArrayByteLength: (ta: unknown) => number = getter(
  TypedArrayPrototype,
  "byteLength",
);
/** `ta.byteOffset` of a real typed array. */
export const typedArrayByteOffset: (ta: unknown) => number = getter(
  TypedArrayPrototype,
  "byteOffset",
);
/** `ta.length` (elements) of a real typed array. */
export const typedArrayLength: (ta: unknown) => number = getter(TypedArrayPrototype, "length");
/** `ta.buffer` of a real typed array. */
export const typedArrayBuffer: (ta: unknown) => ArrayBufferLike = getter(
  TypedArrayPrototype,
  "buffer",
);
/**
 * The typed array's kind (`"Uint8Array"`, ...) for a real typed array and
 * `undefined` for anything else, Proxies included: a brand check that no
 * prototype chain or `Symbol.hasInstance` can fake.
 */
export const typedArrayKind: (value: unknown) => string | undefined = getter(
  TypedArrayPrototype,
  Symbol.toStringTag,
);
/** `%TypedArray%.prototype.set`. */
export const typedArraySet: (ta: unknown, src: ArrayLike<number>, offset?: number) => void =
  uncurryThis(TypedArrayPrototype["set" as keyof object] as AnyFn);
/**
 * `%TypedArray%.prototype.subarray` for byte arrays, with its relative
 * indices, but never through `Symbol.species`: the engine's `subarray` and
 * `slice` look up `ta.constructor[Symbol.species]` and hand it the whole
 * buffer (a user's constructor could keep the map's memory, or return an
 * array of any length), so the view is built here by the constructor
 * captured at load, over exactly `[start, end)` of `ta`'s bytes (indices
 * count bytes whatever `ta`'s kind).
 */
export function typedArraySubarray(ta: ArrayBufferView, start: number, end?: number): Uint8Array {
  const length = typedArrayByteLength(ta);
  const from = clampIndex(start, length);
  const to = end === undefined ? length : clampIndex(end, length);
  return new Uint8ArrayCtor(
    typedArrayBuffer(ta),
    typedArrayByteOffset(ta) + from,
    to > from ? to - from : 0,
  );
}

/** A relative index (negative counts from the end) clamped to `[0, length]`. */
function clampIndex(i: number, length: number): number {
  const t = i !== i ? 0 : mathTrunc(i);
  const n = t < 0 ? length + t : t;
  return n < 0 ? 0 : n > length ? length : n;
}

/**
 * `%TypedArray%.prototype.slice` for byte arrays: a fresh `Uint8Array`
 * holding a copy of `[start, end)`, made by the captured constructor and
 * `set` (no `Symbol.species`, see `typedArraySubarray`).
 */
export function typedArraySlice(ta: Uint8Array, start: number, end: number): Uint8Array {
  const length = typedArrayByteLength(ta);
  const from = clampIndex(start, length);
  const to = clampIndex(end, length);
  const n = to > from ? to - from : 0;
  const out = new Uint8ArrayCtor(n);
  // A few bytes by index (an element read runs no user code): cheaper than
  // cutting a view for `set`, in JavaScriptCore above all.
  if (n <= SLICE_BY_INDEX) { for (let i = 0; i < n; i++) out[i] = ta[from + i]!; }
  else {typedArraySet(
      out,
      new Uint8ArrayCtor(typedArrayBuffer(ta), typedArrayByteOffset(ta) + from, n),
    );}
  return out;
}
const SLICE_BY_INDEX = 64;
/** `%TypedArray%.prototype.indexOf`. */
export const typedArrayIndexOf: (ta: Uint8Array, value: number, from: number) => number =
  uncurryThis(TypedArrayPrototype["indexOf" as keyof object] as AnyFn);

const lastIndexOfFrom: (ta: Uint8Array, value: number, from: number) => number = uncurryThis(
  TypedArrayPrototype["lastIndexOf" as keyof object] as AnyFn,
);
/**
 * `%TypedArray%.prototype.lastIndexOf` over the whole array: the search starts
 * at the last element, given explicitly (an undefined `fromIndex` means 0).
 */
export function typedArrayLastIndexOf(ta: Uint8Array, value: number): number {
  return lastIndexOfFrom(ta, value, typedArrayLength(ta) - 1);
}

/** `DataView.prototype` getters (a `TypeError` for anything but a DataView). */
export const dataViewBuffer: (dv: unknown) => ArrayBufferLike = getter(
  DataView.prototype,
  "buffer",
);
/** `dv.byteOffset` of a real DataView. */
export const dataViewByteOffset: (dv: unknown) => number = getter(DataView.prototype, "byteOffset");
/** `dv.byteLength` of a real DataView. */
export const dataViewByteLength: (dv: unknown) => number = getter(DataView.prototype, "byteLength");

/** The captured `DataView` constructor. */
export const DataViewCtor: typeof DataView = DataView;
const DataViewPrototype = DataView.prototype;
/** `DataView.prototype.getUint8`, captured. */
export const dataViewGetUint8: (dv: DataView, at: number) => number = uncurryThis(
  DataViewPrototype.getUint8,
);
/** `DataView.prototype.setUint8`, captured. */
export const dataViewSetUint8: (dv: DataView, at: number, v: number) => void = uncurryThis(
  DataViewPrototype.setUint8,
);
/** `DataView.prototype.getUint32`, captured. */
export const dataViewGetUint32: (dv: DataView, at: number, little: boolean) => number = uncurryThis(
  DataViewPrototype.getUint32,
);
/** `DataView.prototype.setUint32`, captured. */
export const dataViewSetUint32: (dv: DataView, at: number, v: number, little: boolean) => void =
  uncurryThis(DataViewPrototype.setUint32);
/** `DataView.prototype.setInt32`, captured. */
export const dataViewSetInt32: (dv: DataView, at: number, v: number, little: boolean) => void =
  uncurryThis(DataViewPrototype.setInt32);
/** `DataView.prototype.getUint16`, captured. */
export const dataViewGetUint16: (dv: DataView, at: number, little: boolean) => number = uncurryThis(
  DataViewPrototype.getUint16,
);
/** `DataView.prototype.getBigInt64`, captured. */
export const dataViewGetBigInt64: (dv: DataView, at: number, little: boolean) => bigint =
  uncurryThis(DataViewPrototype.getBigInt64);
/** `DataView.prototype.setBigInt64`, captured. */
export const dataViewSetBigInt64: (dv: DataView, at: number, v: bigint, little: boolean) => void =
  uncurryThis(DataViewPrototype.setBigInt64);
/** `DataView.prototype.getBigUint64`, captured. */
export const dataViewGetBigUint64: (dv: DataView, at: number, little: boolean) => bigint =
  uncurryThis(DataViewPrototype.getBigUint64);
/** `DataView.prototype.setBigUint64`, captured. */
export const dataViewSetBigUint64: (dv: DataView, at: number, v: bigint, little: boolean) => void =
  uncurryThis(DataViewPrototype.setBigUint64);

/** `ArrayBuffer.isView`, captured. */
export const isView: (value: unknown) => value is ArrayBufferView = ArrayBuffer.isView;

const arrayBufferByteLengthRaw: (ab: unknown) => number = getter(
  ArrayBuffer.prototype,
  "byteLength",
);
/** `ab.detached` of a real ArrayBuffer. */
export const arrayBufferDetached: (ab: ArrayBuffer) => boolean = getter(
  ArrayBuffer.prototype,
  "detached",
);
/** `ArrayBuffer.prototype.transfer`, captured. */
export const arrayBufferTransfer: (ab: ArrayBuffer, length?: number) => ArrayBuffer = uncurryThis(
  ArrayBuffer.prototype.transfer as AnyFn,
);

const sharedByteLength: ((sab: unknown) => number) | undefined =
  typeof SharedArrayBuffer === "undefined"
    ? undefined
    : getter(SharedArrayBuffer.prototype, "byteLength");

/**
 * The true `byteLength` of an ArrayBuffer or SharedArrayBuffer (a WebAssembly
 * memory's buffer is either), whatever its prototype's getters say.
 */
export function bufferByteLength(buffer: ArrayBufferLike): number {
  if (sharedByteLength && isSharedArrayBuffer(buffer)) return sharedByteLength(buffer);
  return arrayBufferByteLengthRaw(buffer);
}

/** Whether `value` is a real ArrayBuffer (not shared), by its internal slots. */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  if (typeof value !== "object" || value === null) return false;
  try {
    arrayBufferByteLengthRaw(value);
    return true;
  } catch {
    return false;
  }
}

/** Whether `value` is a real SharedArrayBuffer, by its internal slots. */
export function isSharedArrayBuffer(value: unknown): value is SharedArrayBuffer {
  if (!sharedByteLength || typeof value !== "object" || value === null) return false;
  try {
    sharedByteLength(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Appends `item` to one of the library's own lists as an own data property.
 * `push` (and `list[i] = item` past the end) stores through `[[Set]]`, which
 * reaches an index setter a program put on `Array.prototype`: the item is
 * then lost, and reading it back runs the program's getter.
 */
export function appendOwn<T>(list: T[], item: T): void {
  defineProperty(list, list.length, ownValue(item));
}

/**
 * Stores `value` as `o`'s own data property `key`, as `Object.fromEntries`
 * does: an assignment would reach a setter a program put on the prototype.
 */
export function setOwn(o: object, key: PropertyKey, value: unknown): void {
  defineProperty(o, key, ownValue(value));
}

/**
 * A list that no prototype reaches: an array whose prototype is null, so a
 * hole or an index past its end reads `undefined` and a store past its end
 * makes an own property, whatever a program put on `Array.prototype` or
 * `Object.prototype` (an index getter, a setter, a proxy under them). It has
 * no methods: the library's bookkeeping walks it with index loops.
 */
export function ownList<T>(): T[] {
  return setPrototypeOf([], null);
}
/** `Object.setPrototypeOf`, captured. */
export const setPrototypeOf: <T extends object>(o: T, proto: object | null) => T =
  Object.setPrototypeOf;
/** `Array.prototype`, as it was when the library loaded. */
export const ArrayPrototype: object = Array.prototype;

/** Inserts `item` at index `at` of a list (`0 <= at <= length`), by index stores only. */
export function insertOwn<T>(list: T[], at: number, item: T): void {
  let i = list.length;
  if (i === 0) return appendOwn(list, item);
  appendOwn(list, list[i - 1]!);
  for (i--; i > at; i--) list[i] = list[i - 1]!;
  list[at] = item;
}

/** Removes the item at index `at` of a list (`0 <= at < length`), by index stores only. */
export function removeOwn<T>(list: T[], at: number): void {
  const n = list.length;
  for (let i = at + 1; i < n; i++) list[i - 1] = list[i]!;
  list.length = n - 1;
}

/** Removes the first element of a list that is `item` (by identity), if any, by index stores only. */
export function removeItemOwn<T>(list: T[], item: T): void {
  for (let i = 0; i < list.length; i++) {
    if (list[i] === item) return removeOwn(list, i);
  }
}

/**
 * `Array.prototype.sort`, captured: on a dense list of the library's own it
 * reads and stores own elements only (a patched `sort` could reorder,
 * drop or add what the library lists).
 */
export const arraySort: <T>(list: T[], compare?: (a: T, b: T) => number) => T[] = uncurryThis(
  Array.prototype.sort as AnyFn,
);

/**
 * `Array.prototype.includes`, captured: on the library's own lists of names
 * it reads own elements only (a patched `includes` answering `true` let any
 * option name, or wait strategy, through).
 */
export const arrayIncludes: <T>(list: readonly T[], item: unknown) => boolean = uncurryThis(
  Array.prototype.includes as AnyFn,
);
/** `Array.prototype.join`, captured. */
export const arrayJoin: (list: readonly unknown[], separator: string) => string = uncurryThis(
  Array.prototype.join as AnyFn,
);
/** `Object.freeze`, captured (a replaced one left the library's own lists open to change). */
export const objectFreeze: <T>(o: T) => Readonly<T> = Object.freeze;
/** `Object.keys`, captured. */
export const objectKeys: (o: object) => string[] = Object.keys;

/** `Object.getOwnPropertyDescriptor`, captured. */
export const ownDescriptor: (o: object, key: PropertyKey) => PropertyDescriptor | undefined =
  Object.getOwnPropertyDescriptor;

/** `Object.hasOwn`, captured. */
export const hasOwn: (o: object, key: PropertyKey) => boolean = Object.hasOwn;

// A descriptor with no prototype: a `get` or `value` on Object.prototype must not join it.
const ownValue = (value: unknown): PropertyDescriptor =>
  ({ __proto__: null, value, writable: true, enumerable: true, configurable: true }) as never;

/** The captured `Uint8Array` constructor. */
export const Uint8ArrayCtor: typeof Uint8Array = Uint8Array;
/** The captured `Uint32Array` constructor. */
export const Uint32ArrayCtor: typeof Uint32Array = Uint32Array;
/** The captured `BigInt64Array` constructor. */
export const BigInt64ArrayCtor: typeof BigInt64Array = BigInt64Array;
/** The captured `ArrayBuffer` constructor. */
export const ArrayBufferCtor: typeof ArrayBuffer = ArrayBuffer;
/** The captured `Int32Array` constructor. */
export const Int32ArrayCtor: typeof Int32Array = Int32Array;
/** The captured `Array.isArray`. */
export const isArray: (value: unknown) => value is unknown[] = Array.isArray;

/**
 * Whether the typed array's buffer was detached (moved away by `transfer()`
 * or a transfer list); a view of shared memory never is.
 */
export function isDetachedView(ta: unknown): boolean {
  const buffer = typedArrayBuffer(ta);
  return isArrayBuffer(buffer) && arrayBufferDetached(buffer);
}
/** A new one-byte `Uint8Array` holding `value`, by the captured constructor. */
export function byteArray(value: number): Uint8Array {
  const one = new Uint8ArrayCtor(1);
  one[0] = value;
  return one;
}
/** `Uint8Array.prototype`, to tell a plain `Uint8Array` from a subclass. */
export const Uint8ArrayPrototype: object = Uint8Array.prototype;
/** `Object.getPrototypeOf`, captured. */
export const getPrototypeOf: (o: object) => object | null = Object.getPrototypeOf;
/** `Object.prototype`, as it was when the library loaded. */
export const ObjectPrototype: object = Object.prototype;

/** `String.prototype.slice`, captured. */
export const stringSlice: (s: string, start: number, end?: number) => string = uncurryThis(
  String.prototype.slice as AnyFn,
);
/** `String.prototype.lastIndexOf`, captured (the whole string: `from` is not passed). */
export function stringLastIndexOf(s: string, search: string): number {
  return lastIndexOfString(s, search, s.length);
}
const lastIndexOfString: (s: string, search: string, from: number) => number = uncurryThis(
  String.prototype.lastIndexOf as AnyFn,
);
/** `String.prototype.indexOf`, captured. */
export const stringIndexOf: (s: string, search: string, from?: number) => number = uncurryThis(
  String.prototype.indexOf as AnyFn,
);
/** `WeakMap.prototype.get`, captured. */
export const weakMapGet: <K extends WeakKey, V>(map: WeakMap<K, V>, key: K) => V | undefined =
  uncurryThis(WeakMap.prototype.get as AnyFn);
/** `WeakMap.prototype.set`, captured. */
export const weakMapSet: <K extends WeakKey, V>(map: WeakMap<K, V>, key: K, value: V) => void =
  uncurryThis(WeakMap.prototype.set as AnyFn);
/** `WeakRef`, captured. */
export const WeakRefCtor: typeof WeakRef = WeakRef;
/** `WeakRef.prototype.deref`, captured. */
export const weakRefDeref: <T extends WeakKey>(ref: WeakRef<T>) => T | undefined = uncurryThis(
  WeakRef.prototype.deref as AnyFn,
);
/** `FinalizationRegistry.prototype.register`, captured. */
export const registerFinalizer: (
  registry: FinalizationRegistry<unknown>,
  target: WeakKey,
  held: unknown,
) => void = uncurryThis(FinalizationRegistry.prototype.register as AnyFn);

const encoder = new TextEncoder();
const encodeRaw: (self: TextEncoder, s: string) => Uint8Array = uncurryThis(
  TextEncoder.prototype.encode as AnyFn,
);
/** UTF-8 bytes of `s`, by the captured `TextEncoder.prototype.encode`. */
export function encodeUtf8(s: string): Uint8Array {
  return encodeRaw(encoder, s);
}
const decodeRaw: (self: TextDecoder, bytes: ArrayBufferView) => string = uncurryThis(
  TextDecoder.prototype.decode as AnyFn,
);
const strictDecoder = new TextDecoder("utf-8", { fatal: true });
const lenientDecoder = new TextDecoder();
/** The string of UTF-8 `bytes` (not shared memory), bad bytes as U+FFFD, by the captured `decode`. */
export function decodeUtf8(bytes: ArrayBufferView): string {
  return decodeRaw(lenientDecoder, bytes);
}
/**
 * The string of UTF-8 `bytes` (not a view of shared memory), by the captured
 * `TextDecoder.prototype.decode`; a `TypeError` for bytes that are not UTF-8.
 */
export function decodeUtf8Strict(bytes: ArrayBufferView): string {
  return decodeRaw(strictDecoder, bytes);
}

/** `Atomics`' functions, captured (the lock words of src/sync/). */
export const atomics: {
  readonly load: typeof Atomics.load;
  readonly store: typeof Atomics.store;
  readonly exchange: typeof Atomics.exchange;
  readonly compareExchange: typeof Atomics.compareExchange;
  readonly add: typeof Atomics.add;
  readonly sub: typeof Atomics.sub;
  readonly wait: typeof Atomics.wait;
  readonly notify: typeof Atomics.notify;
} = Object.freeze({
  load: Atomics.load,
  store: Atomics.store,
  exchange: Atomics.exchange,
  compareExchange: Atomics.compareExchange,
  add: Atomics.add,
  sub: Atomics.sub,
  wait: Atomics.wait,
  notify: Atomics.notify,
});

/**
 * Detaches `buffer` with the captured `transfer(0)`, and says whether it is
 * detached now. A buffer that was already detached is reported as not
 * detached by us (`"moved"`): someone else moved its memory away.
 */
export function detachBuffer(buffer: ArrayBuffer): "detached" | "moved" | "failed" {
  try {
    if (arrayBufferDetached(buffer)) return "moved";
    arrayBufferTransfer(buffer, 0);
    return arrayBufferDetached(buffer) ? "detached" : "failed";
  } catch {
    return "failed";
  }
}

/**
 * `Reflect.apply`, captured: it takes the argument list by index, where a
 * spread (`fn(...args)`) would run `Array.prototype[Symbol.iterator]`, which
 * a program can replace to change the arguments of a libc call.
 */
export const reflectApply: typeof Reflect.apply = Reflect.apply;
/** The captured `String` (a function: `StringCtor(x)` converts). */
export const StringCtor: StringConstructor = String;
/** The captured `Number` (a function: `NumberCtor(x)` converts). */
export const NumberCtor: NumberConstructor = Number;
/** The captured `BigInt` (a function: `BigIntCtor(x)` converts). */
export const BigIntCtor: BigIntConstructor = BigInt;
/** `BigInt.asUintN`, captured. */
export const bigIntAsUintN: (bits: number, value: bigint) => bigint = BigInt.asUintN;
/** `BigInt.asIntN`, captured. */
export const bigIntAsIntN: (bits: number, value: bigint) => bigint = BigInt.asIntN;
/** `Number.isSafeInteger`, captured. */
export const isSafeInteger: (value: unknown) => value is number = Number.isSafeInteger as never;
/** `Number.isInteger`, captured. */
export const isInteger: (value: unknown) => value is number = Number.isInteger as never;
/** `Math.min`, captured. */
export const mathMin: (...values: number[]) => number = Math.min;
/** `Math.max`, captured. */
export const mathMax: (...values: number[]) => number = Math.max;
/** `Math.floor`, captured. */
export const mathFloor: (x: number) => number = Math.floor;
/**
 * `performance.now()`, captured with its object: the clock of every timeout
 * the library keeps (lock and wait deadlines, the Ring's set-up, a guest's
 * `poll_oneoff`). A program that replaced `performance.now` with a clock
 * that stands still made every wait with a timeout endless.
 */
export const monotonicNow: () => number =
  ((perf: Performance, now: (p: Performance) => number) => () => now(perf))(
    performance,
    uncurryThis(performance.now as AnyFn),
  );
/** `crypto.getRandomValues`, captured with its object. */
export const getRandomValues: (bytes: Uint8Array) => Uint8Array = ((
  c: Crypto,
  fill: (c: Crypto, bytes: Uint8Array) => Uint8Array,
) =>
(bytes: Uint8Array) => fill(c, bytes))(crypto, uncurryThis(crypto.getRandomValues as AnyFn));
const PromiseCtor = Promise;
const resolveWith = uncurryThis(Promise.resolve as AnyFn);
const rejectWith = uncurryThis(Promise.reject as AnyFn);
/**
 * `Promise.resolve`, `Promise.reject` and `Promise.prototype.then`, captured:
 * the async locks and the Ring hand their results (a held lock's guard, a
 * message taken off the ring) through these, and a replaced
 * `Promise.resolve` was handed the guard instead of the caller (the lock
 * stayed held with no one to unlock it).
 */
export const promiseResolve = <T>(value: T): Promise<T> => resolveWith(PromiseCtor, value);
/** `Promise.reject`, captured (see `promiseResolve`). */
export const promiseReject = (reason: unknown): Promise<never> => rejectWith(PromiseCtor, reason);
/** `Promise.prototype.then`, captured (see `promiseResolve`). */
export const promiseThen: <T, R = T>(
  p: Promise<T>,
  onFulfilled: ((value: T) => R) | undefined,
  onRejected: (reason: unknown) => Promise<never>,
) => Promise<R> = uncurryThis(Promise.prototype.then as AnyFn);
/** `Math.ceil`, captured. */
export const mathCeil: (x: number) => number = Math.ceil;
