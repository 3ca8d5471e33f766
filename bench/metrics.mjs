// Metrics benchmark: synthetic run of 165 problems x 200 trajectories x up to 3 turns with
// realistic pass rates; times every metric including 10,000 bootstrap resamples, and the
// Python normalisation of all codes separately (it is a child process, not the estimators).
// Prints one JSON line, like the other benches.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  BackgroundNormaliser,
  codesOf,
  computeMetrics,
  consecutivePairs,
  normalizePythonCodes,
  pairRatios,
  runSimilarity,
  seededRng,
} from "../dist/metrics/index.js";
import { DIFFICULTIES, TAGS, codeGenerator } from "./lib/synthetic.mjs";

const PROBLEMS = 165;
const TRAJECTORIES = 200;
const TURNS = 3;
const rng = seededRng(12345);

const { program, revise } = codeGenerator(rng);

const problems = [];
for (let p = 0; p < PROBLEMS; p++) {
  const difficulty = DIFFICULTIES[p % 3];
  // Solve rates fall with difficulty and vary per problem (many near 0, a few near 1).
  const base = [0.2, 0.06, 0.01][p % 3] * rng() * 2;
  const tags = TAGS.filter(() => rng() < 0.25);
  const trajectories = [];
  for (let t = 0; t < TRAJECTORIES; t++) {
    const turns = [];
    let code = program();
    for (let u = 0; u < TURNS; u++) {
      const correct = rng() < base * (1 + 0.3 * u);
      const publicPass = correct ? rng() < 0.95 : rng() < 0.1;
      turns.push({
        code: code.join("\n"),
        publicPass,
        hiddenPass: null,
        llmCalls: 1,
        tokens: 400 + 350 * u + Math.floor(rng() * 600),
      });
      if (publicPass) {
        turns[u].hiddenPass = correct;
        break;
      }
      if (u === TURNS - 1) turns[u].hiddenPass = correct;
      code = revise(code);
    }
    const last = turns.length - 1;
    trajectories.push({ turns, submittedTurn: last, hiddenPass: turns[last].hiddenPass === true });
  }
  problems.push({ id: `p${p}`, difficulty, tags, trajectories });
}
const input = { problems, feedbackKind: "failed-test", maxTurns: TURNS };

const cacheDir = mkdtempSync(join(tmpdir(), "codeloop-bench-metrics-"));
const cacheFile = join(cacheDir, "normalised.jsonl");
const codes = codesOf(problems);

// Cold: no normalisation cache (a run from before run-time normalisation, or another language
// tool's output): every distinct program goes through CPython's parse + unparse first.
const c0 = performance.now();
computeMetrics(input, { bootstrap: { resamples: 10_000, seed: 1 } });
const c1 = performance.now();
await runSimilarity(input, { cacheFile });
const c2 = performance.now();

// What `codeloop report` does on a finished run: the run normalised its codes while it ran
// (BackgroundNormaliser, into the run folder's normalised.jsonl), so all metrics read that cache.
const t0 = performance.now();
const metrics = computeMetrics(input, { bootstrap: { resamples: 10_000, seed: 1 } });
const t1 = performance.now();
const similarity = await runSimilarity(input, { cacheFile });
const t2 = performance.now();

// Stage timings of the similarity: cache read, then ratios on one thread and on all cores.
const n0 = performance.now();
const normalised = await normalizePythonCodes(codes, { cacheFile });
const n1 = performance.now();
const map = new Map(codes.map((c, i) => [c, normalised[i]]));
const flat = consecutivePairs(problems, (c) => map.get(c) ?? c);
const r0 = performance.now();
await pairRatios(flat, { threads: 1 });
const r1 = performance.now();
await pairRatios(flat);
const r2 = performance.now();

// The same metrics with n@k under the "actual" cost (Monte Carlo over orderings); not in total.
const a0 = performance.now();
const actual = computeMetrics(input, {
  bootstrap: { resamples: 10_000, seed: 1 },
  nAtKOptions: { cost: "actual", permutations: 1000, seed: 1 },
});
const a1 = performance.now();

// Run-time normalisation: one interpreter beside the run, fed turn by turn; its throughput
// against what a run produces (a fresh cache, so every program is parsed).
const bgFile = join(cacheDir, "background.jsonl");
const sample = codes.slice(0, 20_000);
const b0 = performance.now();
const bg = await BackgroundNormaliser.open(bgFile);
for (const c of sample) bg.add(c);
await bg.close();
const b1 = performance.now();
rmSync(cacheDir, { recursive: true, force: true });

const round = (x) => Math.round(x * 1000) / 1000;
const pick = (r) => ({ value: round(r.value), low: round(r.low), high: round(r.high) });
console.log(
  JSON.stringify({
    bench: "metrics",
    problems: PROBLEMS,
    trajectoriesPerProblem: TRAJECTORIES,
    maxTurns: TURNS,
    programsInPairs: codes.length,
    uniquePrograms: new Set(codes).size,
    bootstrapResamples: 10_000,
    seconds: {
      // All metrics of a finished run (codes normalised during the run): the 3 s target.
      total: round((t2 - t0) / 1000),
      // pass@k, exact n@k (max-turns cost), bootstrap CIs overall and per difficulty and tag, budget curves.
      estimators: round((t1 - t0) / 1000),
      // Similarity: read the run's normalisations, ratios of consecutive codes, distribution.
      similarity: round((t2 - t1) / 1000),
      similarityCacheRead: round((n1 - n0) / 1000),
      similarityRatiosOneThread: round((r1 - r0) / 1000),
      similarityRatiosAllCores: round((r2 - r1) / 1000),
      // Without any normalisation cache: CPython parses + unparses every program first.
      totalCold: round((c2 - c0) / 1000),
      similarityCold: round((c2 - c1) / 1000),
      // n@k under the "actual" cost (Monte Carlo over orderings); not in total.
      estimatorsActualCost: round((a1 - a0) / 1000),
    },
    runTimeNormaliser: {
      programs: sample.length,
      seconds: round((b1 - b0) / 1000),
      programsPerSecond: Math.round(sample.length / ((b1 - b0) / 1000)),
    },
    passAtK: Object.fromEntries(metrics.passAtK.map((r) => [`pass@${r.k}`, pick(r)])),
    nAtK: Object.fromEntries(metrics.nAtK.map((r) => [`${r.n}@${r.k}`, pick(r)])),
    nAtKActualCost: Object.fromEntries(actual.nAtK.map((r) => [`${r.n}@${r.k}`, pick(r)])),
    budgetPoints: { calls: metrics.budget.calls.length, tokens: metrics.budget.tokens.length },
    groups: { difficulty: Object.keys(metrics.byDifficulty).length, tags: Object.keys(metrics.byTag).length },
    similarity: {
      pairs: similarity.count,
      mean: round(similarity.mean),
      median: round(similarity.median),
      histogram: similarity.histogram,
    },
  }),
);
