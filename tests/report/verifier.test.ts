import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerCompare } from "../../src/cli/compare.js";
import { buildReportData, escapeHtml, renderReportHtml } from "../../src/report/index.js";
import { type Candidate, RunStore, type TestSummary, parseRunConfig } from "../../src/runs/index.js";
import { captureCli } from "../helpers/cli-capture.js";
import { HOSTILE, HOSTILE_CODE, HOSTILE_TITLE } from "./fixture.js";

/*
 * Two best-of-3 runs written straight through RunStore, every candidate scored and graded
 * (gradeEveryTurn), 3 problems x 2 trajectories of one turn. Per turn:
 *   c0: 1/2 public tests, accepted when (problem + trajectory) is even (3 of the 6 turns);
 *   c1: 0/2 public tests, rejected (its first grade said accepted; a rejudge corrected it);
 *   c2: 2/2 public tests, accepted.
 * Run A scores c0 0.8, c1 0.3, c2 0.6; run B scores c0 0.1, c1 0.9, c2 0.2.
 *
 * A's AUC: positives 6 x 0.6 and 3 x 0.8, negatives 6 x 0.3 and 3 x 0.8. Each 0.6 beats the six
 * 0.3s (6); each accepted 0.8 beats the 0.3s and ties the three rejected 0.8s (6 + 1.5): U =
 * 36 + 22.5 = 58.5 of 81 pairs = 13/18. B's: each 0.2 beats the three rejected 0.1s (3), each
 * accepted 0.1 ties them (1.5): U = 18 + 4.5 = 22.5 of 81 = 5/18.
 * Top-1 over the 6 turns: LV picks c0 in A (3 of 6 accepted), c1 in B (0); PT and PT+LV pick
 * c2 (public tests first): 6 of 6. Best-of-3 at n = 3: the same picks; random = mean
 * accepted share (3 x 2/3 + 3 x 1/3) / 6 = 1/2; oracle 1.
 */

const tmp = mkdtempSync(join(tmpdir(), "codeloop-report-verifier-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOSTILE_NAME = "bon <img src=x onerror=alert(5)>";

const summary = (passed: number, total: number): TestSummary => ({
  verdict: passed === total ? "accepted" : "wrong_answer",
  passed,
  total,
  tests: [],
  infrastructureFailure: false,
});

function candidate(index: number, code: string, publicPassed: number, score: number): Candidate {
  return {
    index,
    rawAnswer: `${HOSTILE}\n\`\`\`python\n${code}\n\`\`\``,
    code,
    extraction: "fenced-language",
    finishReason: "stop",
    promptTokens: 10,
    completionTokens: 10,
    tokensApproximate: false,
    latencyMs: 1,
    cached: false,
    modelError: null,
    seed: index,
    publicTests: summary(publicPassed, 2),
    selected: index === 2,
    verifierScore: score,
  };
}

function makeRun(name: string, scores: [number, number, number]): string {
  const folder = join(tmp, name);
  const config = parseRunConfig({
    name: `${HOSTILE_NAME} ${name}`,
    benchmark: { source: "x.jsonl" },
    model: "ollama:m",
    trajectoriesPerProblem: 2,
    strategy: { kind: "best-of-n", candidatesPerTurn: 3, maxTurns: 1 },
    grading: { gradeEveryTurn: true },
  });
  const store = RunStore.create(folder, config);
  try {
    store.planProblems([{ id: "p0", title: HOSTILE_TITLE }, { id: "p1" }, { id: "p2" }]);
    const corrections: { key: { problemId: string; trajectory: number } }[] = [];
    for (let p = 0; p < 3; p++) {
      for (let t = 0; t < 2; t++) {
        const key = { problemId: `p${p}`, trajectory: t };
        const codes = [`print(${p}${t}0)`, HOSTILE_CODE, `print(${p}${t}2)`];
        store.writeTurn(key, {
          index: 0,
          parentTurn: null,
          parentCandidate: null,
          messages: [{ role: "user", content: "double it" }],
          history: "append",
          candidates: [
            candidate(0, codes[0]!, 1, scores[0]),
            candidate(1, codes[1]!, 0, scores[1]),
            candidate(2, codes[2]!, 2, scores[2]),
          ],
          startedAt: "2025-01-01T00:00:00.000Z",
          finishedAt: "2025-01-01T00:00:01.000Z",
        });
        store.writeGrade(key, 0, 0, (p + t) % 2 === 0 ? summary(4, 4) : summary(1, 4));
        store.writeGrade(key, 0, 1, summary(4, 4));
        corrections.push({ key });
        store.finishTrajectory(key, {
          status: "done",
          submitted: { turn: 0, candidate: 2 },
          grade: summary(4, 4),
        });
      }
    }
    // A rejudge: the latest grade of c1 (rejected) is the one that counts.
    const v = store.beginGradeVersion("rejudge --all");
    for (const c of corrections) store.writeGrade(c.key, 0, 1, summary(2, 4), v);
  } finally {
    store.close();
  }
  return folder;
}

let a: string;
let b: string;
beforeAll(() => {
  a = makeRun("a", [0.8, 0.3, 0.6]);
  b = makeRun("b", [0.1, 0.9, 0.2]);
});

describe("verifier metrics in the report", () => {
  it("computes them over every stored candidate of a best-of-N run", async () => {
    const data = await buildReportData([a, b], {
      bootstrap: { resamples: 200 },
      maxTrajectoriesPerProblem: 1,
    });
    const [ra, rb] = data.runs;
    const va = ra!.verifier!;
    expect(va.counts).toEqual({
      candidates: 18,
      withCode: 18,
      scored: 18,
      graded: 18,
      scoredAndGraded: 18,
      infrastructureFailures: 0,
      acceptedScoredAndGraded: 9,
    });
    expect(va.notes).toEqual([]);
    // Trajectories left out of the page still count.
    expect(ra!.embedded.leftOut).toBe(3);
    expect(va.auc!.value).toBeCloseTo(13 / 18, 12);
    expect(va.auc!.low!).toBeLessThanOrEqual(13 / 18);
    expect(va.auc!.high!).toBeGreaterThanOrEqual(13 / 18);
    expect(rb!.verifier!.auc!.value).toBeCloseTo(5 / 18, 12);
    expect(va.top1!.rows.map((r) => [r.rule, r.accepted, r.turns])).toEqual([
      ["verifier", 3, 6],
      ["public-tests+verifier", 6, 6],
      ["public-tests", 6, 6],
    ]);
    expect(va.top1!.oracle).toEqual({ turns: 6, withAccepted: 6, rate: 1 });
    expect(rb!.verifier!.top1!.rows[0]).toMatchObject({ rule: "verifier", accepted: 0 });
    const atN = (r: typeof ra) =>
      Object.fromEntries(r!.verifier!.bestOfN!.curves.map((c) => [c.rule, c.points[2]!.passRate]));
    expect(atN(ra)).toEqual({
      random: 0.5,
      "public-tests": 1,
      verifier: 0.5,
      "public-tests+verifier": 1,
      oracle: 1,
    });
    expect(atN(rb).verifier).toBe(0);
  });

  it("renders a Verifier section with the numbers, escaping names, titles and codes", async () => {
    const data = await buildReportData([a, b], { bootstrap: { resamples: 200 } });
    const html = renderReportHtml(data);
    const section = html.match(/<section id="verifier">[\s\S]*?<\/section>/)![0];
    expect(section).toContain("<h2>Verifier</h2>");
    expect(section).toContain('<b class="auc">0.722</b>');
    expect(section).toContain('<b class="auc">0.278</b>');
    expect(section).toContain('<canvas id="chart-bestofn-0" data-chart="best-of-n">');
    expect(section).toContain('<canvas id="chart-bestofn-1" data-chart="best-of-n">');
    // Top-1 rows: LV 3 / 6 in run A.
    expect(section).toMatch(/<td>LV<\/td><td>3 \/ 6<\/td><td>50\.0%<\/td>/);
    // Best-of-N table, n = 3 in run A: random, PT, LV, PT+LV, oracle.
    expect(section).toContain(
      "<tr><td>3</td><td>50.0%</td><td>100.0%</td><td>50.0%</td><td>100.0%</td><td>100.0%</td></tr>",
    );
    expect(section).toContain(escapeHtml(`${HOSTILE_NAME} a`));
    expect(html).toContain('<a href="#verifier">Verifier</a>');
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<script>alert");
    expect(html.match(/<script/gi)).toHaveLength(4);
    expect(html).toContain(escapeHtml(HOSTILE_TITLE));
    const json = html.match(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/)![1]!;
    const parsed = JSON.parse(json);
    expect(parsed.runs[0].verifier).toEqual(JSON.parse(JSON.stringify(data.runs[0]!.verifier)));
    expect(parsed.strings).toContain(HOSTILE_CODE);
  });

  it("codeloop compare shows both runs' verifier metrics side by side", async () => {
    const out = await captureCli(registerCompare, "compare", a, b, "--no-similarity", "--resamples", "200");
    const lines = out.split("\n");
    expect(out).toContain("verifier metrics of best-of-N candidates with hidden grades");
    const row = (label: string) =>
      lines
        .find((l) => l.startsWith(label))!
        .trim()
        .split(/\s{2,}/);
    expect(row("candidates scored+graded")).toEqual(["candidates scored+graded", "18 / 18", "18 / 18"]);
    const auc = row("verifier AUC");
    expect(auc[1]).toMatch(/^0\.722 \[0\.\d{3}, [01]\.\d{3}\]$/);
    expect(auc[2]).toMatch(/^0\.278 \[/);
    expect(row("top-1 LV (%)")).toEqual(["top-1 LV (%)", "50.0", "0.0"]);
    expect(row("top-1 PT+LV (%)")).toEqual(["top-1 PT+LV (%)", "100.0", "100.0"]);
    expect(row("top-1 oracle (%)")).toEqual(["top-1 oracle (%)", "100.0", "100.0"]);
    expect(row("best-of-3 LV (%)")).toEqual(["best-of-3 LV (%)", "50.0", "0.0"]);
    expect(row("best-of-3 random (%)")).toEqual(["best-of-3 random (%)", "50.0", "50.0"]);
    const json = JSON.parse(
      await captureCli(registerCompare, "compare", a, b, "--no-similarity", "--resamples", "200", "--json"),
    );
    expect(json.verifier.a.auc.value).toBeCloseTo(13 / 18, 12);
    expect(json.verifier.b.auc.value).toBeCloseTo(5 / 18, 12);
  });
});

const CHROMIUM = "/usr/bin/chromium";

describe.skipIf(!existsSync(CHROMIUM))("the Verifier section in headless Chromium", () => {
  it("draws one best-of-N chart per run with the curves, without errors; names stay text", async () => {
    const file = join(tmp, "report.html");
    writeFileSync(file, renderReportHtml(await buildReportData([a, b], { bootstrap: { resamples: 100 } })));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
      const charts = (await page.evaluate(`["chart-bestofn-0", "chart-bestofn-1"].map((id) => {
        const c = document.getElementById(id);
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) painted++;
        const chart = Chart.getChart(c);
        return { painted, sets: chart.data.datasets.map((s) => [s.label, s.data.map((p) => p.y)]) };
      })`)) as { painted: number; sets: [string, number[]][] }[];
      expect(errors).toEqual([]);
      for (const c of charts) expect(c.painted).toBeGreaterThan(500);
      const lv = (i: number) => charts[i]!.sets.find((s) => s[0] === "LV")![1];
      expect(charts[0]!.sets.map((s) => s[0])).toEqual(["random", "PT", "LV", "PT+LV", "oracle"]);
      expect(lv(0).at(-1)).toBeCloseTo(50, 9);
      expect(lv(1).at(-1)).toBe(0);
      const heads = await page.evaluate(
        `Array.from(document.querySelectorAll("#verifier h3")).map((h) => h.textContent)`,
      );
      expect(heads).toEqual([`${HOSTILE_NAME} a`, `${HOSTILE_NAME} b`]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
