import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../src/judge/judge.js";
import { Sandbox, type TestRun } from "../../../src/sandbox/index.js";
import { LIMITS, SCAN_LIMITS, bwrapWorks, isRoot, memoryScanner } from "./helpers.js";

/**
 * Hole 6: state leaked between tests and submissions. Files left in the sandbox's /tmp were read
 * by the next submission in the same worker (a hidden check script saved there came back in a
 * later program's stderr, which models see as feedback), and pre-creating the worker's work
 * directories poisoned it. Each test now starts in a fresh directory whose name a program cannot
 * predict, the scratch space is emptied after every test, and the supervisor keeps no test
 * data where a later child could find it, not even in memory.
 */

describe.skipIf(!bwrapWorks)("hole 6: nothing a program leaves reaches a later test", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    // One worker: every program below runs in the same supervisor, one after another.
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  const run = async (source: string, stdin = "", limits = LIMITS): Promise<TestRun> => {
    const [r] = await sb.run({ program: { kind: "python", source }, tests: [{ stdin }], limits });
    return r!;
  };

  it("files written anywhere writable are gone for the next program", async () => {
    const plant = `
import os
wrote = []
for d in (".", "/tmp", "/dev/shm", os.environ.get("HOME", "."), os.environ.get("TMPDIR", ".")):
    try:
        with open(os.path.join(d, "planted.txt"), "w") as f:
            f.write("left behind")
        wrote.append(d)
    except OSError:
        pass
print(wrote, os.getcwd())
`;
    const first = await run(plant);
    expect(first.record.verdict).toBe("ok");
    const look = `
import os
seen = []
for d in (".", "/tmp", "/dev/shm", os.environ.get("HOME", "."), ".."):
    try:
        for name in os.listdir(d):
            seen.append(os.path.join(d, name))
    except OSError:
        pass
print(seen, os.getcwd())
`;
    const second = await run(look);
    expect(second.stdout.toString()).not.toContain("planted");
    const [, firstCwd] = /\] (\S+)\n$/.exec(first.stdout.toString())!;
    const [, secondCwd] = /\] (\S+)\n$/.exec(second.stdout.toString())!;
    expect(secondCwd).not.toBe(firstCwd);
  });

  it("cannot predict or pre-create the next test's directory, nor list the scratch space", async () => {
    const src = `
import os
try:
    print("listed", os.listdir("/tmp"))
except OSError as e:
    print("unlistable", type(e).__name__)
made = 0
for i in range(1, 200):
    for name in ("w-%d" % i, ".io-%d" % i, "%d" % i):
        try:
            os.mkdir("/tmp/" + name, 0o000)
            made += 1
        except OSError:
            pass
print("made", made)
`;
    const r = await run(src);
    if (isRoot) expect(r.stdout.toString()).toContain("unlistable");
    // Whatever it managed, the next tests (and a C++ compile) work as usual.
    const ok = await sb.run({
      program: { kind: "python", source: "print(input()[::-1])" },
      tests: [{ stdin: "abc\n" }, { stdin: "xyz\n" }],
      limits: LIMITS,
    });
    expect(ok.map((t) => [t.record.verdict, t.stdout.toString()])).toEqual([
      ["ok", "cba\n"],
      ["ok", "zyx\n"],
    ]);
    const cpp = await sb.prepare("cpp", `#include <cstdio>\nint main(){puts("compiled ${process.pid}");}\n`);
    expect(cpp.ok).toBe(true);
  });

  it("a later program finds nothing of an earlier one's input, output or check script in memory", async () => {
    const marker = `leaked-${process.pid}-c0ffee`;
    const judge = new Judge(sb);
    // Earlier: a check script, a stdin and an output that carry the marker.
    await judge.judge(
      { kind: "assert", entryPoint: "f", setup: `MARK = ${JSON.stringify(marker)}\n` },
      [{ kind: "assert", script: `assert f(${JSON.stringify(marker)}) == ${JSON.stringify(marker)}\n` }],
      { language: "python", code: "def f(x):\n    return x\n" },
      { limits: LIMITS },
    );
    await run(`print(${JSON.stringify(marker)} * 3)\nprint(input())\n`, `${marker}\n`);
    // Later, in the same supervisor: scan everything reachable.
    const r = await run(memoryScanner(marker), "", SCAN_LIMITS);
    expect(r.stdout.toString(), r.stdout.toString()).toMatch(/^clean/);
  });

  it("within one request, a test's memory holds nothing of the other tests' inputs", async () => {
    const marker = `other-test-${process.pid}-beef`;
    const scanner = memoryScanner(marker);
    const runs = await sb.run({
      program: { kind: "python", source: scanner },
      tests: [{ stdin: "first\n" }, { stdin: `${marker}\n` }, { stdin: "third\n" }],
      limits: SCAN_LIMITS,
    });
    // The first and third tests ran with the marker in another test of the same request.
    expect(runs[0]!.stdout.toString()).toMatch(/^clean/);
    expect(runs[2]!.stdout.toString()).toMatch(/^clean/);
  });
});
