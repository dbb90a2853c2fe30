/**
 * Reads a safetensors file the way model loaders do, without reading it:
 * the 8-byte header length and the JSON header come from the map, and one
 * tensor becomes a `Float32Array` over the mapped file: no copy, and only
 * the pages you touch are read from disk.
 *
 * The example writes its own safetensors file first (a 2-D "embedding" of
 * `rows x cols` float32 values, a bias vector and an int64 step counter).
 *
 *   deno run --allow-ffi --allow-read --allow-write examples/safetensors.ts [rows] [cols]
 *   bun examples/safetensors.ts [rows] [cols]
 *
 * Format (https://huggingface.co/docs/safetensors): an unsigned little-endian
 * 64-bit header size N, N bytes of JSON ({ name: { dtype, shape,
 * data_offsets: [begin, end] }, "__metadata__": {...} }, padded with spaces),
 * then the tensor bytes, little-endian, offsets counted from the end of the header.
 */
import { join } from "node:path";
import { MMap } from "../mod.ts";
import { numberArg, runtime, tempDir, timed } from "./_shared.ts";

interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const rows = numberArg(0, 8192);
const cols = numberArg(1, 1024);
const BYTES: Record<string, number> = { F32: 4, I64: 8 };

/** The value the writer stores at flat index `i` of the embedding. */
const valueAt = (i: number): number => Math.fround(((i % 1001) - 500) / 256);

/** Writes a safetensors file through a writable map; returns its size. */
function writeSafetensors(path: string): number {
  const tensors: [string, string, number[]][] = [
    ["embed.weight", "F32", [rows, cols]],
    ["embed.bias", "F32", [cols]],
    ["step", "I64", [1]],
  ];
  const header: Record<string, unknown> = { __metadata__: { format: "pt", writer: "@seed/mmap" } };
  let offset = 0;
  for (const [name, dtype, shape] of tensors) {
    const size = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    header[name] = { dtype, shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  // Pad the JSON with spaces so that the data starts 8-byte aligned, as the
  // reference writer does: that is what lets readers view it in place.
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + json.length) % 8)) % 8);
  const dataStart = 8 + json.length;
  using m = MMap.open(path, { access: "write", create: true, length: dataStart + offset });
  m.dataView(0, 8).setBigUint64(0, BigInt(json.length), true);
  m.setSlice(8, dataStart, json);
  const info = (name: string) => (header[name] as TensorInfo).data_offsets[0] + dataStart;
  const weights = m.view(Float32Array, info("embed.weight"), rows * cols);
  for (let i = 0; i < weights.length; i++) weights[i] = valueAt(i);
  m.view(Float32Array, info("embed.bias"), cols).fill(0.5);
  m.view(BigInt64Array, info("step"), 1)[0] = 1234n;
  m.flush();
  return m.length;
}

/** The parsed header and where the tensor data starts. */
function readHeader(m: MMap): { header: Record<string, TensorInfo>; dataStart: number } {
  const n = Number(m.dataView(0, 8).getBigUint64(0, true));
  if (n > m.length - 8) throw new RangeError(`header of ${n} bytes is longer than the file`);
  const header = JSON.parse(new TextDecoder().decode(m.slice(8, 8 + n)));
  return { header, dataStart: 8 + n };
}

/** A zero-copy Float32Array over one F32 tensor. */
function tensorF32(m: MMap, name: string): { data: Float32Array; shape: number[] } {
  const { header, dataStart } = readHeader(m);
  const t = header[name];
  if (!t) throw new Error(`no tensor named ${name}`);
  if (t.dtype !== "F32") throw new TypeError(`${name} is ${t.dtype}, not F32`);
  const [begin, end] = t.data_offsets;
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (end - begin !== count * 4) throw new RangeError(`${name}: offsets do not match its shape`);
  // view() refuses a misaligned offset: a Float32Array must start on 4 bytes.
  return { data: m.view(Float32Array, dataStart + begin, count), shape: t.shape };
}

if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
  throw new Error("safetensors data is little-endian; this machine is not");
}

const tmp = tempDir("mmap-safetensors-");
try {
  const path = join(tmp.dir, "model.safetensors");
  const [size, writeMs] = timed(() => writeSafetensors(path));
  console.log(`@seed/mmap safetensors example on ${runtime}`);
  console.log(`wrote ${path}: ${(size / 2 ** 20).toFixed(1)} MiB in ${writeMs.toFixed(0)} ms`);

  using m = MMap.open(path);
  const { header } = readHeader(m);
  console.log("tensors in the header:");
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    console.log(
      `  ${name.padEnd(14)} ${t.dtype} [${t.shape.join(", ")}] bytes ${t.data_offsets.join("-")}`,
    );
  }

  const [{ data: weights, shape }, mapMs] = timed(() => tensorF32(m, "embed.weight"));
  console.log(`embed.weight as Float32Array(${weights.length}) in ${mapMs.toFixed(2)} ms`);
  console.log(`  zero-copy: its buffer is the map's buffer: ${weights.buffer === m.bytes.buffer}`);

  // Check every value against what was written, and a row through subarray().
  let sum = 0;
  let wrong = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i];
    if (weights[i] !== valueAt(i)) wrong++;
  }
  let expected = 0;
  for (let i = 0; i < rows * cols; i++) expected += valueAt(i);
  const row = weights.subarray(3 * cols, 4 * cols); // still zero-copy
  console.log(
    `  shape [${shape}], mean ${(sum / weights.length).toFixed(6)}, row 3 starts ${
      row.slice(0, 3).join(", ")
    }`,
  );
  console.log(`  ${wrong} values differ from what was written (sum ${sum} vs ${expected})`);
  const bias = tensorF32(m, "embed.bias").data;
  console.log(`embed.bias: ${bias.length} values, all 0.5: ${bias.every((v) => v === 0.5)}`);
  m.close();
  console.log(
    `after close(), the tensor view has length ${weights.length} (detached, never a crash)`,
  );
  if (wrong !== 0 || sum !== expected) {
    throw new Error("the mapped tensor does not hold what was written");
  }
} finally {
  tmp.remove();
}
