// Child of lines_test.ts: lines() where the engine has no WebAssembly (the
// kernel cannot load, so each newline is found with the view's indexOf).
// Prints the line lengths of the file named by the first argument.
import process from "node:process";

delete (globalThis as { WebAssembly?: unknown }).WebAssembly;
const { MMap } = await import("../mod.ts");
using m = MMap.open(process.argv[2]);
console.log(JSON.stringify(Array.from(m.lines(), (l) => l.length)));
