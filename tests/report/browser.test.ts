import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerReport } from "../../src/cli/report.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { type ChatServer, startChatServer } from "../helpers/chat-server.js";
import { captureCli } from "../helpers/cli-capture.js";
import { HOSTILE, HOSTILE_TITLE, makeReportRun, reportModel } from "./fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`skipping the browser test of codeloop report: ${CHROMIUM} is missing`);

const tmp = mkdtempSync(join(tmpdir(), "codeloop-report-browser-"));
let sb: Sandbox;
let server: ChatServer;
let browser: Browser;
const runs: string[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  sb = await Sandbox.create({ workers: 2, uidBase: 64900 });
  server = await startChatServer({ respond: reportModel });
  // Three runs that differ on two axes (feedback kind x turns): the comparison draws a heatmap.
  runs.push(await makeReportRun(tmp, "multi-failed-test", server, sb));
  runs.push(
    await makeReportRun(tmp, "single-binary", server, sb, {
      feedback: { kind: "binary" },
      strategy: { kind: "single-turn" },
    }),
  );
  runs.push(await makeReportRun(tmp, "multi-binary", server, sb, { feedback: { kind: "binary" } }));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await sb?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface CanvasInfo {
  id: string;
  width: number;
  height: number;
  painted: number;
  chart: boolean;
}

describe.skipIf(!hasChromium)("codeloop report in headless Chromium", () => {
  it("renders offline: charts drawn, no errors, no requests, trajectory viewer with diff, hostile text inert", async () => {
    const html = join(tmp, "out", "report.html");
    const out = await captureCli(
      registerReport,
      "report",
      ...runs,
      "--out",
      html,
      "--max-trajectories",
      "3",
      "--resamples",
      "500",
    );
    expect(out).toContain(`wrote ${html}`);
    const text = readFileSync(html, "utf8");
    // The hostile answer travels only inside the escaped JSON: no raw markup from it.
    expect(text).not.toContain("<script>alert(1)");
    expect(text).not.toContain("<img src=x");

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    const requests: string[] = [];
    const dialogs: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("request", (r) => requests.push(r.url()));
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const url = pathToFileURL(html).href;
    await page.goto(url, { waitUntil: "load" });

    const canvases = (await page.evaluate(`(() => Array.from(document.querySelectorAll("canvas")).map((c) => {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) painted++;
      return { id: c.id, width: c.width, height: c.height, painted, chart: !!Chart.getChart(c) };
    }))()`)) as CanvasInfo[];
    expect(canvases.map((c) => c.id).sort()).toEqual(
      [
        "chart-budget-calls",
        "chart-budget-tokens",
        "chart-comparison",
        "chart-difficulty",
        "chart-nak",
        "chart-similarity",
        "chart-tags",
      ].sort(),
    );
    for (const c of canvases) {
      expect(c.chart, `${c.id} has a Chart.js instance`).toBe(true);
      expect(c.width * c.height, `${c.id} has a size`).toBeGreaterThan(10_000);
      expect(c.painted, `${c.id} is not blank`).toBeGreaterThan(500);
    }
    expect(await page.evaluate(`Chart.getChart("chart-comparison").config.type`)).toBe("matrix");

    // Per-problem tables: one per run, rows a, b, c in run order.
    const tables = (await page.evaluate(`Array.from(document.querySelectorAll("table.problems")).map((t) =>
      Array.from(t.querySelectorAll("tbody tr")).map((r) => [r.cells[0].textContent, r.cells[1].textContent, r.cells[4].textContent]))`)) as string[][][];
    expect(tables).toHaveLength(3);
    for (const rows of tables) {
      expect(rows.map((r) => r[0])).toEqual(["a", "b", "c"]);
      expect(rows.map((r) => r[2])).toEqual(["4 / 4", "4 / 4", "4 / 4"]);
      // The hostile dataset title is shown as text.
      expect(rows[2]![1]).toBe(HOSTILE_TITLE);
    }
    // --max-trajectories 3 of 4: the page says one per problem was left out.
    expect(await page.textContent("#problems")).toContain("3 more with stored turns left out");

    // Follow the first multi-turn run's link to problem c, trajectory 0 (hostile answer, then right).
    await page.click('a.traj[href="#t/0/2/0"]');
    await page.waitForSelector("#viewer:not([hidden]) .turn");
    const viewer = (await page.evaluate(`(() => {
      const v = document.getElementById("viewer");
      return {
        turns: v.querySelectorAll(".turn").length,
        added: v.querySelectorAll("pre.diff .add").length,
        removed: v.querySelectorAll("pre.diff .del").length,
        scripts: v.querySelectorAll("script").length,
        text: v.textContent,
      };
    })()`)) as { turns: number; added: number; removed: number; scripts: number; text: string };
    expect(viewer.turns).toBe(2);
    expect(viewer.added).toBeGreaterThan(0);
    expect(viewer.removed).toBeGreaterThan(0);
    expect(viewer.scripts).toBe(0);
    expect(viewer.text).toContain(HOSTILE);
    expect(viewer.text).toContain("diff of the code to turn 0");
    expect(viewer.text).toContain("public: wrong_answer 1/3");
    expect(viewer.text).toContain("hidden: accepted");
    // The hostile answer holds markup: it must show as text, no element from it may exist.
    expect(await page.evaluate(`document.querySelectorAll("img").length`)).toBe(0);
    await page.waitForTimeout(200);

    mkdirSync("test-output", { recursive: true });
    const png = resolve("test-output", "report.png");
    await page.screenshot({ path: png, fullPage: true });
    console.log(`report screenshot: ${png}`);

    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(new Set(requests)).toEqual(new Set([url]));
    await page.close();
  });
});
