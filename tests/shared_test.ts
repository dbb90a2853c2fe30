import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { MMap, MMapOSError, Mutex, notify, wait } from "../mod.ts";
import { shmOpenFile } from "../ffi/shm.ts";
import { closeFd } from "../ffi/files.ts";
import { tempDir } from "./_helpers.ts";
import { patience } from "./_emulation.ts";
import { runtimePath } from "../examples/_peers.ts";
import {
  childResult,
  otherRuntime,
  SLOW,
  thisRuntime,
  uniqueName,
  withRegion,
} from "./sync_helpers.ts";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname);

function osError(code: string, syscall?: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof MMapOSError, `expected MMapOSError, got ${e}`);
    assert.equal(e.code, code);
    if (syscall) assert.equal(e.syscall, syscall);
    return true;
  };
}

describe("MMap.shared", () => {
  it("creates a region under /dev/shm that a second map of the name shares", async () => {
    await withRegion(8192, (name, a) => {
      assert.equal(a.length, 8192);
      assert.equal(statSync(`/dev/shm/${name}`).size, 8192);
      using b = MMap.shared(name);
      assert.equal(b.length, 8192);
      a.view(Int32Array)[100] = 12345;
      assert.equal(b.view(Int32Array)[100], 12345);
      b.write("from b");
      assert.equal(new TextDecoder().decode(a.read(6)), "from b");
    });
  });

  it("treats 'name' and '/name' as the same region", async () => {
    await withRegion(4096, (name, a) => {
      using b = MMap.shared(`/${name}`, 4096);
      b.bytes[7] = 99;
      assert.equal(a.bytes[7], 99);
    });
  });

  it("maps the whole region when the length is 0 or omitted, and refuses more", async () => {
    await withRegion(3 * 4096, (name) => {
      using whole = MMap.shared(name, 0);
      assert.equal(whole.length, 3 * 4096);
      using part = MMap.shared(name, 100);
      assert.equal(part.length, 100);
      assert.throws(() => MMap.shared(name, 4 * 4096), RangeError);
    });
  });

  it("fails with ENOENT without create, and EEXIST with exclusive", async () => {
    const name = uniqueName();
    assert.throws(() => MMap.shared(name, 4096), osError("ENOENT", "shm_open"));
    assert.equal(existsSync(`/dev/shm/${name}`), false);
    await withRegion(4096, (taken) => {
      assert.throws(() => MMap.shared(taken, 4096, { exclusive: true }), osError("EEXIST"));
      assert.throws(
        () => MMap.shared(taken, 4096, { create: true, exclusive: true }),
        osError("EEXIST"),
      );
    });
  });

  it("grows a shorter region on create, and never shrinks one", async () => {
    await withRegion(4096, (name) => {
      MMap.shared(name, 3 * 4096, { create: true }).close();
      assert.equal(statSync(`/dev/shm/${name}`).size, 3 * 4096);
      using small = MMap.shared(name, 100, { create: true });
      assert.equal(small.length, 100);
      assert.equal(statSync(`/dev/shm/${name}`).size, 3 * 4096);
    });
  });

  it("refuses to map an empty region", () => {
    const name = uniqueName();
    writeFileSync(`/dev/shm/${name}`, "");
    try {
      assert.throws(() => MMap.shared(name), /cannot mmap an empty file/);
    } finally {
      unlinkSync(`/dev/shm/${name}`);
    }
  });

  it("creates regions with mode 0o600 unless told otherwise", async () => {
    await withRegion(4096, (name) => {
      assert.equal(statSync(`/dev/shm/${name}`).mode & 0o777, 0o600);
    });
    const name = uniqueName();
    MMap.shared(name, 4096, { create: true, mode: 0o640 }).close();
    try {
      assert.equal(statSync(`/dev/shm/${name}`).mode & 0o777, 0o640);
    } finally {
      MMap.unlinkShared(name);
    }
  });

  it("checks names with clear errors", () => {
    assert.throws(() => MMap.shared(42 as unknown as string, 16), {
      name: "TypeError",
      message: "shared memory name must be a string, not number",
    });
    assert.throws(() => MMap.shared("", 16), /must not be empty/);
    assert.throws(() => MMap.shared("/", 16), RangeError);
    assert.throws(() => MMap.shared("a/b", 16, { create: true }), {
      name: "TypeError",
      message: "shared memory name must not contain '/' after its first character: 'a/b'",
    });
    assert.throws(() => MMap.shared("//a", 16), TypeError);
    assert.throws(() => MMap.shared("..", 16), TypeError);
    assert.throws(() => MMap.shared(".", 16), TypeError);
    assert.throws(() => MMap.shared("a\0b", 16), /null byte/);
    assert.throws(() => MMap.shared("x".repeat(256), 16, { create: true }), {
      name: "RangeError",
      message: "shared memory name is too long: 256 bytes, at most 255",
    });
    // Bytes count, not characters: 128 two-byte characters are 256 bytes.
    assert.throws(() => MMap.shared("é".repeat(128), 16), RangeError);
    const longest = uniqueName().padEnd(255, "x");
    MMap.shared(longest, 16, { create: true }).close();
    MMap.unlinkShared(`/${longest}`);
  });

  it("checks the length and options before touching anything", () => {
    const name = uniqueName();
    assert.throws(() => MMap.shared(name, 0, { create: true }), /needs a length above 0/);
    assert.throws(() => MMap.shared(name, -1, { create: true }), RangeError);
    assert.throws(() => MMap.shared(name, 1.5, { create: true }), TypeError);
    assert.throws(() => MMap.shared(name, 16, { create: 1 } as never), TypeError);
    assert.throws(() => MMap.shared(name, 16, { size: 1 } as never), /invalid option/);
    assert.throws(() => MMap.shared(name, 16, { create: true, mode: 0o10000 }), RangeError);
    assert.equal(existsSync(`/dev/shm/${name}`), false);
  });

  it("unlinkShared removes the name while maps stay valid", () => {
    const name = uniqueName();
    using m = MMap.shared(name, 4096, { create: true });
    MMap.unlinkShared(name);
    assert.equal(existsSync(`/dev/shm/${name}`), false);
    m.bytes[0] = 1;
    assert.equal(m.bytes[0], 1);
    assert.throws(() => MMap.shared(name), osError("ENOENT"));
    assert.throws(() => MMap.unlinkShared(name), osError("ENOENT", "shm_unlink"));
    assert.throws(() => MMap.unlinkShared("a/b"), TypeError);
  });

  it("the open() fallback for C libraries without shm_open reaches the same region", async () => {
    await withRegion(4096, (name, m) => {
      const fd = shmOpenFile(`/dev/shm/${name}`, { create: false, exclusive: false, mode: 0o600 });
      try {
        using other = new MMap(fd, 4096);
        other.bytes[5] = 55;
        assert.equal(m.bytes[5], 55);
      } finally {
        closeFd(fd);
      }
    });
  });

  it("the open() fallback refuses a symbolic link in /dev/shm, as glibc's shm_open does", () => {
    const t = tempDir("mmap-shm-link-");
    const name = `seed-link-${process.pid}`;
    try {
      const target = t.path("target.bin");
      writeFileSync(target, new Uint8Array(4096));
      symlinkSync(target, `/dev/shm/${name}`);
      const opened = () =>
        shmOpenFile(`/dev/shm/${name}`, { create: false, exclusive: false, mode: 0o600 });
      assert.throws(opened, osError("ELOOP"));
      const created = () =>
        shmOpenFile(`/dev/shm/${name}`, { create: true, exclusive: false, mode: 0o600 });
      assert.throws(created, osError("ELOOP"));
    } finally {
      unlinkSync(`/dev/shm/${name}`);
      t.cleanup();
    }
  });

  it("resize() grows the region for every map of it", async () => {
    await withRegion(4096, (name, m) => {
      m.resize(8192);
      assert.equal(statSync(`/dev/shm/${name}`).size, 8192);
      using again = MMap.shared(name);
      assert.equal(again.length, 8192);
    });
  });
});

describe("MMap.shared under Deno's permissions", () => {
  // The script comes on stdin: no file to create, and no read access needed.
  const run = (flags: string[], code: string) => {
    const deno = runtimePath("deno");
    const r = spawnSync(deno, ["run", "--no-prompt", ...flags, "-"], {
      input: code,
      encoding: "utf8",
    });
    return { status: r.status, out: r.stdout + r.stderr };
  };

  it(
    "refuses a region whose file under /dev/shm is denied, instead of going around it",
    SLOW,
    () => {
      const name = uniqueName();
      const r = run(
        ["--allow-ffi", "--allow-read", "--allow-write", "--deny-write=/dev/shm"],
        `
      import { MMap } from "${root}mod.ts";
      try { MMap.shared(${JSON.stringify(name)}, 4096, { create: true }); console.log("CREATED"); }
      catch (e) { console.log(e.name, e instanceof Deno.errors.NotCapable, e.message); }
      try { MMap.unlinkShared(${JSON.stringify(name)}); console.log("UNLINKED"); }
      catch (e) { console.log(e.name, e instanceof Deno.errors.NotCapable); }
    `,
      );
      assert.equal(r.status, 0, r.out);
      assert.doesNotMatch(r.out, /CREATED|UNLINKED/);
      assert.match(
        r.out,
        new RegExp(`NotCapable true Requires write access to "/dev/shm/${name}"`),
      );
      assert.equal(existsSync(`/dev/shm/${name}`), false);
    },
  );

  it("works with --allow-ffi alone, as MMap.open does", SLOW, () => {
    const name = uniqueName();
    const r = run(
      ["--allow-ffi"],
      `
      import { MMap } from "${root}mod.ts";
      using m = MMap.shared(${JSON.stringify(name)}, 4096, { create: true });
      m.bytes[0] = 7;
      console.log("ok", m.length);
      MMap.unlinkShared(${JSON.stringify(name)});
    `,
    );
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /ok 4096/);
  });
});

/** Runs the `atomics` child against `target` while this process does the same. */
async function atomicsRace(m: MMap, target: string, n: number): Promise<void> {
  const i32 = m.view(Int32Array, 0, 1);
  const i64 = m.view(BigInt64Array, 8, 1);
  const cas = m.view(Int32Array, 16, 1);
  const ready = m.view(Int32Array, 20, 1);
  const other = childResult<{ done: boolean }>(otherRuntime, "atomics", target, `${n}`);
  Atomics.add(ready, 0, 1);
  notify(ready, 0);
  for (let k = Atomics.load(ready, 0); k < 2; k = Atomics.load(ready, 0)) {
    assert.notEqual(wait(ready, 0, k, patience(20_000)), "timed-out", "the child never arrived");
  }
  for (let i = 0; i < n; i++) {
    Atomics.add(i32, 0, 1);
    Atomics.add(i64, 0, 3n);
    for (;;) {
      const old = Atomics.load(cas, 0);
      if (Atomics.compareExchange(cas, 0, old, old + 2) === old) break;
    }
  }
  assert.deepEqual(await other, { done: true });
  assert.equal(Atomics.load(i32, 0), 2 * n);
  assert.equal(Atomics.load(i64, 0), BigInt(6 * n));
  assert.equal(Atomics.load(cas, 0), 4 * n);
}

describe(`Atomics across processes (${thisRuntime} and ${otherRuntime})`, () => {
  it(
    "Atomics.add, compareExchange, load and store on Int32Array and BigInt64Array of a region",
    SLOW,
    async () => {
      await withRegion(4096, (name, m) => atomicsRace(m, name, 200_000));
    },
  );

  it(
    "the same through an ordinary file that both processes map with ACCESS_WRITE",
    SLOW,
    async () => {
      const t = tempDir("mmap-shared-file-");
      try {
        const path = t.path("state.bin");
        using m = MMap.open(path, { access: "write", create: true, length: 4096 });
        await atomicsRace(m, path, 200_000);
        // A Mutex in the file is just as shared.
        const mutex = new Mutex(m, 64);
        using reopened = MMap.open(path, { access: "write" });
        using _ = mutex.lock();
        assert.equal(new Mutex(reopened, 64).owner, mutex.owner);
      } finally {
        t.cleanup();
      }
    },
  );
});
