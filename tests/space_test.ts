// Space is reserved before it is promised: growing a file for a writable map
// reserves its blocks, so a full file system is ENOSPC from the call that
// asked, not SIGBUS at the first store. Each case runs on a 1 MiB tmpfs that
// the test mounts (root, as CI is); a test that cannot mount fails.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { MMap, MMapOSError } from "../mod.ts";
import { mapIntoMemory } from "../wasm/mod.ts";
import { writeZeroBlocks } from "../ffi/space.ts";
import { closeFd, openFile } from "../ffi/files.ts";
import { fdsOn, fileBytes, runtime, text } from "./_helpers.ts";

const MiB = 1 << 20;
const child = decodeURIComponent(new URL("./_space_child.ts", import.meta.url).pathname);

/** A fresh 1 MiB tmpfs on a directory of its own, unmounted and removed by `cleanup`. */
function tinyTmpfs(): { dir: string; path(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `mmap-space-${process.pid}-`));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], {
    encoding: "utf8",
  });
  if (r.status !== 0) {
    rmdirSync(dir);
    throw new Error(
      `cannot mount a 1 MiB tmpfs on ${dir} (these tests need root, as CI runs): ` +
        `${r.stderr || r.error}`,
    );
  }
  return {
    dir,
    path: (name) => join(dir, name),
    cleanup: () => {
      // A map a failed test left open keeps the mount busy: detach it lazily
      // (the kernel frees it with the last map), so the failure shows, not this.
      if (spawnSync("umount", [dir]).status !== 0) spawnSync("umount", ["-l", dir]);
      rmdirSync(dir);
    },
  };
}

/** Runs `body` with a fresh 1 MiB tmpfs, unmounted afterwards whatever happens. */
function withTinyTmpfs(body: (fs: ReturnType<typeof tinyTmpfs>) => void): void {
  const fs = tinyTmpfs();
  try {
    body(fs);
  } finally {
    fs.cleanup();
  }
}

function isENOSPC(syscall: string, path?: string) {
  return (e: unknown) => {
    assert.ok(e instanceof MMapOSError, String(e));
    assert.equal(e.code, "ENOSPC");
    assert.equal(e.syscall, syscall);
    assert.equal(e.path, path);
    return true;
  };
}

/** What one case of `_space_child.ts` printed: its JSON lines, and the rest. */
interface CaseOutput {
  lines: Record<string, unknown>[];
  text: string[];
}

/**
 * Runs `_space_child.ts` on the `<case> <target>` pairs `args` (under
 * `unshare -m` and a command first, with `inNamespace`); `cases` holds what
 * each case printed after its `@case` line.
 */
function runChild(args: string[], inNamespace?: string) {
  const exe = process.execPath;
  const argv = runtime === "deno" ? ["run", "--allow-all", child, ...args] : [child, ...args];
  const res = inNamespace === undefined
    ? spawnSync(exe, argv, { encoding: "utf8" })
    : spawnSync("unshare", [
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      `${inNamespace} && exec "$0" "$@"`,
      exe,
      ...argv,
    ], { encoding: "utf8" });
  const cases = new Map<string, CaseOutput>();
  let current: CaseOutput = { lines: [], text: [] };
  for (const l of (res.stdout ?? "").split("\n")) {
    const start = /^@case (\w+)$/.exec(l);
    if (start) cases.set(start[1]!, current = { lines: [], text: [] });
    else if (l.startsWith("{")) current.lines.push(JSON.parse(l));
    else if (l !== "") current.text.push(l);
  }
  const only = cases.size === 1 ? [...cases.values()][0]! : { lines: [], text: [] };
  return { status: res.status, signal: res.signal, stderr: res.stderr, cases, ...only };
}

/**
 * The cases that cannot die and change no global share one child, each on a
 * 1 MiB tmpfs of its own (mounted until the suite ends, unmounted by
 * `unmountShared`): a crash there fails each of them, with the cases that
 * had started named. The file or folder each case works on, by case.
 */
const SHARED = { open: "fill.bin", ring: "ring.bin", guest: "" } as const;
let shared:
  | { fs: Map<string, ReturnType<typeof tinyTmpfs>>; out: ReturnType<typeof runChild> }
  | undefined;

/** What shared case `how` printed, and its tmpfs. */
function sharedCase(how: keyof typeof SHARED): {
  fs: ReturnType<typeof tinyTmpfs>;
  target: string;
  out: CaseOutput;
} {
  if (!shared) {
    const fs = new Map<string, ReturnType<typeof tinyTmpfs>>();
    try {
      for (const name of Object.keys(SHARED)) fs.set(name, tinyTmpfs());
    } catch (e) {
      for (const f of fs.values()) f.cleanup();
      throw e;
    }
    const args = Object.entries(SHARED).flatMap(([name, file]) => {
      const f = fs.get(name)!;
      return [name, file ? f.path(file) : f.dir];
    });
    shared = { fs, out: runChild(args) };
  }
  const { fs, out } = shared;
  assert.equal(
    out.status,
    0,
    `${how}: cases ${Object.keys(SHARED)} (started: ${[...out.cases.keys()]}): ` +
      `${out.status} ${out.signal} ${out.stderr}`,
  );
  const f = fs.get(how)!;
  const got = out.cases.get(how);
  assert.ok(got, `case ${how} printed nothing`);
  return { fs: f, target: SHARED[how] ? f.path(SHARED[how]) : f.dir, out: got };
}

/** Unmounts the shared cases' tmpfs folders. */
function unmountShared(): void {
  for (const f of shared?.fs.values() ?? []) f.cleanup();
  shared = undefined;
}

describe("space is reserved before it is promised", () => {
  after(unmountShared);

  it("MMap.open with create: ENOSPC from posix_fallocate, no map, no file left behind", () => {
    withTinyTmpfs((fs) => {
      const path = fs.path("new.bin");
      assert.throws(
        () => MMap.open(path, { access: "write", create: true, length: 8 * MiB }),
        isENOSPC("posix_fallocate", path),
      );
      assert.equal(existsSync(path), false, "the file this call created is removed");
      assert.deepEqual(fdsOn(fs.dir), [], "no descriptor leaks");
      // The same call that fits succeeds, and its blocks are there.
      using m = MMap.open(path, { access: "write", create: true, length: MiB / 2 });
      m.bytes.fill(7);
      assert.equal(statSync(path).size, MiB / 2);
      assert.ok(statSync(path).blocks * 512 >= MiB / 2, "the blocks were allocated");
    });
  });

  it("MMap.open with create on a shorter file: ENOSPC, the file keeps its size and bytes", () => {
    withTinyTmpfs((fs) => {
      const path = fs.path("old.bin");
      writeFileSync(path, "kept bytes");
      assert.throws(
        () => MMap.open(path, { access: "write", create: true, length: 8 * MiB }),
        isENOSPC("posix_fallocate", path),
      );
      assert.equal(statSync(path).size, 10);
      assert.equal(text(fileBytes(path)), "kept bytes");
    });
  });

  it("resize() that cannot reserve leaves the map exactly as it was", () => {
    withTinyTmpfs((fs) => {
      const path = fs.path("grow.bin");
      writeFileSync(path, "0123456789");
      using m = MMap.open(path, { access: "write" });
      const view = m.view(Uint8Array);
      const bytes = m.bytes;
      m.seek(4);
      assert.throws(() => m.resize(8 * MiB), isENOSPC("posix_fallocate", path));
      assert.equal(m.length, 10);
      assert.equal(m.tell(), 4);
      assert.equal(m.size(), 10);
      assert.equal(statSync(path).size, 10);
      // Views handed out before are still attached to the same memory.
      assert.equal(view.length, 10);
      assert.equal(bytes.length, 10);
      view[0] = 0x41;
      assert.equal(text(m.slice(0, 4)), "A123");
      assert.equal(m.bytes, bytes);
      // A size that fits works, and its new bytes are backed.
      m.resize(MiB / 2);
      assert.equal(m.length, MiB / 2);
      assert.ok(statSync(path).blocks * 512 >= MiB / 2);
      m.bytes.fill(1, 10);
      m.resize(4);
      assert.equal(statSync(path).size, 4);
    });
  });

  it("sparse: true keeps the hole (open and resize), as documented", () => {
    withTinyTmpfs((fs) => {
      const path = fs.path("sparse.bin");
      using m = MMap.open(path, { access: "write", create: true, length: 8 * MiB, sparse: true });
      assert.equal(m.length, 8 * MiB);
      assert.equal(statSync(path).size, 8 * MiB);
      assert.ok(statSync(path).blocks * 512 < MiB, "no blocks were reserved");
      // A sparse map grows sparse by default; sparse: false reserves again.
      m.resize(16 * MiB);
      assert.equal(statSync(path).size, 16 * MiB);
      assert.throws(() => m.resize(24 * MiB, { sparse: false }), isENOSPC("posix_fallocate", path));
      assert.equal(m.length, 16 * MiB);
      assert.equal(statSync(path).size, 16 * MiB);
      assert.throws(() => m.resize(1, { sparse: 1 as unknown as boolean }), TypeError);
      assert.throws(() => m.resize(1, { spares: true } as never), TypeError);
    });
  });

  it("read and copy maps of a file it grows are reserved too: on tmpfs a read fault takes a page", () => {
    withTinyTmpfs((fs) => {
      for (const access of ["read", "copy"] as const) {
        const path = fs.path(`${access}.bin`);
        assert.throws(
          () => MMap.open(path, { access, create: true, length: 8 * MiB }),
          isENOSPC("posix_fallocate", path),
        );
        assert.equal(existsSync(path), false);
        using m = MMap.open(path, { access, create: true, length: 8 * MiB, sparse: true });
        assert.equal(m.length, 8 * MiB);
      }
    });
  });

  it("a map that fails after the file grew leaves the file system as found (sparse, no room to map)", () => {
    withTinyTmpfs((fs) => {
      // 2^47 bytes is all of x86_64's user address space: mmap/mremap refuse it.
      const path = fs.path("huge.bin");
      assert.throws(
        () => MMap.open(path, { access: "write", create: true, length: 2 ** 47, sparse: true }),
        (e: unknown) => e instanceof MMapOSError && e.code === "ENOMEM" && e.syscall === "mmap",
      );
      assert.equal(existsSync(path), false, "the file this call created is removed");
      writeFileSync(path, "hello");
      assert.throws(
        () => MMap.open(path, { access: "write", create: true, length: 2 ** 47, sparse: true }),
        (e: unknown) => e instanceof MMapOSError && e.code === "ENOMEM",
      );
      assert.equal(statSync(path).size, 5, "the file is cut back to its size");
      assert.deepEqual(fdsOn(fs.dir), [], "no descriptor leaks");
      using m = MMap.open(path, { access: "write", sparse: true });
      assert.throws(() => m.resize(2 ** 47), MMapOSError);
      assert.equal(m.length, 5);
      assert.equal(statSync(path).size, 5, "resize cuts the file back when the map cannot grow");
      assert.equal(text(m.slice()), "hello");
    });
  });

  it("the store that used to die of SIGBUS is now ENOSPC at open, the file unchanged", () => {
    const { target: path, out } = sharedCase("open");
    assert.deepEqual(out.lines, [
      { error: "ENOSPC", syscall: "posix_fallocate", path },
      { exists: false, size: null },
    ]);
  });

  it("with sparse: true the risk is real: the fill dies of SIGBUS or the fault guard catches it", () => {
    withTinyTmpfs((fs) => {
      const path = fs.path("hole.bin");
      const res = runChild(["sparse", path]);
      assert.deepEqual(res.lines[0], { opened: 8 * MiB }, res.stderr);
      const died = res.signal === "SIGBUS" || res.status === 135;
      const guarded = res.lines[1]?.faulted === true;
      assert.ok(died || guarded, `${res.status} ${res.signal} ${JSON.stringify(res.lines)}`);
    });
  });

  it("a Ring over a hole of a full file system: its first store is EIO from the constructor, in a child", () => {
    assert.deepEqual(sharedCase("ring").out.lines, [{ error: "EIO", faulted: true }]);
  });

  it("MMap.shared with create on a full /dev/shm: ENOSPC, no region left behind", () => {
    // A private mount namespace, so that only this child sees a 1 MiB /dev/shm.
    const name = `mmap-space-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const res = runChild(["shared", name], "mount -t tmpfs -o size=1m tmpfs /dev/shm");
    assert.equal(res.status, 0, `${res.status} ${res.signal} ${res.stderr}`);
    assert.deepEqual(res.lines, [
      { error: "ENOSPC", syscall: "posix_fallocate", path: `/${name}` },
      { exists: false },
      { error: "ENOSPC", syscall: "posix_fallocate", path: `/${name}` },
      { exists: true, size: 5 },
      { sparse: 8 * MiB, size: 8 * MiB },
    ]);
    assert.equal(existsSync(`/dev/shm/${name}`), false, "the real /dev/shm was never touched");
  });

  it("a WASI guest's shared writable map of a hole, and its posix_fallocate: ENOSPC, in a child", () => {
    const { fs, out: res } = sharedCase("guest");
    assert.deepEqual(res.text, [
      "ftruncate 8 MiB: ok",
      "shared map of the hole: ENOSPC",
      "posix_fallocate 8 MiB: ENOSPC",
      "size after: 0",
      "posix_fallocate 256 KiB: ok",
      "size after: 262144",
      "ftruncate hole to 256 KiB: ok",
      "shared map that fits: ok",
      "sync: ok",
    ]);
    assert.deepEqual(res.lines, [{ code: 0 }]);
    assert.ok(statSync(fs.path("small.bin")).blocks * 512 >= 256 * 1024, "fd_allocate allocated");
  });

  it("mapIntoMemory with access write over a hole: ENOSPC and nothing mapped", () => {
    withTinyTmpfs((fs) => {
      const path = fs.path("hole.bin");
      writeFileSync(path, "");
      truncateSync(path, 8 * MiB);
      const grown = new WebAssembly.Memory({ initial: 1 });
      assert.throws(
        () => mapIntoMemory(grown, path, { access: "write" }),
        isENOSPC("posix_fallocate", path),
      );
      // Nothing was left mapped: the range maps again (read: private, no reservation).
      using r = mapIntoMemory(grown, path, { access: "read" });
      assert.equal(r.length, 8 * MiB);
      assert.equal(new Uint8Array(grown.buffer, r.address, r.length)[8 * MiB - 1], 0);
    });
  });

  it("the fallback where posix_fallocate cannot (glibc's one byte per block) keeps data, or is ENOSPC", () => {
    withTinyTmpfs((fs) => {
      const path = fs.path("fallback.bin");
      // "data" ends on the byte the fallback would write in the first block.
      const head = new Uint8Array(4096);
      head.set(new TextEncoder().encode("data"), 4092);
      writeFileSync(path, head);
      truncateSync(path, 64 * 1024);
      const fd = openFile(path, { write: true });
      try {
        writeZeroBlocks(fd, 0, 256 * 1024, path);
        assert.equal(statSync(path).size, 256 * 1024);
        assert.ok(statSync(path).blocks * 512 >= 256 * 1024, "every block was written");
        assert.equal(text(fileBytes(path).subarray(4092, 4096)), "data");
        assert.throws(() => writeZeroBlocks(fd, 0, 8 * MiB, path), isENOSPC("pwrite", path));
      } finally {
        closeFd(fd);
      }
    });
  });
});
