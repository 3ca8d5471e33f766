import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../src/judge/judge.js";
import { py } from "../../src/judge/pyvalue.js";
import type { JudgeSpec, TestCase } from "../../src/judge/types.js";
import { Sandbox, pythonAvailable, pythonLabel, resolvePython } from "../../src/sandbox/index.js";
import { LIMITS, bwrapWorks, expectRejected, memoryScanner } from "./adversarial/helpers.js";

/*
 * PyPy as a runtime: the fork server, stdio, function-call and assert judging, and the
 * isolation behave as under CPython. The whole attack catalogue runs under PyPy with
 * `npm run test:pypy`; this file keeps the essentials in the default suite.
 */

const havePypy = pythonAvailable("pypy");
if (!havePypy) console.warn("skipping PyPy tests: pypy3 is not installed (apt-get install pypy3)");

const STDIO: JudgeSpec = { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } };

describe.skipIf(!havePypy || !bwrapWorks)("PyPy runtime", () => {
  let sb: Sandbox;
  let judge: Judge;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1, python: "pypy" });
    judge = new Judge(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("is found by name and labelled as PyPy", () => {
    const info = resolvePython("pypy");
    expect(info.runtime).toBe("pypy");
    expect(pythonLabel(info)).toMatch(/^PyPy \d+\.\d+\.\d+ \(Python 3\.\d+\.\d+\)$/);
    expect(sb.python.runtime).toBe("pypy");
    expect(sb.lastReady?.seccomp).toBe(true);
  });

  it("runs stdio programs in the warm fork server, as PyPy", async () => {
    const tests: TestCase[] = [1, 2, 3].map((n) => ({
      kind: "stdio",
      input: `${n} ${n}\n`,
      output: `${2 * n} pypy\n`,
    }));
    const code = "import sys\na, b = map(int, input().split())\nprint(a + b, sys.implementation.name)\n";
    const r = await judge.judge(STDIO, tests, { language: "python", code }, { limits: LIMITS });
    expect(r.verdict, JSON.stringify(r.tests.map((t) => t.message))).toBe("accepted");
    expect(r.passed).toBe(3);
  });

  it("is much faster than CPython on a hot loop (the reason Kattis uses it)", async () => {
    const code = "s = 0\nfor i in range(20_000_000):\n    s += i % 7\nprint(s)\n";
    const [run] = await sb.run({
      program: { kind: "python", source: code },
      tests: [{ stdin: "" }],
      limits: { ...LIMITS, timeMs: 1000 },
    });
    // CPython needs over a second for this loop; PyPy's JIT a small fraction of it.
    expect(run!.record.verdict, JSON.stringify(run!.record)).toBe("ok");
    expect(run!.stdout.toString().trim()).toBe(String(59999997));
  });

  it("accepts the setrecursionlimit / unlimited-stack idiom of accepted solutions", async () => {
    const code = `import resource, sys
resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
sys.setrecursionlimit(10 ** 6)
def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)
print(depth(int(input())))
`;
    const r = await judge.judge(
      STDIO,
      [{ kind: "stdio", input: "20000\n", output: "20000\n" }],
      { language: "python", code },
      { limits: LIMITS },
    );
    expect(r.verdict, r.tests[0]?.message).toBe("accepted");
  });

  it("still enforces the time and memory limits", async () => {
    const spin = await judge.judge(
      STDIO,
      [{ kind: "stdio", input: "", output: "x\n" }],
      { language: "python", code: "while True:\n    pass\n" },
      { limits: LIMITS },
    );
    expect(spin.verdict).toBe("time_limit");
    const hog = await judge.judge(
      STDIO,
      [{ kind: "stdio", input: "", output: "x\n" }],
      {
        language: "python",
        code: "b = bytearray(600 << 20)\nfor i in range(0, len(b), 4096):\n    b[i] = 1\nprint('x')\n",
      },
      { limits: { ...LIMITS, timeMs: 10_000, wallMs: 20_000 } },
    );
    expect(hog.verdict, hog.tests[0]?.message).toBe("memory_limit");
  });

  it("judges function calls, with values compared outside the program", async () => {
    const spec: JudgeSpec = { kind: "function", entryPoint: "f" };
    const tests: TestCase[] = [
      { kind: "function", args: [py.int(2)], expected: py.int(4) },
      { kind: "function", args: [py.int(3)], expected: py.int(9) },
    ];
    const good = await judge.judge(
      spec,
      tests,
      { language: "python", code: "def f(n):\n    return n * n\n" },
      {
        limits: LIMITS,
      },
    );
    expect(good.verdict).toBe("accepted");
    const liar = await judge.judge(
      spec,
      tests,
      {
        language: "python",
        code: "class Eq:\n    def __eq__(self, o):\n        return True\ndef f(n):\n    return Eq()\n",
      },
      { limits: LIMITS },
    );
    expectRejected(liar, "an always-equal object");
  });

  it("assert scripts accept only on the checker's evidence (sys.exit(0) and os._exit(0) fail)", async () => {
    const spec: JudgeSpec = { kind: "assert", entryPoint: "add" };
    const tests: TestCase[] = [{ kind: "assert", script: "assert add(1, 2) == 3\nassert add(2, 2) == 4" }];
    const ok = await judge.judge(
      spec,
      tests,
      { language: "python", code: "def add(a, b):\n    return a + b\n" },
      {
        limits: LIMITS,
      },
    );
    expect(ok.verdict, ok.tests[0]?.message).toBe("accepted");
    for (const code of [
      "import sys\nsys.exit(0)\n",
      "import os\nos._exit(0)\n",
      "def add(a, b):\n    import os\n    os._exit(0)\n",
      "import atexit, os\natexit.register(lambda: os._exit(0))\ndef add(a, b):\n    return 0\n",
    ]) {
      expectRejected(await judge.judge(spec, tests, { language: "python", code }, { limits: LIMITS }), code);
    }
  });

  it("cannot see the hidden check code in its own memory", async () => {
    const secret = "pypy-hidden-check-7f3a9c";
    const spec: JudgeSpec = { kind: "assert", entryPoint: "add" };
    const code = `${memoryScanner(secret)}\nimport sys\nsys.stdout.flush()\ndef add(a, b):\n    return a + b\n`;
    const r = await judge.judge(
      spec,
      [{ kind: "assert", script: `assert add(1, 2) == 3 or "${secret}"` }],
      { language: "python", code },
      { limits: { ...LIMITS, timeMs: 20_000, wallMs: 40_000 } },
    );
    expect(r.tests[0]!.record.stdout).toMatch(/^clean/);
  });

  it("cannot fork, nor reach the network, nor read the host's files", async () => {
    const code = `import os, socket
out = []
try:
    os.fork()
    out.append("forked")
except OSError:
    out.append("no-fork")
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1)
    out.append("net")
except OSError:
    out.append("no-net")
out.append("home" if os.path.exists("/root") and os.listdir("/root") else "no-home")
print(" ".join(out))
`;
    const [run] = await sb.run({
      program: { kind: "python", source: code },
      tests: [{ stdin: "" }],
      limits: LIMITS,
    });
    expect(run!.stdout.toString().trim()).toBe("no-fork no-net no-home");
  });
});
