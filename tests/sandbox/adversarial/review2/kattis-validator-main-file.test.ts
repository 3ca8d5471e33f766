import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import { allTests, judgeFor, loadProblems } from "../../../../src/problems/index.js";
import { DEFAULT_LIMITS, Sandbox, findExecutable } from "../../../../src/sandbox/index.js";
import { bwrapWorks } from "../helpers.js";

/**
 * Review 2 hole (false verdicts, then a crash, on a standard package layout): a Kattis output
 * validator is judge.ts's `v.sources[0]`, i.e. the first file of output_validators/<name>/ in
 * name order, compiled alone as prog.cpp. The usual ICPC layout is Kattis' helper header next
 * to the validator, `validate.h` + `validator.cpp` (or testlib.h + checker.cpp), and
 * "validate.h" sorts first: g++ compiles the header as the program ("undefined reference to
 * `main'"), validatorProgram throws, and `codeloop problems validate <dir>` dies with
 * "Error: output validator output_validators/checker/validate.h does not compile" (a run's
 * judge call throws the same way for every submission of the problem).
 * Fix: compile the files that are translation units (.cpp/.cc/.cxx, the one defining main),
 * with the headers beside them; a validator that does not build makes the problem flagged
 * unjudgeable, not an exception.
 */

const FILES: Record<string, string> = {
  "problem.yaml": "name: Add Two\nvalidation: custom\n",
  "problem_statement/problem.en.md": "Print the sum of two integers.\n",
  "data/sample/1.in": "1 2\n",
  "data/sample/1.ans": "3\n",
  "data/secret/1.in": "5 7\n",
  "data/secret/1.ans": "12\n",
  "output_validators/checker/validate.h": `#pragma once
#include <cstdio>
#include <cstdlib>
static FILE *judge_ans;
static inline void init_io(int argc, char **argv) { judge_ans = fopen(argv[2], "r"); }
[[noreturn]] static inline void accept() { exit(42); }
[[noreturn]] static inline void wrong() { exit(43); }
`,
  "output_validators/checker/validator.cpp": `#include "validate.h"
int main(int argc, char **argv) {
  init_io(argc, argv);
  long long want, got;
  if (fscanf(judge_ans, "%lld", &want) != 1) return 1;
  if (scanf("%lld", &got) != 1) wrong();
  if (got == want) accept();
  wrong();
}
`,
  "submissions/accepted/ok.py": "a, b = map(int, input().split())\nprint(a + b)\n",
};

describe.skipIf(!bwrapWorks || !findExecutable("g++"))("a Kattis validator with a helper header", () => {
  let sb: Sandbox;
  let dir: string;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
    dir = mkdtempSync(join(tmpdir(), "codeloop-review2-kattis-"));
    for (const [name, text] of Object.entries(FILES)) {
      const path = join(dir, "addtwo", name);
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, text);
    }
  });
  afterAll(async () => {
    await sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("judges a correct submission as accepted", async () => {
    const [p] = await loadProblems(dir);
    const tests = allTests(p!);
    const r = await new Judge(sb).judge(
      judgeFor(p!, tests[0]!),
      tests,
      { language: "python", code: FILES["submissions/accepted/ok.py"]! },
      { limits: DEFAULT_LIMITS },
    );
    // Today: throws "output validator output_validators/checker/validate.h does not compile".
    expect(r.verdict).toBe("accepted");
  }, 120_000);
});
