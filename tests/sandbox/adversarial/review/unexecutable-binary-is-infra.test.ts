import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../../src/judge/judge.js";
import type { JudgeSpec } from "../../../../src/judge/types.js";
import { STDIO_COMPARE_NO_CHECKER } from "../../../../src/problems/defaults.js";
import { DEFAULT_LIMITS, Sandbox, findExecutable } from "../../../../src/sandbox/index.js";
import { bwrapWorks, expectRejected } from "../helpers.js";

/**
 * Review hole: a C++ program can compile into an executable the kernel refuses to start. Its
 * own `.interp` section, padded past PATH_MAX, makes the program interpreter path invalid and
 * execve fails with ENOEXEC; runner.py reports "RE..." on the setup pipe and classify() turns
 * that into sandbox_error. The judge then says infrastructureFailure (after a retry), so the
 * program's failure is never scored against it, and `problems validate` exits 3.
 * The program's own binary failing to start is its runtime (or compile) error; only codeloop's
 * own tools (g++, validators) failing to start is infrastructure.
 */

const SOURCE = `#include <cstdio>
__attribute__((section(".interp"), used)) static const char pad[5000] = "x";
int main() { int a, b; if (scanf("%d %d", &a, &b) == 2) printf("%d\\n", a + b); return 0; }
`;

const SPEC: JudgeSpec = { kind: "stdio", compare: STDIO_COMPARE_NO_CHECKER };
const hasGxx = findExecutable("g++") !== undefined;

describe.skipIf(!bwrapWorks || !hasGxx)("a C++ executable that cannot be started", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("is the program's failure, not an infrastructure failure", async () => {
    const r = await new Judge(sb).judge(
      SPEC,
      [{ kind: "stdio", input: "1 2\n", output: "3\n" }],
      { language: "cpp", code: SOURCE },
      { limits: DEFAULT_LIMITS },
    );
    expectRejected(r, "oversized .interp");
    expect(["runtime_error", "compile_error"]).toContain(r.verdict);
  });
});
