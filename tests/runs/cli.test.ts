import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import { registerRuns } from "../../src/cli/runs.js";
import { type Candidate, RunStore, parseRunConfig } from "../../src/runs/index.js";
import { captureCli } from "../helpers/cli-capture.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-runs-cli-"));
const root = join(tmp, "runs");
const folder = join(root, "cc-mt");

const cli = (...args: string[]): Promise<string> => captureCli(registerRuns, ...args);

const cand = (index: number, code: string, selected: boolean, passed: number): Candidate => ({
  index,
  rawAnswer: `\`\`\`python\n${code}\n\`\`\``,
  code,
  extraction: "fenced-language",
  finishReason: "stop",
  promptTokens: 50,
  completionTokens: 30,
  tokensApproximate: false,
  latencyMs: 420,
  cached: false,
  modelError: null,
  seed: 77 + index,
  publicTests: {
    verdict: passed === 2 ? "accepted" : "wrong_answer",
    passed,
    total: 2,
    tests: [],
    infrastructureFailure: false,
  },
  selected,
  verifierScore: null,
});

beforeAll(() => {
  const cfg = parseRunConfig({
    benchmark: { source: "cc.jsonl" },
    model: "vllm:http://127.0.0.1:8000/v1#llama",
    trajectoriesPerProblem: 2,
  });
  const s = RunStore.create(folder, cfg);
  s.planProblems([
    { id: "1500/A", title: "Sum" },
    { id: "1500/B", title: "Paths" },
  ]);
  const k = { problemId: "1500/A", trajectory: 0 };
  const base = { messages: [{ role: "user" as const, content: "solve" }], history: "append" as const };
  const times = { startedAt: "2025-01-01T00:00:00Z", finishedAt: "2025-01-01T00:00:01Z" };
  s.writeTurn(k, {
    index: 0,
    parentTurn: null,
    parentCandidate: null,
    ...base,
    ...times,
    candidates: [cand(0, "print(1)\nx=1\ny=2\nz=3", true, 1)],
  });
  s.writeTurn(k, {
    index: 1,
    parentTurn: 0,
    parentCandidate: 0,
    ...base,
    ...times,
    candidates: [cand(0, "print(2)", true, 2)],
  });
  s.finishTrajectory(k, {
    status: "done",
    submitted: { turn: 1, candidate: 0 },
    grade: { verdict: "accepted", passed: 9, total: 9, tests: [], infrastructureFailure: false },
  });
  s.close();
  mkdirSync(join(root, "not-a-run"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("runs CLI", () => {
  it("lists run folders with progress and a config summary", async () => {
    const out = await cli("runs", "list", root);
    expect(out).toContain(`${folder}  cc-mt  `);
    expect(out).toContain("1/4 finished (1 done, 0 failed)");
    expect(out).toContain(
      "cc.jsonl | vllm:http://127.0.0.1:8000/v1#llama | multi-turn T=3 | feedback=failed-test",
    );
    expect(out).not.toContain("not-a-run");
    const rows = (await cli("runs", "list", root, "--json"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: "cc-mt", counts: { total: 4, done: 1 } });
    await expect(cli("runs", "list", join(tmp, "none"))).rejects.toThrow(CliError);
  });

  it("shows the per-problem summary, as text and JSON", async () => {
    const out = await cli("runs", "show", folder);
    expect(out).toMatch(/trajectories: 4 \(1 done, 0 failed, 0 running, 3 pending\)/);
    expect(out).toContain("1500/A\t1/2\t0\t1/1\tSum\n");
    expect(out).toContain("1500/B\t0/2\t0\t0/0\tPaths\n");
    const j = JSON.parse(await cli("runs", "show", folder, "--json"));
    expect(j.counts).toEqual({ total: 4, pending: 3, running: 0, done: 1, failed: 0 });
    expect(j.problems.map((p: { problemId: string }) => p.problemId)).toEqual(["1500/A", "1500/B"]);
    expect(j.config.trajectoriesPerProblem).toBe(2);
  });

  it("shows one problem's trajectories with turns, candidates, code heads and grades", async () => {
    const out = await cli("runs", "show", folder, "--problem", "1500/A");
    expect(out).toContain(
      "trajectory 0: done, 2 turn(s), hidden accepted 9/9 (grade v1), submitted turn 1 candidate 0",
    );
    expect(out).toContain("  turn 1 (after turn 0 candidate 0, 1 message(s) sent)");
    expect(out).toContain(
      "    candidate 0 [selected]: stop, 50+30 tokens, 420 ms, seed 77, public wrong_answer 1/2",
    );
    expect(out).toContain("      | print(1)\n      | x=1\n      | y=2\n      | ... (1 more lines)");
    expect(out).toContain("trajectory 1: pending, 0 turn(s), hidden -");
    const j = JSON.parse(await cli("runs", "show", folder, "--problem", "1500/A", "--json"));
    expect(j).toHaveLength(2);
    expect(j[0].turns[1].candidates[0].code).toBe("print(2)");
    await expect(cli("runs", "show", folder, "--problem", "nope")).rejects.toThrow(/no problem 'nope'/);
    await expect(cli("runs", "show", join(tmp, "missing"))).rejects.toThrow(/not a run folder/);
  });
});
