// Builds the example component and transpiles it with jco:
//   summer.wat --wabt--> core module --jco embed (wasm/mmap.wit, world
//   "summer")--> --jco new--> summer.component.wasm --jco transpile-->
//   transpiled/ (ES module + core wasm).
// Run by build.sh, which installs @bytecodealliance/jco-transpile (not a
// dependency of this project) and passes its directory.
// `jco embed --wit <file>` fails to read the WIT file here (wasm-tools' WASI
// file system, in Node 20 and Bun alike), so the WIT goes in as a string
// through the JavaScript API.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import wabtInit from "wabt";

const here = new URL(".", import.meta.url).pathname;
const jcoTranspile = process.argv[2];
const api = (file) => import(pathToFileURL(join(jcoTranspile, "dist", file)).href);
const { componentEmbed, componentNew } = await api("wasm-tools.js");
const { transpileBytes } = await api("transpile.js");

const wabt = await wabtInit();
const core = wabt.parseWat("summer.wat", readFileSync(join(here, "summer.wat"), "utf8"), {})
  .toBinary({}).buffer;
const witSource = readFileSync(join(here, "../../wasm/mmap.wit"), "utf8");
const embedded = await componentEmbed({ binary: core, witSource, world: "summer" });
const component = await componentNew(embedded);
writeFileSync(join(here, "summer.component.wasm"), component);

const { files } = await transpileBytes(component, {
  name: "summer",
  instantiation: "async",
  emitTypescriptDeclarations: true,
});
const out = join(here, "transpiled");
rmSync(out, { recursive: true, force: true });
for (const [name, bytes] of Object.entries(files)) {
  mkdirSync(join(out, name, ".."), { recursive: true });
  // Generated code: keep deno lint and deno fmt off it.
  const header = name.endsWith(".js") || name.endsWith(".ts")
    ? "// deno-lint-ignore-file\n// deno-fmt-ignore-file\n"
    : "";
  let text = header ? header + new TextDecoder().decode(bytes) : undefined;
  // Deno resolves a type import of "x.js" to x.js, not to the x.d.ts beside it.
  if (name.endsWith(".d.ts")) text = text.replaceAll(/from '(\.[^']*)\.js'/g, "from '$1.d.ts'");
  writeFileSync(join(out, name), text ?? bytes);
}
console.log(`built summer.component.wasm (${component.length} bytes) and transpiled/`);
