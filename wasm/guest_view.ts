/**
 * Reading and writing a guest's linear memory from the host. `memory.grow`
 * replaces `memory.buffer`, so the host makes a new view whenever the
 * buffer changed. Every access is bounds-checked: a pointer outside
 * the memory becomes `EFAULT`, never a host exception.
 *
 * @module
 */
import {
  appendOwn,
  bigIntAsUintN,
  BigIntCtor as BigInt,
  DataViewCtor,
  decodeUtf8Strict,
  isSharedArrayBuffer,
  ownList,
  typedArrayLength,
  typedArraySlice,
  Uint8ArrayCtor,
} from "../ffi/primordials.ts";
import { Errno } from "./errno.ts";
import { memoryBuffer } from "../ffi/memory_brand.ts";
import { ERRNO, SIZE } from "./wasi_defs.ts";

const IOV_MAX = 1024;
/** The longest string decoded by `String.fromCharCode` (one argument per byte). */
const ASCII_MAX = 256;
// Captured, and given a list with no prototype (its length cannot be
// patched, as a typed array's prototype getter can, and no index getter or
// setter on Array.prototype sees or changes the codes).
const fromCharCode = String.fromCharCode;
const apply = Reflect.apply;
const codes: number[] = ownList();

/** The guest memory as it is now. Pointers are unsigned 32-bit guest offsets. */
export class GuestView {
  /** The buffer viewed: `memory.buffer` when the view was made. */
  readonly buffer: ArrayBufferLike;
  /** The whole memory as bytes. */
  readonly bytes: Uint8Array;
  /** The whole memory as a DataView (little-endian accessors below). */
  readonly dv: DataView;
  /** The memory is shared (a `SharedArrayBuffer`). */
  readonly shared: boolean;
  /** Its size in bytes, read once. */
  readonly #size: number;

  /**
   * Views the memory as it is now.
   *
   * @param memory the guest's memory
   */
  constructor(memory: WebAssembly.Memory) {
    const buffer = memoryBuffer(memory);
    this.buffer = buffer;
    this.bytes = new Uint8ArrayCtor(buffer);
    this.#size = typedArrayLength(this.bytes);
    this.dv = new DataViewCtor(buffer);
    this.shared = isSharedArrayBuffer(buffer);
  }

  /** `len` bytes at `ptr`, live (not a copy); `EFAULT` if outside the memory. */
  slice(ptr: number, len: number): Uint8Array {
    if (ptr + len > this.#size) throw new Errno(ERRNO.FAULT);
    // Not `subarray`: it would hand Uint8Array[Symbol.species] the guest's
    // memory. The captured constructor, over the buffer whose size is known.
    return new Uint8ArrayCtor(this.buffer, ptr, len);
  }

  /**
   * `EFAULT` unless the `len` bytes at `ptr` lie inside the memory: a call
   * checks where it will store its results before it acts, so that a bad
   * result pointer fails the call with no effect (no bytes read from a file
   * or written to one, no position moved, no file created).
   */
  fits(ptr: number, len: number): void {
    if (ptr + len > this.#size) throw new Errno(ERRNO.FAULT);
  }

  /** The UTF-8 string at `ptr`; `EILSEQ` for bytes that are not UTF-8. */
  string(ptr: number, len: number): string {
    const bytes = this.slice(ptr, len);
    // Short ASCII, what paths mostly are, without TextDecoder: Deno's costs
    // a call into the runtime, more than many a system call the path is for.
    if (len <= ASCII_MAX) {
      codes.length = len;
      let i = 0;
      for (; i < len; i++) {
        const c = bytes[i]!;
        if (c > 0x7f) break;
        codes[i] = c;
      }
      if (i === len) return apply(fromCharCode, undefined, codes);
    }
    try {
      // TextDecoder refuses views of shared memory: those it gets a copy of.
      return decodeUtf8Strict(this.shared ? typedArraySlice(bytes, 0, len) : bytes);
    } catch {
      throw new Errno(ERRNO.ILSEQ);
    }
  }

  /**
   * The buffers of an iovec array (`{ buf: u32, buf_len: u32 }[count]`).
   * More than IOV_MAX (1024) is `EINVAL`, as readv(2) has it: a guest with a
   * large memory must not make the host build an array of millions. The
   * list has no prototype (no methods, no iterator): walk it by index, so
   * that no patched `Array.prototype` swaps a buffer.
   */
  iovecs(ptr: number, count: number): Uint8Array[] {
    if (count > IOV_MAX) throw new Errno(ERRNO.INVAL);
    const out = ownList<Uint8Array>();
    for (let i = 0; i < count; i++) {
      const at = ptr + i * SIZE.iovec;
      appendOwn(out, this.slice(this.u32(at), this.u32(at + 4)));
    }
    return out;
  }

  /** u32 at `ptr`. */
  u32(ptr: number): number {
    return this.dv.getUint32(ptr, true);
  }

  /** Stores a u8. */
  setU8(ptr: number, v: number): void {
    this.dv.setUint8(ptr, v);
  }

  /** Stores a u16. */
  setU16(ptr: number, v: number): void {
    this.dv.setUint16(ptr, v, true);
  }

  /** Stores a u32. */
  setU32(ptr: number, v: number): void {
    this.dv.setUint32(ptr, v, true);
  }

  /** Stores a u64. */
  setU64(ptr: number, v: number | bigint): void {
    // Rights, sizes and offsets mostly fit 32 bits: no BigInt to make.
    if (typeof v === "number" && v >= 0 && v <= 0xffffffff) {
      this.dv.setUint32(ptr + 4, 0, true);
      this.dv.setUint32(ptr, v, true);
      return;
    }
    this.dv.setBigUint64(ptr, bigIntAsUintN(64, BigInt(v)), true);
  }

  /** u64 at `ptr`, as a BigInt. */
  u64(ptr: number): bigint {
    return this.dv.getBigUint64(ptr, true);
  }
}
