// Metrics benchmark: synthetic run of 165 problems x 200 trajectories x up to 3 turns with
// realistic pass rates; times every metric including 10,000 bootstrap resamples, and the
// Python normalisation of all codes separately (it is a child process, not the estimators).
// Prints one JSON line, like the other benches.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  codesOf,
  computeMetrics,
  consecutiveSimilarities,
  normalizePythonCodes,
  seededRng,
  summarise,
} from "../dist/metrics/index.js";

const PROBLEMS = 165;
const TRAJECTORIES = 200;
const TURNS = 3;
const rng = seededRng(12345);

const DIFFICULTIES = ["easy", "medium", "hard"];
const TAGS = ["greedy", "math", "dp", "graphs", "strings", "implementation", "sortings", "brute force"];
const SIMPLE = [
  "n = int(input())",
  "a = list(map(int, input().split()))",
  "total = 0",
  "best = max(a) if a else 0",
  "ans = min(total, best * n)",
  "dp = [0] * (n + 1)",
  "s = sorted(a)",
  "print(ans)  # answer",
  "print(dp[n])",
  "# try the greedy order first",
];
const HEADERS = ["for i in range(n):", "for j in range(1, n + 1):", "if total % 2 == 0:", "while n > 1:"];
const BODY = [
  "total += a[i] * (i + 1)",
  "dp[j] = max(dp[j - 1], dp[j - 2] + a[j - 1]) if j > 1 else a[0]",
  "n //= 2",
  "total -= 1  # off by one",
  "ans = max(ans, total)",
];
const pickOf = (list) => list[Math.floor(rng() * list.length)];

/** One unit: a simple statement, or a block with an indented body (so the program parses). */
function unit() {
  if (rng() < 0.6) return pickOf(SIMPLE);
  const body = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => `    ${pickOf(BODY)}`);
  return [pickOf(HEADERS), ...body].join("\n");
}

function program() {
  return Array.from({ length: 5 + Math.floor(rng() * 12) }, unit);
}

/** A repair: change a few units (exploitation) or, sometimes, rewrite (exploration). */
function revise(units) {
  if (rng() < 0.2) return program();
  const out = [...units];
  const edits = 1 + Math.floor(rng() * 3);
  for (let e = 0; e < edits; e++) out[Math.floor(rng() * out.length)] = unit();
  return out;
}

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

const t0 = performance.now();
const metrics = computeMetrics(input, { bootstrap: { resamples: 10_000, seed: 1 } });
const t1 = performance.now();
const actual = computeMetrics(input, {
  bootstrap: { resamples: 10_000, seed: 1 },
  nAtKOptions: { cost: "actual", permutations: 1000, seed: 1 },
});
const t2 = performance.now();
const codes = codesOf(problems);
const cacheDir = mkdtempSync(join(tmpdir(), "codeloop-bench-metrics-"));
const cacheFile = join(cacheDir, "normalised.jsonl");
const normalised = await normalizePythonCodes(codes, { cacheFile });
const map = new Map(codes.map((c, i) => [c, normalised[i]]));
const t3 = performance.now();
const similarity = summarise(consecutiveSimilarities(problems, (c) => map.get(c) ?? c));
const t4 = performance.now();
// A repeated report reads the normalisations back from the cache file.
await normalizePythonCodes(codes, { cacheFile });
const t5 = performance.now();
rmSync(cacheDir, { recursive: true, force: true });

const round = (x) => Math.round(x * 1000) / 1000;
const pick = (r) => ({ value: round(r.value), low: round(r.low), high: round(r.high) });
console.log(
  JSON.stringify({
    bench: "metrics",
    problems: PROBLEMS,
    trajectoriesPerProblem: TRAJECTORIES,
    maxTurns: TURNS,
    programs: codes.length,
    bootstrapResamples: 10_000,
    uniquePrograms: new Set(codes).size,
    seconds: {
      // pass@k, exact n@k (max-turns cost), bootstrap CIs overall and per difficulty and tag, budget curves.
      metrics: round((t1 - t0) / 1000),
      // Ratios of consecutive normalised codes and their distribution.
      similarityRatios: round((t4 - t3) / 1000),
      estimatorsTotal: round((t1 - t0 + t4 - t3) / 1000),
      // CPython's ast.parse + ast.unparse of every distinct program, in one child per core.
      pythonNormalisation: round((t3 - t2) / 1000),
      total: round((t1 - t0 + t4 - t2) / 1000),
      // Normalisation again, answered from the cache file the first pass wrote.
      pythonNormalisationCached: round((t5 - t4) / 1000),
      totalCached: round((t1 - t0 + t4 - t3 + t5 - t4) / 1000),
      // The same metrics again with n@k under the "actual" cost (Monte Carlo over orderings); not in total.
      metricsActualCost: round((t2 - t1) / 1000),
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
