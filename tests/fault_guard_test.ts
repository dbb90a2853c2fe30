// The fault guard (ffi/guard/): a file that shrinks under a map never kills
// the process. The cases run in child processes (tests/_fault_child.ts), so
// that a death is an exit status asserted here, not a lost test run; the
// child has truncate(1) cut its files, as another process would.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { casesOf, type ChildRun, runtime, tempDir } from "./_helpers.ts";
import { emulated } from "./_emulation.ts";

const child = new URL("./_fault_child.ts", import.meta.url).pathname;
/** A child process takes a second natively, and up to a minute under emulated aarch64. */
const CHILD_LIMIT = emulated ? 150_000 : 30_000;
/** Room for two children (the signal case), each run twice if it hangs under emulation. */
const SLOW = { timeout: emulated ? 660_000 : 180_000 };

interface Run {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one case of the child under the current runtime. A child that hangs is
 * killed and reported, so that a hang fails this case instead of stopping the
 * run (spawnSync blocks the test runner's own timeout). Under emulation a
 * child that hung is run once more: on a loaded machine qemu-user has been
 * seen to hang a child that was sent SIGBUS with kill() (the same case passed
 * in 19 s alone); natively a hang is a failure at once.
 */
function run(name: string, env: Record<string, string> = {}): ChildRun {
  const first = runOnce(name, env);
  return first.hung && emulated ? runOnce(name, env) : first;
}

function runOnce(name: string, env: Record<string, string>): ChildRun & { hung: boolean } {
  const dir = tempDir("mmap-fault-");
  try {
    const args = runtime === "deno" ? ["run", "--allow-all", child, name, dir.dir] : [
      child,
      name,
      dir.dir,
    ];
    const limit = name.includes(",") ? 2 * CHILD_LIMIT : CHILD_LIMIT;
    const res = spawnSync(process.execPath, args, {
      encoding: "utf8",
      env: { ...process.env, ...env },
      timeout: limit,
      killSignal: "SIGKILL",
    });
    const hung = (res.error as { code?: string } | undefined)?.code === "ETIMEDOUT";
    const stderr = hung ? `the child hung: killed after ${limit} ms\n${res.stderr}` : res.stderr;
    return { status: res.status, signal: res.signal, stdout: res.stdout, stderr, hung };
  } finally {
    dir.cleanup();
  }
}

/**
 * The cases that must only survive, run one after another in one child: a
 * death there fails each of them with the exit status, and the `@case` lines
 * printed before it say which cases had finished.
 */
const SURVIVORS = ["loads", "methods", "stores", "descriptor", "concat", "guest"];
const survivor = casesOf(SURVIVORS, () => run(SURVIVORS.join(",")));

/** The child's JSON line for `name`, after checking that it lived and exited 0. */
function survived(name: string): Record<string, unknown> {
  if (SURVIVORS.includes(name)) return survivor(name) as Record<string, unknown>;
  const r = run(name);
  assert.equal(
    r.status,
    0,
    `case ${name}: exit ${r.status} (signal ${r.signal})\n${r.stdout}\n${r.stderr}`,
  );
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

let unguarded: ChildRun | undefined;
/** The "off" case with the guard switched off, run once for the two tests that compare with it. */
function unguardedRun(): ChildRun {
  return unguarded ??= run("off", { SEED_MMAP_GUARD: "0" });
}

/** True when the child died of SIGBUS: by the signal, or by a handler's exit 135. */
function diedOfSigbus(r: ChildRun): boolean {
  return r.signal === "SIGBUS" || r.status === 135;
}

const EVERY_METHOD_FAILS = {
  length: "EIO",
  bytes: "EIO",
  view: "EIO",
  read: "EIO",
  at: "EIO",
  find: "EIO",
  count: "EIO",
  tell: "EIO",
  seek: "EIO",
  size: "EIO",
  flush: "EIO",
};

describe(`fault guard (${runtime}, cases in child processes)`, () => {
  it(
    "loads through bytes, view() and dataView() of a cut file read zeros; every method then throws",
    SLOW,
    () => {
      const out = survived("loads");
      for (const access of ["read", "write", "copy"]) {
        const r = out[access] as Record<string, unknown>;
        assert.deepEqual(
          { ...r, repr: undefined },
          {
            kept: 7,
            bytes: 0,
            view: 0,
            dataView: 0,
            faulted: true,
            closed: false,
            methods: EVERY_METHOD_FAILS,
            repr: undefined,
            closedAfterClose: true,
            afterClose: "threw TypeError: mmap closed or invalid",
          },
          access,
        );
        assert.match(String(r.repr), /^<MMap closed=false/);
      }
    },
  );

  it(
    "each searching, copying and storing method that meets a lost page throws the fault error",
    SLOW,
    () => {
      const out = survived("methods");
      for (const [method, result] of Object.entries(out)) {
        if (method.startsWith("kernel")) assert.deepEqual(result, ["EIO", true], method);
        else assert.deepEqual(result, ["EIO", true, false], method);
      }
      assert.equal(Object.keys(out).length, 26);
    },
  );

  it("stores past the new end land in a zero page and never reach the file", SLOW, () => {
    assert.deepEqual(survived("stores"), {
      readBack: [42, 9],
      size: 4096,
      fileFirstPage: true,
      flush: "EIO",
      faulted: true,
      sizeAfterClose: 4096,
      unasked: [0, true],
    });
  });

  it("new MMap(fd) and MMap.shared are guarded", SLOW, () => {
    assert.deepEqual(survived("descriptor"), { fd: [0, true, "EIO"], shared: [0, true, "EIO"] });
  });

  it("a cut file under MMapConcat reads zeros and its path is in the error", SLOW, () => {
    assert.deepEqual(survived("concat"), {
      read: [1, 2, 0, 3],
      faulted: true,
      find: "EIO",
      closed: false,
      count: "EIO",
    });
  });

  it("a WebAssembly guest over mapIntoMemory loads zeros; flush() then throws", SLOW, () => {
    assert.deepEqual(survived("guest"), {
      load: [7, 0, 0],
      faulted: true,
      flush: "EIO",
      closed: true,
      second: [0, true],
    });
  });

  it("a Worker's map faults: the Worker lives, reuses the process's one handler", SLOW, () => {
    const out = survived("worker");
    assert.deepEqual(out.worker, {
      lost: 0,
      faulted: true,
      error: "EIO",
      status: { active: true, reason: "reused the handler another copy of @seed/mmap installed" },
    });
    assert.deepEqual(out.main, [7, false, { active: true, reason: "installed" }]);
    assert.deepEqual(out.handlers, { installed: true, previousIsOurs: false });
  });

  it("a second copy of the library reuses the handler and its table", SLOW, () => {
    const out = survived("twice");
    assert.equal(out.distinct, true);
    assert.deepEqual(out.copy, [0, true, "EIO", {
      active: true,
      reason: "reused the handler another copy of @seed/mmap installed",
    }]);
    assert.deepEqual(out.first, [7, false, { active: true, reason: "installed" }]);
    assert.deepEqual(out.handlers, { installed: true, previousIsOurs: false });
  });

  it(
    "a fault outside every guarded range reaches the runtime's own handler and kills, as before",
    SLOW,
    () => {
      const r = run("unguarded");
      assert.ok(diedOfSigbus(r), `exit ${r.status} (signal ${r.signal}): ${r.stderr}`);
      assert.deepEqual(JSON.parse(r.stdout.trim().split("\n")[0]), {
        status: { active: true, reason: "installed" },
        guarded: 7,
      });
      // The same death as with no guard at all (the runtime's crash report, if it prints one).
      const before = unguardedRun();
      assert.ok(diedOfSigbus(before), `exit ${before.status} (signal ${before.signal})`);
      assert.equal(r.status, before.status);
      assert.equal(r.signal, before.signal);
      const report = (s: string) => /Bus error/.test(s);
      assert.equal(report(r.stderr), report(before.stderr));
    },
  );

  it("SEED_MMAP_GUARD=0 switches the guard off for the process", SLOW, () => {
    const r = unguardedRun();
    assert.ok(diedOfSigbus(r), `exit ${r.status} (signal ${r.signal})`);
    assert.deepEqual(JSON.parse(r.stdout.trim().split("\n")[0]), {
      status: { active: false, reason: "switched off by SEED_MMAP_GUARD" },
    });
  });

  it(
    "a SIGBUS sent with kill() is not a fault: the runtime treats it as it did before",
    SLOW,
    () => {
      const guarded = run("signal");
      const before = run("signal", { SEED_MMAP_GUARD: "0" });
      assert.equal(guarded.status, before.status);
      assert.equal(guarded.signal, before.signal);
    },
  );
});
