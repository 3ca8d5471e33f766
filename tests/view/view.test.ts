// codeloop view over real runs (tests/view/fixture.ts), in one file so the runs are made once:
// the server and JSON API (paging, every filter and its count against what the store holds,
// sorting, the trajectory endpoint with diffs, trees and best-of-N scores, GET-only 405, Host
// checks, static files, the built CLI); the app in Debian's Chromium through playwright-core
// (pages render, filters and paging work, a trajectory opens, tree and best-of-N views, two runs
// side by side, no console errors, hostile text inert: no dialog, no injected element;
// screenshots in test-output/view/); and read-only: run.db is byte-for-byte unchanged after all
// of it.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeReport } from "../../src/report/index.js";
import { RunStore } from "../../src/runs/index.js";
import type { TrajectoryDetail } from "../../src/runs/trajectory.js";
import { type ViewServer, startViewServer } from "../../src/view/index.js";
import { HOSTILE, HOSTILE_ID, TEMPLATE, type ViewRuns, buildApp, makeViewRuns } from "./fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(process.cwd(), "test-output", "view");
let browser: Browser | undefined;
let page: Page;
const dialogs: string[] = [];
const errors: string[] = [];
let runs: ViewRuns;
let server: ViewServer;
let staticDir: string;
const truth: Record<string, TrajectoryDetail[]> = {};
const before: Record<string, string> = {};
const digest = (file: string) =>
  existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : "absent";

beforeAll(async () => {
  runs = await makeViewRuns(63600);
  for (const [name, folder] of Object.entries({ multi: runs.multi, best: runs.best, tree: runs.tree })) {
    const store = RunStore.open(folder);
    truth[name] = [...store.trajectories()].map((t) => store.trajectoryDetail(t)!);
    store.close();
    before[name] = digest(join(folder, "run.db"));
  }
  staticDir = await buildApp(join(runs.tmp, "web"));
  server = await startViewServer([runs.multi, runs.best, runs.tree], {
    staticDir,
    textIndexDir: join(runs.tmp, "text-index"),
  });
  if (existsSync(CHROMIUM)) {
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
  }
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await runs?.close();
});

async function call(path: string, init: { method?: string; host?: string } = {}) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }>((ok, fail) => {
    const req = request(
      `${server.url.replace(/\/$/, "")}${path}`,
      { method: init.method ?? "GET", headers: init.host ? { Host: init.host } : {} },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => ok({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("error", fail);
    req.end();
  });
}
// biome-ignore lint/suspicious/noExplicitAny: JSON answers
async function api(path: string): Promise<any> {
  const r = await call(`/api/${path}`);
  expect(r.status, r.body).toBe(200);
  return JSON.parse(r.body);
}
const key = (t: { problemId: string; trajectory: number }) => `${t.problemId}#${t.trajectory}`;
const q = encodeURIComponent;

describe("codeloop view API", () => {
  it("lists the runs", async () => {
    const list = await api("runs");
    expect(list.map((r: { name: string }) => r.name)).toEqual(["multi", "best", "tree"]);
    expect(list[0].counts.total).toBe(12);
    expect(list[2].strategy).toBe("tree");
  });

  it("pages, filters, sorts and counts problems", async () => {
    const all = await api("runs/0/problems?limit=500");
    expect(all.total).toBe(4);
    expect(all.rows.map((r: { problemId: string }) => r.problemId)).toEqual(runs.problemIds);
    const hostile = all.rows.find((r: { problemId: string }) => r.problemId === HOSTILE_ID);
    expect(hostile.title).toBe(`${HOSTILE} ${TEMPLATE}`);
    expect(hostile.tags).toEqual(["math", HOSTILE]);
    // Solved fraction = accepted submissions / trajectories, as the store says.
    for (const r of all.rows) {
      const ts = truth.multi!.filter((t) => t.problemId === r.problemId);
      expect(r.accepted).toBe(ts.filter((t) => t.grade?.verdict === "accepted").length);
      expect(r.solvedFraction).toBeCloseTo(r.accepted / ts.length);
    }
    const p2 = await api("runs/0/problems?limit=2&offset=2");
    expect(p2.total).toBe(4);
    expect(p2.rows.map((r: { problemId: string }) => r.problemId)).toEqual(runs.problemIds.slice(2));
    const past = await api("runs/0/problems?offset=10");
    expect([past.total, past.rows.length]).toEqual([4, 0]);
    expect((await api("runs/0/problems?difficulty=medium")).total).toBe(2);
    const byTag = await api(`runs/0/problems?tag=${q(HOSTILE)}`);
    expect(byTag.rows.map((r: { problemId: string }) => r.problemId)).toEqual([HOSTILE_ID]);
    expect((await api(`runs/0/problems?q=${q("onerror")}`)).total).toBe(1);
    // LIKE wildcards are literal.
    expect((await api(`runs/0/problems?q=${q("%")}`)).total).toBe(0);
    const sorted = await api("runs/0/problems?sort=solved&dir=desc");
    const fr = sorted.rows.map((r: { solvedFraction: number }) => r.solvedFraction);
    expect(fr).toEqual([...fr].sort((a, b) => b - a));
    const solvedNone = await api("runs/0/problems?solved=none");
    expect(solvedNone.total).toBe(all.rows.filter((r: { accepted: number }) => r.accepted === 0).length);
  });

  it("pages through every trajectory once, in order, with the total", async () => {
    const seen: string[] = [];
    for (let offset = 0; ; offset += 5) {
      const p = await api(`runs/0/trajectories?limit=5&offset=${offset}`);
      expect(p.total).toBe(12);
      seen.push(...p.rows.map(key));
      if (p.rows.length < 5) break;
    }
    expect(seen).toEqual(truth.multi!.map(key));
  });

  it("filters trajectories in SQL with counts that match the store", async () => {
    const t = truth.multi!;
    const check = async (query: string, pred: (d: TrajectoryDetail) => boolean) => {
      const p = await api(`runs/0/trajectories?limit=500&${query}`);
      const want = t.filter(pred).map(key);
      expect(p.rows.map(key), query).toEqual(want);
      expect(p.total, query).toBe(want.length);
      return want.length;
    };
    await check(`problem=${q(HOSTILE_ID)}`, (d) => d.problemId === HOSTILE_ID);
    const solved = await check("solved=true", (d) => d.grade?.verdict === "accepted");
    const unsolved = await check("solved=false", (d) => d.grade?.verdict !== "accepted");
    expect(solved + unsolved).toBe(12);
    expect(solved).toBeGreaterThan(0);
    expect(unsolved).toBeGreaterThan(0);
    await check("verdict=wrong_answer", (d) => d.grade?.verdict === "wrong_answer");
    await check("status=done", (d) => d.status === "done");
    await check("minTurns=2", (d) => d.turnCount >= 2);
    await check("minTurns=2&maxTurns=2", (d) => d.turnCount === 2);
    await check("feedback=wrong_answer", (d) =>
      d.turns.some((u) => u.candidates.some((c) => c.publicTests?.verdict === "wrong_answer")),
    );
    const hostile = await check(`q=${q(HOSTILE)}`, (d) =>
      d.turns.some((u) => u.candidates.some((c) => c.rawAnswer.includes(HOSTILE))),
    );
    expect(hostile).toBeGreaterThan(0);
    await check(
      `q=${q(TEMPLATE)}&solved=true`,
      (d) =>
        d.grade?.verdict === "accepted" &&
        d.turns.some((u) => u.candidates.some((c) => c.rawAnswer.includes(TEMPLATE))),
    );
    const sorted = await api("runs/0/trajectories?sort=turns&dir=desc&limit=500");
    const turns = sorted.rows.map((r: { turnCount: number }) => r.turnCount);
    expect(turns).toEqual([...turns].sort((a, b) => b - a));
    expect(sorted.total).toBe(12);
    const tok = await api("runs/0/trajectories?sort=tokens&limit=500");
    const sums = tok.rows.map(
      (r: { promptTokens: number; completionTokens: number }) => r.promptTokens + r.completionTokens,
    );
    expect(sums).toEqual([...sums].sort((a, b) => a - b));
  });

  it("answers a trajectory with grades, diffs to the parent's code, trees and best-of-N scores", async () => {
    const multi = truth.multi!.find((d) => d.turns.length >= 2)!;
    const d = await api(`runs/0/trajectory?problem=${q(multi.problemId)}&trajectory=${multi.trajectory}`);
    expect(d.turns).toHaveLength(multi.turns.length);
    expect(d.turns[0].candidates[0].diff).toBeNull();
    const c1 = d.turns[1].candidates[0];
    if (c1.code !== null && multi.turns[0]!.candidates[0]!.code !== null) {
      const ops = c1.diff.map((l: { op: string }) => l.op);
      expect(ops.some((o: string) => o !== " ") || c1.code === multi.turns[0]!.candidates[0]!.code).toBe(
        true,
      );
      expect(
        c1.diff
          .filter((l: { op: string }) => l.op !== "-")
          .map((l: { text: string }) => l.text)
          .join("\n"),
      ).toBe(c1.code.replace(/\n$/, ""));
    }
    expect(d.turns[0].candidates[0].publicTests.tests.length).toBeGreaterThan(0);
    const sub = d.turns
      .flatMap((u: { candidates: { submitted: boolean }[] }) => u.candidates)
      .filter((c: { submitted: boolean }) => c.submitted);
    expect(sub).toHaveLength(multi.submittedTurn === null ? 0 : 1);
    if (multi.grade) expect(d.grade.verdict).toBe(multi.grade.verdict);

    const best = truth.best!.find((x) => x.turns[0]!.candidates.length === 3)!;
    const b = await api(`runs/1/trajectory?problem=${q(best.problemId)}&trajectory=${best.trajectory}`);
    const cands = b.turns[0].candidates;
    expect(cands).toHaveLength(3);
    expect(cands.filter((c: { selected: boolean }) => c.selected)).toHaveLength(1);
    for (const c of cands) if (c.code !== null) expect(c.verifierScore).toBeCloseTo(1 / (1 + c.code.length));
    // Every turn graded: each candidate with code carries its hidden grade.
    expect(
      cands.filter((c: { code: string | null; hiddenGrade: unknown }) => c.code !== null && c.hiddenGrade),
    ).not.toHaveLength(0);

    const tr =
      truth.tree!.find((x) => x.turns.some((u) => u.parentTurn !== null && u.parentTurn !== u.index - 1)) ??
      truth.tree!.find((x) => x.turns.length > 1)!;
    const t = await api(`runs/2/trajectory?problem=${q(tr.problemId)}&trajectory=${tr.trajectory}`);
    expect(t.turns.map((u: { parentTurn: number | null }) => u.parentTurn)).toEqual(
      tr.turns.map((u) => u.parentTurn),
    );
    expect(t.run.strategy).toBe("tree");

    const hostile = await api(`runs/0/trajectory?problem=${q(HOSTILE_ID)}&trajectory=0`);
    expect(hostile.problem.title).toBe(`${HOSTILE} ${TEMPLATE}`);
  });

  it("refuses what it does not serve", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const r = await call("/api/runs", { method });
      expect(r.status, method).toBe(405);
      expect(r.headers.allow).toBe("GET, HEAD");
    }
    expect((await call("/api/runs/9/problems")).status).toBe(404);
    expect((await call("/api/runs/0/nothing")).status).toBe(404);
    expect((await call("/api/runs/0/trajectory?problem=p0&trajectory=99")).status).toBe(404);
    for (const bad of ["sort=evil", "limit=0", "limit=501", "offset=-1", "verdict=x", "minTurns=a"]) {
      const r = await call(`/api/runs/0/trajectories?${bad}`);
      expect(r.status, bad).toBe(400);
      expect(JSON.parse(r.body).error).toBeTruthy();
    }
    // A page elsewhere reaching the server through a rebound DNS name is refused.
    expect((await call("/api/runs", { host: "evil.example:80" })).status).toBe(403);
    expect((await call("/../package.json")).status).toBe(404);
    expect((await call("/%2e%2e/package.json")).status).toBe(404);
  });

  it("serves the app with a strict Content-Security-Policy", async () => {
    const r = await call("/");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/text\/html/);
    expect(String(r.headers["content-security-policy"])).toContain("script-src 'self'");
    const js = r.body.match(/src="(\/assets\/[^"]+\.js)"/)![1]!;
    const a = await call(js);
    expect(a.status).toBe(200);
    expect(a.headers["content-type"]).toMatch(/javascript/);
  });

  it("sees what a running run commits while it is open (counts and turn filters refresh)", async () => {
    const live = join(runs.tmp, "live");
    cpSync(runs.multi, live, { recursive: true });
    const viewer = await startViewServer([live], { staticDir, textIndexDir: false });
    try {
      const get = async (path: string) =>
        (await (await fetch(`${viewer.url}api/${path}`)).json()) as { total: number };
      expect((await get("runs/0/trajectories?minTurns=1")).total).toBe(12);
      // A writer (another connection, as a running `codeloop run` is) plans a problem and stores
      // one turn of its first trajectory.
      const store = RunStore.open(live);
      try {
        store.planProblems([{ id: "late", title: "Late", difficulty: "easy", tags: [] }]);
        const turn = truth.multi![0]!.turns[0]!;
        store.writeTurn(
          { problemId: "late", trajectory: 0 },
          { ...turn, parentTurn: null, parentCandidate: null },
        );
      } finally {
        store.close();
      }
      expect((await get("runs/0/trajectories")).total).toBe(15);
      expect((await get("runs/0/trajectories?minTurns=1")).total).toBe(13);
      expect((await get("runs/0/trajectories?problem=late&maxTurns=0")).total).toBe(2);
      expect((await get("runs/0/problems")).total).toBe(5);
    } finally {
      await viewer.close();
    }
  });

  it("runs as `codeloop view` from the built CLI", async () => {
    const cli = join(process.cwd(), "dist", "cli", "index.js");
    const child = spawn(process.execPath, [cli, "view", runs.multi, "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CODELOOP_CACHE_DIR: join(runs.tmp, "cache") },
    });
    try {
      const url = await new Promise<string>((ok, fail) => {
        let out = "";
        child.stdout.on("data", (c) => {
          out += c;
          const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
          if (m) ok(m[0]);
        });
        child.on("exit", (code) => fail(new Error(`exited ${code}`)));
      });
      const res = await fetch(`${url}api/runs`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { name: string }[])[0]!.name).toBe("multi");
    } finally {
      child.kill("SIGTERM");
    }
    const code = await new Promise((ok) => child.on("exit", ok));
    expect(code).toBe(0);
    const bad = spawn(process.execPath, [cli, "view", join(runs.tmp, "nope")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    bad.stderr.on("data", (c) => {
      err += c;
    });
    expect(await new Promise((ok) => bad.on("exit", ok))).toBe(2);
    expect(err).toContain("not a run folder");
  });
});

/** Runs `action` and waits until the app has rendered the page it leads to. */
async function settle(action: () => Promise<unknown>): Promise<void> {
  // The page's CSP forbids eval, so the predicate is a function, not a string.
  // biome-ignore lint/suspicious/noExplicitAny: the browser's globals are not in this program's types
  const ready = () => ((globalThis as any).document.body.dataset.ready ?? "") as string;
  const prev = await page.evaluate(ready);
  await action();
  await page.waitForFunction(
    // biome-ignore lint/suspicious/noExplicitAny: as above
    (p) => ((globalThis as any).document.body.dataset.ready ?? "") !== p,
    prev,
  );
}
const go = (hash: string) => settle(() => page.goto(`${server.url}${hash}`));
const text = (sel: string) => page.locator(sel).allTextContents();
const injected = () =>
  page.evaluate(`({
    imgs: document.querySelectorAll("img").length,
    scripts: document.querySelectorAll("main script, #app script").length,
    onerror: document.querySelectorAll("[onerror]").length,
  })`);

describe.skipIf(!existsSync(CHROMIUM))("codeloop view in Chromium", () => {
  it("lists the runs and a run's problems, with hostile titles as text", async () => {
    await go("#/");
    expect(await text("table.runs tbody tr td:first-child a:first-child")).toEqual(["multi", "best", "tree"]);
    await page.screenshot({ path: join(SHOTS, "runs.png"), fullPage: true });
    await settle(() => page.click("text=multi"));
    expect(page.url()).toContain("#/run/0/problems");
    expect(await page.locator("table.problems tbody tr").count()).toBe(4);
    const titles = await text("table.problems td.title");
    expect(titles).toContain(`${HOSTILE} ${TEMPLATE}`);
    expect(await text("table.problems .tag")).toContain(HOSTILE);
    expect(await injected()).toEqual({ imgs: 0, scripts: 0, onerror: 0 });
    await page.screenshot({ path: join(SHOTS, "problems.png"), fullPage: true });
    await settle(() => page.selectOption("select[name=difficulty]", "medium"));
    expect(await page.locator("table.problems tbody tr").count()).toBe(2);
    expect((await text(".pager .range"))[0]).toBe("1–2 of 2");
    await settle(() => page.selectOption("select[name=difficulty]", ""));
    await settle(() => page.click("th[data-sort=solved] button"));
    await settle(() => page.click("th[data-sort=solved] button"));
    expect(page.url()).toContain("dir=desc");
    const want = (await api("runs/0/problems?sort=solved&dir=desc")).rows.map(
      (r: { problemId: string }) => r.problemId,
    );
    expect(
      await page
        .locator("table.problems tbody tr")
        .evaluateAll((rs) => rs.map((r) => r.getAttribute("data-problem"))),
    ).toEqual(want);
  });

  it("pages and filters trajectories", async () => {
    await go("#/run/0/trajectories?limit=5");
    expect((await text(".pager .range"))[0]).toBe("1–5 of 12");
    const first = await text("table.trajectories tbody td:first-child");
    await settle(() => page.locator(".pager button.next").first().click());
    expect((await text(".pager .range"))[0]).toBe("6–10 of 12");
    const second = await text("table.trajectories tbody td:first-child");
    expect(second).toHaveLength(5);
    expect(second).not.toEqual(first);
    await settle(() => page.selectOption("select[name=solved]", "true"));
    const solved = (await api("runs/0/trajectories?solved=true")).total;
    expect((await text(".pager .range"))[0]).toBe(
      solved === 0 ? "no matches" : `1–${Math.min(5, solved)} of ${solved}`,
    );
    await settle(() => page.selectOption("select[name=solved]", ""));
    await settle(async () => {
      await page.fill("input[name=q]", HOSTILE);
      await page.press("input[name=q]", "Enter");
    });
    const hostile = (await api(`runs/0/trajectories?q=${encodeURIComponent(HOSTILE)}`)).total;
    expect(hostile).toBeGreaterThan(0);
    expect((await text(".pager .range"))[0]).toBe(`1–${Math.min(5, hostile)} of ${hostile}`);
    await page.screenshot({ path: join(SHOTS, "trajectories.png"), fullPage: true });
    expect(await injected()).toEqual({ imgs: 0, scripts: 0, onerror: 0 });
  });

  it("opens a trajectory with its turns, highlighted code and hostile answers as text", async () => {
    const rows = (await api(`runs/0/trajectories?q=${encodeURIComponent(HOSTILE)}&minTurns=2`)).rows;
    const row = rows[0] ?? (await api(`runs/0/trajectories?q=${encodeURIComponent(HOSTILE)}`)).rows[0];
    await go(`#/run/0/trajectories?problem=${encodeURIComponent(row.problemId)}`);
    await settle(() => page.click(`tr[data-trajectory="${row.trajectory}"] a.open`));
    await page.waitForSelector("article.trajectory");
    expect(await page.locator("section.turn").count()).toBe(row.turnCount);
    expect(await page.locator("pre.code code.hljs span").count()).toBeGreaterThan(0);
    const answers = await page.locator("details.answer pre.text").allTextContents();
    expect(answers.some((a) => a.includes(HOSTILE) && a.includes(TEMPLATE))).toBe(true);
    const code = await text("pre.code");
    expect(code.some((c) => c.includes(`# ${HOSTILE}`))).toBe(true);
    if (row.turnCount > 1) expect(await page.locator("details.diff").count()).toBeGreaterThan(0);
    await page
      .locator("details.answer")
      .first()
      .evaluate((d) => d.setAttribute("open", ""));
    await page.screenshot({ path: join(SHOTS, "trajectory.png"), fullPage: true });
    expect(await injected()).toEqual({ imgs: 0, scripts: 0, onerror: 0 });
    // The hostile problem's own page: title in the heading, as text.
    await go(`#/run/0/t/${encodeURIComponent(HOSTILE_ID)}/0`);
    expect((await text("h1.problem-title"))[0]).toBe(`${HOSTILE_ID}: ${HOSTILE} ${TEMPLATE}`);
  });

  it("draws a tree search's tree and best-of-N candidates side by side", async () => {
    // A trajectory whose tree has a refinement (a node with a parent).
    const trees = (await api("runs/2/trajectories?minTurns=2&limit=500")).rows;
    let t = trees[0];
    // biome-ignore lint/suspicious/noExplicitAny: JSON answer
    let detail: any = null;
    for (const row of trees) {
      const d = await api(
        `runs/2/trajectory?problem=${encodeURIComponent(row.problemId)}&trajectory=${row.trajectory}`,
      );
      if (d.turns.some((u: { parentTurn: number | null }) => u.parentTurn !== null)) {
        t = row;
        detail = d;
        break;
      }
    }
    expect(detail, "the tree run refined some node").not.toBeNull();
    await go(`#/run/2/t/${encodeURIComponent(t.problemId)}/${t.trajectory}`);
    const seen =
      (await page.evaluate(`Array.from(document.querySelectorAll(".tree-view li[data-turn]")).map((li) => {
        const up = li.parentElement.closest("li[data-turn]");
        return [Number(li.dataset.turn), up ? Number(up.dataset.turn) : null];
      })`)) as [number, number | null][];
    expect(seen.sort((a, b) => a[0] - b[0])).toEqual(
      detail.turns.map((u: { index: number; parentTurn: number | null }) => [u.index, u.parentTurn]),
    );
    await page.screenshot({ path: join(SHOTS, "tree.png"), fullPage: true });
    await go("#/run/1/t/p0/0");
    expect(await page.locator(".candidates.n3 .candidate").count()).toBe(3);
    expect(await page.locator(".candidates.n3 .candidate .score").count()).toBeGreaterThan(0);
    expect(await page.locator(".candidate.selected").count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, "best-of-n.png"), fullPage: true });
  });

  it("shows two runs side by side on one problem", async () => {
    await go("#/run/0/t/p1/1");
    await settle(() => page.click(".nav-row a:text('tree')"));
    expect(page.url()).toContain("#/compare");
    expect(await page.locator(".side-by-side .side").count()).toBe(2);
    expect(await page.locator(".side article.trajectory").count()).toBe(2);
    expect(await text(".side > h2")).toEqual(["multi", "tree"]);
    await page.screenshot({ path: join(SHOTS, "compare.png"), fullPage: true });
    expect(await injected()).toEqual({ imgs: 0, scripts: 0, onerror: 0 });
  });

  it("follows a report's links into the viewer, by run id, with ids encoded", async () => {
    // The report holds only the best-of-N run, which is run 1 in this viewer: links name runs
    // by id, so the viewer finds it whatever the order.
    const html = join(runs.tmp, "linked-report.html");
    await writeReport([runs.best], { html }, { viewerUrl: server.url, maxTrajectoriesPerProblem: 2 });
    await settle(() => page.goto(pathToFileURL(html).href));
    const href = await page
      .locator(`tr:has(span:text-is("${HOSTILE_ID}")) a.viewer`)
      .first()
      .getAttribute("href");
    expect(href).toContain(`problem=${encodeURIComponent(HOSTILE_ID)}`);
    await settle(() => page.goto(href!));
    await page.waitForURL(/#\/run\/1\/trajectories\?/);
    const want = (await api(`runs/1/trajectories?problem=${encodeURIComponent(HOSTILE_ID)}`)).total;
    expect(want).toBeGreaterThan(0);
    expect(await page.locator("table.trajectories tbody tr").count()).toBe(want);
    // An embedded trajectory's "open in the viewer" link lands on that trajectory.
    await settle(() => page.goto(pathToFileURL(html).href));
    await page.locator("a.traj").first().click();
    const open = await page.locator(".trajectory a.viewer").first().getAttribute("href");
    expect(open).toMatch(/#\/run\/[^/]+\/t\/[^/]+\/\d+$/);
    await settle(() => page.goto(open!));
    await page.waitForSelector("article.trajectory");
    expect(page.url()).toContain("#/run/1/t/");
    // A run this viewer does not serve is said so, as text.
    await go("#/run/no-such-run/problems");
    expect((await text("p.error"))[0]).toContain("does not serve run no-such-run");
    expect(await injected()).toEqual({ imgs: 0, scripts: 0, onerror: 0 });
  });

  it("raised no dialog and no console error", () => {
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe("codeloop view is read-only", () => {
  it("never writes the run databases", async () => {
    // Browse everything once more, then close: run.db must be byte-for-byte what it was.
    for (const i of [0, 1, 2]) {
      await api(`runs/${i}/facets`);
      await api(`runs/${i}/problems?sort=solved`);
      const p = await api(`runs/${i}/trajectories?limit=500&q=print`);
      for (const row of p.rows)
        await api(`runs/${i}/trajectory?problem=${q(row.problemId)}&trajectory=${row.trajectory}`);
    }
    await server.close();
    for (const [name, folder] of Object.entries({ multi: runs.multi, best: runs.best, tree: runs.tree })) {
      expect(digest(join(folder, "run.db")), name).toBe(before[name]);
    }
    server = await startViewServer([runs.multi, runs.best, runs.tree], {
      staticDir,
      textIndexDir: join(runs.tmp, "text-index"),
    });
  });
});
