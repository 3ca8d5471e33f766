import { describe, expect, it } from "vitest";
import { returnedValue } from "../../../../src/sandbox/records.js";

/**
 * Review hole (in the uncommitted working tree of 2026-12-01 21:31, not in HEAD 73e4da7): the
 * new packed list form ["J", "l"|"t", "<JSON text>"] is expanded by pyFromJsonText before any
 * node is counted. The text is the program's to write: a 60 MB record
 * {"k":"ret","v":["J","l","[1,1,1,...]"]} (30M items) ended Node in one test with
 * "FATAL ERROR: ... JavaScript heap out of memory", and 4M items take 6.8 s and 700 MB before
 * "value too large". Bound the items by the text before parsing (a comma count), or parse
 * scalars only, counting as it goes.
 */

describe("packed lists out of the status channel", () => {
  it("a 4-million-item packed list is refused quickly", () => {
    const text = `[${"1,".repeat(4_000_000)}1]`;
    const t0 = Date.now();
    const r = returnedValue({ k: "ret", v: ["J", "l", text] });
    const ms = Date.now() - t0;
    expect(r.value).toBeUndefined();
    expect(ms).toBeLessThan(1000);
  });
});
