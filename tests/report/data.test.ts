import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerReport } from "../../src/cli/report.js";
import { computeMetrics, metricsInputFromStore } from "../../src/metrics/index.js";
import { CLIENT_SCRIPT } from "../../src/report/client.js";
import {
  type ReportData,
  ReportError,
  buildReportData,
  configAxes,
  csvField,
  escapeHtml,
  lineDiff,
  problemsCsv,
  renderReportHtml,
  runsCsv,
  scriptJson,
  varyingAxes,
  wallSecondsFromLog,
} from "../../src/report/index.js";
import { RunStore, parseRunConfig } from "../../src/runs/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { RIGHT, WRONG } from "../e2e/fixtures.js";
import { type ChatServer, startChatServer } from "../helpers/chat-server.js";
import { captureCli } from "../helpers/cli-capture.js";
import { cand, summary, turn } from "../helpers/run-records.js";
import { HOSTILE, HOSTILE_CODE, HOSTILE_TITLE, makeReportRun, reportModel } from "./fixture.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-report-data-"));
let sb: Sandbox;
let server: ChatServer;
let multi: string;
let single: string;
let empty: string;
const boot = { resamples: 300, seed: 7 };

beforeAll(async () => {
  sb = await Sandbox.create({ workers: 2, uidBase: 64950 });
  server = await startChatServer({ respond: reportModel });
  multi = await makeReportRun(tmp, "multi", server, sb);
  single = await makeReportRun(tmp, "single", server, sb, {
    feedback: { kind: "binary" },
    strategy: { kind: "single-turn" },
  });
  // A run that planned its problems but finished no trajectory.
  empty = join(tmp, "empty");
  const s = RunStore.create(
    empty,
    parseRunConfig({
      name: "empty",
      benchmark: { source: "x.jsonl" },
      model: "ollama:m",
      trajectoriesPerProblem: 3,
    }),
  );
  s.planProblems([{ id: "p", difficulty: "easy", tags: ["dp"] }, { id: "q" }]);
  s.close();
}, 120_000);

afterAll(async () => {
  await server?.close();
  await sb?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A minimal RFC 4180 reader for checking what the writer produced. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  return rows;
}

describe("report data", () => {
  it("metrics equal computeMetrics on the same run input; per-problem figures and tags come from the run", async () => {
    const data = await buildReportData([multi], { bootstrap: boot });
    const store = RunStore.open(multi);
    const input = metricsInputFromStore(store);
    store.close();
    const run = data.runs[0]!;
    expect(run.metrics).toEqual(computeMetrics(input, { bootstrap: boot }));
    expect(run.metrics.nAtK.map((x) => `${x.n}@${x.k}`)).toEqual(["1@3"]);
    expect(Object.keys(run.metrics.byTag).sort()).toEqual(["implementation", "math"]);
    expect(Object.keys(run.metrics.byDifficulty).sort()).toEqual(["easy", "hard", "medium"]);
    expect(run.totals).toMatchObject({
      problems: 3,
      trajectories: 12,
      solvedProblems: 2,
      acceptedTrajectories: 8,
    });
    expect(run.totals.wallSeconds).toBeGreaterThan(0);
    const rows = Object.fromEntries(run.problems.map((p) => [p.id, p]));
    // b: never right, three turns each; c: hostile wrong then right, two turns each.
    expect(rows.b).toMatchObject({
      tags: ["math", "implementation"],
      solvedFraction: 0,
      publicPassRate: 0,
      meanTurns: 3,
    });
    expect(rows.c).toMatchObject({
      title: HOSTILE_TITLE,
      solvedFraction: 1,
      publicPassRate: 1,
      meanTurns: 2,
      meanCalls: 2,
    });
    expect(rows.a!.solvedFraction).toBe(1);
    expect(rows.a!.meanTurns).toBeGreaterThanOrEqual(1);
    expect(rows.a!.meanTurns).toBeLessThanOrEqual(2);
    // Mean tokens agree with the metrics input's per-turn tokens.
    const pa = input.problems.find((p) => p.id === "a")!;
    const tokens = pa.trajectories.map((t) => t.turns.reduce((s, u) => s + u.tokens, 0));
    expect(rows.a!.meanTokens).toBeCloseTo(tokens.reduce((s, x) => s + x, 0) / tokens.length, 9);
    // The n@k curve at k = T is 1@3, the table's value.
    expect(run.nAtKCurve.find((c) => c.label === "1")!.points[0]).toMatchObject({
      k: 3,
      value: run.metrics.nAtK[0]!.value,
    });
    // Similarity: c's pairs (hostile wrong -> right) and a's and b's; cached in the run folder.
    expect(run.similarity.count).toBeGreaterThan(0);
    expect(existsSync(join(multi, "normalised.jsonl"))).toBe(true);
  });

  it("embeds at most N trajectories per problem, says how many were left out, and diffs each turn to the one it continued", async () => {
    const data = await buildReportData([multi], { bootstrap: boot, maxTrajectoriesPerProblem: 2 });
    const run = data.runs[0]!;
    expect(run.problems.map((p) => p.embedded)).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
    ]);
    expect(run.embedded).toEqual({ perProblem: 2, trajectories: 6, leftOut: 6 });
    expect(Object.keys(data.trajectories)).toHaveLength(6);
    const c0 = data.trajectories["0/2/0"]!;
    expect(c0.problemId).toBe("c");
    expect(c0.turns).toHaveLength(2);
    expect(c0.turns[0]!.diff).toBeNull();
    const t1 = c0.turns[1]!;
    expect(t1.diffAgainst).toBe(0);
    const before = t1
      .diff!.filter(([op]) => op <= 0)
      .map(([, s]) => s)
      .join("");
    const after = t1
      .diff!.filter(([op]) => op >= 0)
      .map(([, s]) => s)
      .join("");
    const s = data.strings;
    expect(before).toBe(s[c0.turns[0]!.candidates[0]!.code!]);
    expect(after).toBe(s[t1.candidates[0]!.code!]);
    expect(before.trim()).toBe(HOSTILE_CODE.trim());
    expect(after.trim()).toBe(RIGHT.trim());
    expect(s[c0.turns[0]!.candidates[0]!.answer]).toContain(HOSTILE);
    expect(c0.turns[0]!.candidates[0]!.public).toMatchObject({
      verdict: "wrong_answer",
      passed: 1,
      total: 3,
    });
    expect(c0.grade).toMatchObject({ verdict: "accepted", version: 1 });
    expect(t1.candidates[0]!.hidden).toMatchObject({ verdict: "accepted" });
    // Texts are stored once: every trajectory of c shares its first prompt message.
    const firstPrompt = (k: string) => data.trajectories[k]!.turns[0]!.messages.at(-1)!.content;
    expect(firstPrompt("0/2/0")).toBe(firstPrompt("0/2/1"));
    const none = await buildReportData([multi], { bootstrap: boot, maxTrajectoriesPerProblem: 0 });
    expect(Object.keys(none.trajectories)).toHaveLength(0);
    expect(none.runs[0]!.embedded.leftOut).toBe(12);
  });

  it("line diff: unchanged, removed and added runs that rebuild both sides", () => {
    const a = "a\nb\nc\nd\n";
    const b = "a\nc\nx\nd\ny";
    const d = lineDiff(a, b);
    expect(
      d
        .filter(([op]) => op <= 0)
        .map(([, t]) => t)
        .join(""),
    ).toBe(a);
    expect(
      d
        .filter(([op]) => op >= 0)
        .map(([, t]) => t)
        .join(""),
    ).toBe(b);
    expect(d.filter(([op]) => op === -1).map(([, t]) => t)).toContain("b\n");
    expect(d.filter(([op]) => op === 1).some(([, t]) => t.includes("x\n"))).toBe(true);
    expect(lineDiff(WRONG, WRONG)).toEqual([[0, WRONG]]);
  });

  it("several runs: config axes, the axes that vary, and the comparison's metric and chart", async () => {
    const data = await buildReportData([multi, single], { bootstrap: boot });
    const c = data.comparison!;
    expect(c.varying).toEqual(["feedback", "turns", "strategy"]);
    expect(c.chart).toEqual({ x: "feedback", y: "turns" });
    expect(c.metric).toBe("pass 1@3");
    expect(c.rows.map((r) => r.value)).toEqual(
      data.runs.map((r) => r.metrics.nAtK.find((x) => x.k === 3)!.value),
    );
    expect(c.rows[1]!.axes).toMatchObject({ feedback: "binary", turns: "1", strategy: "single-turn" });
    expect(Object.keys(data.similarityByFeedback).sort()).toEqual(["binary", "failed-test"]);
    // Single-turn trajectories have no consecutive codes.
    expect(data.similarityByFeedback.binary!.count).toBe(0);
    expect(await buildReportData([multi], { bootstrap: boot }).then((d) => d.comparison)).toBeNull();

    const base = { benchmark: { source: "x.jsonl" }, model: "ollama:m" };
    const cot = parseRunConfig({
      ...base,
      strategy: {
        kind: "cot-retry",
        cot: [
          {},
          { reasoning: "reasoning.explain-samples" },
          { instruction: "instruction.naive-then-improve" },
        ],
      },
    });
    expect(configAxes(cot)).toEqual({
      model: "ollama:m",
      reasoning: "t1:none t2:reasoning.explain-samples t3:none",
      instruction: "t1:none t2:none t3:instruction.naive-then-improve",
      feedback: "failed-test",
      turns: "3",
      strategy: "cot-retry",
    });
    const every = parseRunConfig({
      ...base,
      strategy: {
        kind: "best-of-n",
        maxTurns: 2,
        cot: [{ reasoning: "reasoning.explain-samples" }, { reasoning: "reasoning.explain-samples" }],
      },
    });
    expect(configAxes(every)).toMatchObject({
      reasoning: "reasoning.explain-samples",
      instruction: "none",
      strategy: "best-of-n N=5",
      turns: "2",
    });
    expect(varyingAxes([configAxes(cot), configAxes(every)])).toEqual([
      "reasoning",
      "instruction",
      "turns",
      "strategy",
    ]);
    expect(varyingAxes([configAxes(cot)])).toEqual([]);
  });

  it("a run with no finished trajectories still gives a report that says so; a folder that is not a run is named", async () => {
    const data = await buildReportData([empty], { bootstrap: boot });
    expect(data.runs[0]!.totals).toMatchObject({ problems: 2, trajectories: 0 });
    expect(data.runs[0]!.metrics.nAtK).toEqual([]);
    expect(
      data.runs[0]!.problems.map((p) => [p.id, p.tags, p.planned, p.trajectories, p.solvedFraction]),
    ).toEqual([
      ["p", ["dp"], 3, 0, null],
      ["q", [], 3, 0, null],
    ]);
    const html = renderReportHtml(data);
    expect(html).toContain("has no finished trajectories yet (6 pending, 0 running, 0 failed of 6)");
    expect(html).not.toContain("<canvas");

    const notRun = join(tmp, "not-a-run");
    mkdirSync(notRun);
    await expect(buildReportData([multi, notRun])).rejects.toThrow(ReportError);
    await expect(buildReportData([multi, notRun])).rejects.toThrow(
      `${notRun} is not a run folder (no config.json)`,
    );
    await expect(buildReportData([join(tmp, "missing")])).rejects.toThrow(/missing: no such folder/);
  });
});

describe("infrastructure failures in the report", () => {
  it("says how many finished trajectories its metrics leave out because the sandbox failed to grade them", async () => {
    const folder = join(tmp, "infra");
    const s = RunStore.create(
      folder,
      parseRunConfig({
        name: "infra",
        benchmark: { source: "x.jsonl" },
        model: "ollama:m",
        trajectoriesPerProblem: 2,
      }),
    );
    s.planProblems([{ id: "p" }]);
    for (const [t, outcome] of [
      [0, true],
      [1, "infrastructure"],
    ] as const) {
      const key = { problemId: "p", trajectory: t };
      s.writeTurn(key, turn(0, cand(`print(${t})`, true, 1)));
      s.finishTrajectory(key, {
        status: "done",
        submitted: { turn: 0, candidate: 0 },
        grade: summary(outcome),
      });
    }
    s.close();
    const data = await buildReportData([folder], { bootstrap: boot });
    expect(data.runs[0]!.totals).toMatchObject({
      trajectories: 1,
      infrastructureExcluded: 1,
      acceptedTrajectories: 1,
    });
    expect(data.runs[0]!.metrics.passAtK.find((r) => r.k === 1)!.value).toBe(1);
    const html = renderReportHtml(data);
    expect(html).toContain("1 finished trajectories are left out of every metric");
    expect(html).toContain(`codeloop rejudge ${folder}`);
  });
});

describe("escaping and exports", () => {
  it("embedded JSON cannot end the script element or open a comment, and parses back", () => {
    const v = { a: HOSTILE, b: "</SCRIPT><!-- -->", c: "\u2028\u2029 & <b>" };
    const s = scriptJson(v);
    expect(s).not.toMatch(/<\/script/i);
    expect(s).not.toContain("<!--");
    expect(s).not.toMatch(/[<>\u2028\u2029]/);
    expect(JSON.parse(s)).toEqual(v);
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });

  it("the page holds exactly four script elements and its data round-trips; hostile texts never appear as markup", async () => {
    const data = await buildReportData([multi, single], { bootstrap: boot });
    const html = renderReportHtml(data);
    expect(html.match(/<script/gi)).toHaveLength(4);
    expect(html.match(/<\/script/gi)).toHaveLength(4);
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img");
    expect(html).not.toMatch(/sourceMappingURL/);
    expect(html).toContain(escapeHtml(HOSTILE_TITLE));
    // Settings beyond the budget are named with the trajectories they need (floor(k / T)).
    expect(html).toContain("33@100 (needs 33 trajectories per problem)");
    expect(html).toContain("10@30 (needs 30 trajectories per problem)");
    const json = html.match(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/)![1]!;
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(data)));
    // The page's own script parses.
    expect(() => new Function(CLIENT_SCRIPT)).not.toThrow();
  });

  it("CSV fields are quoted per RFC 4180 and read back unchanged", async () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField(null)).toBe("");
    expect(csvField(Number.NaN)).toBe("");
    expect(csvField(0.25)).toBe("0.25");
    const data: ReportData = await buildReportData([multi, single], { bootstrap: boot });
    data.runs[0]!.problems[0]!.title = 'comma, "quote"\r\nand newline';
    const rows = parseCsv(problemsCsv(data));
    expect(rows[0]).toEqual([
      "run",
      "problem",
      "title",
      "difficulty",
      "tags",
      "planned",
      "trajectories",
      "solved_fraction",
      "public_pass_rate",
      "mean_turns",
      "mean_tokens",
      "mean_llm_calls",
    ]);
    expect(rows).toHaveLength(1 + 6);
    expect(rows[1]!.slice(0, 3)).toEqual(["multi", "a", 'comma, "quote"\r\nand newline']);
    expect(rows[2]![4]).toBe("math;implementation");
    expect(rows[3]![2]).toBe(HOSTILE_TITLE);
    const runs = parseCsv(runsCsv(data));
    expect(runs).toHaveLength(3);
    const h = runs[0]!;
    expect(h).toContain("pass_1@3");
    expect(Number(runs[1]![h.indexOf("pass_1@3")])).toBe(data.runs[0]!.metrics.nAtK[0]!.value);
    expect(runs[2]![h.indexOf("feedback")]).toBe("binary");
  });

  it("wall time is the sum of finished run sessions in run.log", () => {
    const log = [
      "2026-01-01T00:00:00.000Z created run x (y)",
      "2026-01-01T00:00:00.000Z run started",
      "2026-01-01T00:00:10.000Z run finished: 1/2 trajectories, 1 accepted",
      "2026-01-01T01:00:00.000Z run resumed",
      "2026-01-01T01:00:05.500Z run finished: 2/2 trajectories, 1 accepted",
      "2026-01-01T02:00:00.000Z run resumed",
      "",
    ].join("\n");
    expect(wallSecondsFromLog(log)).toBe(15.5);
    expect(wallSecondsFromLog("2026-01-01T00:00:00.000Z run started\n")).toBeNull();
  });
});

describe("codeloop report (CLI)", () => {
  it("writes the HTML, JSON and CSV files where asked and says where", async () => {
    const out = await captureCli(
      registerReport,
      "report",
      multi,
      single,
      "--json",
      "--csv",
      "--resamples",
      "200",
      "--title",
      "My <report>",
    );
    const html = join(multi, "report.html");
    expect(out).toContain(`wrote ${html}`);
    expect(out).toContain(`wrote ${join(multi, "report.json")}`);
    expect(out).toContain(`wrote ${join(multi, "report.csv")}`);
    expect(out).toContain(`wrote ${join(multi, "report.runs.csv")}`);
    expect(readFileSync(html, "utf8")).toContain("<title>My &lt;report&gt;</title>");
    const json = JSON.parse(readFileSync(join(multi, "report.json"), "utf8"));
    expect(json.runs).toHaveLength(2);
    expect(json.options).toEqual({ maxTrajectoriesPerProblem: 10, resamples: 200, seed: 0 });
    expect(json.trajectories).toBeUndefined();
    expect(json.comparison.metric).toBe("pass 1@3");
    expect(parseCsv(readFileSync(join(multi, "report.csv"), "utf8"))).toHaveLength(7);

    const custom = join(tmp, "elsewhere", "r.html");
    const o2 = await captureCli(
      registerReport,
      "report",
      single,
      "--out",
      custom,
      "--json",
      join(tmp, "d.json"),
    );
    expect(o2).toContain(`wrote ${custom}`);
    expect(existsSync(join(tmp, "d.json"))).toBe(true);
  });

  it("bad flags and folders are clear errors", async () => {
    await expect(captureCli(registerReport, "report", multi, "--max-trajectories", "ten")).rejects.toThrow(
      '--max-trajectories: expected an integer >= 0, got "ten"',
    );
    await expect(captureCli(registerReport, "report", multi, "--resamples", "0")).rejects.toThrow(
      '--resamples: expected an integer >= 1, got "0"',
    );
    await expect(captureCli(registerReport, "report", join(tmp, "nope"))).rejects.toThrow(
      /nope: no such folder/,
    );
  });
});
