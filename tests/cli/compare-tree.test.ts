// codeloop compare between a tree search run and a multi-turn run (issue 14): the runs differ in
// depth, programs per trajectory and shape, and are compared at equal budgets of tokens and of
// LLM calls (paired differences of the budget curves' per-problem values over problems), next to
// the metrics compare always shows.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerCompare } from "../../src/cli/compare.js";
import {
  type BudgetAxis,
  type MetricsInput,
  type TrajectoryRecord,
  budgetCurve,
  compareInputs,
  metricsInputFromStore,
  trajectoryCost,
} from "../../src/metrics/index.js";
import { type RunConfigInput, RunStore, parseRunConfig, runRun } from "../../src/runs/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { RIGHT, WRONG, answer, doubleProblem, writeProblems } from "../e2e/fixtures.js";
import { type ChatServer, type ChatServerRequest, startChatServer } from "../helpers/chat-server.js";
import { captureCli } from "../helpers/cli-capture.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-compare-tree-"));
const source = join(tmp, "problems.jsonl");
let sb: Sandbox;
let server: ChatServer;
let tree: string;
let multi: string;

const HALF = "n = int(input())\nprint(2 * n if n != 7777 else 0)\n";

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** First answers by seed: WRONG, HALF or RIGHT; a refinement of HALF is RIGHT, of WRONG WRONG. */
function respond(r: ChatServerRequest): string {
  const msgs = r.body.messages as { role: string; content: string }[];
  const last = msgs.filter((m) => m.role === "assistant").at(-1)?.content;
  if (last === undefined) {
    const pool = [WRONG, WRONG, HALF, WRONG, RIGHT, WRONG];
    return answer(pool[hash(String(r.body.seed)) % pool.length]!);
  }
  return answer(last.includes(HALF) || last.includes(RIGHT) ? RIGHT : WRONG);
}

async function run(name: string, strategy: Record<string, unknown>): Promise<string> {
  const folder = join(tmp, name);
  const config = parseRunConfig({
    name,
    benchmark: { source },
    model: `openai:${server.url}#scripted`,
    cache: { enabled: false },
    concurrency: { model: 4, sandbox: 2 },
    seed: 11,
    trajectoriesPerProblem: 4,
    strategy,
  } as RunConfigInput);
  await runRun({ folder, config }, { sandbox: sb });
  return folder;
}

function input(folder: string): MetricsInput {
  const store = RunStore.open(folder);
  try {
    return metricsInputFromStore(store);
  } finally {
    store.close();
  }
}

/**
 * Exact P(solved within budget) of one problem: every ordering of its trajectories, solved when
 * the cost up to and including the first hidden-correct trajectory fits.
 */
function exactWithin(ts: readonly TrajectoryRecord[], axis: BudgetAxis, budget: number): number {
  let hits = 0;
  let total = 0;
  const walk = (left: number[], used: number) => {
    if (left.length === 0) {
      total++;
      return;
    }
    for (const i of left) {
      const rest = left.filter((j) => j !== i);
      const u = used + trajectoryCost(ts[i]!, axis);
      if (ts[i]!.hiddenPass) {
        // Every completion of this prefix counts the same.
        let f = 1;
        for (let k = 2; k <= rest.length; k++) f *= k;
        total += f;
        if (u <= budget) hits += f;
      } else walk(rest, u);
    }
  };
  walk(
    ts.map((_, i) => i),
    0,
  );
  return hits / total;
}

beforeAll(async () => {
  sb = await Sandbox.create({ workers: 2, uidBase: 60300 });
  server = await startChatServer({ respond });
  await writeProblems(
    source,
    ["a", "b", "c", "d"].map((id) => doubleProblem(id)),
  );
  tree = await run("tree", { kind: "tree", maxTurns: 4, budget: { calls: 6 }, branching: 2 });
  multi = await run("multi", { kind: "multi-turn", maxTurns: 2 });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await sb?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface JsonMetric {
  metric: string;
  kind: string;
  axis?: BudgetAxis;
  budget?: number;
  problems: number;
  a: number;
  b: number;
  diff: number;
  low: number;
  high: number;
  p: number;
}

describe("codeloop compare <tree> <multi-turn>", () => {
  it("compares at equal token and call budgets both runs reach, paired over problems (JSON)", async () => {
    const out = await captureCli(registerCompare, "compare", tree, multi, "--json", "--resamples", "1000");
    const r = JSON.parse(out);
    expect(r).toMatchObject({ common: 4, onlyA: [], onlyB: [] });
    const a = input(tree);
    const b = input(multi);
    // The runs differ in programs per trajectory (the tree's budget vs T).
    expect(a.maxTurns).toBe(6);
    expect(b.maxTurns).toBe(2);
    const at = r.atBudget as {
      budgets: Record<BudgetAxis, number[]>;
      reach: Record<"a" | "b", Record<BudgetAxis, { trajectory: number; total: number }>>;
      metrics: JsonMetric[];
    };
    for (const axis of ["calls", "tokens"] as const) {
      const budgets = at.budgets[axis];
      expect(budgets.length).toBeGreaterThanOrEqual(1);
      expect(budgets.length).toBeLessThanOrEqual(3);
      // Budgets both runs reach: no problem of either run has spent its whole sample before.
      const hi = Math.min(
        ...[a, b].flatMap((x) =>
          x.problems.map((p) => p.trajectories.reduce((s, t) => s + trajectoryCost(t, axis), 0)),
        ),
      );
      expect(at.reach.a[axis].total).toBe(
        Math.min(...a.problems.map((p) => p.trajectories.reduce((s, t) => s + trajectoryCost(t, axis), 0))),
      );
      expect(budgets.at(-1)).toBe(Math.floor(hi));
      const rows = at.metrics.filter((m) => m.axis === axis);
      expect(rows.map((m) => m.budget)).toEqual(budgets);
      for (const m of rows) {
        expect(m.kind).toBe("budget");
        expect(m.metric).toBe(
          `solved ≤ ${m.budget!.toLocaleString("en-US")} ${axis === "calls" ? (m.budget === 1 ? "call" : "calls") : "tokens"}`,
        );
        expect(m.problems).toBe(4);
        // A and B are the budget curves at that budget over the common problems (same seeds).
        expect(m.a).toBeCloseTo(budgetCurve(a.problems, axis, { budgets: [m.budget!] })[0]!.value, 12);
        expect(m.b).toBeCloseTo(budgetCurve(b.problems, axis, { budgets: [m.budget!] })[0]!.value, 12);
        // ... which estimate the exact chance over orderings (a tree trajectory costs all its nodes).
        const exact = (x: MetricsInput) =>
          x.problems.reduce((s, p) => s + exactWithin(p.trajectories, axis, m.budget!), 0) /
          x.problems.length;
        expect(Math.abs(m.a - exact(a))).toBeLessThan(0.04);
        expect(Math.abs(m.b - exact(b))).toBeLessThan(0.04);
        expect(m.diff).toBeCloseTo(m.b - m.a, 12);
        expect(m.low).toBeLessThanOrEqual(m.diff + 1e-12);
        expect(m.high).toBeGreaterThanOrEqual(m.diff - 1e-12);
        expect(m.p).toBeGreaterThan(0);
        expect(m.p).toBeLessThanOrEqual(1);
      }
    }
    // The usual metrics are still there; the tree's consecutive codes are node-parent pairs.
    const names = r.metrics.map((m: JsonMetric) => m.metric);
    expect(names).toContain("pass@1");
    expect(names).toContain("similarity");
    // The library gives the same numbers as the command.
    const lib = compareInputs(a, b, { resamples: 1000 });
    expect(lib.atBudget.metrics.map((m) => [m.metric, m.a, m.b, m.low, m.high, m.p])).toEqual(
      at.metrics.map((m) => [m.metric, m.a, m.b, m.low, m.high, m.p]),
    );
  });

  it("prints the equal-budget rows in the aligned table, with what they mean", async () => {
    const out = await captureCli(
      registerCompare,
      "compare",
      tree,
      multi,
      "--resamples",
      "500",
      "--no-similarity",
    );
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^A: .*tree \(.*tree depth=4 b=2 budget=6 calls/);
    expect(lines.find((l) => l.startsWith("solved ≤ B calls/tokens:"))).toContain("every node of a tree");
    const note = lines.find((l) => l.startsWith("budgets: "))!;
    expect(note).toMatch(
      /^budgets: [\d /]+ calls \(per trajectory A \d+, B \d+; smallest problem total A [\d,]+, B [\d,]+\); [\d,/ ]+ tokens \(/,
    );
    const header = lines.find((l) => l.startsWith("metric"))!;
    const table = lines.slice(lines.indexOf(header));
    for (const l of table) expect(l.length).toBe(header.length);
    const tokenRows = table.filter((l) => /^solved ≤ [\d,]+ tokens /.test(l));
    const callRows = table.filter((l) => /^solved ≤ [\d,]+ calls? /.test(l));
    expect(tokenRows.length).toBeGreaterThanOrEqual(1);
    expect(callRows.length).toBeGreaterThanOrEqual(1);
    for (const row of [...tokenRows, ...callRows]) {
      expect(row).toMatch(/\s4\s+\d+\.\d\s+\d+\.\d\s+[+-]\d+\.\d\s+\[[+-]\d+\.\d, [+-]\d+\.\d\]\s+\S+$/);
    }
  });

  it("--budgets-tokens and --budgets-calls choose the budgets; bad lists are refused", async () => {
    const r = JSON.parse(
      await captureCli(
        registerCompare,
        "compare",
        tree,
        multi,
        "--json",
        "--resamples",
        "200",
        "--no-similarity",
        "--budgets-tokens",
        "5000,1000",
        "--budgets-calls",
        "2",
      ),
    );
    expect(r.atBudget.budgets).toEqual({ calls: [2], tokens: [1000, 5000] });
    expect(r.atBudget.metrics.map((m: JsonMetric) => m.metric)).toEqual([
      "solved ≤ 2 calls",
      "solved ≤ 1,000 tokens",
      "solved ≤ 5,000 tokens",
    ]);
    await expect(
      captureCli(registerCompare, "compare", tree, multi, "--budgets-tokens", "100,x"),
    ).rejects.toThrow('--budgets-tokens: expected a positive integer, got "x"');
  });
});
