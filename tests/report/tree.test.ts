// The report of a tree search run (issue 14): each embedded trajectory carries its tree (nodes,
// parents, verdicts, the path to the submission), the budget curves charge a tree trajectory
// every node, consecutive-code similarity pairs a node with its parent, a hostile answer stays
// text in Chromium, and the linear run beside it keeps its chain view.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type MetricsInput,
  budgetCurve,
  codePairs,
  consecutivePairs,
  metricsInputFromStore,
  trajectoryCost,
} from "../../src/metrics/index.js";
import { type ReportData, buildReportData, renderReportHtml } from "../../src/report/index.js";
import { type RunConfigInput, RunStore, parseRunConfig, runRun } from "../../src/runs/index.js";
import type { TrajectoryDetail } from "../../src/runs/trajectory.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { RIGHT, WRONG, answer, doubleProblem, writeProblems } from "../e2e/fixtures.js";
import { type ChatServer, type ChatServerRequest, startChatServer } from "../helpers/chat-server.js";

const CHROMIUM = "/usr/bin/chromium";
const tmp = mkdtempSync(join(tmpdir(), "codeloop-report-tree-"));
const source = join(tmp, "problems.jsonl");
let sb: Sandbox;
let server: ChatServer;
let tree: string;
let multi: string;
let data: ReportData;

/** Passes two of the three public tests (and fails hidden ones). */
const HALF = "n = int(input())\nprint(2 * n if n != 7777 else 0)\n";
const HOSTILE = "</script><img src=x onerror=alert(1)>";
/** A hostile answer whose code (HALF with a hostile comment) gets refined. */
const HOSTILE_ANSWER = `${HOSTILE} <!-- here:\n\n\`\`\`python\n# ${HOSTILE}\n${HALF}\`\`\`\n`;

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Roots draw by seed from WRONG, HALF and the hostile HALF; a refinement of WRONG stays WRONG (the
 * search backtracks to other nodes and fresh roots), of HALF it is RIGHT. Linear runs get the
 * same: their turn 2 refines turn 1.
 */
function respond(r: ChatServerRequest): string {
  const msgs = r.body.messages as { role: string; content: string }[];
  const last = msgs.filter((m) => m.role === "assistant").at(-1)?.content;
  if (last === undefined) {
    const pool = [WRONG, WRONG, "hostile", HALF, WRONG];
    const c = pool[hash(String(r.body.seed)) % pool.length]!;
    return c === "hostile" ? HOSTILE_ANSWER : answer(c);
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
    seed: 3,
    trajectoriesPerProblem: 2,
    strategy,
    grading: { gradeEveryTurn: true },
  } as RunConfigInput);
  await runRun({ folder, config }, { sandbox: sb });
  return folder;
}

function details(folder: string): TrajectoryDetail[] {
  const store = RunStore.open(folder);
  try {
    return [...store.trajectories()].map((t) => store.trajectoryDetail(t)!);
  } finally {
    store.close();
  }
}

function input(folder: string): MetricsInput {
  const store = RunStore.open(folder);
  try {
    return metricsInputFromStore(store);
  } finally {
    store.close();
  }
}

beforeAll(async () => {
  sb = await Sandbox.create({ workers: 2, uidBase: 60100 });
  server = await startChatServer({ respond });
  await writeProblems(
    source,
    ["a", "b", "c"].map((id) => doubleProblem(id)),
  );
  tree = await run("tree", { kind: "tree", maxTurns: 3, budget: { calls: 5 }, branching: 2 });
  multi = await run("multi", { kind: "multi-turn", maxTurns: 3 });
  data = await buildReportData([tree, multi], { bootstrap: { resamples: 300 } });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await sb?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("report of a tree search run", () => {
  it("each embedded trajectory of a tree run carries its tree: nodes, parents, verdicts, submitted path", () => {
    const ds = details(tree);
    expect(ds.length).toBe(6);
    expect(data.runs[0]!.config.tree).toEqual({
      budget: { calls: 5 },
      branching: 2,
      programsPerTrajectory: 5,
    });
    expect(data.runs[1]!.config.tree).toBeUndefined();
    let branched = 0;
    for (const d of ds) {
      const row = data.runs[0]!.problems.findIndex((p) => p.id === d.problemId);
      const v = data.trajectories[`0/${row}/${d.trajectory}`]!;
      const t = v.tree!;
      expect(t.nodes.map((n) => n.turn)).toEqual(d.turns.map((u) => u.index));
      for (const [i, u] of d.turns.entries()) {
        const n = t.nodes[i]!;
        const c = u.candidates[0]!;
        expect(n.parent).toBe(u.parentTurn);
        expect(n.children).toEqual(d.turns.filter((x) => x.parentTurn === u.index).map((x) => x.index));
        expect(n.depth).toBe(
          u.parentTurn === null ? 1 : t.nodes.find((m) => m.turn === u.parentTurn)!.depth + 1,
        );
        expect(n.public).toEqual(
          c.publicTests
            ? { verdict: c.publicTests.verdict, passed: c.publicTests.passed, total: c.publicTests.total }
            : null,
        );
        // gradeEveryTurn: every node with code has its hidden grade.
        if (c.code !== null) expect(n.hidden?.verdict).toMatch(/accepted|wrong_answer/);
        expect(n.submitted).toBe(d.submittedTurn === u.index);
        if (u.parentTurn !== null && u.parentTurn !== u.index - 1) branched++;
      }
      expect(t.roots).toEqual(d.turns.filter((u) => u.parentTurn === null).map((u) => u.index));
      // The path runs from a root to the submitted node through parents.
      const path = t.submittedPath;
      expect(path.at(-1)).toBe(d.submittedTurn);
      expect(t.nodes.find((n) => n.turn === path[0])!.parent).toBeNull();
      for (let i = 1; i < path.length; i++) {
        expect(t.nodes.find((n) => n.turn === path[i])!.parent).toBe(path[i - 1]);
      }
      expect(t.nodes.filter((n) => n.onPath).map((n) => n.turn)).toEqual([...path].sort((x, y) => x - y));
    }
    // The search did branch or backtrack somewhere: not every tree is a chain.
    expect(branched).toBeGreaterThan(0);
    // The linear run's views have no tree and say "continues".
    const linear = Object.entries(data.trajectories).filter(([k]) => k.startsWith("1/"));
    expect(linear.length).toBeGreaterThan(0);
    for (const [, v] of linear) expect(v.tree).toBeUndefined();
  });

  it("budget curves charge a tree trajectory every node, by calls and by tokens", () => {
    const inp = input(tree);
    const ds = new Map(details(tree).map((d) => [`${d.problemId}#${d.trajectory}`, d]));
    let anyNodes = 0;
    for (const p of inp.problems) {
      p.trajectories.forEach((t, i) => {
        const d = ds.get(`${p.id}#${i}`)!;
        anyNodes = Math.max(anyNodes, d.turns.length);
        const cands = d.turns.flatMap((u) => u.candidates);
        expect(trajectoryCost(t, "calls")).toBe(cands.length);
        expect(trajectoryCost(t, "tokens")).toBe(
          cands.reduce((s, c) => s + c.promptTokens + c.completionTokens, 0),
        );
      });
    }
    expect(anyNodes).toBeGreaterThan(1);
    const m = data.runs[0]!.metrics;
    expect(m.budget.calls).toEqual(budgetCurve(inp.problems, "calls"));
    expect(m.budget.tokens).toEqual(budgetCurve(inp.problems, "tokens"));
    // At the largest budget every problem has spent its whole sample: solved iff some submission is.
    const solved = inp.problems.filter((p) => p.trajectories.some((t) => t.hiddenPass)).length;
    for (const axis of ["calls", "tokens"] as const) {
      const curve = m.budget[axis];
      expect(curve.length).toBeGreaterThan(3);
      expect(curve.at(-1)!.value).toBeCloseTo(solved / inp.problems.length, 12);
      for (let i = 1; i < curve.length; i++)
        expect(curve[i]!.value).toBeGreaterThanOrEqual(curve[i - 1]!.value);
    }
    const html = renderReportHtml(data);
    expect(html).toContain('id="chart-budget-calls"');
    expect(html).toContain('id="chart-budget-tokens"');
    expect(html).toContain("every node of a tree search");
  });

  it("consecutive-code similarity pairs each node with its parent; tree runs are pooled apart", () => {
    const inp = input(tree);
    const ds = new Map(details(tree).map((d) => [`${d.problemId}#${d.trajectory}`, d]));
    const expected: string[] = [];
    let offChain = 0;
    for (const p of inp.problems) {
      p.trajectories.forEach((t, i) => {
        const d = ds.get(`${p.id}#${i}`)!;
        const code = (turn: number) => d.turns.find((u) => u.index === turn)!.candidates[0]!.code;
        for (const u of d.turns) {
          if (code(u.index) === null) continue;
          // The nearest ancestor with code.
          let a = u.parentTurn;
          while (a !== null && code(a) === null) a = d.turns.find((x) => x.index === a)!.parentTurn;
          if (a === null) continue;
          expected.push(code(a)!, code(u.index)!);
          if (a !== u.index - 1) offChain++;
        }
        expect(codePairs(t.turns).every(([x, y]) => x < y)).toBe(true);
      });
    }
    expect(offChain).toBeGreaterThan(0);
    expect(consecutivePairs(inp.problems, (c) => c)).toEqual(expected);
    expect(data.runs[0]!.similarity.count).toBe(expected.length / 2);
    expect(Object.keys(data.similarityByFeedback).sort()).toEqual(["failed-test", "failed-test (tree)"]);
    expect(data.similarityByFeedback["failed-test (tree)"]!.count).toBe(expected.length / 2);
    // The linear run's records carry no parent (a chain, as before).
    for (const p of input(multi).problems)
      for (const t of p.trajectories) for (const u of t.turns) expect(u).not.toHaveProperty("parent");
  });

  it("tree tables: strategy, depth, programs per trajectory; hostile text only escaped", () => {
    const html = renderReportHtml(data);
    expect(html).toContain("tree (budget 5 calls, branching 2)");
    expect(html).toContain("depth ≤ 3");
    expect(html).toContain("mean nodes");
    expect(html).toContain("a tree of 5 programs at most");
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain(HOSTILE);
    expect(html.match(/<\/script>/g)!.length).toBe(4);
  });

  it.skipIf(!existsSync(CHROMIUM))(
    "shows the tree in Chromium with the submitted path marked; the hostile answer is inert",
    async () => {
      const file = join(tmp, "report.html");
      writeFileSync(file, renderReportHtml(data));
      // A tree trajectory with the hostile answer in it and more than one node.
      const key = Object.keys(data.trajectories).find((k) => {
        const v = data.trajectories[k]!;
        return (
          v.tree &&
          v.tree.nodes.length > 1 &&
          v.turns.some((u) => u.candidates.some((c) => data.strings[c.answer]!.includes(HOSTILE)))
        );
      })!;
      expect(key).toBeDefined();
      const v = data.trajectories[key]!;
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--no-sandbox", "--disable-gpu"],
      });
      try {
        const page = await browser.newPage();
        const dialogs: string[] = [];
        const errors: string[] = [];
        page.on("dialog", (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        page.on("pageerror", (e) => errors.push(e.message));
        await page.goto(`${pathToFileURL(file).href}#t/${key}`, { waitUntil: "load" });
        await page.waitForSelector("#viewer:not([hidden]) .tree-view");
        const seen = (await page.evaluate(`(() => {
          const v = document.getElementById("viewer");
          const items = Array.from(v.querySelectorAll(".tree-view li[data-turn]"));
          return {
            nodes: items.map((li) => Number(li.getAttribute("data-turn"))),
            parents: items.map((li) => { const up = li.parentElement.closest("li[data-turn]"); return up ? Number(up.getAttribute("data-turn")) : null; }),
            path: Array.from(v.querySelectorAll(".tree-view .node.path")).map((n) => Number(n.closest("li").getAttribute("data-turn"))),
            submitted: Array.from(v.querySelectorAll(".tree-view .node")).filter((n) => n.textContent.includes("submitted")).length,
            text: v.textContent,
            imgs: document.querySelectorAll("img").length,
            scripts: v.querySelectorAll("script").length,
          };
        })()`)) as {
          nodes: number[];
          parents: (number | null)[];
          path: number[];
          submitted: number;
          text: string;
          imgs: number;
          scripts: number;
        };
        const t = v.tree!;
        expect([...seen.nodes].sort((x, y) => x - y)).toEqual(
          t.nodes.map((n) => n.turn).sort((x, y) => x - y),
        );
        seen.nodes.forEach((turn, i) =>
          expect(seen.parents[i]).toBe(t.nodes.find((n) => n.turn === turn)!.parent),
        );
        expect([...seen.path].sort((x, y) => x - y)).toEqual([...t.submittedPath].sort((x, y) => x - y));
        expect(seen.submitted).toBe(v.submittedTurn === null ? 0 : 1);
        expect(seen.text).toContain(`path to the submission: turn ${t.submittedPath.join(" → ")}`);
        expect(seen.text).toContain(HOSTILE);
        expect(seen.text).toMatch(/public \d\/3/);
        expect(seen.text).toMatch(/hidden \d\/\d/);
        expect(seen.imgs).toBe(0);
        expect(seen.scripts).toBe(0);
        expect(dialogs).toEqual([]);
        expect(errors).toEqual([]);
        mkdirSync("test-output", { recursive: true });
        const png = resolve("test-output", "report-tree.png");
        await (await page.$("#viewer"))!.screenshot({ path: png });
        console.log(`tree view screenshot: ${png}`);
        // Clicking a node scrolls to its turn.
        await page.click(`.tree-view li[data-turn="${t.nodes.at(-1)!.turn}"] > .node > a`);
        expect(await page.evaluate(`document.getElementById("turn-${t.nodes.at(-1)!.turn}") !== null`)).toBe(
          true,
        );
      } finally {
        await browser.close();
      }
    },
    30_000,
  );
});

describe("codePairs", () => {
  const u = (code: string | null, parent?: number | null) => ({
    code,
    publicPass: false,
    hiddenPass: null,
    llmCalls: 1,
    tokens: 1,
    ...(parent !== undefined ? { parent } : {}),
  });
  it("a chain pairs each code with the previous one, across turns without code", () => {
    expect(codePairs([u("a"), u(null), u("b"), u("c")])).toEqual([
      [0, 2],
      [2, 3],
    ]);
  });
  it("a tree pairs each node with its nearest ancestor with code; roots have none", () => {
    // 0 root; 1 refines 0 (no code); 2 refines 1; 3 a second root; 4 refines 0; 5 refines 3.
    const turns = [u("a"), u(null), u("b", 1), u("c", null), u("d", 0), u("e", 3)];
    expect(codePairs(turns)).toEqual([
      [0, 2],
      [0, 4],
      [3, 5],
    ]);
  });
});
