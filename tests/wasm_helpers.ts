/**
 * Helpers for the WebAssembly tests: WAT assembled by the wabt package, the
 * committed C guests (tests/wasm_guests/*.wasm, rebuilt by build.sh), and
 * runs of a guest under this library's WASI host or under Node's node:wasi.
 */
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import wabtInit from "wabt";
import { WASI, type WASIOptions } from "../wasm/mod.ts";

/** The path of a file in tests/wasm_guests/. */
const inGuestDir = (name: string) =>
  decodeURIComponent(new URL(`./wasm_guests/${name}`, import.meta.url).pathname);
const modules = new Map<string, WebAssembly.Module>();
let wabt: Awaited<ReturnType<typeof wabtInit>> | undefined;

/** The compiled C guest `tests/wasm_guests/<name>.wasm`. */
export function guest(name: string): WebAssembly.Module {
  let m = modules.get(name);
  if (!m) {
    const bytes = readFileSync(inGuestDir(`${name}.wasm`));
    m = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    modules.set(name, m);
  }
  return m;
}

/** Assembles WebAssembly text with the wabt package (`features`: memory64, threads). */
export async function wat(
  source: string,
  features: { memory64?: boolean; threads?: boolean } = {},
): Promise<WebAssembly.Module> {
  wabt ??= await wabtInit();
  const parsed = wabt.parseWat("test.wat", source, features);
  try {
    return new WebAssembly.Module(parsed.toBinary({}).buffer as Uint8Array<ArrayBuffer>);
  } finally {
    parsed.destroy();
  }
}

/** What a guest run under our host did. */
export interface GuestRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a C guest under this library's `WASI`, capturing its output. */
export function runGuest(name: string, options: WASIOptions = {}): GuestRun {
  let stdout = "";
  let stderr = "";
  const decoder = new TextDecoder();
  const wasi = new WASI({
    ...options,
    stdout: (b) => stdout += decoder.decode(b),
    stderr: (b) => stderr += decoder.decode(b),
  });
  const instance = new WebAssembly.Instance(guest(name), wasi.getImportObject());
  const code = wasi.start(instance);
  return { code, stdout, stderr };
}

/**
 * Runs a C guest under Node's node:wasi in a child `node` process (Bun's
 * node:wasi ends the whole process on `proc_exit`), with `dir` preopened as
 * `/sandbox`.
 */
export function runUnderNode(name: string, dir: string, args: string[] = [], stdin = ""): GuestRun {
  const res = spawnSync(
    "node",
    [
      "--no-warnings",
      inGuestDir("node_wasi.mjs"),
      inGuestDir(`${name}.wasm`),
      dir,
      ...args,
    ],
    { encoding: "utf8", input: stdin },
  );
  if (res.error) throw res.error;
  return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

/** Lines of text as "name: value" pairs, in order. */
export function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}
