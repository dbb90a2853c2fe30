/**
 * Locks and messages between a Deno and a Bun process: this library's shared
 * memory (Mutex, wait/notify, Semaphores) next to the same workloads over a
 * Unix socket between the same two processes.
 *
 *   deno run --allow-ffi --allow-read --allow-write --allow-run --allow-env --allow-net bench/sync.ts [--quick] [--ring] [--json]
 *   bun bench/sync.ts [--quick] [--ring] [--json]
 *
 * This process drives; it starts the other runtime as its peer and tells it
 * what to do through a control word in shared memory. The peer also serves a
 * Unix socket. `--ring` runs only the socket's message rows and the Ring's.
 * The Ring's workloads (bench/sync_ring.ts) run in both
 * directions with each wait strategy, beside the socket and beside C
 * references compiled here with gcc (bench/refs/sync_refs.c). Standalone for
 * now (bench/ may gain a shared harness later).
 */
import net from "node:net";
import process from "node:process";
import { MMap, Mutex, notify, wait, waitAsync } from "../mod.ts";
import { consume, produce, RING_BYTES } from "../examples/semaphore_ring.ts";
import { HASH_START, mix, valueOf } from "../examples/_exchange.ts";
import { otherRuntime, start, thisRuntime } from "../examples/_peers.ts";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import {
  compileReferences,
  CONSUME as RING_CONSUME,
  consumeN,
  COPIES,
  cReferences,
  type CRefs,
  ECHO as RING_ECHO,
  type Exchange,
  freshExchange,
  freshTrips,
  IN_PLACE,
  INTO,
  openRing,
  PRODUCE as RING_PRODUCE,
  RINGS_BYTES,
  STRATEGIES,
} from "./sync_ring.ts";

// Int32 words of the control region.
const CMD_SEQ = 0; // bumped by the driver for each command
const CMD = 1;
const CMD_ARG = 2;
const CMD_BATCH = 7;
const RING_ROLE = 8;
const RING_STRATEGY = 9;
const RING_WAY = 10;
const RING_COPY = 11; // which copy of the examples' loops a workload runs (see bothWays)
const DONE_SEQ = 3; // set by the peer when a command is done
const BARRIER = 4;
const PING = 5;
const READY = 6;
// Float64s from byte 64: what the peer measured, and the counter the locks guard.
const RESULTS_AT = 64;
const MUTEX_AT = 128;

const UNCONTENDED = 1;
const CONTENDED = 2;
const PINGPONG = 3;
const CONSUME = 4;
const EXIT = 5;
const RING = 6;

const WAIT_MS = 60_000;

interface Control {
  m: MMap;
  w: Int32Array;
  result: Float64Array;
  mutex: Mutex;
}

function control(name: string): Control {
  const m = MMap.shared(name);
  return {
    m,
    w: m.view(Int32Array, 0, 16),
    result: m.view(Float64Array, RESULTS_AT, 8),
    mutex: new Mutex(m, MUTEX_AT),
  };
}

/** Both processes arrive before either goes on. */
function arrive(w: Int32Array): void {
  if (Atomics.add(w, BARRIER, 1) + 1 === 2) notify(w, BARRIER);
  for (let v = Atomics.load(w, BARRIER); v < 2; v = Atomics.load(w, BARRIER)) {
    if (wait(w, BARRIER, v, WAIT_MS) === "timed-out") throw new Error("the other side never came");
  }
}

/** `n` lock/unlock pairs, adding 1 to a counter under the lock. */
function lockLoop(c: Control, n: number): void {
  const counter = c.result.subarray(7, 8);
  // guard.unlock() rather than `using`: Deno's `using` adds ~0.3 us a block.
  for (let i = 0; i < n; i++) {
    const guard = c.mutex.lock();
    counter[0] += 1;
    guard.unlock();
  }
}

// --- the peer ---------------------------------------------------------------

/** Checks a stream of 8-byte ring-buffer messages as it arrives, chunk by chunk. */
class StreamCheck {
  seq = 0;
  hash = HASH_START;
  inOrder = true;
  #rest = new Uint8Array(0);

  /** Takes the next chunk; returns how many whole messages have come in all. */
  feed(chunk: Uint8Array): number {
    let data = chunk;
    if (this.#rest.length) {
      const joined = new Uint8Array(this.#rest.length + data.length);
      joined.set(this.#rest);
      joined.set(data, this.#rest.length);
      data = joined;
    }
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let at = 0;
    for (; at + 8 <= data.length; at += 8) {
      const s = dv.getUint32(at, true);
      const v = dv.getUint32(at + 4, true);
      if (s !== this.seq || v !== valueOf(this.seq)) this.inOrder = false;
      this.hash = mix(this.hash, v);
      this.seq++;
    }
    this.#rest = data.slice(at);
    return this.seq;
  }
}

/**
 * Writes `n` 8-byte ring-buffer messages to `socket`, one write() each or
 * 8192 (64 KiB) per write; returns their hash.
 */
async function writeStream(socket: net.Socket, n: number, batched: boolean): Promise<number> {
  const drain = () => new Promise<void>((r) => socket.once("drain", () => r()));
  let hash = HASH_START;
  const per = batched ? 8192 : 1;
  for (let seq = 0; seq < n;) {
    const k = Math.min(per, n - seq);
    const chunk = new Uint8Array(k * 8);
    const dv = new DataView(chunk.buffer);
    for (let j = 0; j < k; j++, seq++) {
      const v = valueOf(seq);
      dv.setUint32(j * 8, seq, true);
      dv.setUint32(j * 8 + 4, v, true);
      hash = mix(hash, v);
    }
    if (!socket.write(chunk)) await drain();
  }
  return hash;
}

/**
 * One connection's protocol, chosen by its first byte: P(ing), L(ock),
 * S(tream: messages from the driver), R(everse stream: messages to it).
 */
function serve(socket: net.Socket): void {
  let mode = 0;
  let held = false;
  const queue: number[] = [];
  let count = -1;
  const check = new StreamCheck();
  let request = new Uint8Array(0);
  socket.on("data", (chunk: Uint8Array) => {
    let data = chunk;
    if (mode === 0) {
      mode = data[0];
      data = data.subarray(1);
    }
    if (mode === 0x50) { // P: echo
      if (data.length) socket.write(data);
    } else if (mode === 0x4c) { // L: L = lock, U = unlock; G = granted
      for (const byte of data) {
        if (byte === 0x4c) held ? queue.push(1) : (held = true, socket.write("G"));
        else if (queue.length) queue.shift(), socket.write("G");
        else held = false;
      }
    } else if (mode === 0x53) { // S: a u32 count, then 8-byte messages
      if (count < 0) {
        // The count first (it may come in pieces), then the messages.
        const joined = new Uint8Array(request.length + data.length);
        joined.set(request);
        joined.set(data, request.length);
        request = joined;
        if (request.length < 4) return;
        count = new DataView(request.buffer).getUint32(0, true);
        data = request.subarray(4);
      }
      if (check.feed(data) === count) {
        const reply = new DataView(new ArrayBuffer(12));
        reply.setUint32(0, check.seq, true);
        reply.setUint32(4, check.hash, true);
        reply.setUint32(8, check.inOrder ? 1 : 0, true);
        socket.write(new Uint8Array(reply.buffer));
      }
    } else if (mode === 0x52) { // R: a u32 count and a batched byte; then messages back
      const joined = new Uint8Array(request.length + data.length);
      joined.set(request);
      joined.set(data, request.length);
      request = joined;
      if (count < 0 && request.length >= 5) {
        count = new DataView(request.buffer).getUint32(0, true);
        writeStream(socket, count, request[4] === 1);
      }
    }
  });
}

/** Each workload's copy of the examples' loops, by the number the driver gives it (0: a new one). */
const exchangeCopies = new Map<number, Exchange>();

async function exchangeCopy(id: number): Promise<Exchange> {
  let copy = exchangeCopies.get(id);
  if (copy === undefined) {
    copy = await freshExchange();
    if (id !== 0) exchangeCopies.set(id, copy);
  }
  return copy;
}

/** The peer's side of a Ring workload, on the two rings of `rings`. */
async function ringCommand(
  w: Int32Array,
  result: Float64Array,
  rings: MMap,
  n: number,
): Promise<void> {
  const exchange = await exchangeCopy(Atomics.load(w, RING_COPY));
  const trips = await freshTrips();
  const s = Atomics.load(w, RING_STRATEGY);
  const a = openRing(rings, 0, s);
  const b = openRing(rings, 1, s);
  try {
    const role = Atomics.load(w, RING_ROLE);
    if (role === RING_CONSUME) {
      const { ms, ok } = consumeN(
        exchange,
        a,
        n,
        Atomics.load(w, CMD_BATCH),
        Atomics.load(w, RING_WAY),
      );
      result[1] = ms;
      result[2] = ok ? 1 : 0;
    } else if (role === RING_PRODUCE) {
      exchange.sendAll(b, n, Atomics.load(w, CMD_BATCH), Atomics.load(w, RING_WAY) === IN_PLACE);
    } else if (role === RING_ECHO) trips.echo(a, b);
  } finally {
    a.close();
    b.close();
  }
}

async function peer(name: string, ring: string, socketPath: string, rings: string): Promise<void> {
  const c = control(name);
  const ringsMap = MMap.shared(rings);
  const { w, result } = c;
  const server = net.createServer(serve);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  Atomics.store(w, READY, 1);
  notify(w, READY);
  let seen = 0;
  for (;;) {
    // Async, so that the socket server runs between commands.
    while (Atomics.load(w, CMD_SEQ) === seen) await waitAsync(w, CMD_SEQ, seen, WAIT_MS);
    seen = Atomics.load(w, CMD_SEQ);
    const cmd = Atomics.load(w, CMD);
    const n = Atomics.load(w, CMD_ARG);
    if (cmd === EXIT) break;
    const t0 = performance.now();
    if (cmd === UNCONTENDED) lockLoop(c, n);
    else if (cmd === CONTENDED) arrive(w), lockLoop(c, n);
    else if (cmd === PINGPONG) {
      for (let i = 0; i < n; i++) {
        while (Atomics.load(w, PING) !== 1) wait(w, PING, 0, WAIT_MS);
        Atomics.store(w, PING, 0);
        notify(w, PING);
      }
    } else if (cmd === CONSUME) {
      const tally = consume(ring, n, Atomics.load(w, CMD_BATCH));
      result[1] = tally.hash;
      result[2] = tally.inOrder && tally.messages === n ? 1 : 0;
    } else if (cmd === RING) await ringCommand(w, result, ringsMap, n);
    result[0] = performance.now() - t0;
    Atomics.store(w, DONE_SEQ, seen);
    notify(w, DONE_SEQ);
  }
  server.close();
  ringsMap.close();
  c.m.close();
}

// --- the driver -------------------------------------------------------------

function command(w: Int32Array, cmd: number, n: number): number {
  Atomics.store(w, CMD, cmd);
  Atomics.store(w, CMD_ARG, n);
  const seq = Atomics.add(w, CMD_SEQ, 1) + 1;
  notify(w, CMD_SEQ);
  return seq;
}

function connect(path: string, mode: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path, () => {
      socket.setNoDelay?.(true);
      socket.write(mode);
      resolve(socket);
    });
    socket.on("error", reject);
  });
}

/** `n` request/response round trips of one byte; returns ms. */
async function socketRoundTrips(path: string, n: number, lockServer: boolean): Promise<number> {
  const socket = await connect(path, lockServer ? "L" : "P");
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    let done = 0;
    socket.on("data", (chunk: Uint8Array) => {
      done += chunk.length;
      if (done >= n) return resolve();
      // A lock server: release, then ask again. An echo: ping again.
      socket.write(lockServer ? "UL" : "x");
    });
    socket.write(lockServer ? "L" : "x");
  });
  const ms = performance.now() - t0;
  socket.end(lockServer ? "U" : "");
  return ms;
}

/** `n` ring-buffer messages over the socket, one write each or in 64 KiB batches; returns ms. */
async function socketStream(path: string, n: number, batched: boolean): Promise<number> {
  const socket = await connect(path, "S");
  const reply = new Promise<Uint8Array>((resolve) => {
    let got = new Uint8Array(0);
    socket.on("data", (chunk: Uint8Array) => {
      const joined = new Uint8Array(got.length + chunk.length);
      joined.set(got);
      joined.set(chunk, got.length);
      got = joined;
      if (got.length >= 12) resolve(got);
    });
  });
  const t0 = performance.now();
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, n, true);
  socket.write(head);
  const hash = await writeStream(socket, n, batched);
  const got = new DataView((await reply).buffer);
  const ms = performance.now() - t0;
  socket.end();
  if (
    got.getUint32(0, true) !== n || got.getUint32(4, true) !== hash || got.getUint32(8, true) !== 1
  ) {
    throw new Error("the socket stream lost or damaged messages");
  }
  return ms;
}

/**
 * `n` ring-buffer messages the other way: the peer writes them (one write
 * each or in 64 KiB batches) and this side checks them; returns ms from
 * the request to the last message.
 */
async function socketStreamBack(path: string, n: number, batched: boolean): Promise<number> {
  const socket = await connect(path, "R");
  const check = new StreamCheck();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    socket.on("data", (chunk: Uint8Array) => {
      if (check.feed(chunk) === n) resolve();
    });
    const request = new Uint8Array(5);
    new DataView(request.buffer).setUint32(0, n, true);
    request[4] = batched ? 1 : 0;
    socket.write(request);
  });
  const ms = performance.now() - t0;
  socket.end();
  if (!check.inOrder) throw new Error("the socket stream back lost or damaged messages");
  return ms;
}

interface Row {
  workload: string;
  shared: string;
  socket: string;
}

const rate = (n: number, ms: number) => n / ms * 1000;
const fmt = (perSecond: number) =>
  perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M/s` : `${(perSecond / 1e3).toFixed(1)} k/s`;

async function driver(quick: boolean, json: boolean, ringOnly: boolean): Promise<void> {
  const scale = quick ? 10 : 1;
  const N = {
    uncontended: 2_000_000 / scale,
    contended: 200_000 / scale,
    roundTrips: 20_000 / scale,
    messages: 1_000_000 / scale,
  };
  const name = `bench-sync-${process.pid}`;
  const ring = `bench-ring-${process.pid}`;
  const rings = `bench-rings-${process.pid}`;
  const socketPath = `/tmp/mmap-bench-sync-${process.pid}.sock`;
  MMap.shared(name, 4096, { exclusive: true }).close();
  MMap.shared(ring, RING_BYTES, { exclusive: true }).close();
  const ringsMap = MMap.shared(rings, RINGS_BYTES, { exclusive: true });
  const c = control(name);
  const { w, result } = c;
  const me = thisRuntime;
  const them = otherRuntime;
  const rows: Row[] = [];
  const child = start(them, new URL(import.meta.url), ["--peer", name, ring, socketPath, rings], [
    "--allow-net",
  ]);
  const exited = new Promise<never>((_, reject) =>
    child.on(
      "close",
      (code, signal) => reject(new Error(`the ${them} peer exited: ${code ?? signal}`)),
    )
  );
  exited.catch(() => {});
  // Waits for the peer that give up if it dies (outside the timed loops).
  const until = async (i: number, target: number) => {
    for (let v = Atomics.load(w, i); v < target; v = Atomics.load(w, i)) {
      if (await Promise.race([waitAsync(w, i, v, WAIT_MS), exited]) === "timed-out") {
        throw new Error(`the ${them} peer made no progress for ${WAIT_MS} ms`);
      }
    }
  };
  try {
    await until(READY, 1);
    const run = (cmd: number, n: number) => {
      const seq = command(w, cmd, n);
      return () => until(DONE_SEQ, seq);
    };

    // The socket carrying 8-byte messages: the reference of every message
    // row. First an untimed pass of each, as the Ring's workloads get: a
    // socket measured cold, first thing in the run, carried a third of what
    // it carried warm (4-13 M/s with 64 KiB writes against 18-38 M/s later
    // in the same runs), which had made the Ring's ratios look three times
    // better than they are.
    for (const batched of [false, true]) {
      await socketStream(socketPath, N.messages / 5, batched);
      await socketStreamBack(socketPath, N.messages / 5, batched);
    }
    // (The Ring's batch rows measure the 64 KiB writes in turns with
    // themselves, both ways: see ringRows. This one is the Semaphore row's.)
    const oneByOne = rate(N.messages, await socketStream(socketPath, N.messages, false));
    const batched = rate(N.messages, await socketStream(socketPath, N.messages, true));
    // And the other way, the reference of each row's "back" column.
    const oneByOneBack = rate(N.messages, await socketStreamBack(socketPath, N.messages, false));
    if (!ringOnly) {
      // Uncontended: each process alone.
      let t0 = performance.now();
      lockLoop(c, N.uncontended);
      const mine = rate(N.uncontended, performance.now() - t0);
      await run(UNCONTENDED, N.uncontended)();
      const theirs = rate(N.uncontended, result[0]);
      const lockServer = rate(N.roundTrips, await socketRoundTrips(socketPath, N.roundTrips, true));
      rows.push({
        workload: `lock+unlock, uncontended (${me} | ${them})`,
        shared: `${fmt(mine)} | ${fmt(theirs)}`,
        socket: `${fmt(lockServer)} (lock server in ${them})`,
      });

      // Contended: both at once.
      Atomics.store(w, BARRIER, 0);
      const done = run(CONTENDED, N.contended);
      arrive(w);
      t0 = performance.now();
      lockLoop(c, N.contended);
      await done();
      const both = rate(2 * N.contended, performance.now() - t0);
      rows.push({
        workload: `lock+unlock, contended by ${me} and ${them}`,
        shared: `${fmt(both)} in all`,
        socket: "(a lock server serializes: see the round trips)",
      });

      // Round trips: wake the other side and wait for its answer.
      Atomics.store(w, PING, 0);
      const answered = run(PINGPONG, N.roundTrips);
      t0 = performance.now();
      for (let i = 0; i < N.roundTrips; i++) {
        Atomics.store(w, PING, 1);
        notify(w, PING);
        while (Atomics.load(w, PING) === 1) wait(w, PING, 1, WAIT_MS);
      }
      const futexTrips = rate(N.roundTrips, performance.now() - t0);
      await answered();
      const socketTrips = rate(
        N.roundTrips,
        await socketRoundTrips(socketPath, N.roundTrips, false),
      );
      rows.push({
        workload: `round trips ${me} <-> ${them} (notify/wait | 1-byte echo)`,
        shared: fmt(futexTrips),
        socket: fmt(socketTrips),
      });

      // Messages: the ring buffer of examples/ring_buffer.ts, one message per
      // Semaphore operation, then up to the ring's 1024 slots at a time.
      const ringRates = [];
      for (const batch of [1, 1024]) {
        MMap.unlinkShared(ring);
        MMap.shared(ring, RING_BYTES, { exclusive: true }).close();
        Atomics.store(w, CMD_BATCH, batch);
        const consumed = run(CONSUME, N.messages);
        t0 = performance.now();
        const sent = produce(ring, N.messages, batch);
        await consumed();
        ringRates.push(rate(N.messages, performance.now() - t0));
        if (result[1] !== sent.hash || result[2] !== 1) throw new Error("the ring lost messages");
      }
      rows.push({
        workload: `8-byte messages ${me} -> ${them}, one at a time`,
        shared: `${fmt(ringRates[0])} (Semaphore ring)`,
        socket: `${fmt(oneByOne)} (one write() each)`,
      }, {
        workload: `8-byte messages ${me} -> ${them}, in batches`,
        shared: `${fmt(ringRates[1])} (up to 1024 per Semaphore op)`,
        socket: `${fmt(batched)} (64 KiB writes)`,
      });
    }

    rows.push(
      ...await ringRows({
        quick,
        me,
        them,
        w,
        result,
        rings: ringsMap,
        run,
        socket: { oneByOne, oneByOneBack },
        socketBatched: async (back) =>
          rate(
            N.messages,
            await (back ? socketStreamBack : socketStream)(socketPath, N.messages, true),
          ),
      }),
    );

    run(EXIT, 0);
    await new Promise((r) => child.on("close", r));
  } finally {
    child.kill();
    c.m.close();
    ringsMap.close();
    MMap.unlinkShared(name);
    MMap.unlinkShared(ring);
    MMap.unlinkShared(rings);
  }

  if (json) {
    console.log(JSON.stringify({ driver: me, peer: them, quick, rows }));
    return;
  }
  console.log(`bench/sync.ts: ${me} drives, ${them} is the peer${quick ? " (--quick)" : ""}`);
  console.log(`load average when done: ${loadAverage()}\n`);
  const widths = [0, 0, 0];
  const table = [
    { workload: "workload", shared: "shared memory", socket: "reference (same run)" },
    ...rows,
  ];
  for (const r of table) {
    [r.workload, r.shared, r.socket].forEach((s, i) => widths[i] = Math.max(widths[i], s.length));
  }
  for (const r of table) {
    console.log(
      `${r.workload.padEnd(widths[0])}  ${r.shared.padEnd(widths[1])}  ${r.socket}`,
    );
  }
}

/** What the Ring workloads need from the driver. */
interface RingContext {
  quick: boolean;
  me: string;
  them: string;
  w: Int32Array;
  result: Float64Array;
  rings: MMap;
  run: (cmd: number, n: number) => () => Promise<void>;
  /** The socket with one write() a message, to the peer and back, per second. */
  socket: { oneByOne: number; oneByOneBack: number };
  /** Measures the socket with 64 KiB writes again, to the peer or (`back`) from it; per second. */
  socketBatched: (back: boolean) => Promise<number>;
}

/** Rounds of each batch workload and of its socket reference, interleaved. */
const BATCH_ROUNDS = 3;

const times = (x: number) => `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}x`;

/**
 * The Ring with each wait strategy: 8-byte messages one at a time and in
 * batches of 1024, both directions, and round trips; the C references last.
 */
async function ringRows(x: RingContext): Promise<Row[]> {
  const { w, result, rings, run, me, them } = x;
  const n = x.quick ? 500_000 : 2_000_000;
  const seconds = x.quick ? 0.3 : 1;
  const rows: Row[] = [];
  const zeroed = rings.view(Uint8Array);
  /** One workload: the peer in `role`, this side doing `mine` on fresh rings. */
  let copy = 0;
  const once = async <T>(
    role: number,
    s: number,
    batch: number,
    way: number,
    count: number,
    mine: (a: ReturnType<typeof openRing>, b: ReturnType<typeof openRing>) => T,
  ): Promise<T> => {
    zeroed.fill(0);
    Atomics.store(w, RING_ROLE, role);
    Atomics.store(w, RING_STRATEGY, s);
    Atomics.store(w, CMD_BATCH, batch);
    Atomics.store(w, RING_WAY, way);
    Atomics.store(w, RING_COPY, copy);
    const done = run(RING, count);
    const a = openRing(rings, 0, s);
    const b = openRing(rings, 1, s);
    try {
      const value = mine(a, b);
      await done();
      return value;
    } finally {
      a.close();
      b.close();
    }
  };
  /**
   * Messages per second each way: [me -> them, them -> me]. Each workload
   * (strategy, batch, way) has its own copy of the examples' loops on both
   * sides, run once untimed before its first timed run, so that every
   * round measures code in its steady state, as a process that does only
   * that job runs it: a new copy each round measured its warm-up too (a
   * round of 2,000,000 batched messages lasts some 30 ms).
   */
  const bothWays = async (s: number, batch: number, way: number) => {
    const key = 1 + (s * 3 + way) * 8192 + batch;
    let ex = exchanges.get(key);
    copy = key;
    if (ex === undefined) {
      exchanges.set(key, ex = await freshExchange());
      await once(RING_CONSUME, s, batch, way, n, (a) => ex!.sendAll(a, n, batch, way === IN_PLACE));
      await once(RING_PRODUCE, s, batch, way, n, (_, b) => consumeN(ex!, b, n, batch, way));
    }
    await once(RING_CONSUME, s, batch, way, n, (a) => ex.sendAll(a, n, batch, way === IN_PLACE));
    if (result[2] !== 1) throw new Error("the Ring lost or damaged messages");
    const out = rate(n - 1, result[1]);
    const back = await once(
      RING_PRODUCE,
      s,
      batch,
      way,
      n,
      (_, b) => consumeN(ex, b, n, batch, way),
    );
    if (!back.ok) throw new Error("the Ring lost or damaged messages");
    copy = 0;
    return [out, rate(n - 1, back.ms)];
  };
  const exchanges = new Map<number, Exchange>();
  // Warm-up, untimed: every workload once with the sleeping strategy, so
  // that both processes measure optimized code of the spinning part and the
  // sleeping part (a spinner would starve the compiler threads of this
  // 2-core machine while the code is still cold; code first run inside a
  // timed run, the sleep's, would be measured cold there).
  // The examples' loops are copies of their own (see freshExchange), so
  // this warms the library's code, not theirs.
  const warm = STRATEGIES.findIndex((s) => s.wait === "sleep");
  const ex: Exchange = await freshExchange();
  for (const [batch, way] of [[1, INTO], [1024, INTO], [1024, IN_PLACE], [1, COPIES]]) {
    await once(
      RING_CONSUME,
      warm,
      batch,
      way,
      n / 5,
      (a) => ex.sendAll(a, n / 5, batch, way === IN_PLACE),
    );
    await once(
      RING_PRODUCE,
      warm,
      batch,
      way,
      n / 5,
      (_, b) => consumeN(ex, b, n / 5, batch, way),
    );
  }
  const warmTrips = await freshTrips();
  await once(RING_ECHO, warm, 1, INTO, 0, (a, b) => warmTrips.roundTrips(a, b, seconds / 3));
  const trips: number[] = [];
  const nearC: number[][] = [];
  const cc = compileReferences();
  const third = `${seconds / 3}`;
  let c: CRefs | null = null;
  try {
    for (let s = 0; s < STRATEGIES.length; s++) {
      const name = STRATEGIES[s].name;
      if (STRATEGIES[s].spins === undefined) {
        const [out, back] = await bothWays(s, 1, INTO);
        rows.push({
          workload:
            `Ring, ${name}: 8-byte messages, one push/popInto each (${me} -> ${them} | back)`,
          shared: `${fmt(out)} | ${fmt(back)}`,
          socket: `${times(out / x.socket.oneByOne)} | ${
            times(back / x.socket.oneByOneBack)
          } the socket's ${fmt(x.socket.oneByOne)} | ${
            fmt(x.socket.oneByOneBack)
          } (one write() each)`,
        });
        // The batches and the socket's 64 KiB writes, each direction, in
        // turns, the fastest of each kept: both move by 2-3x from run to run
        // with the machine's phases (the socket carried 4.0 and 12.8 M/s in
        // two runs of the same minute), and one reference taken at the start
        // of the run judged every cell by whichever phase it fell in.
        // The copying and the in-place batch forms take their turns in the
        // same rounds, so that both are judged by the same socket figures.
        let [bout, bback, pout, pback, sout, sback] = [0, 0, 0, 0, 0, 0];
        for (let round = 0; round < BATCH_ROUNDS; round++) {
          sout = Math.max(sout, await x.socketBatched(false));
          sback = Math.max(sback, await x.socketBatched(true));
          const [o, b] = await bothWays(s, 1024, INTO);
          bout = Math.max(bout, o);
          bback = Math.max(bback, b);
          const [po, pb] = await bothWays(s, 1024, IN_PLACE);
          pout = Math.max(pout, po);
          pback = Math.max(pback, pb);
        }
        const against = (o: number, b: number) =>
          `${times(o / sout)} | ${times(b / sback)} the socket's ${fmt(sout)} | ${
            fmt(sback)
          } (64 KiB writes, fastest of ${BATCH_ROUNDS}, in turns with the Ring's)`;
        rows.push({
          workload:
            `Ring, ${name}: 8-byte messages, pushManyFrom/popManyInto of 1024 (${me} -> ${them} | back), fastest of ${BATCH_ROUNDS}`,
          shared: `${fmt(bout)} | ${fmt(bback)}`,
          socket: against(bout, bback),
        }, {
          workload:
            `Ring, ${name}: 8-byte messages, reserveMany/peekMany of 1024, in place (${me} -> ${them} | back), fastest of ${BATCH_ROUNDS}`,
          shared: `${fmt(pout)} | ${fmt(pback)}`,
          socket: against(pout, pback),
        });
      }
      // C's ping-pong (and, for a spinning strategy, C's round trip through
      // the Ring's layout) right before and right after, the faster kept: the
      // machine has phases of seconds in which C's spin ping-pong takes 4x as
      // long, and a reference taken at the end of the run may fall in another
      // phase than the workload it judges.
      const adjacent = () =>
        cc === null ? [0, 0] : [
          cc.run(STRATEGIES[s].wait === "sleep" ? "futex" : "spin", third),
          STRATEGIES[s].wait === "sleep" ? 0 : cc.run("ringtrip", third),
        ];
      const before = adjacent();
      const t = await freshTrips();
      trips[s] = await once(RING_ECHO, s, 1, INTO, 0, (a, b) => t.roundTrips(a, b, seconds));
      const after = adjacent();
      nearC[s] = [Math.max(before[0], after[0]), Math.max(before[1], after[1])];
    }
    const [cout, cback] = await bothWays(2, 1, COPIES);
    rows.push({
      workload: `Ring, sleep: 8-byte messages, push/pop (a copy each) (${me} -> ${them} | back)`,
      shared: `${fmt(cout)} | ${fmt(cback)}`,
      socket: `${times(cout / x.socket.oneByOne)} | ${
        times(cback / x.socket.oneByOneBack)
      } the socket's ${fmt(x.socket.oneByOne)} | ${fmt(x.socket.oneByOneBack)}`,
    });
    c = cc && cReferences(cc, seconds, n * 5);
  } finally {
    cc?.close();
  }
  for (let s = 0; s < STRATEGIES.length; s++) {
    const ref = STRATEGIES[s].wait === "sleep" ? "futex" : "spin";
    const [cRate, cTrip] = nearC[s];
    rows.push({
      workload: `Ring, ${STRATEGIES[s].name}: round trips ${me} <-> ${them} (push, pop the echo)`,
      shared: `${fmt(trips[s])} (${(1e6 / trips[s]).toFixed(2)} us each)`,
      socket: c
        ? `${times(cRate / trips[s])} the time of C's ${ref} ping-pong (${fmt(cRate)}, ${
          (1e6 / cRate).toFixed(2)
        } us, just before and after)` +
          (ref === "spin" ? `; ${times(cTrip / trips[s])} C's through Rings` : "")
        : "(no gcc: no C reference)",
    });
  }
  if (c) {
    rows.push({
      workload:
        "C references: SPSC ring of 8-byte messages | futex | spin ping-pong | spin round trips through Rings | through one-line records",
      shared: "",
      socket: `${fmt(c.ring)} | ${fmt(c.futex)} | ${fmt(c.spin)} | ${fmt(c.ringTrip)} | ${
        fmt(c.stampTrip)
      } (bench/refs/sync_refs.c, gcc -O2)`,
    });
  }
  const streams = batchFloors();
  rows.push({
    workload:
      `JS floor, batches of 1024 8-byte messages ${me} -> ${them} | back, fastest of 3 (bench/proto/stream_floor.ts)`,
    shared: "",
    socket: streams
      ? Object.entries(streams).map(([k, [o, b]]) => `${k} ${fmt(o)} | ${fmt(b)}`).join("; ")
      : "(the probe failed)",
  });
  const floors = jsFloors();
  rows.push({
    workload:
      `JS floor, spinning round trips ${me} <-> ${them}, fastest | median of 5 (bench/proto/pingpong.ts)`,
    shared: "",
    socket: floors
      ? Object.entries(floors).map(([k, [min, med]]) =>
        `${k} ${min.toFixed(3)} | ${med.toFixed(3)} us`
      ).join("; ")
      : "(the probe failed)",
  });
  return rows;
}

/**
 * Runs the bench-only probe `bench/proto/<name>` with `args` and `--json`
 * in a process pair of its own, under this runtime; its last line, parsed
 * (null if it failed).
 */
function runProbe(name: string, args: string[]): Record<string, [number, number]> | null {
  const file = decodeURIComponent(new URL(`./proto/${name}`, import.meta.url).pathname);
  const run = thisRuntime === "deno" ? ["run", "-A", file] : [file];
  const r = spawnSync(process.execPath, [...run, ...args, "--json"], {
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.status !== 0) return null;
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as Record<string, [number, number]>;
}

/**
 * The raw protocols of bench/proto/pingpong.ts (a one-word ping-pong, the
 * Ring's protocol without the library, a one-cache-line protocol) beside
 * the Ring and C's spin ping-pong: fastest and median round trip in µs.
 */
const jsFloors = () => runProbe("pingpong.ts", ["0.3", "5"]);

/**
 * The batch workload through rings with none of the library's code
 * (bench/proto/stream_floor.ts: headerless slots made and checked in
 * place, or copied in and out in one block; the Ring's records made in
 * place, or copied through buffers of each side's own as the batch forms
 * do), and through the library's `pushManyFrom`/`popManyInto`: messages
 * per second, out and back.
 */
const batchFloors = () => runProbe("stream_floor.ts", ["2000000", "3"]);

/**
 * The load averages, to say under what load the numbers were taken. Deno
 * reads /proc only with --allow-all (and os.loadavg() needs --allow-sys), so
 * without them `cat` (--allow-run, which the bench needs anyway) reads it.
 */
function loadAverage(): string {
  let text: string;
  try {
    text = readFileSync("/proc/loadavg", "utf8");
  } catch {
    const cat = spawnSync("cat", ["/proc/loadavg"], { encoding: "utf8" });
    if (cat.status !== 0) return "unknown";
    text = cat.stdout;
  }
  return text.split(" ").slice(0, 3).join(" ");
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  if (args[0] === "--peer") await peer(args[1], args[2], args[3], args[4]);
  else await driver(args.includes("--quick"), args.includes("--json"), args.includes("--ring"));
}
