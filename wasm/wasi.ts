/**
 * `WASI`: a WASI preview1 host in TypeScript that runs unchanged in Deno and
 * Bun, serves real files under preopened directories, and gives guests the
 * `"mmap"` import module (files mapped straight into linear memory).
 *
 * @module
 */
import { fstatSync, realpathSync, statSync } from "node:fs";
import { toPath } from "../src/path.ts";
import { checkOptions, typeName } from "../src/args.ts";
import { Errno, errnoOf } from "./errno.ts";
import { FdTable, type Stream } from "./fd_table.ts";
import { guestMmap } from "./guest_mmap.ts";
import { GuestView } from "./guest_view.ts";
import { isMemory, memoryBuffer } from "../ffi/memory_brand.ts";
import { filetypeOf, type HostContext, type Syscall } from "./host_context.ts";
import { fdCalls } from "./wasi_fd.ts";
import { miscCalls } from "./wasi_misc.ts";
import { pathCalls } from "./wasi_path.ts";
import { dirId } from "./sandbox.ts";
import { lstatFull } from "../ffi/host_files.ts";
import { DIR_RIGHTS, ERRNO, FILE_RIGHTS, FILETYPE, RIGHTS } from "./wasi_defs.ts";
import {
  appendOwn,
  encodeUtf8,
  isArray,
  isInteger,
  objectKeys,
  ownList,
  reflectApply,
  setOwn,
  StringCtor,
  typedArrayKind,
  typedArrayLength,
  typedArraySlice,
} from "../ffi/primordials.ts";

/**
 * Options of {@linkcode WASI}.
 *
 * @example
 * ```ts
 * import { WASI } from "@seed/mmap/wasm";
 * const wasi = new WASI({ args: ["guest", "-v"], env: { LANG: "C" }, preopens: { "/data": "." } });
 * ```
 */
export interface WASIOptions {
  /**
   * The guest's `argv` (conventionally starting with the program name): an
   * array, each element made a string once. Default: none.
   */
  args?: readonly string[];
  /** The guest's environment. Default: empty (the host's is not passed on). */
  env?: Readonly<Record<string, string>>;
  /**
   * Directories the guest may use: guest path (such as `"/data"` or `"."`)
   * to host directory. Nothing outside them can be reached.
   */
  preopens?: Readonly<Record<string, string | URL>>;
  /**
   * The guest's standard input: a host descriptor (default 0), or the bytes
   * to read (a string, or a `Uint8Array`, copied when the host is made).
   */
  stdin?: number | Uint8Array | string;
  /** Standard output: a host descriptor (default 1), or a function that receives each write. */
  stdout?: number | ((data: Uint8Array) => void);
  /** Standard error: a host descriptor (default 2), or a function that receives each write. */
  stderr?: number | ((data: Uint8Array) => void);
  /** The guest's memory when it imports one instead of exporting `memory`. */
  memory?: WebAssembly.Memory;
}

/**
 * Thrown through the guest's frames by `proc_exit`; `start()` catches it and
 * returns the code. A reactor's exported function that exits throws it to
 * its caller.
 *
 * @example
 * ```ts
 * import { WASIProcExit } from "@seed/mmap/wasm";
 * const e = new WASIProcExit(3);
 * console.log(e.code); // 3
 * ```
 */
export class WASIProcExit extends Error {
  /** The exit code the guest passed to `proc_exit`. */
  readonly code: number;
  /**
   * Records the code a guest exited with.
   *
   * @param code the exit code
   */
  constructor(code: number) {
    super(`WASI guest exited with code ${code}`);
    this.name = "WASIProcExit";
    this.code = code;
  }
}

const STDIN_RIGHTS = RIGHTS.FD_READ | RIGHTS.FD_FDSTAT_SET_FLAGS | RIGHTS.FD_FILESTAT_GET |
  RIGHTS.POLL_FD_READWRITE;
const STDOUT_RIGHTS = RIGHTS.FD_WRITE | RIGHTS.FD_FDSTAT_SET_FLAGS | RIGHTS.FD_FILESTAT_GET |
  RIGHTS.POLL_FD_READWRITE;

function toStream(value: unknown, fallback: number, name: string, input: boolean): Stream {
  if (value === undefined) return { kind: "fd", fd: fallback };
  if (typeof value === "number" && isInteger(value) && value >= 0) {
    return { kind: "fd", fd: value === 0 ? 0 : value }; // -0 is descriptor 0
  }
  if (input && typeof value === "string") {
    return { kind: "source", data: encodeUtf8(value), pos: 0 };
  }
  // A copy, by the brand and the engine's own length: the program keeps its
  // array, and may fill, transfer or shrink its buffer while the guest reads.
  if (input && typedArrayKind(value) === "Uint8Array") {
    const bytes = value as Uint8Array;
    return { kind: "source", data: typedArraySlice(bytes, 0, typedArrayLength(bytes)), pos: 0 };
  }
  if (!input && typeof value === "function") {
    return { kind: "sink", write: value as (data: Uint8Array) => void };
  }
  throw new TypeError(
    `${name} must be a descriptor or ${input ? "bytes" : "a function"}, not ${typeName(value)}`,
  );
}

/**
 * The guest's arguments, UTF-8 encoded: an array, its length and each
 * element read once (no iterator a program can replace runs), each turned
 * into a string once.
 */
function argList(value: unknown): Uint8Array[] {
  const out = ownList<Uint8Array>();
  if (value === undefined) return out;
  if (!isArray(value)) throw new TypeError(`args must be an array, not ${typeName(value)}`);
  const n = value.length;
  for (let i = 0; i < n; i++) appendOwn(out, encodeUtf8(StringCtor(value[i])));
  return out;
}

/**
 * An object's own enumerable names and values, each read once, as one flat
 * list `[name, value, name, value...]` with no prototype (`env`, `preopens`).
 */
function record(value: unknown, name: string): unknown[] {
  const out = ownList<unknown>();
  if (value === undefined) return out;
  if (typeof value !== "object" || value === null || isArray(value)) {
    throw new TypeError(`${name} must be an object, not ${typeName(value)}`);
  }
  const keys = objectKeys(value);
  for (let i = 0; i < keys.length; i++) {
    appendOwn(out, keys[i]!);
    appendOwn(out, (value as Record<string, unknown>)[keys[i]!]);
  }
  return out;
}

function streamType(s: Stream): number {
  if (s.kind !== "fd") return FILETYPE.CHARACTER_DEVICE;
  try {
    return filetypeOf(fstatSync(s.fd).mode);
  } catch {
    return FILETYPE.CHARACTER_DEVICE;
  }
}

/**
 * A WASI preview1 host. Give `getImportObject()` to
 * `WebAssembly.instantiate`, then `start(instance)` (commands) or
 * `initialize(instance)` (reactors).
 *
 * - Files are real host files under the preopened directories; paths are
 *   resolved by the host one component at a time, and no path, `..`,
 *   absolute path or symbolic link reaches outside a preopen.
 * - Every call returns a WASI errno; none throws into the guest.
 * - `proc_exit` ends the guest, not the host: `start()` returns the code.
 * - The `"mmap"` import module maps files straight into the guest's memory
 *   (see `wasm/include/wasi_mmap.h`).
 *
 * @example Run a command guest with a preopened directory
 * ```ts ignore
 * import { WASI } from "@seed/mmap/wasm";
 * const wasi = new WASI({ args: ["guest", "data.txt"], preopens: { "/data": "./data" } });
 * const module = await WebAssembly.compile(Deno.readFileSync("guest.wasm"));
 * const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
 * const code = wasi.start(instance);
 * console.log("exit code", code);
 * ```
 *
 * @tags allow-ffi, allow-read, allow-write
 */
export class WASI {
  /** The `wasi_snapshot_preview1` import module. */
  readonly wasiImport: Record<string, Syscall>;
  /** The `"mmap"` import module. */
  readonly mmapImport: Record<string, Syscall>;
  #fds = new FdTable();
  #memory: WebAssembly.Memory | undefined;
  #exitCode: number | undefined;
  #started = false;

  /**
   * Sets up a host: the guest's arguments and environment, its preopened
   * directories (descriptors 3, 4, ... in the order given) and its standard
   * streams.
   *
   * @param options arguments, environment, preopened directories, standard streams
   * @throws {TypeError} bad options, a preopen that is not a directory
   *
   * @example
   * ```ts
   * import { WASI } from "@seed/mmap/wasm";
   * const out: string[] = [];
   * const wasi = new WASI({
   *   args: ["prog"],
   *   env: { LANG: "C" },
   *   stdout: (bytes) => out.push(new TextDecoder().decode(bytes)),
   * });
   * console.log(Object.keys(wasi.getImportObject())); // [ "wasi_snapshot_preview1", "mmap" ]
   * ```
   */
  constructor(options?: WASIOptions) {
    const o = checkOptions(
      options,
      ["args", "env", "preopens", "stdin", "stdout", "stderr", "memory"],
      "WASI",
    ) as WASIOptions;
    if (o.memory !== undefined && !isMemory(o.memory)) {
      throw new TypeError("memory must be a WebAssembly.Memory");
    }
    this.#memory = o.memory;
    const args = argList(o.args);
    const env = ownList<Uint8Array>();
    const vars = record(o.env, "env");
    for (let i = 0; i < vars.length; i += 2) {
      appendOwn(env, encodeUtf8(`${vars[i]}=${StringCtor(vars[i + 1])}`));
    }
    const stdin = toStream(o.stdin, 0, "stdin", true);
    const stdout = toStream(o.stdout, 1, "stdout", false);
    const stderr = toStream(o.stderr, 2, "stderr", false);
    this.#addStream(stdin, STDIN_RIGHTS);
    this.#addStream(stdout, STDOUT_RIGHTS);
    this.#addStream(stderr, STDOUT_RIGHTS);
    const preopens = record(o.preopens, "preopens");
    for (let i = 0; i < preopens.length; i += 2) {
      const guest = preopens[i] as string, host = preopens[i + 1];
      const root = realpathSync(toPath(host));
      if (!statSync(root).isDirectory()) {
        throw new TypeError(`preopen ${guest}: ${root} is not a directory`);
      }
      this.#fds.add({
        kind: "dir",
        root,
        // Checked by every call that builds a host path from root (liveRoot).
        id: dirId(lstatFull(root)),
        preopen: guest,
        filetype: FILETYPE.DIRECTORY,
        flags: 0,
        rights: DIR_RIGHTS,
        inheriting: DIR_RIGHTS | FILE_RIGHTS,
      });
    }
    let view: GuestView | undefined;
    const ctx: HostContext = {
      fds: this.#fds,
      // One view per memory.buffer: it changes only when the memory grows.
      view: () => {
        const memory = ctx.memory();
        if (view?.buffer !== memoryBuffer(memory)) view = new GuestView(memory);
        return view;
      },
      memory: () => {
        if (!this.#memory) throw new Errno(ERRNO.FAULT);
        return this.#memory;
      },
      args,
      env,
      exit: (code) => {
        this.#exitCode = code;
        throw new WASIProcExit(code);
      },
    };
    const calls = { ...fdCalls(ctx), ...pathCalls(ctx), ...miscCalls(ctx) };
    this.wasiImport = this.#guardAll(calls);
    this.mmapImport = this.#guardAll(guestMmap(ctx));
  }

  /** An import module: each call guarded, by own names (no iterator, no `map`). */
  #guardAll(calls: Record<string, Syscall>): Record<string, Syscall> {
    const out: Record<string, Syscall> = {};
    const names = objectKeys(calls);
    for (let i = 0; i < names.length; i++) setOwn(out, names[i]!, this.#guard(calls[names[i]!]!));
    return out;
  }

  #addStream(stream: Stream, rights: number): void {
    this.#fds.add({
      kind: "stream",
      stream,
      filetype: streamType(stream),
      flags: 0,
      rights,
      inheriting: 0,
    });
  }

  /** Every call returns an errno; only `proc_exit` unwinds, and keeps unwinding after it. */
  #guard(fn: Syscall): Syscall {
    const exited = () => this.#exitCode;
    // A plain function and `arguments`: engines pass them on without
    // building an array, which rest parameters would on every call.
    return function (this: unknown) {
      const code = exited();
      if (code !== undefined) throw new WASIProcExit(code);
      try {
        return reflectApply(fn, undefined, arguments) ?? ERRNO.SUCCESS;
      } catch (e) {
        if (e instanceof WASIProcExit) throw e;
        return errnoOf(e);
      }
    };
  }

  /**
   * The imports a guest needs: `wasi_snapshot_preview1` and `mmap`.
   *
   * @returns an import object for `WebAssembly.instantiate`
   *
   * @example
   * ```ts
   * import { WASI } from "@seed/mmap/wasm";
   * const imports = new WASI().getImportObject();
   * console.log(typeof imports.mmap.map); // "function"
   * ```
   */
  getImportObject(): {
    wasi_snapshot_preview1: Record<string, Syscall>;
    mmap: Record<string, Syscall>;
  } {
    return { wasi_snapshot_preview1: this.wasiImport, mmap: this.mmapImport };
  }

  #bind(instance: WebAssembly.Instance): Record<string, unknown> {
    const exports = instance?.exports as Record<string, unknown> | undefined;
    if (!exports) throw new TypeError("instance must be a WebAssembly.Instance");
    if (!this.#memory) {
      if (!isMemory(exports.memory)) {
        throw new TypeError("the instance exports no memory: pass options.memory");
      }
      this.#memory = exports.memory;
    }
    return exports;
  }

  /**
   * Runs a command guest's `_start` and returns its exit code: 0 when
   * `_start` returns, the code given to `proc_exit` otherwise. Closes the
   * host descriptors the guest left open. Call it once.
   *
   * @param instance the instantiated guest
   * @returns the exit code
   * @throws {TypeError} no `_start` or no memory
   * @throws {Error} a second call; or whatever trap the guest hits (`RuntimeError`)
   *
   * @example
   * ```ts ignore
   * import { WASI } from "@seed/mmap/wasm";
   * const wasi = new WASI({ args: ["hello"] });
   * const { instance } = await WebAssembly.instantiate(Deno.readFileSync("hello.wasm"), wasi.getImportObject());
   * Deno.exit(wasi.start(instance));
   * ```
   */
  start(instance: WebAssembly.Instance): number {
    if (this.#started) throw new Error("WASI.start() or initialize() was already called");
    const exports = this.#bind(instance);
    if (typeof exports._start !== "function") throw new TypeError("the instance exports no _start");
    this.#started = true;
    try {
      (exports._start as () => void)();
      return 0;
    } catch (e) {
      if (e instanceof WASIProcExit) return e.code;
      throw e;
    } finally {
      this.close();
    }
  }

  /**
   * Prepares a reactor guest: binds its memory and runs `_initialize` if it
   * exports one. Its exported functions can then be called; `close()` when
   * done.
   *
   * @param instance the instantiated guest
   * @throws {TypeError} no memory
   *
   * @example
   * ```ts ignore
   * import { WASI } from "@seed/mmap/wasm";
   * const wasi = new WASI({ preopens: { ".": "." } });
   * const { instance } = await WebAssembly.instantiate(Deno.readFileSync("lib.wasm"), wasi.getImportObject());
   * wasi.initialize(instance);
   * ```
   */
  initialize(instance: WebAssembly.Instance): void {
    if (this.#started) throw new Error("WASI.start() or initialize() was already called");
    const exports = this.#bind(instance);
    this.#started = true;
    if (typeof exports._initialize === "function") (exports._initialize as () => void)();
  }

  /**
   * Closes every host descriptor the guest holds. `start()` does this on
   * its own. Mapped files stay mapped: their pages belong to the memory.
   *
   * @example
   * ```ts
   * import { WASI } from "@seed/mmap/wasm";
   * const wasi = new WASI();
   * wasi.close();
   * ```
   */
  close(): void {
    this.#fds.closeAll();
  }

  /**
   * Closes at the end of a `using` block.
   *
   * @example
   * ```ts
   * import { WASI } from "@seed/mmap/wasm";
   * {
   *   using _wasi = new WASI();
   * }
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}
