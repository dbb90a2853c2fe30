import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileBytes, tempDir, text } from "./_helpers.ts";
import { runtimePath } from "../examples/_peers.ts";

// These run a Deno child process whatever runtime runs the suite: the
// permission sandbox is Deno's.
const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
const deno = runtimePath("deno");
const mod = `${root}mod.ts`;

/** Runs `code` as a script under `deno run` (`deno eval` would allow everything). */
function denoRun(flags: string[], code: string): { status: number | null; out: string } {
  const t = tempDir("mmap-perm-");
  try {
    const script = t.path("script.ts");
    writeFileSync(script, code);
    const res = spawnSync(
      deno,
      ["run", "--no-prompt", `--allow-read=${script}`, ...flags, script],
      {
        encoding: "utf8",
      },
    );
    return { status: res.status, out: res.stdout + res.stderr };
  } finally {
    t.cleanup();
  }
}

describe("Deno permissions", () => {
  it("import works without --allow-ffi, and the first call says to add it", () => {
    const r = denoRun(
      [],
      `
      import { MMap, PAGESIZE } from "${mod}";
      console.log("imported", PAGESIZE > 0);
      try { MMap.anonymous(16); } catch (e) { console.log(e.name, e.message); }
      try { MMap.anonymous(16); } catch (e) { console.log("again", e.message); }
    `,
    );
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /imported true/);
    assert.match(r.out, /NotCapable @seed\/mmap calls libc through FFI: run Deno with --allow-ffi/);
    assert.match(r.out, /again @seed\/mmap calls libc through FFI/);
  });

  it("refuses a path whose read access was denied, instead of going around it", () => {
    const t = tempDir();
    try {
      const secret = t.path("secret.txt");
      writeFileSync(secret, "top secret");
      const r = denoRun(
        ["--allow-ffi", "--allow-read", `--deny-read=${secret}`],
        `
        import { MMap } from "${mod}";
        try { MMap.open(${JSON.stringify(secret)}); console.log("OPENED"); }
        catch (e) { console.log(e.name, e instanceof Deno.errors.NotCapable, e.message); }
      `,
      );
      assert.equal(r.status, 0, r.out);
      assert.doesNotMatch(r.out, /OPENED/);
      assert.match(r.out, /NotCapable true Requires read access to/);
    } finally {
      t.cleanup();
    }
  });

  it("a program that patches the permission API afterwards still cannot open a denied path", () => {
    const t = tempDir();
    try {
      const secret = t.path("secret.txt");
      writeFileSync(secret, "top secret");
      // Each patch alone made MMap.open read the denied file before the fix.
      const patches = [
        `Deno.permissions.querySync = () => ({ state: "granted", partial: false });`,
        `const S = Object.getPrototypeOf(Deno.permissions.querySync({ name: "read" }));
         Object.defineProperty(S, "state", { get: () => "granted" });
         Object.defineProperty(S, "partial", { get: () => false });`,
        `Object.defineProperty(Object.prototype, "read", { value: { state: "granted" } });`,
        `Array.prototype[Symbol.iterator] = function* () {};`,
      ];
      for (const patch of patches) {
        const r = denoRun(
          ["--allow-ffi", "--allow-read", `--deny-read=${secret}`],
          `
          import { MMap } from "${mod}";
          ${patch}
          try { MMap.open(${JSON.stringify(secret)}); console.log("OPENED"); }
          catch (e) { console.log(e.name, e instanceof Deno.errors.NotCapable, e.message); }
        `,
        );
        assert.equal(r.status, 0, r.out);
        assert.doesNotMatch(r.out, /OPENED/, patch);
        assert.match(r.out, /NotCapable true Requires read access to/, patch);
      }
    } finally {
      t.cleanup();
    }
  });

  it("refuses a writable map of a path whose write access was denied", () => {
    const t = tempDir();
    try {
      const file = t.path("ro.txt");
      writeFileSync(file, "unchanged");
      const r = denoRun(
        ["--allow-ffi", "--allow-read", `--deny-write=${file}`],
        `
        import { MMap } from "${mod}";
        using m = MMap.open(${JSON.stringify(file)});
        console.log("read ok", new TextDecoder().decode(m.read()));
        try { MMap.open(${JSON.stringify(file)}, { access: "write" }); console.log("OPENED"); }
        catch (e) { console.log(e.name, e.message); }
      `,
      );
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /read ok unchanged/);
      assert.doesNotMatch(r.out, /OPENED/);
      assert.match(r.out, /NotCapable Requires write access to/);
      assert.equal(text(fileBytes(file)), "unchanged");
    } finally {
      t.cleanup();
    }
  });
});
