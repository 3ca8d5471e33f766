// Export benchmark: a synthetic run store of 165 problems x 200 trajectories x up to 3 turns
// (multi-turn with a system message, stopping at a public-test pass, every turn's code graded so
// verifier pairs have material), written directly through RunStore with the synthetic programs
// of bench/lib/synthetic.mjs; then each export kind in its own process. Prints one JSON line:
// seconds, peak RSS, examples and counts per kind.
//   node bench/export.mjs [--problems N] [--trajectories N]
// Run with `npm run bench:export` (builds dist/ first).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { DEFAULT_OPTIONS, exportRuns } from "../dist/export/index.js";
import { seededRng } from "../dist/metrics/index.js";
import { RunStore, parseRunConfig } from "../dist/runs/index.js";
import { DIFFICULTIES, codeGenerator } from "./lib/synthetic.mjs";

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const round = (x) => Math.round(x * 100) / 100;

if (process.argv[2] === "--child") {
  const [kind, folder, out] = process.argv.slice(3);
  const t0 = performance.now();
  const meta = await exportRuns(kind, [folder], { ...DEFAULT_OPTIONS, out });
  console.log(
    JSON.stringify({
      seconds: round((performance.now() - t0) / 1000),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      examples: meta.examples,
      approxTokens: meta.approxTokens,
      fileMB: round(statSync(out).size / 1e6),
      trajectories: meta.trajectories,
      ...(meta.codes ? { codes: meta.codes } : {}),
    }),
  );
  process.exit(0);
}

const PROBLEMS = arg("problems", 165);
const TRAJECTORIES = arg("trajectories", 200);
const TURNS = 3;
const rng = seededRng(777);
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
  })),
  infrastructureFailure: false,
});
const candidate = (text, publicPass, u, t) => ({
  index: 0,
  rawAnswer: `Let me think about it.\n\n\`\`\`python\n${text}\n\`\`\`\n`,
  code: text,
  extraction: "fenced-language",
  finishReason: "stop",
  promptTokens: 400 + 350 * u,
  completionTokens: 100 + Math.floor(rng() * 300),
  tokensApproximate: false,
  latencyMs: 1000 * rng(),
  cached: false,
  modelError: null,
  seed: t * 10 + u,
  publicTests: summary(publicPass, 3),
  selected: true,
  verifierScore: null,
});

const work = mkdtempSync(join(tmpdir(), "codeloop-bench-export-"));
const folder = join(work, "run");
try {
  const w0 = performance.now();
  const config = parseRunConfig({
    name: "bench-export",
    benchmark: { source: "synthetic.jsonl" },
    model: "ollama:bench",
    trajectoriesPerProblem: TRAJECTORIES,
    strategy: { kind: "multi-turn", maxTurns: TURNS },
    prompts: { system: "You are an expert competitive programmer." },
    grading: { gradeEveryTurn: true },
  });
  const store = RunStore.create(folder, config);
  store.planProblems(
    Array.from({ length: PROBLEMS }, (_, p) => ({
      id: `p${p}`,
      title: `Synthetic problem ${p}`,
      difficulty: DIFFICULTIES[p % 3],
    })),
  );
  let turnsWritten = 0;
  for (let p = 0; p < PROBLEMS; p++) {
    // Solve rates spread from about 0 to 0.6 (many accepted trajectories: dedup and caps have work).
    const base = [0.3, 0.1, 0.02][p % 3] * rng() * 2;
    for (let t = 0; t < TRAJECTORIES; t++) {
      const key = { problemId: `p${p}`, trajectory: t };
      let code = program();
      let last = 0;
      const graded = [];
      for (let u = 0; u < TURNS; u++) {
        const correct = rng() < base * (1 + 0.3 * u);
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
        const now = new Date().toISOString();
        store.writeTurn(key, {
          index: u,
          parentTurn: u === 0 ? null : u - 1,
          parentCandidate: u === 0 ? null : 0,
          messages,
          history: "append",
          candidates: [candidate(text, publicPass, u, t)],
          startedAt: now,
          finishedAt: now,
        });
        turnsWritten++;
        graded.push(correct);
        last = u;
        if (publicPass) break;
        code = revise(code);
      }
      store.finishTrajectory(key, {
        status: "done",
        submitted: { turn: last, candidate: 0 },
        grade: summary(graded[last], 10),
      });
      for (let u = 0; u < last; u++) store.writeGrade(key, u, 0, summary(graded[u], 10), 1);
    }
  }
  store.close();
  const w1 = performance.now();

  const kinds = {};
  for (const kind of ["rft", "verifier-pairs", "relabel"]) {
    const r = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), "--child", kind, folder, join(work, `${kind}.jsonl`)],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    if (r.status !== 0) throw new Error(`${kind} export failed with status ${r.status}`);
    kinds[kind] = JSON.parse(r.stdout.trim().split("\n").at(-1));
  }
  console.log(
    JSON.stringify({
      bench: "export",
      problems: PROBLEMS,
      trajectoriesPerProblem: TRAJECTORIES,
      maxTurns: TURNS,
      turns: turnsWritten,
      storeWriteSeconds: round((w1 - w0) / 1000),
      runDbMB: round(statSync(join(folder, "run.db")).size / 1e6),
      kinds,
    }),
  );
} finally {
  if (process.env.KEEP_BENCH_RUN) console.error(`kept ${folder}`);
  else rmSync(work, { recursive: true, force: true });
}
