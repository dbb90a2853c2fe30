/**
 * examples/ring_peer.py, a Python reader and writer of the Ring's layout
 * (standard library only), exchanging messages with this runtime both ways.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import process from "node:process";
import { Ring } from "../mod.ts";
import { finished, lastJson, SLOW, thisRuntime, withRegion } from "./sync_helpers.ts";

const script = decodeURIComponent(new URL("../examples/ring_peer.py", import.meta.url).pathname);
const BYTES = Ring.bytesFor(65536);
const N = 5000;
const python = spawnSync("python3", ["--version"]).status === 0 && process.arch === "x64";

/** Message i as ring_peer.py makes it: i % 61 bytes. */
function message(i: number): Uint8Array {
  const b = new Uint8Array(i % 61);
  for (let j = 0; j < b.length; j++) b[j] = (i * 31 + j * 7) & 0xff;
  return b;
}

/** The hash ring_peer.py prints: FNV-1a over each length (4 bytes, little-endian) and its bytes. */
function tally(messages: Uint8Array[]): number {
  let h = 2166136261;
  const mix = (b: number) => h = Math.imul(h ^ b, 16777619) >>> 0;
  for (const m of messages) {
    for (let k = 0; k < 4; k++) mix((m.length >>> (8 * k)) & 0xff);
    for (const b of m) mix(b);
  }
  return h;
}

function runPython(role: string, name: string) {
  return finished(
    spawn("python3", [script, role, name, `${N}`, `${BYTES}`], {
      stdio: ["ignore", "pipe", "inherit"],
      timeout: 60_000,
      killSignal: "SIGKILL",
    }),
  );
}

describe(`examples/ring_peer.py and ${thisRuntime}`, { skip: !python }, () => {
  it(
    `${N} messages ${thisRuntime} -> Python, every record size and the padding`,
    SLOW,
    async () => {
      await withRegion(BYTES, async (name, m) => {
        const ring = new Ring(m, 0, BYTES);
        const consumer = runPython("consume", name);
        const sent = [];
        for (let i = 0; i < N; i++) {
          sent.push(message(i));
          assert.equal(await ring.pushAsync(sent[i], 30_000), true);
        }
        const done = await consumer;
        assert.equal(done.status, 0);
        assert.deepEqual(lastJson(done.stdout), { messages: N, hash: tally(sent), inOrder: true });
      });
    },
  );

  it(`${N} messages Python -> ${thisRuntime}, the consumer asleep between them`, SLOW, async () => {
    await withRegion(BYTES, async (name, m) => {
      const ring = new Ring(m, 0, BYTES);
      const producer = runPython("produce", name);
      const got = [];
      for (let i = 0; i < N; i++) {
        const b = await ring.popAsync(30_000);
        assert.ok(b, `message ${i} came`);
        assert.deepEqual(b, message(i));
        got.push(b);
      }
      const done = await producer;
      assert.equal(done.status, 0);
      assert.deepEqual(lastJson(done.stdout), { messages: N, hash: tally(got), inOrder: true });
    });
  });
});
