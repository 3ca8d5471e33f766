import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../../src/judge/judge.js";
import type { JudgeSpec, TestCase } from "../../../src/judge/types.js";
import { STDIO_COMPARE_NO_CHECKER } from "../../../src/problems/defaults.js";
import { EXECUTABLE_CAP_MB, Sandbox } from "../../../src/sandbox/index.js";
import { LIMITS, bwrapWorks, expectRejected } from "./helpers.js";

/**
 * Hole 9: large outputs and binaries were slow. A 60 MB one-line stdout took 18.6 s to judge
 * (quadratic frame decoding, BigInt on a 60-million-digit token), a 100 MiB executable 64 s
 * (cached in the host's /tmp), and failed compiles were paid again on every judge call. The
 * timing is in bench:sandbox and bench:compare; here: the verdicts and the caps.
 */

const SPEC: JudgeSpec = { kind: "stdio", compare: STDIO_COMPARE_NO_CHECKER };

describe.skipIf(!bwrapWorks)("hole 9: sizes are capped and linear", () => {
  let sb: Sandbox;
  let judge: Judge;
  beforeAll(async () => {
    sb = await Sandbox.create({ workers: 1 });
    judge = new Judge(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("a 60 MB one-line output against a short answer is a quick wrong answer", async () => {
    const tests: TestCase[] = [{ kind: "stdio", input: "", output: "1000000007\n" }];
    const t0 = Date.now();
    const r = await judge.judge(
      SPEC,
      tests,
      { language: "python", code: "import sys\nsys.stdout.write('9' * (60 << 20))\n" },
      {
        limits: { ...LIMITS, outputKb: 64 * 1024, timeMs: 5000, wallMs: 15_000 },
      },
    );
    expectRejected(r, "60 MB token");
    expect(r.verdict).toBe("wrong_answer");
    expect(r.tests[0]!.message).toMatch(/too long/);
    // Generous: the figure that matters is in bench:sandbox; this only catches a quadratic.
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it("a 60-million-digit integer equal to the answer is accepted", async () => {
    const big = "7".repeat(60 << 20);
    const tests: TestCase[] = [{ kind: "stdio", input: "", output: `${big}\n` }];
    const r = await judge.judge(
      SPEC,
      tests,
      { language: "python", code: "import sys\nsys.stdout.write('7' * (60 << 20) + '\\n')\n" },
      {
        limits: { ...LIMITS, outputKb: 64 * 1024, timeMs: 5000, wallMs: 15_000 },
      },
    );
    expect(r.verdict).toBe("accepted");
  });

  it(`an executable over ${EXECUTABLE_CAP_MB} MiB is a compile error that says so`, async () => {
    // Initialised (so in the executable, not .bss) and reachable (so not optimised away).
    const src = "char big[100 << 20] = {1};\nint main(int argc, char**){ return big[argc * 12345]; }\n";
    const p = await sb.prepare("cpp", src);
    expect(p.ok).toBe(false);
    if (p.ok) return;
    expect(p.record.verdict).toBe("compile_error");
    expect(p.record.detail).toMatch(new RegExp(`exceed ${EXECUTABLE_CAP_MB} MiB`));
  }, 120_000);

  it("a failed compile is cached by source hash: the next judge call does not compile again", async () => {
    const bad = `int main() { return undefined_${process.pid}; }\n`;
    const first = await sb.prepare("cpp", bad);
    expect(first.ok).toBe(false);
    const compiles = sb.stats.compiles;
    const second = await sb.prepare("cpp", bad);
    expect(second.ok).toBe(false);
    expect(sb.stats.compiles).toBe(compiles);
    if (!second.ok) expect(second.record.stderr).toContain(`undefined_${process.pid}`);
  });
});
