import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { checkAssertCall } from "../../../../src/judge/pycompare.js";
import { type PyValue, py, pyEqual } from "../../../../src/judge/pyvalue.js";
import type { JudgeSpec, TestCase } from "../../../../src/judge/types.js";
import { convertAssert } from "../../../../src/problems/asserts.js";
import { DEFAULT_LIMITS, Sandbox } from "../../../../src/sandbox/index.js";
import { returnedValue } from "../../../../src/sandbox/records.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review 2 holes: Node's main thread still does unbounded work on what a program writes. The
 * first review capped the number of status records (64) and the nodes of a returned value, but:
 *
 * 1. Each record is still handed whole to JSON.parse (records.ts parseStatus), whatever its
 *    structure. A stdio program that prints the right answer and writes one 16 MiB record of
 *    nested brackets (`{"k":"x","p":[[[[...]]]]}`) on fd 1000 is *accepted* after blocking the
 *    event loop 6.5 to 16 s; 32 MiB: 13 s; at the 64 MiB status cap, 34-47 s and 1.95 GB of V8
 *    heap (a Node whose heap limit is 2 GB dies of it). 64 MiB of `{"a":{}}` objects: 7.5 s.
 *    (A probe of the event loop must let one more tick run after the judge resolves: a stall in
 *    the last callback is otherwise invisible, which is why watchEventLoop's stop is async.)
 * 2. A packed list ["J", "l", "<JSON text>"] is expanded by pyFromJsonText, which turns every
 *    integer lexeme into a BigInt and back to decimal *before* pyValueProblem rejects decimals
 *    longer than 4940 digits: one 16M-digit item blocks Node 19.7 s (1M: 0.8 s, 4M: 4.2 s),
 *    and the record is then refused anyway ("malformed int").
 * 3. Set and dict comparison builds canonical keys (pyvalue.ts canonicalKey, pycompare.ts
 *    pyHashKey) by string concatenation at every level, so a value costs O(depth x size). A
 *    genuine Python return value, no forgery: {t, 1} where t is 198 tuples around a tuple of
 *    1.9M Nones (within runner.py's depth 200 and 2M-node budget), compared with an expected
 *    {1, 2}: 26.5 s stall in a function test, 18.5 s in `assert set(f(x)) == {1, 2}`; a forged
 *    record 990 deep takes 84 s and 67 s. Sets and dicts are common MBPP(+) answers.
 * Fixes: check a record line's nesting and node count in one linear pass before JSON.parse (or
 * parse with a bounded, iterative parser); in pyFromJsonText refuse integer lexemes longer than
 * the encoding allows before BigInt; build set/dict keys with a budget (or bottom-up ids) and
 * fall back to pairwise comparison, which stops early on a size mismatch.
 */

/**
 * The longest time the event loop did not turn. stop() lets one more tick run first: a stall
 * in the last callback before the judge's promise resolves is otherwise never seen.
 */
function watchEventLoop(): () => Promise<number> {
  let last = Date.now();
  let longest = 0;
  const t = setInterval(() => {
    const now = Date.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    clearInterval(t);
    return longest;
  };
}

const BUDGET_MS = 3000;
/**
 * End to end a value of 1M Nones is read and validated too (~1.3 s quiet, 3.5 s with the
 * machine's other cores busy); the hole cost 5 s and 7 s, so this still tells them apart.
 */
const E2E_BUDGET_MS = 4500;

describe("pure Node paths", () => {
  it("a packed list holding one 16M-digit integer is refused quickly", () => {
    const t0 = Date.now();
    const r = returnedValue({ k: "ret", v: ["J", "l", `[${"7".repeat(16_000_000)}]`] });
    const ms = Date.now() - t0;
    expect(r.value).toBeUndefined();
    // Today: about 20 s.
    expect(ms).toBeLessThan(BUDGET_MS);
  }, 120_000);

  it("set keys of a deep value cost linear time", () => {
    let t: PyValue = ["t", Array.from({ length: 1_900_000 }, (): PyValue => ["N"])];
    for (let d = 0; d < 198; d++) t = ["t", [t, ["N"]]];
    const want: PyValue = ["S", [py.int(1), py.int(2)]];
    let t0 = Date.now();
    expect(pyEqual(want, ["S", [t, py.int(1)]], { absTol: 1e-6, relTol: 1e-7 })).toBe(false);
    const functionMs = Date.now() - t0;
    t0 = Date.now();
    expect(checkAssertCall({ op: "eq", wrap: "set", expected: want }, ["l", [t, py.int(1)]]).ok).toBe(false);
    const assertMs = Date.now() - t0;
    // Today: about 18 s and 12 s.
    expect(Math.max(functionMs, assertMs), `${functionMs} ms, ${assertMs} ms`).toBeLessThan(BUDGET_MS);
  }, 120_000);
});

describe.skipIf(!bwrapWorks)("end to end", () => {
  let sb: Sandbox;
  let judge: Judge;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
    judge = new Judge(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("one nested-bracket status record beside a right answer does not stall the event loop", async () => {
    const spec: JudgeSpec = { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } };
    const code = `import os, sys
a, b = map(int, sys.stdin.read().split())
print(a + b)
n = (16 << 20) // 2
os.write(1000, b'{"k":"x","p":' + b'[' * n + b']' * n + b'}\\n')
`;
    const stop = watchEventLoop();
    const r = await judge.judge(
      spec,
      [{ kind: "stdio", input: "1 2\n", output: "3\n" }],
      { language: "python", code },
      { limits: DEFAULT_LIMITS },
    );
    const longest = await stop();
    expect(r.verdict).not.toBe("sandbox_error");
    // Today: accepted, after a stall of 6 to 16 s.
    expect(longest).toBeLessThan(BUDGET_MS);
  }, 180_000);

  it("a genuine deep set returned by the program is a quick wrong answer", async () => {
    const code = `
def f(x):
    t = (None,) * 1_000_000
    for _ in range(198):
        t = (t, None)
    return {t, 1}
def g(x):
    return list(f(x))
`;
    const limits = { ...DEFAULT_LIMITS, timeMs: 10_000 };
    let stop = watchEventLoop();
    const fn = await judge.judge(
      { kind: "function", entryPoint: "f" },
      [{ kind: "function", args: [py.int(1)], expected: py.set([py.int(1), py.int(2)]) }],
      { language: "python", code },
      { limits },
    );
    const functionStall = await stop();
    const script = "assert set(g(1)) == {1, 2}";
    const tests: TestCase[] = [{ kind: "assert", script, call: convertAssert(script, ["g"]) }];
    stop = watchEventLoop();
    const as = await judge.judge(
      { kind: "assert", entryPoint: "g" },
      tests,
      { language: "python", code },
      { limits },
    );
    const assertStall = await stop();
    expect(fn.verdict).toBe("wrong_answer");
    expect(as.verdict).toBe("wrong_answer");
    // Today: about 7 s and 5 s with 1M Nones (26.5 s and 18.5 s with 1.9M). Reading and
    // validating the value itself costs about 1.3 s of this.
    expect(Math.max(functionStall, assertStall), `${functionStall} ms, ${assertStall} ms`).toBeLessThan(
      E2E_BUDGET_MS,
    );
  }, 180_000);
});
