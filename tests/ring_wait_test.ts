/**
 * The sleeping strategy's adaptive spin (src/sync/ring_wait.ts): after
 * waits in a row that slept anyway, its spins are short, with a full one
 * now and then; a wait that sees the change while spinning makes them full
 * again. Driven through `spinWait` itself on a word that never changes, so
 * the bookkeeping tested is the one a Ring's waits do.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CHANGED,
  SLEEP,
  spinTime,
  spinWait,
  UNSTARTED,
  type WaitStrategy,
  type Watch,
} from "../src/sync/ring_wait.ts";

const FULL = 0.05;

function watch(strategy: WaitStrategy, spinMs = FULL): Watch {
  return {
    h: new Int32Array(64),
    index: 16,
    at: 0,
    strategy,
    spins: 1000,
    spinMs,
    futile: 0,
    probes: 0,
    end: UNSTARTED,
    nextCheck: 0,
    check() {},
  };
}

/** One wait on the unchanging word, as a Ring starts each: it spins, then gives up. */
function waitOnce(w: Watch): number {
  w.end = UNSTARTED;
  return spinWait(w, 0, undefined);
}

/** Of `n` spins in a row, how many are full. */
function fullOf(w: Watch, n: number): number {
  let full = 0;
  for (let i = 0; i < n; i++) if (spinTime(w, FULL) === FULL) full++;
  return full;
}

describe("the sleeping strategy's spin adapts", () => {
  it("stays full for three waits that slept, then is short, one in 16 full", () => {
    const w = watch("sleep");
    for (let i = 0; i < 3; i++) assert.equal(waitOnce(w), SLEEP);
    assert.equal(fullOf(w, 16), 16, "three futile waits do not shorten the spin");
    assert.equal(waitOnce(w), SLEEP);
    const short = spinTime(w, FULL);
    assert.ok(short > 0 && short < FULL / 4, `a short spin, not ${short}`);
    assert.equal(fullOf(w, 32), 2, "one full spin in 16 while they are short");
  });

  it("is full again after a wait that saw the change while spinning", () => {
    const w = watch("sleep");
    for (let i = 0; i < 6; i++) waitOnce(w);
    assert.ok(fullOf(w, 16) < 16);
    w.end = UNSTARTED;
    assert.equal(spinWait(w, 1, undefined), CHANGED, "the word is 0, not the 1 seen");
    assert.equal(fullOf(w, 16), 16);
  });

  it("leaves the yielding strategy's spin and a spin of looks (`spins`) as given", () => {
    const y = watch("yield");
    for (let i = 0; i < 8; i++) y.futile++, spinTime(y, FULL);
    assert.equal(fullOf(y, 16), 16);
    const looks = watch("sleep", 0);
    for (let i = 0; i < 8; i++) assert.equal(waitOnce(looks), SLEEP);
    assert.equal(looks.futile, 0, "a spin of looks is not counted");
  });
});
