/**
 * The other process of the Ring's cross-process tests (run by Deno or Bun):
 * `ring_child.ts <role> <region> <args...>`. The region holds one ring at
 * offset 0 of `Ring.bytesFor(4096)` bytes.
 *
 * Roles that end on an error print its class and message and exit with
 * status 3 for a RingCorruptError, 4 for EPIPE, 1 for anything else: a crash
 * would be a signal, which the parent tells apart.
 */
import process from "node:process";
import { MMap, MMapOSError, Ring, RingCorruptError } from "../mod.ts";
import { patience } from "./_emulation.ts";

const [role, name, arg] = process.argv.slice(2);
const BYTES = Ring.bytesFor(4096);

function print(value: unknown): void {
  console.log(JSON.stringify(value));
}

const forever = () => new Promise(() => setInterval(() => {}, 1000));

try {
  using m = MMap.shared(name);
  const ring = new Ring(m, 0, BYTES);
  switch (role) {
    // Push `arg` messages (message i: 4 bytes of i), then stay alive, idle.
    case "push-then-idle": {
      for (let i = 0; i < Number(arg); i++) ring.push(Uint32Array.of(i) as unknown as Uint8Array);
      console.log("pushed");
      await forever();
      break;
    }
    // Pop one message (claiming the consumer role), then stay alive, idle.
    case "pop-then-idle": {
      ring.pop(20_000);
      console.log("popped");
      await forever();
      break;
    }
    // Pop until the ring is corrupted under it (or 20 s pass; 200 under emulation, where the
    // parent may see the "popping" line seconds late).
    case "pop-forever": {
      console.log("popping");
      const end = performance.now() + patience(20_000);
      let n = 0;
      while (performance.now() < end) if (ring.pop(50)) n++;
      print({ popped: n });
      break;
    }
    // Push until the ring is corrupted under it (or 20 s pass).
    case "push-forever": {
      console.log("pushing");
      const end = performance.now() + patience(20_000);
      const msg = new Uint8Array(24);
      while (performance.now() < end) ring.push(msg, 50);
      print({ done: true });
      break;
    }
    // Wait `arg` ms for a message that never comes; report the CPU it took.
    case "idle": {
      ring.pop(0);
      const before = process.cpuUsage();
      const got = ring.pop(Number(arg));
      const used = process.cpuUsage(before);
      print({ got, cpuMs: (used.user + used.system) / 1000 });
      break;
    }
    // Hold both roles, then wait with no timeout on an empty ring, and on a
    // full one: each wait could never end, so each must throw.
    case "both-roles": {
      const got: string[] = [];
      ring.push(Uint8Array.of(1));
      ring.pop(0);
      for (
        const wait of [
          () => ring.pop(),
          () => ring.popInto(new Uint8Array(8)),
          () => ring.peekMany(),
        ]
      ) {
        try {
          wait();
          got.push("returned");
        } catch (e) {
          got.push(e instanceof MMapOSError ? e.code : String(e));
        }
      }
      while (ring.tryPush(new Uint8Array(64)));
      for (const wait of [() => ring.push(new Uint8Array(64)), () => ring.reserveMany(64, 2)]) {
        try {
          wait();
          got.push("returned");
        } catch (e) {
          got.push(e instanceof MMapOSError ? e.code : String(e));
        }
      }
      print({ got, popped: ring.pop(0)?.length ?? null });
      break;
    }
    default:
      throw new Error(`unknown role ${role}`);
  }
} catch (e) {
  console.log(`${(e as Error).name}: ${(e as Error).message}`);
  process.exit(
    e instanceof RingCorruptError ? 3 : e instanceof MMapOSError && e.code === "EPIPE" ? 4 : 1,
  );
}
