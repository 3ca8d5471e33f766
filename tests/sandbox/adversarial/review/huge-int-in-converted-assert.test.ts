import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { checkAssertCall } from "../../../../src/judge/pycompare.js";
import type { PyValue } from "../../../../src/judge/pyvalue.js";
import type { TestCase } from "../../../../src/judge/types.js";
import { convertAssert } from "../../../../src/problems/asserts.js";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { bwrapWorks, expectRejected } from "../helpers.js";

/**
 * Review hole: a converted assert compares the returned value in Node with BigInt. An int of
 * millions of digits (written by the program into its own status channel, or returned) makes
 * BigInt() parse it on Node's main thread: 16M digits block the event loop 7 s, 60M digits 27 s.
 * Every other worker's watchdog fires meanwhile: an innocent concurrent program got
 * `time_limit` ("the sandbox stopped answering while this test ran, twice").
 * The comparison must be linear in the digits (as compare.ts does for stdio tokens).
 */

const DIGITS = 8_000_000;
const huge = (prefix = ""): PyValue => ["i", prefix + "7".repeat(DIGITS)];

function timed<T>(fn: () => T): [T, number] {
  const t0 = Date.now();
  const out = fn();
  return [out, Date.now() - t0];
}

describe("converted asserts on an 8-million-digit int are judged in linear time", () => {
  it("== against a small int", () => {
    const [out, ms] = timed(() => checkAssertCall({ op: "eq", expected: ["i", "2"] }, huge()));
    expect(out.ok).toBe(false);
    expect(ms).toBeLessThan(500);
  });
  it("truthiness (`assert f(x)` / `assert not f(x)`)", () => {
    const [out, ms] = timed(() => checkAssertCall({ op: "falsy" }, huge("0")));
    expect(out.ok).toBe(false);
    expect(ms).toBeLessThan(500);
  });
  it("set() of a list holding it, and math.isclose", () => {
    const [a, ms1] = timed(() =>
      checkAssertCall({ op: "eq", wrap: "set", expected: ["S", [["i", "1"]]] }, ["l", [huge("00")]]),
    );
    const [b, ms2] = timed(() =>
      checkAssertCall({ op: "isclose", expected: ["f", 1.5], relTol: 1e-9, absTol: 0 }, huge()),
    );
    expect(a.ok).toBe(false);
    expect(b.ok).toBe(false);
    expect(ms1 + ms2).toBeLessThan(1000);
  });
});

describe.skipIf(!bwrapWorks)("end to end: the program writes the int into its status channel", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("is a quick wrong answer, and Node's event loop keeps turning", async () => {
    const script = "assert f(1) == 2";
    const tests: TestCase[] = [{ kind: "assert", script, call: convertAssert(script, ["f"]) }];
    // The runner's own os.write is the program's os.write: every answer becomes the huge int.
    const code = `import os
_w = os.write
def w(fd, data):
    if fd == 1000:
        data = b'{"k":"ret","v":["i","' + b'7' * ${2 * DIGITS} + b'"]}\\n'
    return _w(fd, data)
os.write = w
def f(x):
    return 0
`;
    let last = Date.now();
    let longest = 0;
    const tick = setInterval(() => {
      const now = Date.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 10);
    try {
      const r = await new Judge(sb).judge(
        { kind: "assert", entryPoint: "f" },
        tests,
        { language: "python", code },
        { limits: DEFAULT_LIMITS },
      );
      expectRejected(r, "huge int");
      // runner.py writes ints this wide in hexadecimal: a decimal one is a forged record.
      expect(r.verdict).toBe("runtime_error");
    } finally {
      clearInterval(tick);
    }
    // Today: about 7 s in one BigInt() call (16M digits), 27 s at 60M.
    expect(longest).toBeLessThan(2000);
  });
});
