// What a lock owner's liveness rests on (ffi/proc_stat.ts): this process's
// state and start time, as it reads them of itself, are what every other
// process reads of it in /proc/<pid>/stat. Under qemu-user (aarch64 on
// x86_64) they were not: qemu answers /proc/self/stat itself, with a start
// time ticks away from the kernel's, and lockers took a live owner for dead.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { processAlive, threadIdentity } from "../ffi/futex.ts";
import { procStat, startFingerprint } from "../ffi/proc_stat.ts";

/** State and start time of `pid` as another program (cat) reads them. */
function seenByAnother(pid: number): { state: string; startTime: number } {
  const r = spawnSync("cat", [`/proc/${pid}/stat`], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const fields = r.stdout.slice(r.stdout.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0], startTime: Number(fields[19]) };
}

describe("procStat (a lock owner's liveness)", () => {
  it("reads this process's own start time as other processes read it", () => {
    const self = procStat("self");
    assert.ok(self);
    assert.match(self.state, /^[A-Z]$/, "a state letter, as the kernel writes it");
    assert.equal(self.startTime, seenByAnother(process.pid).startTime);
    assert.equal(threadIdentity().start, startFingerprint(self));
  });

  it("takes this process, with its own start fingerprint, for alive", () => {
    const me = threadIdentity();
    assert.ok(me.start > 0);
    assert.equal(processAlive(me.pid, me.start), true);
    assert.equal(processAlive(me.pid, (me.start % 511) + 1), false, "another start time");
  });

  it("reads another process's start time as the kernel writes it", () => {
    const parent = procStat(process.ppid);
    assert.ok(parent);
    assert.match(parent.state, /^[A-Z]$/);
    assert.equal(parent.startTime, seenByAnother(process.ppid).startTime);
  });
});
