/**
 * The Ring between processes of both runtimes: millions of messages in
 * exact order, a producer or consumer killed, a hostile process that
 * overwrites the ring, and an idle sleeping consumer that uses no CPU.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { type MMap, MMapOSError, Ring } from "../mod.ts";
import { produce, RING_BYTES } from "../examples/ring_buffer.ts";
import {
  finished,
  lastJson,
  lineFrom,
  otherRuntime,
  runScript,
  type Runtime,
  SLOW,
  thisRuntime,
  withRegion,
} from "./sync_helpers.ts";
import { emulated, patience, scaled } from "./_emulation.ts";

const BYTES = Ring.bytesFor(4096);
/** 10,000,000 messages; under aarch64 emulation (tests/_emulation.ts), 200,000. */
const MANY = scaled(10_000_000, 200_000);
const example = decodeURIComponent(new URL("../examples/ring_buffer.ts", import.meta.url).pathname);
const childScript = decodeURIComponent(new URL("./ring_child.ts", import.meta.url).pathname);

const run = (which: Runtime, script: string, args: string[]): ChildProcess =>
  runScript(which, script, args, 90_000);

/**
 * Waits (`patience(60 s)` at most) until one of the header words `which`
 * (4 producer, 5 consumer, 16 head) of the ring at the start of `m` is not
 * 0: the other process has started and taken its role. A side of this
 * process waits 30 s at most for the other, and an emulated start-up on a
 * busy machine can take longer than that.
 */
async function untilStarted(m: MMap, which: number[]): Promise<void> {
  const words = m.view(Int32Array, 0, 64);
  const end = performance.now() + patience(60_000);
  while (which.every((i) => words[i] === 0) && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Tally {
  messages: number;
  hash: number;
  inOrder: boolean;
}

describe(`Ring between ${thisRuntime} and ${otherRuntime} processes`, () => {
  const ways = [
    ["pushManyFrom/popManyInto", 256, false],
    ["reserveMany/peekMany, in place", 256, true],
    ["push/popInto", 1, false],
  ] as const;
  for (const [label, batch, inPlace] of ways) {
    const count = batch === 1 ? MANY / 10 : MANY;
    const extra = inPlace ? ["in-place"] : [];
    it(
      `${count.toLocaleString("en")} messages ${thisRuntime} -> ${otherRuntime} (${label}${
        emulated ? ", fewer under emulation" : ""
      }): exact order and content`,
      SLOW,
      async () => {
        await withRegion(RING_BYTES, async (name, m) => {
          const consumer = finished(
            run(otherRuntime, example, [
              "--consume",
              name,
              `${count}`,
              `${batch}`,
              "sleep",
              ...extra,
            ]),
          );
          await untilStarted(m, [5]);
          const sent = produce(name, count, batch, "sleep", inPlace);
          const done = await consumer;
          assert.equal(done.status, 0);
          const got = lastJson<Tally>(done.stdout);
          assert.deepEqual(got, { ...sent, inOrder: true });
        });
      },
    );
  }

  it(
    `${(MANY / 50).toLocaleString("en")} messages ${otherRuntime} -> ${thisRuntime}, spinning`,
    SLOW,
    async () => {
      await withRegion(RING_BYTES, async (name, m) => {
        const n = MANY / 50;
        const producer = finished(
          run(otherRuntime, example, ["--produce", name, `${n}`, "64", "spin"]),
        );
        // The consumer spins on a core of its own: start it once the producer has
        // claimed its role or published.
        await untilStarted(m, [4, 16]);
        const { consume } = await import("../examples/ring_buffer.ts");
        const got = consume(name, n, 64, "spin");
        const done = await producer;
        assert.equal(done.status, 0);
        assert.deepEqual(got, lastJson<Tally>(done.stdout));
        assert.equal(got.inOrder, true);
      });
    },
  );

  it("a killed producer: its messages are delivered, then pop throws EPIPE", SLOW, async () => {
    await withRegion(BYTES, async (name, m) => {
      const ring = new Ring(m, 0, BYTES);
      const child = run(otherRuntime, childScript, ["push-then-idle", name, "10"]);
      await lineFrom(child, /^pushed/);
      assert.equal(ring.producer, child.pid);
      child.kill("SIGKILL");
      await finished(child);
      for (let i = 0; i < 10; i++) {
        assert.deepEqual(ring.pop(5000), new Uint8Array(Uint32Array.of(i).buffer));
      }
      const t0 = performance.now();
      assert.throws(() => ring.pop(10_000), (e) => e instanceof MMapOSError && e.code === "EPIPE");
      assert.ok(performance.now() - t0 < 5000);
      // The dead producer's claim is gone: a new producer may come.
      assert.equal(ring.producer, 0);
      ring.push(Uint8Array.of(1));
      assert.deepEqual(ring.pop(0), Uint8Array.of(1));
    });
  });

  it("a killed consumer: a push that waits for room throws EPIPE", SLOW, async () => {
    await withRegion(BYTES, async (name, m) => {
      const ring = new Ring(m, 0, BYTES);
      const child = run(otherRuntime, childScript, ["pop-then-idle", name]);
      ring.push(Uint8Array.of(1));
      await lineFrom(child, /^popped/);
      while (ring.tryPush(new Uint8Array(100)));
      child.kill("SIGKILL");
      await finished(child);
      assert.throws(
        () => ring.push(new Uint8Array(100), 10_000),
        (e) => e instanceof MMapOSError && e.code === "EPIPE",
      );
      assert.equal(ring.consumer, 0);
      // What it never read is still there for the next consumer.
      assert.equal(ring.popMany().length, 36);
    });
  });

  const attacked = [["pop-forever", /^popping/, "consumer"], [
    "push-forever",
    /^pushing/,
    "producer",
  ]];
  for (const [role, ready, side] of attacked as [string, RegExp, string][]) {
    it(
      `a hostile process overwrites the ring under a ${otherRuntime} ${side}: exit 3 (RingCorruptError), no crash`,
      SLOW,
      async () => {
        await withRegion(BYTES, async (name, m) => {
          const child = run(otherRuntime, childScript, [role, name]);
          const exited = finished(child);
          await lineFrom(child, ready);
          const words = m.view(Int32Array, 0, BYTES / 4);
          let seed = 99;
          const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
          let status: number | null = null;
          const done = exited.then((d) => (status = d.status, d));
          // Garbage everywhere but the header's first 16 bytes (magic, size),
          // over and over, until the child notices.
          const end = performance.now() + patience(20_000);
          while (status === null && performance.now() < end) {
            for (let i = 4; i < words.length; i++) words[i] = rand();
            await new Promise((r) => setTimeout(r, 5));
          }
          const d = await done;
          assert.equal(d.signal, null, "the child was not killed by a signal");
          assert.equal(d.status, 3, d.stdout);
          assert.match(d.stdout, /RingCorruptError: Ring: /);
        });
      },
    );
  }

  // In a child, so that a wait that hangs (the bug) is a killed child, not a lost run.
  it(
    `a ${otherRuntime} thread that holds both roles: a wait with no timeout throws EDEADLK`,
    SLOW,
    async () => {
      await withRegion(BYTES, async (name) => {
        const d = await finished(run(otherRuntime, childScript, ["both-roles", name]));
        assert.equal(
          d.signal,
          null,
          "the child was not killed (by the test's timeout: a wait hung)",
        );
        assert.equal(d.status, 0, d.stdout);
        const r = lastJson<{ got: string[]; popped: number | null }>(d.stdout);
        assert.deepEqual(r.got, ["EDEADLK", "EDEADLK", "EDEADLK", "EDEADLK", "EDEADLK"]);
        assert.equal(r.popped, 64, "the ring, full, is as it was");
      });
    },
  );

  it(`an idle ${otherRuntime} consumer sleeping in pop uses no CPU`, SLOW, async () => {
    await withRegion(BYTES, async (name) => {
      const d = await finished(run(otherRuntime, childScript, ["idle", name, "1000"]));
      assert.equal(d.status, 0);
      const r = lastJson<{ got: null; cpuMs: number }>(d.stdout);
      assert.equal(r.got, null);
      // A few futex wake-ups for liveness checks, not a spinning core (~1000 ms);
      // under emulation the same sleep took 104 and 105 ms of CPU on a busy machine.
      const most = scaled(100, 300);
      assert.ok(r.cpuMs < most, `${r.cpuMs} ms of CPU in 1000 ms asleep (at most ${most})`);
    });
  });
});
