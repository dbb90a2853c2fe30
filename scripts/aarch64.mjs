#!/usr/bin/env node
// Runs a command under the Linux aarch64 build of the pinned Deno or Bun,
// emulated by qemu-user, on an x86_64 Linux machine. Sets up what it needs on
// first use: Debian's qemu-user and aarch64 C library, the runtimes' aarch64
// npm packages (unpacked into a cache folder outside the repository), and a
// binfmt_misc handler, so that the emulated runtime's own child processes
// (tests start many) run emulated too.
//
// Usage:
//   node scripts/aarch64.mjs deno ARGS...   e.g. deno test -A tests/io_test.ts
//   node scripts/aarch64.mjs bun ARGS...    e.g. bun test tests/io_test.ts
//   node scripts/aarch64.mjs test [deno|bun] [-- FILES...]
//       the suite (scripts/test.mjs) under the emulated runtimes, in two
//       lanes at once (see suite() below), ending with one totals line
//   node scripts/aarch64.mjs setup          set up only, and say what is there
// (or `npm run aarch64 -- ...`).
//
// The command runs with SEED_EMULATED=1, which tells the tests to run their
// slowest cases on smaller inputs (tests/_emulation.ts), and with the emulated
// runtimes first on PATH and in SEED_DENO / SEED_BUN, where the suite and the
// examples look for "the other runtime".
//
// Environment: SEED_AARCH64_CACHE (default ~/.cache/seed-mmap/aarch64).
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { exitWhenWritten } from "./_exit.mjs";

const root = new URL("..", import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** The C library and dynamic loader of Debian's libc6-arm64-cross. */
const sysroot = "/usr/aarch64-linux-gnu";
const loader = `${sysroot}/lib/ld-linux-aarch64.so.1`;
/** Debian's qemu looks for the guest's libraries here when QEMU_LD_PREFIX is unset. */
const defaultPrefix = "/etc/qemu-binfmt/aarch64";
/** libgcc_s: Deno links it; libc6-arm64-cross does not bring it. */
const aptPackages = ["qemu-user", "libc6-arm64-cross", "libgcc-s1-arm64-cross"];
const binfmtDir = "/proc/sys/fs/binfmt_misc";
const binfmtName = "qemu-aarch64";
// qemu's standard aarch64 ELF magic and mask (qemu's scripts/qemu-binfmt-conf.sh).
// Flags: F opens the interpreter now, so it also serves in other mount
// namespaces (tests use `unshare -m`).
const binfmtLine = ":qemu-aarch64:M::" +
  "\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:" +
  "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:" +
  "/usr/bin/qemu-aarch64:F";

/** The runtimes: npm package of the aarch64 build, and the binary's path inside it. */
const runtimes = {
  deno: { npm: "@deno/linux-arm64-glibc", version: pkg.devDependencies.deno, file: "deno" },
  bun: { npm: "@oven/bun-linux-aarch64", version: pkg.devDependencies.bun, file: "bin/bun" },
};

const cache = process.env.SEED_AARCH64_CACHE ?? join(homedir(), ".cache", "seed-mmap", "aarch64");
const isRoot = process.getuid?.() === 0;

function say(msg) {
  console.error(`aarch64: ${msg}`);
}

function fail(msg) {
  say(msg);
  process.exit(2);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], ...opts });
  return r.status === 0;
}

/** Debian's qemu-user and the aarch64 C library, installed with apt where we are root. */
function ensurePackages() {
  const have = () =>
    spawnSync("sh", ["-c", "command -v qemu-aarch64"], { stdio: "ignore" }).status === 0 &&
    existsSync(loader) && existsSync(`${sysroot}/lib/libgcc_s.so.1`);
  if (have()) return;
  const cmd = `apt-get install -y ${aptPackages.join(" ")}`;
  if (!isRoot) fail(`qemu-user or the aarch64 C library is missing; as root, run: ${cmd}`);
  say(`installing ${aptPackages.join(", ")} with apt-get`);
  // Wait for another apt run rather than fail on its lock.
  const apt = (...a) =>
    run("apt-get", ["-o", "DPkg::Lock::Timeout=900", "-qq", ...a], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  if (!apt("install", "-y", ...aptPackages)) {
    if (!apt("update") || !apt("install", "-y", ...aptPackages)) fail(`${cmd} failed`);
  }
  if (!have()) fail(`${cmd} ran, but qemu-aarch64 or ${loader} is still missing`);
}

/** True when `file` is a 64-bit little-endian ELF file for aarch64 (e_machine 183). */
function isAarch64Elf(file) {
  if (!existsSync(file)) return false;
  const fd = openSync(file, "r");
  try {
    const b = Buffer.alloc(20);
    readSync(fd, b, 0, 20, 0);
    return b.readUInt32BE(0) === 0x7f454c46 && b[4] === 2 && b.readUInt16LE(18) === 183;
  } finally {
    closeSync(fd);
  }
}

/** The aarch64 binary of `name`, fetched with `npm pack` into the cache on first use. */
function ensureRuntime(name) {
  const rt = runtimes[name];
  const dir = join(cache, `${name}-${rt.version}`);
  const bin = join(dir, rt.file);
  if (isAarch64Elf(bin)) return bin;
  say(`fetching ${rt.npm}@${rt.version} with npm pack`);
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, `.${name}-`));
  try {
    const packed = spawnSync("npm", ["pack", "--silent", `${rt.npm}@${rt.version}`], {
      cwd: tmp,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    const tgz = packed.stdout?.trim().split("\n").pop();
    if (packed.status !== 0 || !tgz) fail(`npm pack ${rt.npm}@${rt.version} failed`);
    if (!run("tar", ["xzf", join(tmp, tgz), "-C", tmp])) fail(`could not unpack ${tgz}`);
    if (!isAarch64Elf(join(tmp, "package", rt.file))) {
      fail(`${rt.npm}@${rt.version} has no aarch64 ELF file at ${rt.file}`);
    }
    chmodSync(join(tmp, "package", rt.file), 0o755);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(tmp, "package"), dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

/**
 * A binfmt_misc handler for aarch64 ELF files, so that the kernel hands any
 * exec of one (the emulated runtime starting a child) to qemu. Returns
 * whether one is active; registers it where we are root.
 */
function ensureBinfmt() {
  // Debian's qemu finds the guest's libraries at this prefix when a child's
  // environment lost QEMU_LD_PREFIX.
  if (isRoot && !existsSync(defaultPrefix)) {
    try {
      mkdirSync(dirname(defaultPrefix), { recursive: true });
      symlinkSync(sysroot, defaultPrefix);
    } catch (e) {
      say(`could not link ${defaultPrefix} to ${sysroot}: ${e.message}`);
    }
  }
  if (binfmtActive()) return true;
  const howto = `as root: mount -t binfmt_misc binfmt_misc ${binfmtDir}; ` +
    `echo '${binfmtLine}' > ${binfmtDir}/register`;
  if (!isRoot) {
    say(
      `no binfmt_misc handler for aarch64: child processes of the emulated runtime will fail ` +
        `to start (the tests that spawn processes fail). To add one, ${howto}`,
    );
    return false;
  }
  try {
    if (!existsSync(`${binfmtDir}/register`)) {
      if (!run("mount", ["-t", "binfmt_misc", "binfmt_misc", binfmtDir])) throw new Error("mount");
    }
    // An entry of ours that is disabled, or one that points elsewhere: replace it.
    if (existsSync(`${binfmtDir}/${binfmtName}`)) writeFileSync(`${binfmtDir}/${binfmtName}`, "-1");
    writeFileSync(`${binfmtDir}/register`, binfmtLine);
  } catch (e) {
    say(
      `could not register a binfmt_misc handler (${e.message}): child processes of the ` +
        `emulated runtime will fail to start. This machine may not allow it (a container without ` +
        `CAP_SYS_ADMIN); elsewhere, ${howto}`,
    );
    return false;
  }
  if (!binfmtActive()) {
    say(`registered a binfmt_misc handler, but an aarch64 binary still does not start`);
    return false;
  }
  say(`registered a binfmt_misc handler for aarch64 ELF files (${binfmtDir}/${binfmtName})`);
  return true;
}

/** Whether the kernel runs an aarch64 binary through qemu: the proof is running one. */
function binfmtActive() {
  const bin = ensureRuntime("bun");
  const r = spawnSync(bin, ["--version"], {
    encoding: "utf8",
    env: { ...process.env, QEMU_LD_PREFIX: sysroot },
  });
  return r.status === 0;
}

/**
 * A folder with `deno` and `bun` that start the emulated runtimes: the
 * binaries themselves where the kernel hands them to qemu, else scripts that
 * call qemu explicitly.
 */
function launchers(direct) {
  const dir = join(cache, direct ? "bin" : "bin-qemu");
  mkdirSync(dir, { recursive: true });
  for (const name of Object.keys(runtimes)) {
    const bin = ensureRuntime(name);
    const link = join(dir, name);
    rmSync(link, { force: true });
    if (direct) symlinkSync(bin, link);
    else {
      writeFileSync(link, `#!/bin/sh\nexec qemu-aarch64 -L ${sysroot} ${bin} "$@"\n`);
      chmodSync(link, 0o755);
    }
  }
  return dir;
}

function setup() {
  if (process.platform !== "linux") fail("emulating aarch64 needs Linux (qemu-user)");
  if (process.arch === "arm64") say("this machine is aarch64 already: the runtimes run natively");
  else if (process.arch !== "x64") {
    fail(`qemu-user setup is written for x86_64, not ${process.arch}`);
  }
  ensurePackages();
  for (const name of Object.keys(runtimes)) ensureRuntime(name);
  const direct = ensureBinfmt();
  const bin = launchers(direct);
  const env = {
    ...process.env,
    SEED_EMULATED: "1",
    QEMU_LD_PREFIX: sysroot,
    SEED_DENO: join(bin, "deno"),
    SEED_BUN: join(bin, "bun"),
    PATH: `${bin}:${process.env.PATH ?? ""}`,
  };
  return { env, bin };
}

/**
 * Relative cost of the heaviest test files under emulated Deno (seconds in
 * its tests, measured on a loaded machine on 2026-12-03, less what that
 * day's changes to the slowest cases took off; every other file: 5). Only
 * how the files are split between lanes depends on these, never what runs.
 */
const COST = {
  "tests/sync_process_test.ts": 140,
  "tests/ring_worker_test.ts": 139,
  "tests/lines_test.ts": 130,
  "tests/search_kernel_test.ts": 145,
  "tests/intrinsics_test.ts": 121,
  "tests/fault_guard_test.ts": 115,
  "tests/concat_test.ts": 170,
  "tests/ring_process_test.ts": 101,
  "tests/escape_test.ts": 90,
  "tests/sync_worker_test.ts": 90,
  "tests/lifetime_test.ts": 63,
  "tests/search_paths_test.ts": 60,
  "tests/permissions_test.ts": 57,
  "tests/differential_test.ts": 56,
  "tests/ring_test.ts": 45,
  "tests/space_test.ts": 46,
  "tests/fault_reads_test.ts": 42,
  "tests/search_helper_test.ts": 37,
  "tests/copy_paths_test.ts": 32,
  "tests/wasm_memory_test.ts": 31,
  "tests/shared_test.ts": 30,
  "tests/conformance_basic_test.ts": 30,
  "tests/sync_test.ts": 25,
  "tests/wasm_wasi_test.ts": 21,
  "tests/concat_large_test.ts": 21,
};
/** Emulated Bun runs the whole suite in about a quarter of Deno's time (11.6 min against 47.7). */
const BUN_SHARE = 0.24;
/**
 * What a test file costs under emulated Deno beyond its cases, once its lane
 * loads all of its files as one module (laneModule).
 */
const FILE_COST = 2;

/** The suite's test files, as `deno test tests/` and `bun test tests/` find them. */
function testFiles(dir = "tests") {
  const out = [];
  for (const name of readdirSync(join(root, dir)).sort()) {
    const rel = `${dir}/${name}`;
    if (statSync(join(root, rel)).isDirectory()) out.push(...testFiles(rel));
    else if (/_test\.[mc]?[jt]sx?$/.test(name)) out.push(rel);
  }
  return out;
}

/**
 * Splits `files` into Deno's two halves: lane 1 runs the first under Deno;
 * lane 2 runs the second under Deno, then every file under Bun.
 */
function split(files, withBun) {
  const cost = (f) => (COST[f] ?? 5) + FILE_COST;
  const total = files.reduce((n, f) => n + cost(f), 0);
  const lanes = [[], []];
  const load = [0, withBun ? total * BUN_SHARE : 0];
  for (const f of [...files].sort((a, b) => cost(b) - cost(a))) {
    const k = load[0] <= load[1] ? 0 : 1;
    lanes[k].push(f);
    load[k] += cost(f);
  }
  return lanes.map((l) => l.sort());
}

/**
 * Runs scripts/test.mjs with `args`; resolves to its output and totals. Its
 * reports go to a folder of its own outside the tree (`npm test` empties
 * .test-results/ when it starts, and may run meanwhile), with the lane's
 * output beside them; the folder stays when something failed. The lane's
 * output is printed whole as soon as the lane ends.
 */
function testRun(label, args, env) {
  return new Promise((resolve) => {
    const started = Date.now();
    const reports = mkdtempSync(join(tmpdir(), `seed-aarch64-${label}-`));
    const child = spawn(process.execPath, [join(root, "scripts", "test.mjs"), ...args], {
      env: { ...env, SEED_TEST_RESULTS: reports },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code, signal) => {
      const minutes = ((Date.now() - started) / 60000).toFixed(1);
      const m = [...out.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)].at(-1);
      const totals = m
        ? { passed: +m[1], failed: +m[2], skipped: +(m[3] ?? 0) }
        : { passed: 0, failed: 1, skipped: 0 };
      if (!m) out += `\n${label}: test.mjs ended with ${code ?? signal} and no totals\n`;
      const failures = out.split("\n").filter((l) => l.startsWith("FAIL "));
      if (totals.failed) {
        writeFileSync(join(reports, "output.txt"), out);
        say(`${label}: reports and output kept in ${reports}`);
      } else rmSync(reports, { recursive: true, force: true });
      console.log(`\n=== ${label} (${minutes} min) ===\n${out}`);
      say(
        `${label}: ${totals.passed} passed, ${totals.failed} failed, ` +
          `${totals.skipped} skipped in ${minutes} min`,
      );
      resolve({ label, totals, minutes, failures });
    });
  });
}

/** The folders of the lane modules, removed when the suite ends. */
const laneDirs = [];

/**
 * Files that still get an isolate of their own. The search helper's case
 * counts the searches the process's one helper thread takes part in: loaded
 * in one module with its lane's other files, it failed (the helper in 95 of
 * 112 searches), where alone it has always passed; the cause is not known.
 */
const SOLO = ["tests/search_helper_test.ts"];
/** `deno test`'s files for a lane: one module of `files`, and the SOLO ones apart. */
function laneFiles(label, files) {
  const shared = files.filter((f) => !SOLO.includes(f));
  const solo = files.filter((f) => SOLO.includes(f));
  return [...(shared.length ? [laneModule(label, shared)] : []), ...solo];
}

/**
 * A module that imports each of `files`, for `deno test` to load as one: it
 * gives each test file an isolate of its own, which under emulation costs
 * 6 to 15 s a file (an 84 MB heap, the library compiled again), some 15
 * minutes of the suite's 65 (eight files: 139 s one by one, 48 s as one
 * module, the same 87 cases passing). The files then share one global
 * object, as they always do under `bun test`. A failing case is reported
 * under this module's name, with its describe blocks' names.
 */
function laneModule(label, files) {
  const dir = mkdtempSync(join(tmpdir(), `seed-aarch64-${label}-files-`));
  const file = join(dir, `${label}_test.ts`);
  const imports = files.map((f) =>
    `import ${JSON.stringify(pathToFileURL(join(root, f)).href)};\n`
  );
  writeFileSync(file, imports.join(""));
  laneDirs.push(dir);
  return file;
}

/** `test [deno|bun] [-- FILES]`: the suite in two lanes; prints each lane's output, then totals. */
async function suite(args, env) {
  const dash = args.indexOf("--");
  const only = (dash < 0 ? args : args.slice(0, dash)).filter(Boolean);
  const given = dash < 0 ? [] : args.slice(dash + 1);
  const files = given.length ? given : testFiles();
  const deno = !only.length || only.includes("deno");
  const bun = !only.length || only.includes("bun");
  const [first, second] = deno ? split(files, bun) : [[], []];
  const started = Date.now();
  const lane1 = first.length
    ? testRun("deno-1", ["deno", "--", ...laneFiles("deno-1", first)], env)
    : null;
  const lane2 = (async () => {
    const runs = [];
    if (second.length) {
      runs.push(await testRun("deno-2", ["deno", "--", ...laneFiles("deno-2", second)], env));
    }
    if (bun) runs.push(await testRun("bun", ["bun", "--", ...files], env));
    return runs;
  })();
  const runs = [...(lane1 ? [await lane1] : []), ...(await lane2)];
  for (const dir of laneDirs) rmSync(dir, { recursive: true, force: true });
  const sum = { passed: 0, failed: 0, skipped: 0 };
  for (const r of runs) for (const k of Object.keys(sum)) sum[k] += r.totals[k];
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  console.log("");
  for (const r of runs) {
    console.log(
      `${r.label}: ${r.totals.passed} passed, ${r.totals.failed} failed, ` +
        `${r.totals.skipped} skipped (${r.minutes} min)`,
    );
    for (const f of r.failures) console.log(`  ${r.label}: ${f}`);
  }
  console.log(`emulated aarch64: ${minutes} min in all`);
  console.log(
    `${sum.passed} passed, ${sum.failed} failed${sum.skipped ? `, ${sum.skipped} skipped` : ""}`,
  );
  return sum.failed ? 1 : 0;
}

const [what, ...rest] = process.argv.slice(2);
if (!what || what === "-h" || what === "--help") {
  console.log(
    "usage: node scripts/aarch64.mjs deno|bun ARGS...  |  test [deno|bun] [-- FILES]  |  setup",
  );
  exitWhenWritten(what ? 0 : 2);
} else exitWhenWritten(await main(what, rest));

/** Runs command `what`; resolves to the exit status. */
async function main(what, rest) {
  const { env, bin } = setup();
  if (what === "setup") {
    for (const name of Object.keys(runtimes)) {
      spawnSync(join(bin, name), ["--version"], { env, stdio: "inherit" });
    }
    return 0;
  }
  if (what === "test") return await suite(rest, env);
  if (!(what in runtimes)) fail(`unknown command ${what}: expected deno, bun, test or setup`);
  const res = spawnSync(join(bin, what), rest, { env, stdio: "inherit" });
  if (res.error) fail(res.error.message);
  return res.status ?? 128;
}
