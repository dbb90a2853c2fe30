// node bench/proto/wat.mjs in.wat out.b64: assembles with the wabt package.
import wabtInit from "wabt";
import { readFileSync, writeFileSync } from "node:fs";
const wabt = await wabtInit();
const m = wabt.parseWat(process.argv[2], readFileSync(process.argv[2], "utf8"), { threads: true });
writeFileSync(process.argv[3], Buffer.from(m.toBinary({}).buffer).toString("base64"));
