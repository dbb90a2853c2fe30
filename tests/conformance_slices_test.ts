// Ports of CPython's Lib/test/test_mmap.py (3.13/3.14), MmapTests: extended
// slices. CPython compares with list and bytes slicing; here the expected
// bytes come from CPython itself (the `python()` oracle), in one call each.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MMap } from "../mod.ts";
import { fromHex, hex, python } from "./_helpers.ts";
import { MAXSIZE } from "./_conformance.ts";

// CPython's indices, with None as null and sys.maxsize as a BigInt.
const INDICES: (number | bigint | null)[] = [0, null, 1, 3, 19, 300, MAXSIZE, -1, -2, -31, -300];
const PY_INDICES = "(0, None, 1, 3, 19, 300, sys.maxsize, -1, -2, -31, -300)";
const S = Uint8Array.from({ length: 256 }, (_, i) => 255 - i); // bytes(reversed(range(256)))

/** Every (start, stop, step) of CPython's loops, in CPython's order. */
function* combinations(): Generator<
  [number | bigint | null, number | bigint | null, number | bigint | null]
> {
  for (const start of INDICES) {
    for (const stop of INDICES) {
      for (const step of INDICES.slice(1)) yield [start, stop, step];
    }
  }
}

describe("CPython test_mmap.py: MmapTests (extended slices)", () => {
  it("test_extended_getslice", () => {
    const expected = python(`
import json, sys
s = bytes(reversed(range(256)))
indices = ${PY_INDICES}
print(json.dumps([s[a:b:c].hex() for a in indices for b in indices for c in indices[1:]]))
`) as string[];
    using m = new MMap(-1, S.length);
    m.setSlice(null, null, S);
    assert.deepEqual(m.slice(), S);
    let k = 0;
    for (const [start, stop, step] of combinations()) {
      const got = m.slice(start as number, stop as number, step as number);
      assert.equal(hex(got), expected[k++], `[${start}:${stop}:${step}]`);
    }
    assert.equal(k, expected.length);
  });

  it("test_extended_set_del_slice", () => {
    // For each slice: the data assigned (the slice's bytes reversed, so the
    // length fits) and the bytes of the list after the same assignment.
    const expected = python(`
import json, sys
s = bytes(reversed(range(256)))
indices = ${PY_INDICES}
out = []
for a in indices:
    for b in indices:
        for c in indices[1:]:
            L = list(s)
            data = bytes(reversed(L[a:b:c]))
            L[a:b:c] = data
            out.append([data.hex(), bytes(L).hex()])
print(json.dumps(out))
`) as [string, string][];
    using m = new MMap(-1, S.length);
    let k = 0;
    for (const [start, stop, step] of combinations()) {
      m.setSlice(null, null, S);
      assert.deepEqual(m.slice(), S);
      const [data, after] = expected[k++];
      m.setSlice(start as number, stop as number, fromHex(data), step as number);
      assert.equal(hex(m.slice()), after, `[${start}:${stop}:${step}]`);
    }
    assert.equal(k, expected.length);
  });
});
