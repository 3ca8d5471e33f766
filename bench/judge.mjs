// Speed of `codeloop judge` (grading code generated elsewhere), isolation on, 2 workers:
// 1,000 samples over the MBPP+ problems of ../shared/data, about half canonical solutions and
// half broken copies (returning None, or an off-by-one mutation of an integer literal), graded
// on every test through the same modules the CLI uses (dist/grading); then `problems validate`
// on the same problems, whose tests/s is the judge's ceiling (every gold run goes to the end,
// broken samples stop at their first failure). Also the cost of resuming a finished file.
// Prints one JSON object per measurement.
// Usage: node bench/judge.mjs [--samples N] [--data DIR] [--cache-dir DIR] [--workers N]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gradeToFile, planGrading, readSamples } from "../dist/grading/index.js";
import { Judge } from "../dist/judge/index.js";
import { defaultCacheDir, loadProblems } from "../dist/problems/index.js";
import { Sandbox, pythonLabel } from "../dist/sandbox/index.js";
import { sandboxComputeExpected, validateProblems } from "../dist/validate/index.js";

const args = process.argv.slice(2);
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const data = resolve(flag("--data") ?? "../shared/data");
const N = Number(flag("--samples") ?? 1000);
const WORKERS = Number(flag("--workers") ?? 2);
const cacheDir = flag("--cache-dir") ?? defaultCacheDir();
const file = join(data, "mbpp-plus", "MbppPlus.jsonl");

/** A broken copy: the first integer literal outside the def line plus one, else `return None`. */
function broken(p, gold, k) {
  const entry = p.judge.kind === "function" ? p.judge.entryPoint : "solve";
  const none = `def ${entry}(*args, **kwargs):\n    return None\n`;
  if (k % 2 === 0) return { code: none, kind: "none" };
  const lines = gold.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*def\s/.test(lines[i])) continue;
    const m = /\b\d+\b/.exec(lines[i]);
    if (!m) continue;
    lines[i] = `${lines[i].slice(0, m.index)}${Number(m[0]) + 1}${lines[i].slice(m.index + m[0].length)}`;
    return { code: lines.join("\n"), kind: "off-by-one" };
  }
  return { code: none, kind: "none" };
}

async function main() {
  if (!existsSync(file)) {
    console.log(JSON.stringify({ bench: "judge-mbpp-plus", skipped: `${file} is absent` }));
    return;
  }
  const sb = await Sandbox.create({ workers: WORKERS });
  const tmp = mkdtempSync(join(tmpdir(), "codeloop-bench-judge-"));
  try {
    const t0 = performance.now();
    let problems = await loadProblems(file, {}, { computeExpected: sandboxComputeExpected(sb), cacheDir });
    const loadSeconds = (performance.now() - t0) / 1000;
    problems = problems.filter((p) => p.solutions.some((s) => s.language === "python"));
    const kinds = { canonical: 0, none: 0, "off-by-one": 0 };
    const rows = [];
    for (let i = 0; i < N; i++) {
      const p = problems[i % problems.length];
      const gold = p.solutions.find((s) => s.language === "python").code;
      // Alternate canonical and broken per problem round, so every problem gets both.
      const round = Math.floor(i / problems.length);
      const good = (i + round) % 2 === 0;
      const s = good ? { code: gold, kind: "canonical" } : broken(p, gold, Math.floor(i / 2));
      kinds[s.kind]++;
      rows.push(JSON.stringify({ task_id: p.id, solution: s.code }));
    }
    const samplesFile = join(tmp, "samples.jsonl");
    writeFileSync(samplesFile, `${rows.join("\n")}\n`);
    const out = join(tmp, "samples.verdicts.jsonl");
    const judge = new Judge(sb);
    const python = pythonLabel(sb.python);

    const tRead = performance.now();
    const { samples, issues } = await readSamples(samplesFile);
    if (issues.length) throw new Error(`bench samples are malformed: ${JSON.stringify(issues[0])}`);
    const plan = planGrading(samples, problems);
    const planSeconds = (performance.now() - tRead) / 1000;
    const used = [...new Set(plan.jobs.map((j) => j.problem.id))];
    const r = await gradeToFile({ judge, python, out, jobs: plan.jobs, order: used });
    console.log(
      JSON.stringify({
        bench: "judge-mbpp-plus",
        workers: sb.size,
        isolation: sb.isolation.kind,
        python,
        samples: r.samplesTotal,
        problems: r.problems,
        kinds,
        verdicts: r.verdicts,
        passAt1: Number(r.passAtK["1"].toFixed(4)),
        wallSeconds: r.wallSeconds,
        samplesPerSecond: r.samplesPerSecond,
        testsRun: r.testsRun,
        testsPerSecond: r.testsPerSecond,
        programsCpuSeconds: r.cpuSecondsTotal,
        readAndPlanSeconds: Number(planSeconds.toFixed(3)),
        loadWithExpectedSeconds: Number(loadSeconds.toFixed(2)),
      }),
    );

    // Resuming a complete file: read, match and keep every verdict, judge nothing.
    const tResume = performance.now();
    const again = await gradeToFile({ judge, python, out, jobs: plan.jobs, order: used });
    console.log(
      JSON.stringify({
        bench: "judge-resume-complete",
        samples: again.samplesTotal,
        reused: again.reused,
        judged: again.judged,
        seconds: Number(((performance.now() - tResume) / 1000).toFixed(3)),
      }),
    );

    const usedSet = new Set(used);
    const v = await validateProblems(
      sb,
      problems.filter((p) => usedSet.has(p.id)),
    );
    console.log(
      JSON.stringify({
        bench: "validate-mbpp-plus",
        workers: v.workers,
        problems: v.problems,
        solutionsRun: v.solutionsRun,
        testsRun: v.testsRun,
        wallSeconds: v.wallSeconds,
        testsPerSecond: v.testsPerSecond,
        programsCpuSeconds: v.cpuSecondsTotal,
      }),
    );
    console.log(
      JSON.stringify({
        bench: "judge-vs-validate",
        judgeTestsPerSecond: r.testsPerSecond,
        validateTestsPerSecond: v.testsPerSecond,
        ratio: Number((r.testsPerSecond / v.testsPerSecond).toFixed(3)),
      }),
    );
  } finally {
    await sb.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
