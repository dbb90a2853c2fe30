/**
 * A fixed-size record database in one mapped file: append, update in place,
 * look up by index, and survive a crash between any two writes.
 *
 *   deno run --allow-ffi --allow-read --allow-write --allow-run examples/records.ts [records]
 *   bun examples/records.ts [records]
 *
 * (`--allow-run` because the example starts copies of itself and kills them
 * in the middle of writes, then reopens the file and checks it.)
 *
 * Layout: a 128-byte header, then 64-byte records.
 *
 *   header  0  "SEEDREC1"          magic
 *           8  u32 record size     64
 *          12  u32 count           records committed (an append commits by raising it)
 *          16  u32 commits         how many appends and updates were committed
 *          32  u32 journal state   1 while an update is in flight
 *          36  u32 journal crc     of the index and the new record
 *          40  u32 journal index   the record being updated
 *          48  64 bytes            the new record
 *   record  0  u32 id,  8 f64 balance,  16 name (40 bytes UTF-8),  56 u32 version,  60 u32 crc
 *
 * Why it survives: an append writes the record past `count`, flushes, and
 * only then raises `count`; an update first writes the new record to the
 * journal, flushes, marks the journal valid, flushes, then writes the record
 * in place and clears the journal. Whatever store a crash interrupts, the
 * reopened file holds either the old state or the new one: a journal that is
 * valid is replayed, a record past `count` is ignored. A killed process
 * loses none of its stores into a shared map (they are in the page cache);
 * the `flush()` calls carry the same ordering to the disk for a power cut.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { MMap } from "../mod.ts";
import { numberArg, runtime, startSelf, tempDir } from "./_shared.ts";

const HEADER = 128;
const RECORD = 64;
const MAGIC = "SEEDREC1";
const JOURNAL = 32;
const JOURNAL_CRC = 36;
const JOURNAL_INDEX = 40;
const JOURNAL_RECORD = 48;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One record's fields. */
interface Row {
  id: number;
  balance: number;
  name: string;
  version: number;
}

/** CRC-32 (IEEE), enough to tell a whole record from a torn one. */
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function encode(row: Row): Uint8Array {
  const out = new Uint8Array(RECORD);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, row.id, true);
  dv.setFloat64(8, row.balance, true);
  out.set(encoder.encode(row.name).subarray(0, 40), 16);
  dv.setUint32(56, row.version, true);
  dv.setUint32(60, crc32(out.subarray(0, 60)), true);
  return out;
}

function decode(bytes: Uint8Array): Row & { ok: boolean } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, RECORD);
  const name = decoder.decode(bytes.subarray(16, 56)).replace(/\0+$/, "");
  return {
    id: dv.getUint32(0, true),
    balance: dv.getFloat64(8, true),
    name,
    version: dv.getUint32(56, true),
    ok: dv.getUint32(60, true) === crc32(bytes.subarray(0, 60)),
  };
}

/** Where a test run makes this process die (see `crash()`). */
let crashAt = "";

/** Dies at once, as a crash would: no cleanup, no flush, no close. */
function crash(point: string): void {
  if (point === crashAt) process.kill(process.pid, "SIGKILL");
}

/** The database: one writable map over the whole file. */
class RecordFile {
  #m: MMap;
  /** What opening found and did, for the report. */
  readonly recovery: string;

  constructor(path: string, capacity = 64) {
    // Map the whole file: an existing one may have grown past the first capacity.
    const size = existsSync(path) ? statSync(path).size : 0;
    const length = Math.max(size, HEADER + capacity * RECORD);
    this.#m = MMap.open(path, { access: "write", create: true, length });
    const magic = decoder.decode(this.#m.slice(0, 8));
    if (magic === "\0".repeat(8)) {
      this.#m.setSlice(0, 8, MAGIC);
      this.#u32(8, RECORD);
      this.#m.flush();
      this.recovery = "new file";
      return;
    }
    if (magic !== MAGIC || this.#u32(8) !== RECORD) throw new Error(`${path} is not a record file`);
    this.recovery = this.#recover();
  }

  /** Records committed. */
  get count(): number {
    return this.#u32(12);
  }

  /** Appends and updates committed since the file was made. */
  get commits(): number {
    return this.#u32(16);
  }

  /** The record at `index`. */
  get(index: number): Row & { ok: boolean } {
    if (index < 0 || index >= this.count) throw new RangeError(`no record ${index}`);
    return decode(this.#m.slice(HEADER + index * RECORD, HEADER + (index + 1) * RECORD));
  }

  /** Adds a record at the end; returns its index. */
  append(row: Row): number {
    const index = this.count;
    const at = HEADER + index * RECORD;
    if (at + RECORD > this.#m.length) this.#m.resize(this.#m.length * 2 - HEADER);
    this.#write(at, encode(row), "append-record");
    this.#m.flush(0, at + RECORD);
    crash("append-before-commit");
    this.#u32(16, this.commits + 1);
    this.#u32(12, index + 1); // the commit point: one aligned 4-byte store
    this.#m.flush(0, HEADER);
    return index;
  }

  /** Replaces the record at `index`, all or nothing. */
  update(index: number, row: Row): void {
    if (index < 0 || index >= this.count) throw new RangeError(`no record ${index}`);
    const bytes = encode(row);
    this.#u32(JOURNAL_INDEX, index);
    this.#write(JOURNAL_RECORD, bytes, "update-journal");
    this.#u32(JOURNAL_CRC, this.#journalCrc());
    this.#m.flush(0, HEADER);
    this.#u32(JOURNAL, 1); // the journal is valid from here on
    this.#m.flush(0, HEADER);
    crash("update-journal-valid");
    this.#apply(index, bytes, "update-record");
    crash("update-before-clear");
    this.#u32(16, this.commits + 1);
    this.#u32(JOURNAL, 0);
    this.#m.flush(0, HEADER);
  }

  close(): void {
    this.#m.close();
  }

  /** Replays a valid journal; drops a torn one. */
  #recover(): string {
    if (this.#u32(JOURNAL) !== 1) return "clean";
    const index = this.#u32(JOURNAL_INDEX);
    if (this.#journalCrc() !== this.#u32(JOURNAL_CRC) || index >= this.count) {
      this.#u32(JOURNAL, 0);
      this.#m.flush(0, HEADER);
      return "dropped a torn journal entry";
    }
    this.#apply(index, this.#m.slice(JOURNAL_RECORD, JOURNAL_RECORD + RECORD), "");
    this.#u32(16, this.commits + 1);
    this.#u32(JOURNAL, 0);
    this.#m.flush(0, HEADER);
    return `replayed the journal: record ${index} updated`;
  }

  /** The checksum of the journal's index and record. */
  #journalCrc(): number {
    return crc32(this.#m.slice(JOURNAL_INDEX, JOURNAL_RECORD + RECORD));
  }

  #apply(index: number, bytes: Uint8Array, point: string): void {
    const at = HEADER + index * RECORD;
    this.#write(at, bytes, point);
    this.#m.flush(0, at + RECORD);
  }

  /** Writes `bytes` at `at`; a test crash may stop it halfway. */
  #write(at: number, bytes: Uint8Array, point: string): void {
    const half = bytes.length >> 1;
    this.#m.setSlice(at, at + half, bytes.subarray(0, half));
    if (point) crash(`${point}-half`);
    this.#m.setSlice(at + half, at + bytes.length, bytes.subarray(half));
  }

  #u32(offset: number, value?: number): number {
    const dv = this.#m.dataView(offset, 4);
    if (value !== undefined) dv.setUint32(0, value, true);
    return dv.getUint32(0, true);
  }
}

/** The record the example writes for `id`, at a given version. */
function rowFor(id: number, version: number): Row {
  return { id, balance: id * 100 + version * 0.25, name: `customer ${id} v${version}`, version };
}

/** Checks every committed record; returns a one-line summary or throws. */
function verify(db: RecordFile, expect: (index: number) => Row[]): string {
  for (let i = 0; i < db.count; i++) {
    const got = db.get(i);
    if (!got.ok) throw new Error(`record ${i} is torn: checksum mismatch`);
    const allowed = expect(i);
    const same = (r: Row) =>
      r.id === got.id && r.balance === got.balance && r.name === got.name &&
      r.version === got.version;
    if (!allowed.some(same)) {
      throw new Error(
        `record ${i} is ${JSON.stringify(got)}, expected one of ${JSON.stringify(allowed)}`,
      );
    }
  }
  return `${db.count} records, all checksums valid, ${db.commits} commits`;
}

// --- child mode: one operation that dies at a chosen point -------------------------

const [mode, childPath, point, arg] = process.argv.slice(2);
if (mode === "--child") {
  crashAt = point;
  const db = new RecordFile(childPath);
  if (point.startsWith("append")) db.append(rowFor(Number(arg), 0));
  else if (point === "churn") {
    // Runs until killed: updates and appends as fast as it can.
    for (let v = 1;; v++) {
      const n = db.count;
      if (v % 8 === 0) db.append(rowFor(n, 0));
      else db.update(v % n, rowFor(v % n, v));
    }
  } else db.update(Number(arg), rowFor(Number(arg), 99));
  db.close();
  process.exit(0);
}

// --- the example -----------------------------------------------------------------------

const total = Math.floor(numberArg(0, 10000));
const script = fileURLToPath(import.meta.url);
const denoFlags = ["--allow-ffi", "--allow-read", "--allow-write", "--allow-run"];
const tmp = tempDir("mmap-records-");
try {
  const path = join(tmp.dir, "accounts.db");
  console.log(`@seed/mmap record database example on ${runtime}`);
  {
    const db = new RecordFile(path);
    const t0 = performance.now();
    for (let i = 0; i < total; i++) db.append(rowFor(i, 0));
    const t1 = performance.now();
    for (let i = 0; i < total; i += 3) db.update(i, rowFor(i, 1));
    const t2 = performance.now();
    console.log(
      `appended ${total} records in ${(t1 - t0).toFixed(0)} ms, ` +
        `updated ${Math.ceil(total / 3)} in place in ${(t2 - t1).toFixed(0)} ms (each one flushed)`,
    );
    console.log(`record ${total - 1}: ${JSON.stringify(db.get(total - 1))}`);
    db.close();
  }
  const version = (i: number) => (i % 3 === 0 ? 1 : 0);

  console.log("\nkilling a child process at each point of a write, then reopening:");
  const points = [
    ["append-record-half", "append", "half a record written past the end"],
    ["append-before-commit", "append", "record written, count not yet raised"],
    ["update-journal-half", "update", "half the journal entry written"],
    ["update-journal-valid", "update", "journal valid, record untouched"],
    ["update-record-half", "update", "journal valid, record half overwritten"],
    ["update-before-clear", "update", "record overwritten, journal not yet cleared"],
  ];
  let count = total;
  for (const [pointName, kind, what] of points) {
    const target = kind === "append" ? count : 7;
    const child = startSelf(script, ["--child", path, pointName, String(target)], denoFlags);
    const exit = await child.exited;
    if (exit.signal !== "SIGKILL") {
      throw new Error(
        `the child was to die at ${pointName}, but ended with ${JSON.stringify(exit)}`,
      );
    }
    const db = new RecordFile(path);
    const summary = verify(
      db,
      (i) => i === 7 ? [rowFor(7, version(7)), rowFor(7, 99)] : [rowFor(i, version(i))],
    );
    const record7 = db.get(7).version === 99 ? "new" : "old";
    console.log(`  ${what.padEnd(44)} -> ${db.recovery}; record 7 ${record7}; ${summary}`);
    if (kind === "update") {
      // Replayed exactly when the journal was valid when the process died.
      const replayed = pointName !== "update-journal-half";
      if ((record7 === "new") !== replayed) {
        throw new Error(`record 7 should be ${replayed ? "new" : "old"}`);
      }
      if (replayed) db.update(7, rowFor(7, version(7))); // put it back for the next round
    } else if (db.count !== count) throw new Error(`an uncommitted append became visible`);
    count = db.count;
    db.close();
  }

  console.log(
    "\nkilling a child that appends and updates in a loop, at a moment it does not choose:",
  );
  const child = startSelf(script, ["--child", path, "churn", "0"], denoFlags);
  await new Promise((resolve) => setTimeout(resolve, 400));
  child.kill();
  const exit = await child.exited;
  if (exit.signal !== "SIGKILL") {
    throw new Error(`the churn ended by itself: ${JSON.stringify(exit)}`);
  }
  const db = new RecordFile(path);
  // Each record is either at version 0, or at whatever version the churn wrote last.
  const summary = verify(db, (i) => [rowFor(i, db.get(i).version), rowFor(i, version(i))]);
  console.log(`  reopened: ${db.recovery}; ${summary}`);
  console.log(
    `  look up by index: record ${Math.floor(db.count / 2)} is ${
      JSON.stringify(db.get(Math.floor(db.count / 2)))
    }`,
  );
  db.close();
} finally {
  tmp.remove();
}
