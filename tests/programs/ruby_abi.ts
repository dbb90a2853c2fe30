/**
 * The least of ruby.wasm's reactor ABI (the `@ruby/3.4-wasm-wasi` build)
 * that evaluates Ruby source without its JavaScript bindings: the
 * `canonical_abi` resource imports, the `rb-js-abi-host` imports (which
 * throw: the workloads never `require "js"`), `ruby-init` and
 * `rb-eval-string-protect` called the way wit-bindgen's glue in
 * `@ruby/wasm-wasi` calls them (NUL-terminated UTF-8 strings allocated
 * with `cabi_realloc`).
 */

/** Imports besides `wasi_snapshot_preview1` that ruby.wasm needs. */
export function rubyImports(module: WebAssembly.Module): WebAssembly.Imports {
  const handles: number[] = [];
  const js: Record<string, () => never> = {};
  for (const i of WebAssembly.Module.imports(module)) {
    if (i.module !== "rb-js-abi-host") continue;
    js[i.name] = () => {
      throw new Error(`ruby.wasm called ${i.name}: no JavaScript bindings in this harness`);
    };
  }
  return {
    "rb-js-abi-host": js,
    canonical_abi: {
      "resource_new_rb-abi-value": (rep: number) => handles.push(rep) - 1,
      "resource_get_rb-abi-value": (handle: number) => handles[handle],
      "resource_drop_js-abi-value": () => {},
    },
  };
}

interface RubyExports {
  memory: WebAssembly.Memory;
  cabi_realloc(old: number, oldSize: number, align: number, size: number): number;
  [name: string]: unknown;
}

const encoder = new TextEncoder();

/**
 * Initializes the VM (`ruby -EUTF-8 -e_=0`, as `@ruby/wasm-wasi` does) and
 * evaluates `source`; returns the protect status (0: no exception). An
 * exception's message goes to stderr.
 */
export function rubyEval(instance: WebAssembly.Instance, source: string): number {
  const ex = instance.exports as unknown as RubyExports;
  const string = (s: string): [number, number] => {
    const bytes = encoder.encode(`${s}\0`);
    const ptr = ex.cabi_realloc(0, 0, 1, bytes.length);
    new Uint8Array(ex.memory.buffer, ptr, bytes.length).set(bytes);
    return [ptr, bytes.length];
  };
  const args = ["ruby.wasm", "-EUTF-8", "-e_=0"];
  const vec = ex.cabi_realloc(0, 0, 4, args.length * 8);
  args.forEach((arg, i) => {
    const [ptr, len] = string(arg);
    const dv = new DataView(ex.memory.buffer);
    dv.setInt32(vec + i * 8, ptr, true);
    dv.setInt32(vec + i * 8 + 4, len, true);
  });
  (ex["ruby-init: func(args: list<string>) -> ()"] as (p: number, n: number) => void)(
    vec,
    args.length,
  );
  const wrapped = `begin
  ${source}
rescue Exception => e
  $stderr.puts e.full_message(highlight: false)
  raise
ensure
  $stdout.flush
  $stderr.flush
end`;
  const [ptr, len] = string(wrapped);
  const evaluate = ex[
    "rb-eval-string-protect: func(str: string) -> tuple<handle<rb-abi-value>, s32>"
  ] as (p: number, n: number) => number;
  const ret = evaluate(ptr, len);
  return new DataView(ex.memory.buffer).getInt32(ret + 4, true);
}
