/**
 * Runs a checkout of the official wasi-testsuite's preview1 binaries
 * (`tests/{c,rust,assemblyscript}/testsuite/wasm32-wasip1/` of its
 * `prod/testsuite-base` branch) under this library's `WASI` host, the way
 * its test runner does: the test's `root` directory (a fresh copy) is
 * preopened as `/`, with its `args` and `env`; the exit code and `stdout`
 * must match. Not part of `npm test`: the suite is not on npm, so CI cannot
 * fetch it. Usage, in either runtime:
 *
 *   deno run -A tests/wasm_testsuite_runner.ts <dir with *.wasm and *.json>...
 *   bun tests/wasm_testsuite_runner.ts <dir>...
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { WASI } from "../wasm/mod.ts";

interface Config {
  args?: string[];
  env?: Record<string, string>;
  root?: string;
  exit_code?: number;
  stdout?: string;
}

function runOne(dir: string, name: string): string | null {
  const jsonPath = join(dir, `${name}.json`);
  const config: Config = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, "utf8")) : {};
  const scratch = mkdtempSync(join(tmpdir(), "wasi-testsuite-"));
  try {
    if (config.root) cpSync(join(dir, config.root), scratch, { recursive: true });
    let stdout = "";
    const wasi = new WASI({
      args: [name, ...(config.args ?? [])],
      env: config.env,
      preopens: config.root ? { "/": scratch } : {},
      stdout: (b) => stdout += new TextDecoder().decode(b),
      stderr: (b) => process.stderr.write(b),
    });
    const module = new WebAssembly.Module(readFileSync(join(dir, `${name}.wasm`)));
    const instance = new WebAssembly.Instance(module, wasi.getImportObject());
    let code: number;
    try {
      code = wasi.start(instance);
    } catch (e) {
      return `trapped: ${(e as Error).message}`;
    }
    const want = config.exit_code ?? 0;
    if (code !== want) return `exit code ${code}, expected ${want}`;
    if (config.stdout !== undefined && stdout !== config.stdout) {
      return `stdout ${JSON.stringify(stdout)}, expected ${JSON.stringify(config.stdout)}`;
    }
    return null;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const dirs = process.argv.slice(2).filter((a) => !a.endsWith(".ts"));
let passed = 0;
const failed: string[] = [];
for (const dir of dirs) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".wasm")).sort()) {
    const name = file.slice(0, -5);
    const problem = runOne(dir, name);
    if (problem === null) passed++;
    else failed.push(`${name}: ${problem}`);
  }
}
for (const f of failed) console.log(`FAIL ${f}`);
console.log(`wasi-testsuite: ${passed} passed, ${failed.length} failed`);
