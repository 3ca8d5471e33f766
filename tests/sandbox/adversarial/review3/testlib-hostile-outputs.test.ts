import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { DEFAULT_COMPARE, type JudgeSpec, type TestCase } from "../../../../src/judge/types.js";
import { Sandbox } from "../../../../src/sandbox/index.js";
import { LIMITS, bwrapWorks, expectRejected } from "../helpers.js";

/**
 * Review 3, testlib checkers (judge.ts checkTestlib, testlib.ts testlibOutcome): outputs made
 * to break a sloppy checker. The checker below (plain C++, testlib's exit codes) compares the
 * output byte for byte with the answer, but crashes on a NUL byte, fails (exit 3) on a line
 * longer than 1 MiB, exits with a code testlib never uses on "5", and echoes any output that
 * starts with "ECHO" to its stdout (past the checker's 1 MiB output limit). None of these may
 * be accepted, and none may become sandbox_error (never scored): the checker accepts the test's
 * own answer, so exit 3 is the output's fault. The answer followed by a NUL, and a 40 MB output
 * whose first line is the answer, must reach the checker whole (no clipping).
 * Observed: all hold (the program's failure, wrong_answer).
 */

const CHECKER = `
#include <cstdio>
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
static std::string slurp(const char* p) { std::ifstream f(p, std::ios::binary); std::stringstream s; s << f.rdbuf(); return s.str(); }
int main(int argc, char** argv) {
  if (argc != 4) return 3;
  std::string out = slurp(argv[2]), ans = slurp(argv[3]);
  if (out.find('\\0') != std::string::npos) { std::raise(SIGSEGV); }
  size_t nl = out.find('\\n');
  if ((nl == std::string::npos ? out.size() : nl) > (1u << 20)) { std::fprintf(stderr, "line too long"); return 3; }
  if (out.rfind("5", 0) == 0) return 5;
  if (out.rfind("ECHO", 0) == 0) { for (int i = 0; i < 4; i++) fwrite(out.data(), 1, out.size(), stdout); return 0; }
  if (out == ans) return 0;
  std::fprintf(stderr, "differ"); return 1;
}
`;

const SPEC: JudgeSpec = {
  kind: "stdio",
  compare: DEFAULT_COMPARE,
  validator: {
    protocol: "testlib",
    language: "cpp",
    sources: [{ path: "checker.cpp", content: CHECKER }],
    flags: [],
  },
};
const TESTS: TestCase[] = [{ kind: "stdio", input: "1\n", output: "42\n" }];

describe.skipIf(!bwrapWorks)("testlib checkers against hostile outputs", () => {
  let sb: Sandbox;
  let judge: Judge;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
    judge = new Judge(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });
  const judgeCode = (code: string) =>
    judge.judge(
      SPEC,
      TESTS,
      { language: "python", code },
      { limits: { ...LIMITS, timeMs: 3000, wallMs: 8000 } },
    );

  it("the right output is accepted", async () => {
    const r = await judgeCode("print(42)\n");
    expect(r.verdict, JSON.stringify(r.tests.map((t) => t.message))).toBe("accepted");
  }, 120_000);

  const ATTACKS: [string, string][] = [
    ["the answer then a NUL (checker crashes)", "import sys\nsys.stdout.write('42\\n\\0')\n"],
    ["a 2 MiB line (checker exit 3)", "import sys\nsys.stdout.write('4' * (2 << 20) + '\\n')\n"],
    ["an unknown exit code", "print(5)\n"],
    ["a checker that echoes past its output limit", "print('ECHO' + 'x' * 400000)\n"],
    ["the answer, then 40 MB more", "import sys\nsys.stdout.write('42\\n' + 'y' * (40 << 20))\n"],
    ["invalid UTF-8 around the answer", "import sys\nsys.stdout.buffer.write(b'\\xff42\\n')\n"],
  ];
  for (const [name, code] of ATTACKS) {
    it(`${name}: rejected, not a sandbox error`, async () => {
      expectRejected(await judgeCode(code), name);
    }, 120_000);
  }
});
