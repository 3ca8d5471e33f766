import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../src/judge/judge.js";
import type { JudgeSpec, TestCase } from "../../../src/judge/types.js";
import { convertAssert } from "../../../src/problems/asserts.js";
import { type Problem, allTests, judgeFor, loadProblems } from "../../../src/problems/index.js";
import { Sandbox } from "../../../src/sandbox/index.js";
import { sandboxComputeExpected } from "../../../src/validate/index.js";
import { dataPath, hasData } from "../../problems/data.js";
import { LIMITS, SCAN_LIMITS, bwrapWorks, expectRejected, memoryScanner } from "./helpers.js";

/**
 * Hole 1: assert-script judging accepted on the exit status. HumanEval's check(candidate) and
 * MBPP's asserts ran inside the candidate's process, so anything that ended it with status 0, or
 * bent what the asserts use, passed. Every program below solves nothing and must not pass,
 * neither through converted asserts (one call, checked in Node) nor through assert scripts
 * (run in the judge's checker process), and none of them may be blamed on the sandbox.
 */

const ENTRY = "add";
const GOOD = "def add(a, b):\n    return a + b\n";
const WRONG = "def add(a, b):\n    return a - b\n";
const SECRET = "hidden-check-marker-7f3a91";

/** MBPP-style: each assert one test, converted at load time. */
const mbppTests = (): TestCase[] =>
  ["assert add(1, 2) == 3", "assert add(2, 2) == 4", "assert math.isclose(add(0.5, 0.25), 0.75)"].map(
    (script, i) => {
      const call = convertAssert(script, [ENTRY]);
      if (!call) throw new Error(`test setup: '${script}' did not convert`);
      return { kind: "assert", name: `test-${i}`, script, call };
    },
  );

/** HumanEval-style check function that stays a script (a loop: not a convertible shape). */
const checkScript = `SECRET = ${JSON.stringify(SECRET)}
def check(candidate):
    for a in range(5):
        assert candidate(a, 1) == a + 1
    assert abs(candidate(0.1, 0.2) - 0.3) < 1e-9
    assert math.isclose(candidate(1.5, 1.5), 3.0)

check(add)
`;
const scriptTests = (): TestCase[] => [{ kind: "assert", name: "check", script: checkScript }];
const SPEC: JudgeSpec = { kind: "assert", entryPoint: ENTRY, setup: "import math\n" };

/** Attacks that end or bend the process; each prefixed to (or replacing) a wrong solution. */
const ATTACKS: [string, string][] = [
  ["sys.exit(0) at import", "import sys\nsys.exit(0)\n"],
  ["os._exit(0) at import", "import os\nos._exit(0)\n"],
  ["exit() at import", "exit()\n"],
  ["raise SystemExit at import", "raise SystemExit\n"],
  ["sys.exit(0) inside the entry point", "import sys\ndef add(a, b):\n    sys.exit(0)\n"],
  ["os._exit(0) inside the entry point", "import os\ndef add(a, b):\n    os._exit(0)\n"],
  ["raise SystemExit(0) inside the entry point", "def add(a, b):\n    raise SystemExit(0)\n"],
  ["atexit handler that exits 0", `import atexit, os\natexit.register(lambda: os._exit(0))\n${WRONG}`],
  [
    "thread that calls os._exit(0) after the asserts fail",
    `import threading, os, time\nthreading.Thread(target=lambda: (time.sleep(0.05), os._exit(0)), daemon=True).start()\n${WRONG}`,
  ],
  [
    "replaces os._exit so any exit is 0",
    `import os\n_real = os._exit\nos._exit = lambda code: _real(0)\nimport sys\nsys.exit = lambda *a: _real(0)\n${WRONG}`,
  ],
  [
    "patches math.isclose and builtins.abs",
    `import math, builtins\nmath.isclose = lambda *a, **k: True\nbuiltins.abs = lambda x: 0\n${WRONG}`,
  ],
  [
    "trace hook that exits 0 when check is called",
    `import sys, os\ndef hook(frame, event, arg):\n    if frame.f_code.co_name in ("check", "<module>") and frame.f_code.co_filename != "solution.py":\n        os._exit(0)\n    return hook\nsys.settrace(hook)\n${WRONG}`,
  ],
  [
    "rewrites the test code it finds in the runner's frames",
    `import sys\nf = sys._getframe()\nwhile f is not None:\n    for k, v in list(f.f_locals.items()):\n        if isinstance(v, str) and "assert" in v:\n            f.f_locals[k] = "pass"\n        if isinstance(v, dict):\n            for kk, vv in list(v.items()):\n                if isinstance(vv, str) and "assert" in vv:\n                    v[kk] = "pass"\n    f = f.f_back\n${WRONG}`,
  ],
  [
    "returns an object whose __eq__ always says True",
    "class Any:\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\n    def __bool__(self): return True\n    def __sub__(self, o): return 0\n    __hash__ = object.__hash__\ndef add(a, b):\n    return Any()\n",
  ],
  [
    "returns an int subclass that lies in __eq__",
    "class Liar(int):\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\n    __hash__ = int.__hash__\ndef add(a, b):\n    return Liar(-999)\n",
  ],
  [
    "returns a float subclass that lies in __sub__ and __eq__",
    "class Liar(float):\n    def __eq__(self, o): return True\n    def __sub__(self, o): return 0.0\n    def __abs__(self): return 0.0\n    __hash__ = float.__hash__\ndef add(a, b):\n    return Liar(-999.0)\n",
  ],
  [
    "monkeypatches the AssertionError class",
    `import builtins\nclass Never(BaseException):\n    pass\nbuiltins.AssertionError = Never\n${WRONG}`,
  ],
];

describe.skipIf(!bwrapWorks)("hole 1: assert judging accepts only on evidence the judge produced", () => {
  let sb: Sandbox;
  let judge: Judge;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 2 });
    judge = new Judge(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  const judgeBoth = async (code: string) => {
    const submission = { language: "python", code };
    const converted = await judge.judge(SPEC, mbppTests(), submission, { limits: LIMITS });
    const script = await judge.judge(SPEC, scriptTests(), submission, { limits: LIMITS });
    return { converted, script };
  };

  it("a correct solution passes both ways, a wrong one fails both ways", async () => {
    const good = await judgeBoth(GOOD);
    expect(good.converted.verdict).toBe("accepted");
    expect(good.converted.passed).toBe(3);
    expect(good.script.verdict).toBe("accepted");
    const wrong = await judgeBoth(WRONG);
    expect(wrong.converted.verdict).toBe("wrong_answer");
    expect(wrong.script.verdict).toBe("wrong_answer");
  });

  for (const [name, code] of ATTACKS) {
    it(`${name}: rejected, as converted asserts and as a check script`, async () => {
      const r = await judgeBoth(code);
      expectRejected(r.converted, `${name} (converted)`);
      expectRejected(r.script, `${name} (script)`);
    });
  }

  it("the program cannot read the hidden check code, nor later tests of its request", async () => {
    // The marker is in the check script (run by the checker) and in a later converted test's
    // argument: neither may be anywhere in the candidate's process while it runs.
    const code = `${memoryScanner(SECRET)}\ndef add(a, b):\n    import sys\n    sys.stderr.write(repr(a) + "\\n")\n    return a + b\n`;
    const scanLimits = SCAN_LIMITS;
    const script = await judge.judge(
      SPEC,
      scriptTests(),
      { language: "python", code },
      { limits: scanLimits },
    );
    const out = script.tests[0]!.record.stdout;
    expect(out, out).toMatch(/^clean/);
    const later: TestCase[] = [
      ...mbppTests(),
      {
        kind: "assert",
        name: "later",
        script: `assert add("${SECRET}", "") == "${SECRET}"`,
        call: convertAssert(`assert add("${SECRET}", "") == "${SECRET}"`, [ENTRY])!,
      },
    ];
    const scan = `${memoryScanner(SECRET)}\nimport sys\nsys.stdout.flush()\ndef add(a, b):\n    return a + b\n`;
    const r = await judge.judge(
      SPEC,
      later,
      { language: "python", code: scan },
      {
        limits: LIMITS,
        stopOnFirstFailure: false,
      },
    );
    // The module-level scan ran once, before the first call: the later argument was not there.
    expect(r.tests[0]!.record.stdout).toMatch(/^clean/);
    expect(r.verdict).toBe("accepted");
  });

  describe("real MBPP+ problems", () => {
    let cacheDir: string;
    let problems: Problem[] = [];
    const have = hasData("mbpp-plus", "MbppPlus.jsonl");
    beforeAll(async () => {
      if (!have) return;
      cacheDir = mkdtempSync(join(tmpdir(), "codeloop-adv-"));
      problems = await loadProblems(
        dataPath("mbpp-plus", "MbppPlus.jsonl"),
        {
          ids: ["Mbpp/124", "Mbpp/252"],
        },
        { computeExpected: sandboxComputeExpected(sb), cacheDir },
      );
    }, 300_000);
    afterAll(() => {
      if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
    });

    it.skipIf(!have)("Mbpp/124 and Mbpp/252 are not solved by `import sys; sys.exit(0)`", async () => {
      expect(problems.map((p) => p.id).sort()).toEqual(["Mbpp/124", "Mbpp/252"]);
      for (const p of problems) {
        const tests = allTests(p);
        for (const kind of ["function", "assert"] as const) {
          const part = tests.filter((t) => t.kind === kind);
          if (part.length === 0) continue;
          const r = await judge.judge(
            judgeFor(p, part[0]!),
            part,
            { language: "python", code: "import sys; sys.exit(0)\n" },
            { limits: LIMITS },
          );
          expectRejected(r, `${p.id} ${kind}`);
        }
        // And the dataset's own solution still passes everything.
        for (const kind of ["function", "assert"] as const) {
          const part = tests.filter((t) => t.kind === kind);
          if (part.length === 0) continue;
          const r = await judge.judge(judgeFor(p, part[0]!), part, p.solutions[0]!, {
            limits: { ...LIMITS, timeMs: 10_000, wallMs: 30_000 },
          });
          expect(
            r.verdict,
            `${p.id} ${kind}: ${JSON.stringify(r.tests.find((t) => t.verdict !== "accepted"))}`,
          ).toBe("accepted");
        }
      }
    });
  });
});
