// The acceptance check of grading.tests over the whole CodeContests sample (300 problems): a
// `codeloop run` (multi-turn, maxTurns 2, stopOnPublicPass) against the chat-completions test
// server answering a wrong program on turn 1 and the problem's gold (its first Python solution)
// on turn 2 must solve exactly the problems whose gold the Judge accepts on all tests.
// tests/e2e/gold-turn2.test.ts does the same on 25 of them. Prints one JSON object: `equal` is
// the strict comparison; a few golds use about all of their 2 s of CPU and flip between accepted
// and time_limit from one judging to the next, so each disagreement is judged again and
// `equalButTimeLimitFlips` says whether every one of them is such a flip.
// Usage: npm run build && node bench/gold-turn2.mjs [--data DIR] [--workers N] [--limit N]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { Judge } from "../dist/judge/index.js";
import { allTests, loadProblems } from "../dist/problems/index.js";
import { RunStore, parseRunConfig, runRun, seedFor } from "../dist/runs/index.js";
import { Sandbox, pythonLabel } from "../dist/sandbox/index.js";
import { problemLimits } from "../dist/validate/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const data = resolve(flag("--data") ?? join(root, "..", "shared", "data"));
const WORKERS = Number(flag("--workers") ?? 2);
const LIMIT = flag("--limit") === undefined ? undefined : Number(flag("--limit"));
const dir = join(data, "codecontests-sample");
const SEED = 11;
const WRONG = 'print("codeloop: not an answer")\n';
/** Re-judgings of a gold on which the run and the Judge disagree. */
const AGAIN = 3;

/** The chat-completions test server (TypeScript, node: imports only), transpiled and imported. */
async function importChatServer(work) {
  const source = readFileSync(join(root, "tests/helpers/chat-server.ts"), "utf8");
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = join(work, "chat-server.mjs");
  writeFileSync(file, js);
  return import(pathToFileURL(file).href);
}

const maxCpu = (records) => Math.round(Math.max(0, ...records.map((r) => r.cpuMs ?? 0)));
const goldOf = (p) => p.solutions.find((s) => s.language === "python" && s.verdict === "accepted")?.code;
const userMessages = (r) => r.body.messages.filter((m) => m.role === "user").map((m) => m.content);
const fenced = (code) => `Here is my solution.\n\n\`\`\`python\n${code.replace(/\s+$/, "")}\n\`\`\`\n`;

async function main() {
  if (!existsSync(dir)) {
    console.log(JSON.stringify({ bench: "gold-turn2", skipped: `${dir} is absent` }));
    return;
  }
  const t0 = performance.now();
  const work = mkdtempSync(join(tmpdir(), "codeloop-bench-gold-"));
  const filters = LIMIT === undefined ? {} : { limit: LIMIT };
  const problems = await loadProblems(dir, filters);
  const byId = new Map(problems.map((p) => [p.id, p]));
  const bySeed = new Map();
  for (const p of problems) {
    for (const turn of [0, 1]) bySeed.set(seedFor(SEED, p.id, 0, turn, 0), { id: p.id, turn });
  }
  const unmatched = [];
  const { startChatServer } = await importChatServer(work);
  // Each request is mapped to its problem by its seed (some statements are identical: the Div. 1
  // and Div. 2 copies of a problem), and checked against the statement in the prompt.
  const server = await startChatServer({
    logLimit: 0,
    respond: (r) => {
      const hit = bySeed.get(r.body.seed);
      const p = hit && byId.get(hit.id);
      if (!p || !userMessages(r)[0].includes(p.statement.trim())) {
        unmatched.push(r.index);
        return "I cannot tell which problem this is.";
      }
      return fenced(hit.turn === 0 ? WRONG : goldOf(p));
    },
  });
  const sb = await Sandbox.create({ workers: WORKERS });
  try {
    const folder = join(work, "run");
    const config = parseRunConfig({
      benchmark: { source: dir, filters },
      model: `openai:${server.url}#gold`,
      strategy: { kind: "multi-turn", maxTurns: 2, stopOnPublicPass: true },
      trajectoriesPerProblem: 1,
      seed: SEED,
      cache: { enabled: false },
      concurrency: { model: 8, sandbox: WORKERS },
    });
    const tRun = performance.now();
    const result = await runRun({ folder, config }, { sandbox: sb });
    const runSeconds = (performance.now() - tRun) / 1000;
    const store = RunStore.open(folder);
    const solved = new Set();
    for (const s of store.iterateProblemSummaries()) if (s.accepted > 0) solved.add(s.problemId);
    /** The run's grade of each submission: verdict and the slowest test's CPU time. */
    const runGrade = new Map();
    for (const t of store.trajectories()) {
      const g = store.trajectoryDetail(t).grade;
      if (g) runGrade.set(t.problemId, { verdict: g.verdict, maxCpuMs: maxCpu(g.tests) });
    }
    store.close();

    const tJudge = performance.now();
    const judge = new Judge(sb);
    const goldPasses = new Set();
    const judged = new Map();
    let infrastructureFailures = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: WORKERS * 2 }, async () => {
        while (next < problems.length) {
          const p = problems[next++];
          const r = await judge.judge(
            p.judge,
            allTests(p),
            { language: "python", code: goldOf(p) },
            { limits: problemLimits(p) },
          );
          if (r.infrastructureFailure) infrastructureFailures++;
          if (r.verdict === "accepted") goldPasses.add(p.id);
          judged.set(p.id, { verdict: r.verdict, maxCpuMs: maxCpu(r.tests.map((x) => x.record)) });
        }
      }),
    );
    const judgeSeconds = (performance.now() - tJudge) / 1000;
    const onlyRun = [...solved].filter((id) => !goldPasses.has(id)).sort();
    const onlyGold = [...goldPasses].filter((id) => !solved.has(id)).sort();
    // Where the two disagree, judge the gold AGAIN times more: a gold whose CPU time sits at the
    // time limit flips between accepted and time_limit from one judging to the next.
    const disagreements = [];
    for (const id of [...onlyRun, ...onlyGold]) {
      const p = byId.get(id);
      const again = [];
      for (let k = 0; k < AGAIN; k++) {
        const r = await judge.judge(
          p.judge,
          allTests(p),
          { language: "python", code: goldOf(p) },
          { limits: problemLimits(p) },
        );
        again.push(r.verdict);
      }
      const run = runGrade.get(id);
      const direct = judged.get(id);
      disagreements.push({
        id,
        timeLimitMs: problemLimits(p).timeMs,
        run,
        judge: direct,
        judgedAgain: again,
        timing: [run?.verdict, direct?.verdict].includes("time_limit") && again.includes("time_limit"),
      });
    }
    const out = {
      bench: "gold-turn2",
      problems: problems.length,
      solvedByRun: solved.size,
      goldPassingAllTests: goldPasses.size,
      equal: onlyRun.length === 0 && onlyGold.length === 0 && unmatched.length === 0,
      solvedByRunOnly: onlyRun,
      goldPassingOnly: onlyGold,
      // Every disagreement is a gold at its time limit (time_limit on one side and on re-judging).
      equalButTimeLimitFlips: unmatched.length === 0 && disagreements.every((d) => d.timing),
      disagreements,
      unmatchedRequests: unmatched.length,
      requests: server.stats.received,
      trajectories: result.progress.finished,
      failedTrajectories: result.progress.failed,
      infrastructureFailures,
      runSeconds: Number(runSeconds.toFixed(1)),
      judgeSeconds: Number(judgeSeconds.toFixed(1)),
      wallSeconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
      workers: sb.size,
      python: pythonLabel(sb.python),
      node: process.version,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    if (!out.equal && !out.equalButTimeLimitFlips) process.exitCode = 1;
  } finally {
    await sb.close();
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
