/**
 * What Linux's `/proc/self/maps` says of one address: whether it lies in an
 * address-space reservation (a mapping with no access, `---p`), in some
 * other mapping, or in none. The WebAssembly memories of both engines that
 * can grow in place are followed by such a reservation (V8 reserves up to
 * the memory's maximum, JavaScriptCore 4 GiB and more); a memory allocated
 * without one may be moved to another address by `grow`
 * (wasm/guest_memory.ts asks before it places file pages). Read through
 * libc, as the rest of the library reads files, and parsed from the bytes
 * with arithmetic only: no user-patchable method decides the answer.
 *
 * @module
 */
import { closeFd, openFile } from "./files.ts";
import { backend } from "./load.ts";
import {
  typedArrayByteLength as lengthOf,
  typedArraySet,
  typedArraySubarray,
  Uint8ArrayCtor,
} from "./primordials.ts";

/** How the address space holds an address. */
export type AddressKind = "reserved" | "mapped" | "unmapped";

const CHUNK = 1 << 16;

/** `/proc/self/maps` whole, or null where it cannot be read (no /proc, or denied). */
function readMaps(): Uint8Array | null {
  const b = backend();
  if (b.platform.os !== "linux") return null;
  let fd: number;
  try {
    fd = openFile("/proc/self/maps", { write: false });
  } catch {
    return null;
  }
  try {
    let all = new Uint8ArrayCtor(CHUNK);
    let used = 0;
    for (;;) {
      if (lengthOf(all) - used < CHUNK) {
        const bigger = new Uint8ArrayCtor(lengthOf(all) * 2);
        typedArraySet(bigger, all);
        all = bigger;
      }
      const n = b.libc.pread(fd, typedArraySubarray(all, used, used + CHUNK), CHUNK, used);
      if (n < 0) return null;
      if (n === 0) return typedArraySubarray(all, 0, used);
      used += n;
    }
  } finally {
    closeFd(fd);
  }
}

/** The hexadecimal number at `text[at]`, and where it ends, in `hexEnd`. */
let hexEnd = 0;
function hexAt(text: Uint8Array, at: number): number {
  let v = 0;
  const n = lengthOf(text);
  for (; at < n; at++) {
    const c = text[at]!;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (d < 0) break;
    v = v * 16 + d;
  }
  hexEnd = at;
  return v;
}

/**
 * How `address` is held: in a reservation (no access at all), in another
 * mapping, or in none; null where `/proc/self/maps` cannot be read.
 */
export function addressKind(address: number): AddressKind | null {
  const text = readMaps();
  if (text === null) return null;
  const n = lengthOf(text);
  // Each line: "start-end perms offset dev inode [path]", addresses in hex.
  for (let at = 0; at < n;) {
    const start = hexAt(text, at);
    const end = hexAt(text, hexEnd + 1);
    const perms = hexEnd + 1;
    if (start <= address && address < end) {
      const none = text[perms] === 0x2d && text[perms + 1] === 0x2d && text[perms + 2] === 0x2d;
      return none ? "reserved" : "mapped";
    }
    while (at < n && text[at] !== 0x0a) at++;
    at++;
  }
  return "unmapped";
}
