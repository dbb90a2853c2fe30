import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  compare,
  formatDivergence,
  type Outcome,
  pythonHeader,
  runBatch,
} from "./differential_run.ts";
import { generate } from "./differential_gen.ts";
import process from "node:process";
import { patience, qemuExplains, scaled } from "./_emulation.ts";

// A fixed batch, the same on every run; `npm run fuzz` runs random ones.
// Under emulation the first 150 (they still reach every note checked below).
const SEEDS = Array.from({ length: scaled(500, 150) }, (_, i) => i + 1);
const python = process.env.MMAP_FUZZ_PYTHON ?? "python3";

describe("differential fuzzer against CPython's mmap", () => {
  const header = pythonHeader(python);

  it(
    `${SEEDS.length} generated sequences give CPython's results, errors and file bytes`,
    // Seconds natively (more than Bun's default 5 s on a loaded machine), minutes emulated.
    { timeout: patience(60_000) },
    () => {
      const report = runBatch(SEEDS, { python, header });
      assert.equal(report.sequences, SEEDS.length);
      // Under emulation, a sequence may stop being compared at a call that
      // qemu answers itself (tests/_emulation.ts); natively none does.
      const specs = new Map(SEEDS.map((s) => [s, generate(s, header)]));
      const unexplained = report.divergences.filter((d) => !qemuExplains(d, specs.get(d.seed)!));
      assert.deepEqual(unexplained.map(formatDivergence), []);
      // The batch reaches the documented differences, not only the easy paths.
      for (const name of ["CLOSED_TYPEERROR", "NULL_OMITTED", "STR_AS_UTF8", "SHARED_ANON_GROW"]) {
        assert.ok(report.notes[name] > 0, `no sequence exercised ${name}`);
      }
    },
  );

  it("generates the same sequence from the same seed", () => {
    assert.deepEqual(generate(77, header), generate(77, header));
    assert.notDeepEqual(generate(77, header), generate(78, header));
  });

  it("reports a different value, error class, errno, message or file", () => {
    const spec = generate(1, header);
    spec.ops = [{ op: "tell" }];
    const file = { size: 3, sha256: "aa" };
    const base: Outcome = { seed: 1, open: { v: null }, results: [{ v: 0 }], file };
    const same = (py: Partial<Outcome>, js: Partial<Outcome>) =>
      compare(spec, { ...base, ...py }, { ...base, ...js }, header, {});
    assert.equal(same({}, {}), null);
    assert.match(same({ results: [{ v: 1 }] }, {})!.why, /different values/);
    assert.match(
      same({ results: [{ e: "ValueError", m: "x" }] }, {})!.why,
      /CPython succeeded|expected RangeError/,
    );
    assert.match(
      same({ results: [{ e: "ValueError", m: "x" }] }, { results: [{ e: "TypeError", m: "x" }] })!
        .why,
      /expected RangeError/,
    );
    assert.match(
      same({ results: [{ e: "OSError", errno: 22 }] }, {
        results: [{ e: "MMapOSError", errno: 9 }],
      })!.why,
      /expected errno 22/,
    );
    assert.match(
      same(
        { results: [{ e: "ValueError", m: "seek out of range" }] },
        { results: [{ e: "RangeError", m: "out of range" }] },
      )!.why,
      /expected the message/,
    );
    assert.match(
      same({ results: [{ e: "ValueError", m: "mmap closed or invalid" }] }, {
        results: [{ e: "RangeError", m: "mmap closed or invalid" }],
      })!.why,
      /expected TypeError/,
    );
    assert.match(same({}, { file: { size: 3, sha256: "bb" } })!.why, /bytes differ/);
    assert.match(same({ open: { e: "OSError", errno: 9 } }, {})!.why, /expected MMapOSError/);
  });
});
