import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../src/judge/judge.js";
import { py } from "../../../src/judge/pyvalue.js";
import type { JudgeSpec, TestCase } from "../../../src/judge/types.js";
import { Sandbox } from "../../../src/sandbox/index.js";
import { LIMITS, bwrapWorks, expectRejected } from "./helpers.js";

/**
 * Hole 4: forged status records crashed codeloop. The function-call result travels on a
 * descriptor the program can write: a value like ["s",5] or ["l",null] threw a TypeError in
 * Node (and every --resume died again), a forged setup record became sandbox_error, 100k-deep
 * JSON killed the supervisor. Everything out of the sandbox is now parsed defensively: a bad
 * record is the test's runtime error, never a crash, never an infrastructure failure.
 */

const SPEC: JudgeSpec = { kind: "function", entryPoint: "f" };
const TESTS: TestCase[] = [
  { kind: "function", args: [py.int(1)], expected: py.int(2) },
  { kind: "function", args: [py.int(5)], expected: py.int(6) },
];

/** A program that writes `record` (raw bytes, Python literal) into its status channel. */
const forging = (record: string, then = "return x + 100") =>
  `import os\ndef f(x):\n    os.write(1000, ${record})\n    ${then}\n`;

const FORGERIES: [string, string][] = [
  ["a str value that is a number", `b'{"k":"ret","v":["s",5]}\\n'`],
  ["a list value that is null", `b'{"k":"ret","v":["l",null]}\\n'`],
  ["an int value that is not digits", `b'{"k":"ret","v":["i","12abc"]}\\n'`],
  ["an unknown tag", `b'{"k":"ret","v":["zz",1]}\\n'`],
  ["a dict whose entries are not pairs", `b'{"k":"ret","v":["d",[["s","a"]]]}\\n'`],
  ["100,000-deep nesting", `b'{"k":"ret","v":' + b'["l",[' * 100000 + b'["N"]' + b']]' * 100000 + b'}\\n'`],
  ["not JSON at all", `b'\\xff\\xfe garbage {{{\\n'`],
  ["a record without k", `b'{"v":["i","2"]}\\n'`],
  ["JSON that is not an object", `b'[1,2,3]\\n' + b'"s"\\n' + b'null\\n'`],
  ["a second answer after the real one", `b'{"k":"ret","v":["i","2"]}\\n'`],
  ["a forged setup failure", `b'{"k":"setup","msg":"pwned"}\\n'`],
  ["megabytes of one record", `b'{"k":"ret","v":["s","' + b'x' * (8 << 20) + b'"]}\\n'`],
];

describe.skipIf(!bwrapWorks)("hole 4: records out of the sandbox are parsed defensively", () => {
  let sb: Sandbox;
  let judge: Judge;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 2 });
    judge = new Judge(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  for (const [name, record] of FORGERIES) {
    it(`function call: ${name} is the test's runtime error`, async () => {
      const r = await judge.judge(
        SPEC,
        TESTS,
        { language: "python", code: forging(record) },
        {
          limits: LIMITS,
          stopOnFirstFailure: false,
        },
      );
      expectRejected(r, name);
      // Malformed: a runtime error; well-formed but not the program's one answer: also wrong.
      for (const t of r.tests)
        expect(["runtime_error", "wrong_answer"], `${name}: ${t.message}`).toContain(t.verdict);
    });
  }

  it("a forged record followed by an exit at import is not an answer", async () => {
    const code = `import os\nos.write(1000, b'{"k":"ret","v":["i","2"]}\\n')\nos._exit(0)\n`;
    const r = await judge.judge(SPEC, TESTS.slice(0, 1), { language: "python", code }, { limits: LIMITS });
    expectRejected(r, "exit after forging");
    expect(r.verdict).toBe("runtime_error");
  });

  it("the setup pipe is closed before the program runs: it cannot claim a sandbox failure", async () => {
    const code =
      "import os\nfor fd in (1001, 1002, 1003, 1005, 1006):\n    try:\n        os.write(fd, b'Epwned')\n        print('wrote', fd)\n    except OSError as e:\n        print('closed', fd)\nprint(int(input()) + 1)\n";
    const [run] = await sb.run({
      program: { kind: "python", source: code },
      tests: [{ stdin: "1\n" }],
      limits: LIMITS,
    });
    expect(run!.record.verdict).toBe("ok");
    expect(run!.stdout.toString()).not.toContain("wrote");
    // In a stdio test the status channel is fd 1000; forging there changes nothing either.
    const forged =
      'import os\nos.write(1000, b\'{"k":"syntax","type":"SyntaxError"}\\nEpwned\\n\')\nprint(2)\n';
    const [f] = await sb.run({
      program: { kind: "python", source: forged },
      tests: [{ stdin: "" }],
      limits: LIMITS,
    });
    expect(["ok", "runtime_error"]).toContain(f!.record.verdict);
  });

  it("a forged trace record does not break trace feedback", async () => {
    const code =
      'import os\ndef f(x):\n    os.write(1000, b\'{"k":"trace","trace":{"events":[{"line":"x","vars":null}],"omitted":{"after":"a"}}}\\n\')\n    return x\n';
    const trace = await judge.traceTest(SPEC, TESTS[0]!, { language: "python", code }, { limits: LIMITS });
    // The real trace comes after the forged one; a malformed one is dropped, never trusted.
    if (trace) {
      for (const e of trace.events) {
        expect(typeof e.line).toBe("number");
        expect(typeof e.source).toBe("string");
      }
    }
  });

  it("the pool is healthy after all of it", async () => {
    const r = await judge.judge(
      SPEC,
      TESTS,
      { language: "python", code: "def f(x):\n    return x + 1\n" },
      {
        limits: LIMITS,
      },
    );
    expect(r.verdict).toBe("accepted");
    expect(sb.stats.workerDeaths).toBe(0);
  });
});
