import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { py } from "../../../../src/judge/pyvalue.js";
import type { JudgeSpec, TestCase } from "../../../../src/judge/types.js";
import { convertAssert } from "../../../../src/problems/asserts.js";
import { Sandbox } from "../../../../src/sandbox/index.js";
import { LIMITS, SCAN_LIMITS, bwrapWorks, expectRejected, memoryScanner } from "../helpers.js";

/**
 * Review 3: function-call and assert judging with PyPy as the runtime. The attacks of hole 1
 * (exits with status 0 at import, in the entry point, from atexit and from threads; patched
 * builtins; lying __eq__ in subclasses) plus PyPy-only levers (__pypy__ internals, a
 * subclass whose __int__/__index__/__iter__ lie, which PyPy's unbound int.__int__ or
 * list.__iter__ might dispatch differently) against a wrong solution, judged as function
 * tests, converted asserts and a kept check script. Observed: all rejected (see below).
 */

const hasPypy = (() => {
  try {
    execFileSync("pypy3", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const WRONG = "def add(a, b):\n    return a - b\n";
const ATTACKS: [string, string][] = [
  ["sys.exit(0) at import", "import sys\nsys.exit(0)\n"],
  ["os._exit(0) at import", "import os\nos._exit(0)\n"],
  ["os._exit(0) in the entry point", "import os\ndef add(a, b):\n    os._exit(0)\n"],
  ["atexit exit 0", `import atexit, os\natexit.register(lambda: os._exit(0))\n${WRONG}`],
  [
    "thread exits 0 later",
    `import threading, os, time\nthreading.Thread(target=lambda: (time.sleep(0.05), os._exit(0)), daemon=True).start()\n${WRONG}`,
  ],
  [
    "patched builtins",
    `import math, builtins\nmath.isclose = lambda *a, **k: True\nbuiltins.abs = lambda x: 0\n${WRONG}`,
  ],
  [
    "int subclass lying in __eq__/__int__/__index__",
    "class L(int):\n    def __eq__(s, o): return True\n    def __int__(s): return 3\n    def __index__(s): return 3\n    def __repr__(s): return '3'\n    __hash__ = int.__hash__\ndef add(a, b):\n    return L(-999)\n",
  ],
  [
    "list subclass lying in __iter__/__len__/__getitem__",
    "class L(list):\n    def __iter__(s): return iter([3])\n    def __len__(s): return 1\n    def __getitem__(s, i): return 3\n    def __eq__(s, o): return True\n    __hash__ = None\ndef add(a, b):\n    return L([-1, -2])\n",
  ],
  [
    "always-equal object",
    "class A:\n    def __eq__(s, o): return True\n    def __bool__(s): return True\n    def __sub__(s, o): return 0\ndef add(a, b):\n    return A()\n",
  ],
  [
    "__pypy__ internals: rebinds the encoder's globals",
    `import sys\ntry:\n    import __pypy__\nexcept ImportError:\n    pass\nfor m in list(sys.modules.values()):\n    d = getattr(m, "__dict__", {})\n    if "encode_value" in d:\n        d["encode_value"] = lambda v, *a, **k: ["i", "3"]\n    if "report" in d:\n        _r = d["report"]\n        d["report"] = lambda o: _r({"k": "pass"})\n${WRONG}`,
  ],
];

describe.skipIf(!bwrapWorks || !hasPypy)("PyPy: function and assert judging", () => {
  let sb: Sandbox;
  let judge: Judge;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1, python: "pypy" });
    judge = new Judge(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  const fnSpec: JudgeSpec = { kind: "function", entryPoint: "add" };
  const fnTests: TestCase[] = [
    { kind: "function", args: [py.int(1), py.int(2)], expected: py.int(3) },
    { kind: "function", args: [py.int(5), py.int(5)], expected: py.int(10) },
  ];
  const assertSpec: JudgeSpec = { kind: "assert", entryPoint: "add", setup: "import math\n" };
  const converted = (): TestCase[] =>
    ["assert add(1, 2) == 3", "assert add(5, 5) == 10"].map((script) => ({
      kind: "assert",
      script,
      call: convertAssert(script, ["add"])!,
    }));
  const script: TestCase[] = [
    {
      kind: "assert",
      script:
        "def check(candidate):\n    for a in range(4):\n        assert candidate(a, 1) == a + 1\n    assert abs(candidate(1, 2) - 3) < 1e-9\ncheck(add)\n",
    },
  ];

  it("a right solution is accepted all three ways", async () => {
    const sub = { language: "python", code: "def add(a, b):\n    return a + b\n" };
    for (const [spec, tests] of [
      [fnSpec, fnTests],
      [assertSpec, converted()],
      [assertSpec, script],
    ] as const) {
      const r = await judge.judge(spec, tests as TestCase[], sub, { limits: LIMITS });
      expect(r.verdict, JSON.stringify(r.tests.map((t) => t.message))).toBe("accepted");
    }
  }, 60_000);

  for (const [name, code] of ATTACKS) {
    it(`${name}: rejected as function tests, converted asserts and a check script`, async () => {
      const sub = { language: "python", code };
      expectRejected(await judge.judge(fnSpec, fnTests, sub, { limits: LIMITS }), `${name} (function)`);
      expectRejected(
        await judge.judge(assertSpec, converted(), sub, { limits: LIMITS }),
        `${name} (converted)`,
      );
      expectRejected(await judge.judge(assertSpec, script, sub, { limits: LIMITS }), `${name} (script)`);
    }, 60_000);
  }

  it("the candidate finds nothing of the check script running beside it, nor of later calls' arguments", async () => {
    const secret = `pypy-hidden-check-${process.pid}-5eed`;
    const check: TestCase[] = [
      {
        kind: "assert",
        script: `SECRET = ${JSON.stringify(secret)}\ndef check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(SECRET, "") == SECRET\ncheck(add)\n`,
      },
    ];
    const code = `${memoryScanner(secret)}\ndef add(a, b):\n    return a + b\n`;
    const r = await judge.judge(assertSpec, check, { language: "python", code }, { limits: SCAN_LIMITS });
    const out = r.tests[0]!.record.stdout;
    expect(out, `${r.verdict} ${r.tests[0]!.message}`).toMatch(/^clean/);
    const later: TestCase[] = [
      ...converted(),
      {
        kind: "assert",
        script: `assert add("${secret}", "") == "${secret}"`,
        call: convertAssert(`assert add("${secret}", "") == "${secret}"`, ["add"])!,
      },
    ];
    const r2 = await judge.judge(
      assertSpec,
      later,
      { language: "python", code },
      { limits: SCAN_LIMITS, stopOnFirstFailure: false },
    );
    expect(r2.tests[0]!.record.stdout, r2.verdict).toMatch(/^clean/);
    const fn: TestCase[] = [
      ...fnTests,
      { kind: "function", args: [py.str(secret), py.str("")], expected: py.str(secret) },
    ];
    const r3 = await judge.judge(
      fnSpec,
      fn,
      { language: "python", code },
      { limits: SCAN_LIMITS, stopOnFirstFailure: false },
    );
    expect(r3.tests[0]!.record.stdout, r3.verdict).toMatch(/^clean/);
    expect(r3.verdict).toBe("accepted");
  }, 180_000);
});
