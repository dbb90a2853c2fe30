/**
 * One run of one WASI module, in a process of its own, under this
 * library's `WASI` ("seed") or the runtime's `node:wasi` ("node"): the
 * guest's stdout and stderr are this process's, its exit code is this
 * process's (Bun's `node:wasi` ends the process on `proc_exit`, so each run
 * needs a process anyway, and both hosts get the same harness).
 *
 *   deno run -A tests/programs/step.ts seed|node '<StepSpec as JSON>'
 *   bun tests/programs/step.ts seed|node '<StepSpec as JSON>'
 *
 * A trap or host error prints `step: <message>` on stderr and exits 70.
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { WASI as NodeWASI } from "node:wasi";
import { WASI } from "../../wasm/mod.ts";
import { rubyEval, rubyImports } from "./ruby_abi.ts";

/** What to run. */
export interface StepSpec {
  /** The module's path. */
  wasm: string;
  args: string[];
  /** Guest path to host directory. */
  preopens: Record<string, string>;
  env?: Record<string, string>;
  /** Ruby source: the module is ruby.wasm's reactor, which evaluates it. */
  ruby?: string;
}

/** The part of either host this harness uses. */
interface Host {
  getImportObject(): Record<string, unknown>;
  start(instance: WebAssembly.Instance): number;
  initialize(instance: WebAssembly.Instance): void;
}

function host(kind: string, spec: StepSpec): Host {
  const env = spec.env ?? {};
  if (kind === "seed") {
    return new WASI({ args: spec.args, env, preopens: spec.preopens, stdout: 1, stderr: 2 });
  }
  if (kind === "node") {
    const wasi = new NodeWASI(
      {
        version: "preview1",
        args: spec.args,
        env,
        preopens: spec.preopens,
        returnOnExit: true,
      } as ConstructorParameters<typeof NodeWASI>[0],
    );
    // Bun's node:wasi has neither getImportObject() nor initialize(), and
    // its start() returns nothing (proc_exit ends the process instead).
    const bun = wasi as unknown as {
      wasiImport: unknown;
      getImportObject?(): Record<string, unknown>;
      initialize?(instance: WebAssembly.Instance): void;
      setMemory(memory: unknown): void;
    };
    return {
      getImportObject: () => bun.getImportObject?.() ?? { wasi_snapshot_preview1: bun.wasiImport },
      start: (instance) => wasi.start(instance) ?? 0,
      initialize(instance) {
        if (bun.initialize) return bun.initialize(instance);
        bun.setMemory(instance.exports.memory);
        (instance.exports._initialize as (() => void) | undefined)?.();
      },
    };
  }
  throw new TypeError(`host must be seed or node, not ${kind}`);
}

function main(): number {
  const [kind, json] = process.argv.slice(2).filter((a) => !a.endsWith("step.ts"));
  const spec = JSON.parse(json) as StepSpec;
  const wasi = host(kind, spec);
  const module = new WebAssembly.Module(readFileSync(spec.wasm));
  const imports = wasi.getImportObject() as WebAssembly.Imports;
  if (spec.ruby === undefined) {
    return wasi.start(new WebAssembly.Instance(module, imports));
  }
  const instance = new WebAssembly.Instance(module, { ...imports, ...rubyImports(module) });
  wasi.initialize(instance);
  return rubyEval(instance, spec.ruby) === 0 ? 0 : 1;
}

let code: number;
try {
  code = main();
} catch (e) {
  process.stderr.write(`step: ${(e as Error)?.stack ?? e}\n`);
  code = 70;
}
process.exit(code);
