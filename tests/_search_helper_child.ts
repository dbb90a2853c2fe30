// A program that searches 32 MiB twice with the helper thread ready, prints
// what it found and ends: the helper must not keep the process alive.
import { MMap } from "../mod.ts";
import { searchHelperReady } from "../src/search_kernel.ts";

const size = 32 << 20;
const m = MMap.anonymous(size);
const needle = new TextEncoder().encode(" ~helper~ ");
m.seek(size - 1000);
m.write(needle);
const first = m.find(needle, 0);
const before = searchHelperReady(60_000);
const second = m.find(needle, 0);
const last = m.rfind(needle, 0);
m.close();
console.log(JSON.stringify({ first, second, last, helped: searchHelperReady(0) - before }));
