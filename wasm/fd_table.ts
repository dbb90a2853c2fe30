/**
 * The WASI host's descriptor table: what each guest fd is (a host file, a
 * directory below a preopen, or a standard stream), with its rights.
 *
 * @module
 */
import { closeFd } from "../ffi/files.ts";
import { ownList } from "../ffi/primordials.ts";
import type { KernelListing } from "../ffi/host_files.ts";
import { Errno } from "./errno.ts";
import { ERRNO } from "./wasi_defs.ts";

/** Where a standard stream's bytes go or come from. */
export type Stream =
  | { kind: "fd"; fd: number }
  | { kind: "sink"; write(data: Uint8Array): void }
  | { kind: "source"; data: Uint8Array; pos: number };

interface Common {
  /** `__wasi_filetype_t`. */
  filetype: number;
  /** `__wasi_fdflags_t`. */
  flags: number;
  rights: number;
  inheriting: number;
}

/** A regular file (or other non-directory) opened on the host. */
export interface FileEntry extends Common {
  kind: "file";
  /** A libc descriptor (`openPath`), not a `node:fs` one. */
  hostFd: number;
  /** The file position: kept here, every read and write is positional. */
  pos: number;
  host: string;
}

/**
 * A directory: the root of every path resolved from it. Paths may not climb
 * above it (`..`, links), as a capability should.
 */
export interface DirEntry extends Common {
  kind: "dir";
  /** The directory's real host path. */
  root: string;
  /**
   * The directory's identity (`dev:ino`) when the entry was made: `root` is
   * only a path, and a directory renamed away and replaced by a symbolic
   * link (or another directory) there would turn every later path call into
   * one on what the link names (see `liveRoot` in sandbox.ts).
   */
  id: string;
  /** The guest name of a preopened directory (`fd_prestat_dir_name`). */
  preopen?: string;
  /**
   * The directory open on the host, for `fd_readdir` (the one `path_open`
   * opened, or one opened at the first listing); closed with the entry.
   */
  hostFd?: number;
  /** Entries read at `fd_readdir` cookie 0, so that later cookies are stable. */
  listing?: DirListing;
}

/** A standard stream. */
export interface StreamEntry extends Common {
  kind: "stream";
  stream: Stream;
}

/** A directory's `fd_readdir` entries, laid out as the guest reads them. */
export interface DirListing {
  /** `__wasi_dirent_t` headers, each followed by its name. */
  bytes: Uint8Array;
  /** Where each entry starts in `bytes`, and where the last one ends. */
  starts: number[];
  /** What the kernel said, where these entries follow from it alone (`getdents64` with types). */
  kernel?: KernelListing;
}

/** Any open guest descriptor. */
export type FdEntry = FileEntry | DirEntry | StreamEntry;

/**
 * Guest fd numbers to entries. Neither the table nor an entry has a
 * prototype: a number the guest never opened, or a field an entry lacks (a
 * preopen's `hostFd`, `listing`), reads `undefined`, whatever a program put
 * on Array.prototype or Object.prototype (an `Object.prototype.hostFd` made
 * `fd_readdir` list, and `fd_close` close, a descriptor of the host's).
 */
export class FdTable {
  #entries: (FdEntry | undefined)[] = ownList();

  /** Puts a copy of `entry` at the lowest free number from `from`; returns the number. */
  add(entry: FdEntry, from = 0): number {
    let fd = from;
    while (this.#entries[fd]) fd++;
    this.#entries[fd] = { __proto__: null, ...entry } as never;
    return fd;
  }

  /** The entry of `fd`, which must have every right in `rights`: else `EBADF`/`ENOTCAPABLE`. */
  get(fd: number, rights = 0): FdEntry {
    const e = this.#entries[fd];
    if (!e) throw new Errno(ERRNO.BADF);
    if ((e.rights & rights) !== rights) throw new Errno(ERRNO.NOTCAPABLE);
    return e;
  }

  /** A directory's entry, with `rights`: else `EBADF`, `ENOTDIR` or `ENOTCAPABLE`. */
  dir(fd: number, rights = 0): DirEntry {
    const e = this.get(fd);
    if (e.kind !== "dir") throw new Errno(ERRNO.NOTDIR);
    if ((e.rights & rights) !== rights) throw new Errno(ERRNO.NOTCAPABLE);
    return e;
  }

  /** A host file's entry, with `rights`: else `EBADF`, `EISDIR`, `ENOTCAPABLE`. */
  file(fd: number, rights = 0): FileEntry | StreamEntry {
    const e = this.get(fd, rights);
    if (e.kind === "dir") throw new Errno(ERRNO.ISDIR);
    return e;
  }

  /** Closes `fd` (and its host descriptor). */
  close(fd: number): void {
    const e = this.get(fd);
    this.#entries[fd] = undefined;
    if (e.kind !== "stream" && e.hostFd !== undefined) closeFd(e.hostFd);
  }

  /**
   * Moves `from` to `to`, closing what `to` was. `to` must be open, or be
   * one of the standard stream numbers 0-2: wasi-libc programs emulate
   * `dup2(fd, 1)` by saving stdout elsewhere (`renumber(1, saved)`), which
   * leaves 1 vacant, then moving a file onto it and later moving the saved
   * stream back (yosys's ABC pass does this around every ABC run). Any
   * other vacant number stays `EBADF`, as wasi-testsuite's renumber test
   * asks: a guest never gets fds it did not open, except where stdio lives.
   */
  renumber(from: number, to: number): void {
    const e = this.get(from);
    if (from === to) return;
    if (to > 2) this.get(to);
    if (this.#entries[to]) this.close(to);
    this.#entries[to] = e;
    this.#entries[from] = undefined;
  }

  /** Closes every host descriptor. */
  closeAll(): void {
    for (let fd = 0; fd < this.#entries.length; fd++) {
      if (this.#entries[fd]) this.close(fd);
    }
  }
}
