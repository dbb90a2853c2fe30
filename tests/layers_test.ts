// The package's layers import one way: mod.ts -> wasm/ -> src/ -> ffi/
// (ffi/ is the only code that touches pointers, and holds what every layer
// needs from below: the error class, platform constants). This reads every
// module's relative imports (type-only ones too: a cycle of types is still a
// tangle to read) and fails on an import upwards or a cycle of modules.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
const RANK: Record<string, number> = { "mod.ts": 0, wasm: 1, src: 2, ffi: 3 };

/** The package's module paths, relative to the root (`src/mmap.ts`). */
function modules(): string[] {
  const out = ["mod.ts"];
  const walk = (dir: string) => {
    for (const name of readdirSync(root + dir)) {
      const path = `${dir}/${name}`;
      if (statSync(root + path).isDirectory()) walk(path);
      else if (name.endsWith(".ts")) out.push(path);
    }
  };
  for (const dir of ["wasm", "src", "ffi"]) walk(dir);
  return out;
}

/** `a/b/../c.ts` -> `a/c.ts`. */
function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/** The modules `path` imports or re-exports from, statically or by `import()`. */
function importsOf(path: string): string[] {
  const text = readFileSync(root + path, "utf8");
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
  const found: string[] = [];
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)"(\.{1,2}\/[^"]+)"/gm;
  for (const m of text.matchAll(pattern)) found.push(normalize(dir + m[1]));
  return found;
}

const layerOf = (path: string) =>
  RANK[path.includes("/") ? path.slice(0, path.indexOf("/")) : path];

const graph = new Map(modules().map((path) => [path, importsOf(path)]));

describe("the package's layers", () => {
  it("import one way: mod.ts -> wasm/ -> src/ -> ffi/", () => {
    assert.ok(graph.size > 50, `only ${graph.size} modules found under ${root}`);
    const upwards: string[] = [];
    for (const [path, deps] of graph) {
      for (const dep of deps) {
        if (graph.has(dep) && layerOf(dep)! < layerOf(path)!) upwards.push(`${path} -> ${dep}`);
      }
    }
    assert.deepEqual(upwards, [], "imports from a higher layer");
  });

  it("have no cycle of modules", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (path: string) => {
      state.set(path, "open");
      stack.push(path);
      for (const dep of graph.get(path)!) {
        if (!graph.has(dep)) continue;
        const s = state.get(dep);
        if (s === "open") cycles.push([...stack.slice(stack.indexOf(dep)), dep].join(" -> "));
        else if (s === undefined) visit(dep);
      }
      stack.pop();
      state.set(path, "done");
    };
    for (const path of graph.keys()) if (!state.has(path)) visit(path);
    assert.deepEqual(cycles, [], "modules that import each other, directly or around a loop");
  });
});
