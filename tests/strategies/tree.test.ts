// Tree search (src/strategies/tree.ts) played by the real scheduler against the chat-completions
// test server: what it stores is a tree of one-program turns within its budget, its submission
// is its best node, it backtracks from refinements that stop improving, it is deterministic, and
// its config errors name the field.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRng } from "../../src/core/rng.js";
import {
  RunConfigError,
  type RunConfigInput,
  RunStore,
  configSummary,
  loadRunConfig,
  parseRunConfig,
  runRun,
} from "../../src/runs/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { betaSample } from "../../src/strategies/index.js";
import { RIGHT, WRONG, answer, doubleProblem, writeProblems } from "../e2e/fixtures.js";
import { type ChatServer, type ChatServerRequest, startChatServer } from "../helpers/chat-server.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-tree-"));
const source = join(tmp, "problems.jsonl");
let sb: Sandbox;
let server: ChatServer;

/** Passes two of the three public tests (and fails hidden ones). */
const HALF = "n = int(input())\nprint(2 * n if n != 7777 else 0)\n";
/** Passes every public test and no hidden one. */
const OVERFIT = "n = int(input())\nprint({1111: 2222, 5555: 11110, 7777: 15554}.get(n, -1))\n";
const PROSE = "I would read n and print twice its value.";

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

type Msg = { role: string; content: string };
/** The code of the answer a refinement request continues (the last assistant message). */
function parentCode(msgs: Msg[]): string | null {
  const last = msgs.filter((m) => m.role === "assistant").at(-1)?.content;
  if (last === undefined) return null;
  for (const c of [RIGHT, OVERFIT, HALF, WRONG]) if (last.includes(c)) return c;
  return PROSE;
}

/**
 * The scripted model, a function of the request alone. Roots (no earlier answer) draw by seed
 * from WRONG, HALF, PROSE and, rarely, RIGHT. A refinement of WRONG stays WRONG: that branch
 * never improves, so only backtracking (a fresh root, another node) gets anywhere. A refinement
 * of HALF is RIGHT; of prose, HALF.
 */
function respond(r: ChatServerRequest): string {
  const msgs = r.body.messages as Msg[];
  const parent = parentCode(msgs);
  if (parent === null) {
    const pool = [WRONG, WRONG, HALF, PROSE, WRONG, RIGHT, WRONG, HALF];
    const c = pool[hash(String(r.body.seed)) % pool.length]!;
    return c === PROSE ? PROSE : answer(c);
  }
  if (parent === WRONG) return answer(WRONG);
  if (parent === PROSE) return answer(HALF);
  return answer(RIGHT);
}

beforeAll(async () => {
  sb = await Sandbox.create({ workers: 2, uidBase: 61700 });
  server = await startChatServer({ respond });
  await writeProblems(
    source,
    ["t0", "t1", "t2"].map((id) => doubleProblem(id)),
  );
});
afterAll(async () => {
  await server?.close();
  await sb?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function treeConfig(strategy: Record<string, unknown>, extra: Partial<RunConfigInput> = {}) {
  return parseRunConfig({
    benchmark: { source },
    model: `openai:${server.url}#scripted`,
    cache: { enabled: false },
    concurrency: { model: 4, sandbox: 2 },
    seed: 5,
    trajectoriesPerProblem: 3,
    strategy: { kind: "tree", maxTurns: 3, ...strategy },
    ...extra,
  } as RunConfigInput);
}

function read(folder: string) {
  const store = RunStore.open(folder);
  try {
    return [...store.trajectories()].map((t) => store.trajectoryDetail(t)!);
  } finally {
    store.close();
  }
}

const frac = (c: { publicTests: { passed: number; total: number } | null }) =>
  c.publicTests && c.publicTests.total > 0 ? c.publicTests.passed / c.publicTests.total : -1;

describe("tree search", () => {
  it("stores a tree of one-program turns within its budget and submits its best node", async () => {
    const folder = join(tmp, "calls");
    await runRun(
      {
        folder,
        config: treeConfig({ budget: { calls: 6 }, branching: 2 }, { grading: { gradeEveryTurn: true } }),
      },
      { sandbox: sb },
    );
    const ds = read(folder);
    expect(ds).toHaveLength(9);
    let branched = 0;
    for (const d of ds) {
      expect(d.status).toBe("done");
      const depth = new Map<number, number>();
      let calls = 0;
      for (const t of d.turns) {
        expect(t.candidates).toHaveLength(1);
        const c = t.candidates[0]!;
        expect(c.selected).toBe(c.modelError === null);
        if (c.modelError === null) calls++;
        if (t.parentTurn === null) depth.set(t.index, 1);
        else {
          expect(t.parentTurn).toBeLessThan(t.index);
          expect(t.parentCandidate).toBe(0);
          depth.set(t.index, depth.get(t.parentTurn)! + 1);
        }
        expect(depth.get(t.index)!).toBeLessThanOrEqual(3);
      }
      expect(calls).toBeLessThanOrEqual(6);
      // Children of one expansion share a parent; two children per expansion, so a sibling
      // pair exists whenever more than one expansion ran.
      const byParent = new Map<string, number>();
      for (const t of d.turns) {
        const k = String(t.parentTurn);
        byParent.set(k, (byParent.get(k) ?? 0) + 1);
      }
      if ([...byParent.values()].some((n) => n >= 2)) branched++;
      // Stops at the first expansion with a node passing every public test, else at the budget.
      const passIdx = d.turns.findIndex((t) => frac(t.candidates[0]!) === 1);
      if (passIdx >= 0) {
        const lastOfExpansion = d.turns.filter(
          (t) => t.parentTurn === d.turns[passIdx]!.parentTurn && t.index >= passIdx,
        );
        expect(d.turns.length).toBeLessThanOrEqual(Math.max(...lastOfExpansion.map((t) => t.index)) + 1);
      } else expect(calls).toBe(6);
      // The submission is a node with the most public tests passed (the latest among ties).
      const best = Math.max(
        ...d.turns.map((t) => (t.candidates[0]!.code === null ? -2 : frac(t.candidates[0]!))),
      );
      if (d.submittedTurn !== null) {
        const sub = d.turns[d.submittedTurn]!.candidates[0]!;
        expect(frac(sub)).toBe(best);
        const later = d.turns.filter((t) => t.index > d.submittedTurn! && frac(t.candidates[0]!) === best);
        expect(later.filter((t) => t.candidates[0]!.code !== null)).toEqual([]);
        expect(d.grade).not.toBeNull();
      }
      // Every node's code was graded: each program counts toward k.
      const withCode = d.turns.filter((t) => t.candidates[0]!.code !== null).length;
      expect(d.turnGrades.length).toBeGreaterThanOrEqual(withCode - (d.submittedTurn !== null ? 1 : 0));
    }
    expect(branched).toBeGreaterThan(0);
    expect(ds.some((d) => d.grade?.verdict === "accepted")).toBe(true);
  }, 120_000);

  it("backtracks from a branch whose refinements stop improving", async () => {
    const folder = join(tmp, "backtrack");
    await runRun({ folder, config: treeConfig({ budget: { calls: 10 }, maxTurns: 4 }) }, { sandbox: sb });
    const ds = read(folder);
    // A WRONG root's refinements are all WRONG: the search must leave that branch, by a fresh
    // root or by refining another node, before the depth limit forces it to.
    let left = 0;
    for (const d of ds) {
      const first = d.turns[0]!;
      if (!first.candidates[0]!.rawAnswer.includes(WRONG)) continue;
      const chain: number[] = [0];
      for (const t of d.turns.slice(1)) {
        if (t.parentTurn === chain[chain.length - 1]) chain.push(t.index);
        else break;
      }
      if (chain.length < d.turns.length && chain.length < 4) left++;
    }
    expect(left).toBeGreaterThan(0);
    expect(ds.some((d) => d.turns.filter((t) => t.parentTurn === null).length > 1)).toBe(true);
    // Only fresh roots or HALF/prose branches reach RIGHT here; some trajectory does.
    expect(ds.some((d) => d.grade?.verdict === "accepted")).toBe(true);
  }, 120_000);

  it("stores the same tree for the same config and seed", async () => {
    const a = join(tmp, "same-a");
    const b = join(tmp, "same-b");
    const cfg = () =>
      treeConfig({ budget: { calls: 7 }, branching: 2 }, { seed: 9, trajectoriesPerProblem: 2 });
    // Both at once: they share the sandbox and the model server, so their requests and test
    // runs interleave, and the trees must still match.
    await Promise.all([
      runRun({ folder: a, config: cfg() }, { sandbox: sb }),
      runRun({ folder: b, config: cfg() }, { sandbox: sb }),
    ]);
    const strip = (folder: string) =>
      read(folder).map((d) => ({
        key: `${d.problemId}#${d.trajectory}`,
        submitted: [d.submittedTurn, d.submittedCandidate],
        turns: d.turns.map((t) => [t.parentTurn, t.candidates[0]!.seed, t.candidates[0]!.rawAnswer]),
      }));
    expect(strip(b)).toEqual(strip(a));
  }, 120_000);

  it("stops once a budget in tokens is spent", async () => {
    const folder = join(tmp, "tokens");
    // The test server counts about a token per 4 characters: a root costs about 100 tokens.
    await runRun(
      { folder, config: treeConfig({ budget: { tokens: 400 }, stopOnPublicPass: false }) },
      { sandbox: sb },
    );
    for (const d of read(folder)) {
      const costs = d.turns.map((t) => t.candidates[0]!.promptTokens + t.candidates[0]!.completionTokens);
      const total = costs.reduce((s, x) => s + x, 0);
      expect(total).toBeGreaterThanOrEqual(400);
      // It stopped as soon as the budget was spent: without the last node it was not.
      expect(total - costs[costs.length - 1]!).toBeLessThan(400);
    }
  }, 120_000);

  it("submits by public tests, then by the verifier when the rule reads scores", async () => {
    const prefer = (code: string) => (code.includes("print(2 * n)\n") ? 0.9 : 0.1);
    const verifier = {
      score: async (inputs: readonly { code: string }[]) => inputs.map((i) => prefer(i.code)),
    };
    const folder = join(tmp, "verifier");
    await runRun(
      {
        folder,
        config: treeConfig({
          budget: { calls: 6 },
          stopOnPublicPass: false,
          selection: "public-tests+verifier",
          verifier: "embedded:/never/built.json",
        }),
      },
      { sandbox: sb, verifier },
    );
    for (const d of read(folder)) {
      for (const t of d.turns) {
        const c = t.candidates[0]!;
        if (c.code !== null) expect(c.verifierScore).toBe(prefer(c.code));
      }
      if (d.submittedTurn === null) continue;
      const sub = d.turns[d.submittedTurn]!.candidates[0]!;
      const top = Math.max(...d.turns.map((t) => frac(t.candidates[0]!)));
      expect(frac(sub)).toBe(top);
      const tied = d.turns.filter((t) => frac(t.candidates[0]!) === top && t.candidates[0]!.code !== null);
      expect(sub.verifierScore).toBe(Math.max(...tied.map((t) => t.candidates[0]!.verifierScore!)));
    }
  }, 120_000);

  it("names the field of a tree setting that does not fit", () => {
    const bad = (strategy: Record<string, unknown>) => {
      try {
        parseRunConfig({ benchmark: { source }, model: "openai:http://x#m", strategy }, { file: "t.yaml" });
      } catch (err) {
        expect(err).toBeInstanceOf(RunConfigError);
        return (err as Error).message;
      }
      throw new Error("accepted");
    };
    expect(bad({ kind: "multi-turn", budget: { calls: 3 } })).toMatch(
      /strategy\.budget: only for kind: tree/,
    );
    expect(bad({ kind: "tree", budget: {} })).toMatch(/strategy\.budget: give calls or tokens/);
    expect(bad({ kind: "tree", candidatesPerTurn: 3 })).toMatch(/strategy\.candidatesPerTurn: .*branching/);
    expect(bad({ kind: "tree", selection: "random" })).toMatch(/strategy\.selection/);
    expect(bad({ kind: "tree", branching: 0 })).toMatch(/strategy\.branching/);
    expect(bad({ kind: "tree", exploration: -1 })).toMatch(/strategy\.exploration/);
  });

  it("examples/tree.yaml is a valid tree config", async () => {
    const cfg = await loadRunConfig("examples/tree.yaml");
    expect(cfg.strategy).toMatchObject({ kind: "tree", maxTurns: 3, budget: { calls: 8 }, branching: 1 });
    expect(configSummary(cfg)).toMatch(/tree depth=3 b=1 budget=8 calls/);
  });

  it("draws Beta samples with the right mean", () => {
    const rng = seededRng(3);
    let sum = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) sum += betaSample(rng, 3, 5);
    expect(sum / n).toBeCloseTo(3 / 8, 2);
  });
});
