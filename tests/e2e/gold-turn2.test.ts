// The acceptance check of grading.tests: "A `codeloop run` on the CodeContests sample with a model
// that answers the gold solution on turn 2 solves exactly the problems whose gold passes all
// tests." The scripted model answers a wrong program on turn 1 and the problem's gold (its first
// Python solution) once it gets feedback; the run's solved set must equal the set of problems
// whose gold the Judge accepts on allTests. bench/gold-turn2.mjs does the same over all 300.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../src/judge/judge.js";
import { type Problem, allTests, loadProblems } from "../../src/problems/index.js";
import { RunStore, parseRunConfig, runRun, seedFor } from "../../src/runs/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { problemLimits } from "../../src/validate/validate.js";
import { type ChatServer, type ChatServerRequest, startChatServer } from "../helpers/chat-server.js";
import { dataPath, hasData } from "../problems/data.js";
import { answer, userMessages } from "./fixtures.js";

const have = hasData("codecontests-sample");
const source = dataPath("codecontests-sample");
/** The first 25 problems of the file: golds well inside the time limit, 7 of them wrong on some test. */
const FILTERS = { limit: 25 };
const SEED = 11;
/** Fails every test: no expected output of the sample is this line. */
const WRONG = 'print("codeloop: not an answer")\n';

const tmp = mkdtempSync(join(tmpdir(), "codeloop-e2e-gold-"));
let sb: Sandbox;
let server: ChatServer;
let problems: Problem[] = [];
const gold = new Map<string, string>();
/** Model request seed -> problem and turn (identical statements occur: 1286_B and 1287_D). */
const bySeed = new Map<number, { id: string; turn: number }>();
const unmatched: string[] = [];

/** The gold solution: the first Python entry of the row's `solutions`. */
function goldOf(p: Problem): string | undefined {
  return p.solutions.find((s) => s.language === "python" && s.verdict === "accepted")?.code;
}

function respond(r: ChatServerRequest): string {
  const hit = bySeed.get(r.body.seed);
  const p = hit && problems.find((q) => q.id === hit.id);
  const first = userMessages(r)[0] ?? "";
  if (!hit || !p || !first.includes(p.statement.trim())) {
    unmatched.push(`request ${r.index} (seed ${r.body.seed})`);
    return "I cannot tell which problem this is.";
  }
  // Turn 2 (index 1) is asked with the feedback on turn 1: the second user message.
  if (hit.turn !== userMessages(r).length - 1) unmatched.push(`${p.id}: turn ${hit.turn} vs messages`);
  return answer(hit.turn === 0 ? WRONG : `${gold.get(p.id)!.replace(/\s+$/, "")}\n`);
}

beforeAll(async () => {
  if (!have) return;
  problems = await loadProblems(source, FILTERS);
  for (const p of problems) {
    const code = goldOf(p);
    if (code === undefined) throw new Error(`${p.id} has no Python solution`);
    gold.set(p.id, code);
    for (const turn of [0, 1]) bySeed.set(seedFor(SEED, p.id, 0, turn, 0), { id: p.id, turn });
  }
  sb = await Sandbox.create({ workers: 2, uidBase: 63400 });
  server = await startChatServer({ respond });
});
afterAll(async () => {
  await server?.close();
  await sb?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe.runIf(have)("gold on turn 2 over the CodeContests sample", () => {
  it("the run solves exactly the problems whose gold the Judge accepts on all tests", async () => {
    expect(problems).toHaveLength(25);
    const folder = join(tmp, "run");
    const config = parseRunConfig({
      benchmark: { source, filters: FILTERS },
      model: `openai:${server.url}#gold`,
      strategy: { kind: "multi-turn", maxTurns: 2, stopOnPublicPass: true },
      trajectoriesPerProblem: 1,
      seed: SEED,
      cache: { enabled: false },
      concurrency: { model: 4, sandbox: 2 },
    });
    expect(config.grading.tests).toBe("all");
    const result = await runRun({ folder, config }, { sandbox: sb });
    expect(unmatched).toEqual([]);
    expect(server.stats.received).toBe(50);
    expect(result.progress).toMatchObject({ total: 25, finished: 25, failed: 0, modelErrors: 0 });

    const store = RunStore.open(folder);
    let solved: string[];
    try {
      solved = store
        .problemSummaries()
        .filter((s) => s.accepted > 0)
        .map((s) => s.problemId)
        .sort();
      for (const t of store.trajectories()) {
        const d = store.trajectoryDetail(t)!;
        // Turn 1 failed its public tests, so turn 2 was asked; the gold of turn 2 is submitted.
        expect(
          d.turns.map((x) => x.candidates[0]!.code),
          d.problemId,
        ).toEqual([WRONG.trim(), gold.get(d.problemId)!.replace(/\s+$/, "")]);
        expect(d.turns[0]!.candidates[0]!.publicTests?.verdict).toBe("wrong_answer");
        expect(d).toMatchObject({ status: "done", submittedTurn: 1 });
        // Graded on every test of the problem (grading.tests: all).
        const p = problems.find((q) => q.id === d.problemId)!;
        expect(d.grade?.total, d.problemId).toBe(allTests(p).length);
      }
    } finally {
      store.close();
    }

    // The Judge directly: gold on allTests under the problem's own limits.
    const judge = new Judge(sb);
    const verdicts = new Map<string, string>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        while (next < problems.length) {
          const p = problems[next++]!;
          const r = await judge.judge(
            p.judge,
            allTests(p),
            { language: "python", code: gold.get(p.id)! },
            { limits: problemLimits(p) },
          );
          expect(r.infrastructureFailure, p.id).toBe(false);
          verdicts.set(p.id, r.verdict);
        }
      }),
    );
    const goldPasses = problems
      .filter((p) => verdicts.get(p.id) === "accepted")
      .map((p) => p.id)
      .sort();
    expect(solved).toEqual(goldPasses);
    // Both sides of the split are present: golds that fail some test exist in this subset.
    expect(goldPasses.length).toBeGreaterThan(0);
    expect(goldPasses.length).toBeLessThan(problems.length);
  }, 240_000);
});
