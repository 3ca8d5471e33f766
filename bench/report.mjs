// Report benchmark: a synthetic run store of 165 problems x 200 trajectories x up to 3 turns
// (multi-turn, stopping at a public-test pass), written directly through RunStore, then
// `writeReport` on it twice: cold (no normalisation cache in the run folder, so every distinct
// program goes through CPython's ast first) and warm (the cache the first report wrote, as
// after a run whose codes were normalised while it ran). Prints one JSON line: wall seconds,
// HTML bytes and peak RSS.
//   node bench/report.mjs [--problems N] [--trajectories N] [--max-trajectories N]
// Run with `npm run bench:report` (builds dist/ first).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { seededRng } from "../dist/metrics/index.js";
import { writeReport } from "../dist/report/index.js";
import { RunStore, parseRunConfig } from "../dist/runs/index.js";
import { DIFFICULTIES, TAGS, codeGenerator } from "./lib/synthetic.mjs";

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const round = (x) => Math.round(x * 100) / 100;

if (process.argv[2] === "--child") {
  const [folder, html, max] = process.argv.slice(3);
  const t0 = performance.now();
  const data = await writeReport([folder], { html }, { maxTrajectoriesPerProblem: Number(max) });
  const run = data.runs[0];
  console.log(
    JSON.stringify({
      seconds: round((performance.now() - t0) / 1000),
      htmlMB: round(statSync(html).size / 1e6),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      embedded: run.embedded.trajectories,
      leftOut: run.embedded.leftOut,
      nAtK: Object.fromEntries(run.metrics.nAtK.map((r) => [`${r.n}@${r.k}`, round(r.value)])),
      ...(run.verifier ? { verifierAuc: round(run.verifier.auc?.value ?? Number.NaN) } : {}),
      similarityPairs: run.similarity.count,
    }),
  );
  process.exit(0);
}

const PROBLEMS = arg("problems", 165);
const TRAJECTORIES = arg("trajectories", 200);
const MAX_EMBED = arg("max-trajectories", 10);
const TURNS = 3;
// --candidates N > 1: a best-of-N run (PT+LV) with a verifier score and a hidden grade on every
// candidate, so the report's Verifier section (AUC bootstrap, top-1, best-of-N curves) is timed.
const CANDIDATES = arg("candidates", 1);
const rng = seededRng(4242);

const { program, revise } = codeGenerator(rng);

const STATEMENT = (p) =>
  `Problem ${p}. ${"You are given n integers a_1, ..., a_n. Find the largest total you can reach under the rules below. ".repeat(12)}\n\nInput: n, then the numbers.\nOutput: one integer.`;
const summary = (pass, total) => ({
  verdict: pass ? "accepted" : "wrong_answer",
  passed: pass ? total : Math.floor(rng() * total),
  total,
  tests: Array.from({ length: pass ? total : 1 }, (_, i) => ({
    index: i,
    verdict: pass ? "accepted" : "wrong_answer",
    ...(pass ? {} : { message: "token 1 (line 1): expected '42', got '41'" }),
  })),
  infrastructureFailure: false,
});

const work = mkdtempSync(join(tmpdir(), "codeloop-bench-report-"));
const folder = join(work, "run");
try {
  const w0 = performance.now();
  const config = parseRunConfig({
    name: "bench-report",
    benchmark: { source: "synthetic.jsonl" },
    model: "ollama:bench",
    trajectoriesPerProblem: TRAJECTORIES,
    strategy:
      CANDIDATES > 1
        ? {
            kind: "best-of-n",
            maxTurns: TURNS,
            candidatesPerTurn: CANDIDATES,
            selection: "public-tests+verifier",
            verifier: "embedded:bench-never-called.json",
          }
        : { kind: "multi-turn", maxTurns: TURNS },
  });
  const store = RunStore.create(folder, config);
  store.planProblems(
    Array.from({ length: PROBLEMS }, (_, p) => ({
      id: `p${p}`,
      title: `Synthetic problem ${p}`,
      difficulty: DIFFICULTIES[p % 3],
      tags: TAGS.filter(() => rng() < 0.25),
    })),
  );
  let turnsWritten = 0;
  const now = new Date().toISOString();
  for (let p = 0; p < PROBLEMS; p++) {
    const base = [0.2, 0.06, 0.01][p % 3] * rng() * 2;
    for (let t = 0; t < TRAJECTORIES; t++) {
      const key = { problemId: `p${p}`, trajectory: t };
      let code = program();
      let last = 0;
      let correct = false;
      for (let u = 0; u < TURNS; u++) {
        correct = rng() < base * (1 + 0.3 * u);
        const publicPass = correct ? rng() < 0.95 : rng() < 0.1;
        const text = code.join("\n");
        const messages =
          u === 0
            ? [
                { role: "system", content: "You are an expert competitive programmer." },
                { role: "user", content: STATEMENT(p) },
              ]
            : [
                {
                  role: "user",
                  content: `Test 2: wrong answer\nInput:\n5 1 2 3 4 5\nExpected: 15\nYour output: ${14 - u}\nTry again.`,
                },
              ];
        store.writeTurn(key, {
          index: u,
          parentTurn: u === 0 ? null : u - 1,
          parentCandidate: u === 0 ? null : 0,
          messages,
          history: "append",
          candidates: Array.from({ length: CANDIDATES }, (_, c) => ({
            index: c,
            rawAnswer: `Let me think about it.\n\n\`\`\`python\n${text}\n\`\`\`\n`,
            code: c === 0 ? text : `${text}\n# variant ${c}`,
            extraction: "fenced-language",
            finishReason: "stop",
            promptTokens: 400 + 350 * u + Math.floor(rng() * 300),
            completionTokens: 100 + Math.floor(rng() * 300),
            tokensApproximate: false,
            latencyMs: 1000 * rng(),
            cached: false,
            modelError: null,
            seed: t * 10 + u,
            publicTests: summary(publicPass, 3),
            selected: c === 0,
            // An imperfect verifier: correct code tends to score higher.
            verifierScore: CANDIDATES > 1 ? (c === 0 && correct ? 0.4 : 0) + rng() * 0.6 : null,
          })),
          startedAt: now,
          finishedAt: now,
        });
        turnsWritten++;
        // Every candidate graded (grading.gradeEveryTurn), the first with the turn's verdict.
        if (CANDIDATES > 1)
          for (let c = 0; c < CANDIDATES; c++)
            store.writeGrade(key, u, c, summary(c === 0 ? correct : rng() < base, 10));
        last = u;
        if (publicPass) break;
        code = revise(code);
      }
      store.finishTrajectory(key, {
        status: "done",
        submitted: { turn: last, candidate: 0 },
        grade: summary(correct, 10),
      });
    }
  }
  store.close();
  const w1 = performance.now();

  // Each report runs in its own process, so its peak RSS is the report's, not the writer's.
  const html = join(work, "report.html");
  const measure = () => {
    const r = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), "--child", folder, html, String(MAX_EMBED)],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    if (r.status !== 0) throw new Error(`report child failed with status ${r.status}`);
    return JSON.parse(r.stdout.trim().split("\n").at(-1));
  };
  const cold = measure();
  const warm = measure();
  console.log(
    JSON.stringify({
      bench: "report",
      problems: PROBLEMS,
      trajectoriesPerProblem: TRAJECTORIES,
      maxTurns: TURNS,
      candidatesPerTurn: CANDIDATES,
      turns: turnsWritten,
      storeWriteSeconds: round((w1 - w0) / 1000),
      // Whole report: read every trajectory, metrics with 10,000 resamples, similarity, embed, render, write.
      // Cold: no normalisation cache in the run folder; warm: the cache the cold report left.
      cold,
      warm,
      htmlBytes: statSync(html).size,
    }),
  );
} finally {
  if (process.env.KEEP_BENCH_RUN) console.error(`kept ${folder}`);
  else rmSync(work, { recursive: true, force: true });
}
