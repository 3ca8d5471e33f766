import { createHash } from "node:crypto";
import { type PyValue, pyEqual, pyHasFloat, pyReprClipped } from "../core/pyvalue.js";
import type { JudgeSpec, Language, OutputValidator, TestCase, Verdict } from "../core/verdict.js";
import type { Executor } from "../sandbox/index.js";
import type {
  JobTest,
  PreparedProgram,
  RunRecord,
  SandboxLimits,
  SandboxTrace,
  TestRun,
  TraceOptions,
} from "../sandbox/types.js";
import { compareOutput } from "./compare.js";
import { checkAssertCall, pyEquals } from "./pycompare.js";
import type { JudgeOptions, JudgeResult, JudgeService, Submission, TestVerdict } from "./service.js";
import { type CheckerOutcome, testlibOutcome } from "./testlib.js";

export type { JudgeOptions, JudgeResult, Submission, TestVerdict } from "./service.js";

const VALIDATOR_LIMITS: SandboxLimits = {
  timeMs: 30_000,
  memoryMb: 2048,
  addressSpaceHeadroomMb: 2048,
  processes: 16,
  outputKb: 1024,
  stderrKeepKb: 16,
  openFiles: 64,
};

function jobTest(t: TestCase): JobTest {
  switch (t.kind) {
    case "stdio":
      return { stdin: t.input };
    case "function":
      return { args: t.args };
    case "assert":
      return t.call ? { args: t.call.args, kwargs: t.call.kwargs } : { script: t.script };
  }
}

type AssertSpec = Extract<JudgeSpec, { kind: "assert" }>;

/**
 * Judges one submission on a test set: runs it in the sandbox (the whole set in one request)
 * and decides each test's verdict in this process, where the program cannot reach.
 */
export class Judge implements JudgeService {
  private validators = new Map<OutputValidator, Promise<PreparedProgram>>();
  /** What a testlib checker says of a test's answer given as the output, by test (see selfCheck). */
  private selfChecks = new WeakMap<OutputValidator, Map<string, Promise<CheckerOutcome>>>();

  constructor(readonly sandbox: Executor) {}

  get capacity(): number {
    return this.sandbox.size;
  }

  get slots(): number {
    return this.sandbox.size;
  }

  async judge(
    spec: JudgeSpec,
    tests: TestCase[],
    submission: Submission,
    opts: JudgeOptions,
  ): Promise<JudgeResult> {
    const stopEarly = opts.stopOnFirstFailure ?? true;
    for (const t of tests) {
      if (t.kind !== spec.kind)
        throw new Error(`test of kind '${t.kind}' in a problem judged as '${spec.kind}'`);
    }
    if (spec.kind !== "stdio" && submission.language !== "python") {
      throw new Error(
        `${spec.kind} problems are judged for Python submissions only, not '${submission.language}'`,
      );
    }
    const prepared = await this.sandbox.prepare(submission.language, submission.code);
    if (!prepared.ok) {
      return {
        verdict: "compile_error",
        tests: [],
        passed: 0,
        total: tests.length,
        compile: prepared.record,
        infrastructureFailure: false,
      };
    }
    const verdicts: TestVerdict[] = [];
    // Validators run asynchronously after the program's own run; their results are applied
    // in order once the whole set is done.
    const pendingChecks: Promise<void>[] = [];
    // What each decision keeps: the verdict and a clipped repr of a returned value, not the
    // value, nor the full stdout (a program can return 60 MB or print it on every test).
    const decide = (run: TestRun, index: number): boolean => {
      const go = decideTest(run, index);
      const rec = run.record;
      if (rec.returnValue) {
        rec.returnRepr = pyReprClipped(rec.returnValue, RETURN_REPR_CHARS);
        rec.returnValue = undefined;
      }
      run.stdout = NO_OUTPUT;
      return go;
    };
    const decideTest = (run: TestRun, index: number): boolean => {
      const test = tests[index]!;
      const tv: TestVerdict = { index, name: test.name, verdict: "accepted", record: run.record };
      verdicts.push(tv);
      const rec = run.record;
      if (test.kind === "assert" && !test.call && rec.assertionFailed && rec.verdict === "runtime_error") {
        tv.verdict = "wrong_answer";
        tv.message = rec.detail ?? "assertion failed";
        return !stopEarly;
      }
      if (rec.verdict !== "ok") {
        tv.verdict = rec.verdict;
        tv.message = describeFailure(rec);
        return !stopEarly && rec.verdict !== "compile_error";
      }
      if (test.kind === "stdio" && spec.kind === "stdio") {
        if (spec.validator) {
          const v = spec.validator;
          pendingChecks.push(
            v.protocol === "testlib"
              ? this.checkTestlib(v, test.input, test.output, run.stdout, tv)
              : this.validate(v, test.input, test.output, run.stdout, tv),
          );
          return true;
        }
        const cmp = compareOutput(test.output, run.stdout, spec.compare);
        if (!cmp.ok) {
          tv.verdict = "wrong_answer";
          tv.message = cmp.message;
        }
      } else if (test.kind === "function" && spec.kind === "function") {
        if (!rec.returnValue) {
          tv.verdict = "runtime_error";
          tv.message = "the entry point did not return (the program exited first)";
        } else if (!functionEqual(spec, test.expected, rec.returnValue)) {
          tv.verdict = "wrong_answer";
          tv.message = `expected ${pyReprClipped(test.expected, 300)}, got ${pyReprClipped(rec.returnValue, 300)}`;
        }
      } else if (test.kind === "assert" && test.call) {
        // A converted assert: the entry point's value is checked here, never in its process.
        if (!rec.returnValue) {
          tv.verdict = "runtime_error";
          tv.message = "the entry point did not return (the program exited first)";
        } else {
          const out = checkAssertCall(test.call.check, rec.returnValue);
          if (!out.ok) {
            tv.verdict = "wrong_answer";
            tv.message = `${firstLine(test.script)} failed: ${out.message ?? "the check did not hold"}`;
          }
        }
      }
      return !stopEarly || tv.verdict === "accepted";
    };
    if (spec.kind === "assert") {
      await this.runAsserts(spec, tests, prepared.program, opts.limits, stopEarly, decide);
    } else {
      await this.sandbox.run({
        program: prepared.program,
        mode: spec.kind,
        entryPoint: spec.kind === "function" ? spec.entryPoint : undefined,
        tests: tests.map(jobTest),
        limits: opts.limits,
        onResult: decide,
      });
    }
    await Promise.all(pendingChecks);
    verdicts.sort((a, b) => a.index - b.index);
    let result = verdicts;
    if (stopEarly) {
      const firstBad = verdicts.findIndex((v) => v.verdict !== "accepted");
      if (firstBad >= 0) result = verdicts.slice(0, firstBad + 1);
    }
    const bad = result.find((v) => v.verdict !== "accepted");
    return {
      verdict: bad ? bad.verdict : "accepted",
      tests: result,
      passed: result.filter((v) => v.verdict === "accepted").length,
      total: tests.length,
      infrastructureFailure: result.some((v) => v.verdict === "sandbox_error"),
    };
  }

  /**
   * Assert tests: the converted ones as calls of the entry point in one batch (values checked
   * in this process), the rest as scripts run by the sandbox's checker process, each calling
   * into the program's process. Neither ever runs the dataset's checks where the program can
   * reach them.
   */
  private async runAsserts(
    spec: AssertSpec,
    tests: TestCase[],
    program: PreparedProgram,
    limits: SandboxLimits,
    stopEarly: boolean,
    decide: (run: TestRun, index: number) => boolean,
  ): Promise<void> {
    const calls: number[] = [];
    const scripts: number[] = [];
    tests.forEach((t, i) => (t.kind === "assert" && t.call ? calls : scripts).push(i));
    const entryPoint = spec.entryPoint ?? inferAssertEntry(tests);
    if (calls.length > 0 && !entryPoint) {
      throw new Error("converted assert tests need the assert spec's entryPoint");
    }
    let firstFailure = Number.POSITIVE_INFINITY;
    const group = async (indices: number[], mode: "function" | "assert") => {
      if (indices.length === 0) return;
      if (stopEarly && indices[0]! > firstFailure) return;
      await this.sandbox.run({
        program,
        mode,
        entryPoint,
        setup: mode === "assert" ? spec.setup : undefined,
        context: mode === "assert" ? spec.context : undefined,
        tests: indices.map((i) => jobTest(tests[i]!)),
        limits,
        onResult: (run, k) => {
          const index = indices[k]!;
          const go = decide(run, index);
          if (!go) firstFailure = Math.min(firstFailure, index);
          // Later tests of this group matter only if they come before a failure seen so far.
          return go && !(stopEarly && indices[k + 1] !== undefined && indices[k + 1]! > firstFailure);
        },
      });
    };
    await group(calls, "function");
    await group(scripts, "assert");
  }

  /**
   * Runs one test again with a line-level trace (the "trace" feedback kind): which lines ran
   * and the locals after each, first and last events kept. Python submissions only.
   */
  async traceTest(
    spec: JudgeSpec,
    test: TestCase,
    submission: Submission,
    opts: { limits: SandboxLimits; trace?: TraceOptions },
  ): Promise<SandboxTrace | undefined> {
    if (submission.language !== "python") return undefined;
    // An assert script runs in the checker, out of the program's process: only its calls
    // could be traced, one by one; a converted assert is one traced call.
    if (test.kind === "assert" && !test.call) return undefined;
    const asCall = test.kind === "assert" || spec.kind === "function";
    const [run] = await this.sandbox.run({
      program: { kind: "python", source: submission.code },
      mode: asCall ? "function" : "stdio",
      entryPoint: spec.kind === "function" || spec.kind === "assert" ? spec.entryPoint : undefined,
      tests: [jobTest(test)],
      // Tracing slows a program down many times over: give it room to reach the failure.
      limits: {
        ...opts.limits,
        timeMs: opts.limits.timeMs * 5,
        wallMs: (opts.limits.wallMs ?? opts.limits.timeMs * 3 + 1000) * 5,
      },
      trace: opts.trace ?? {},
    });
    const trace = run?.record.trace;
    if (trace && run.record.verdict === "time_limit") trace.outcome = "timeout";
    return trace;
  }

  private validatorProgram(v: OutputValidator): Promise<PreparedProgram> {
    let p = this.validators.get(v);
    if (!p) {
      p = (async () => {
        const main = validatorMain(v);
        if (!main) throw new Error("output validator has no source files");
        const rest = v.sources.filter((s) => s !== main);
        const extra = Object.fromEntries(rest.map((s) => [s.path.split("/").pop()!, s.content]));
        const prepared = await this.sandbox.prepare(v.language, main.content, extra);
        if (!prepared.ok) {
          throw new Error(
            `output validator ${main.path} does not compile: ${prepared.record.stderr.slice(0, 2000)}`,
          );
        }
        return prepared.program;
      })();
      this.validators.set(v, p);
    }
    return p;
  }

  /** Kattis protocol: `validator input answer feedback_dir [flags] < output`; 42 accepted, 43 wrong. */
  private async validate(
    v: OutputValidator,
    input: string,
    answer: string,
    output: Buffer,
    tv: TestVerdict,
  ): Promise<void> {
    const program = await this.validatorProgram(v);
    const [run] = await this.sandbox.run({
      program,
      tests: [{ stdin: output, argv: ["input", "answer", ".", ...v.flags], files: { input, answer } }],
      limits: VALIDATOR_LIMITS,
      collect: ["judgemessage.txt"],
    });
    const rec = run!.record;
    const feedback = run!.collected["judgemessage.txt"]?.toString("utf8").trim();
    if (rec.exitCode === 42) return;
    if (rec.exitCode === 43) {
      tv.verdict = "wrong_answer";
      tv.message = feedback ? `validator: ${clip(feedback)}` : "rejected by the output validator";
      return;
    }
    if (rec.verdict === "sandbox_error") {
      tv.verdict = "sandbox_error";
      tv.message = `output validator could not run: ${rec.detail}`;
      return;
    }
    // The validator ran and neither accepted nor rejected (it crashed on this output, or ran
    // out of time). Kattis calls that a judge error; counting it as infrastructure would let a
    // program escape the score by printing what breaks a fragile validator, so it is the
    // program's wrong answer, and says why.
    tv.verdict = "wrong_answer";
    tv.message = `judge error: the output validator failed on this output (${rec.detail ?? `exit ${rec.exitCode}`}): ${clip(rec.stderr)}`;
  }

  /** One run of a testlib checker: `checker input output answer`, the three files in its cwd. */
  private async runChecker(
    program: PreparedProgram,
    input: string,
    output: string | Buffer,
    answer: string,
  ): Promise<CheckerOutcome> {
    const [run] = await this.sandbox.run({
      program,
      tests: [{ argv: ["input", "output", "answer"], files: { input, output, answer } }],
      limits: VALIDATOR_LIMITS,
    });
    return testlibOutcome(run!.record);
  }

  /**
   * The checker on the test's own answer as the output. A sound test passes it; a checker that
   * fails (exit 3) here too is broken on this test whatever a program prints. Run once per
   * validator and test, and only when some output made the checker fail.
   */
  private selfCheck(v: OutputValidator, program: PreparedProgram, input: string, answer: string) {
    let byTest = this.selfChecks.get(v);
    if (!byTest) {
      byTest = new Map();
      this.selfChecks.set(v, byTest);
    }
    const key = createHash("sha256").update(input).update("\0").update(answer).digest("hex");
    let p = byTest.get(key);
    if (!p) {
      p = this.runChecker(program, input, answer, answer);
      byTest.set(key, p);
      // A sandbox failure says nothing of the test: the next exit 3 asks again.
      const cache = byTest;
      p.then((o) => o.kind === "sandbox" && cache.delete(key)).catch(() => cache.delete(key));
    }
    return p;
  }

  /**
   * testlib protocol (Codeforces/Polygon checkers). 0 accepted; 1, 2, 4, 7, 8 the program's
   * wrong answer (presentation errors and partial scores are not accepted); anything else that
   * is not exit 3 (a crash, a timeout, an unknown code) a wrong answer too, as on the Kattis path.
   * Exit 3 is the checker saying the jury is wrong, but sloppy checkers also reach `quitf(_fail)`
   * on garbage output, so it is an infrastructure failure (sandbox_error, never scored) only
   * when the checker fails on the test's own answer as well; otherwise the output caused it and
   * it is a wrong answer. A program thus cannot dodge a wrong answer by making the checker fail.
   */
  private async checkTestlib(
    v: OutputValidator,
    input: string,
    answer: string,
    output: Buffer,
    tv: TestVerdict,
  ): Promise<void> {
    const program = await this.validatorProgram(v);
    const out = await this.runChecker(program, input, output, answer);
    if (out.kind === "accepted") return;
    if (out.kind === "sandbox") {
      tv.verdict = "sandbox_error";
      tv.message = out.message;
      return;
    }
    tv.verdict = "wrong_answer";
    if (out.kind === "rejected") {
      tv.message = out.message;
      return;
    }
    if (out.kind === "broken") {
      tv.message = `judge error: the checker failed on this output (${out.message})`;
      return;
    }
    const self = await this.selfCheck(v, program, input, answer);
    if (self.kind === "sandbox") {
      tv.verdict = "sandbox_error";
      tv.message = `checker failure (testlib exit 3): ${out.message}; checking the reference answer: ${self.message}`;
    } else if (self.kind === "fail") {
      tv.verdict = "sandbox_error";
      tv.message = `checker failure (testlib exit 3): ${out.message} (it fails on the test's own answer too: broken test data or checker)`;
    } else {
      const reference =
        self.kind === "accepted"
          ? "it accepts the test's own answer, so this output caused it"
          : `it also rejects the test's own answer (${self.message}), yet did not fail on it`;
      tv.message = `checker failure (testlib exit 3) on this output, counted as a wrong answer: ${out.message} (${reference})`;
    }
  }
}

/**
 * The function an assert script tests, for specs that do not name it: HumanEval's script ends
 * with `check(<entry point>)`, MBPP's asserts call it first thing (`assert f(...)`,
 * `assert not f(...)`, `assert math.isclose(f(...), ...)`, `assert set(f(...)) == ...`).
 */
export function inferAssertEntry(tests: readonly TestCase[]): string | undefined {
  for (const t of tests) {
    if (t.kind !== "assert") continue;
    const check = /^check\(\s*([A-Za-z_]\w*)\s*\)\s*$/m.exec(t.script);
    if (check) return check[1];
    const call =
      /^\s*assert\s+(?:not\s+)?\(?\s*(?:(?:math\.)?isclose\(|abs\(|set\(|frozenset\(|tuple\(|list\(|sorted\()?\s*([A-Za-z_]\w*)\s*\(/m.exec(
        t.script,
      );
    if (call && call[1] !== "candidate") return call[1];
  }
  return undefined;
}

/** A function test's comparison, as the benchmark's own harness makes it. */
function functionEqual(spec: Extract<JudgeSpec, { kind: "function" }>, want: PyValue, got: PyValue): boolean {
  const tolerance = { absTol: spec.floatAbsTol, relTol: spec.floatRelTol, loose: spec.looseSequences };
  if (!spec.pythonEquality) return pyEqual(want, got, tolerance);
  return (
    pyEquals(want, got) || (pyHasFloat(want) && pyEqual(want, got, { ...tolerance, sumTolerance: true }))
  );
}

/**
 * The source a validator starts from: the one defining main (C++) or the one that is run
 * (Python: not imported by the others), else the first translation unit; never a header
 * (`validate.h` sorts before `validator.cpp`).
 */
function validatorMain(v: OutputValidator): OutputValidator["sources"][number] | undefined {
  const units = v.sources.filter((s) =>
    v.language === "python" ? s.path.endsWith(".py") : /\.(cpp|cc|cxx|c\+\+|C)$/.test(s.path),
  );
  if (v.language === "python") {
    const imported = (s: { path: string }) => {
      const mod = s.path.split("/").pop()!.replace(/\.py$/, "");
      return units.some((o) => o !== s && new RegExp(`^\\s*(import|from)\\s+${mod}\\b`, "m").test(o.content));
    };
    return units.find((s) => !imported(s)) ?? units[0];
  }
  return units.find((s) => /\bmain\s*\(/.test(s.content)) ?? units[0] ?? v.sources[0];
}

/** Longest repr of a returned value a verdict keeps (feedback shows it, clipped again). */
const RETURN_REPR_CHARS = 4000;
const NO_OUTPUT = Buffer.alloc(0);

function firstLine(s: string): string {
  const line = s.trim().split("\n")[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

function clip(s: string, n = 300): string {
  return s.length > n ? `${s.slice(0, n - 3)}...` : s;
}

/** A one-line reason for a run that did not finish normally. */
export function describeFailure(rec: RunRecord): string {
  if (rec.verdict === "runtime_error" || rec.verdict === "compile_error") {
    const lines = rec.stderr.trim().split("\n");
    const last = lines[lines.length - 1];
    return last ? `${rec.detail ?? rec.verdict}: ${clip(last, 200)}` : (rec.detail ?? rec.verdict);
  }
  return rec.detail ?? rec.verdict;
}
