// codeloop view: the single-page app. Routes live in the URL's hash (so back/forward and links
// work), each page fetches what it shows from the JSON API, and every stored string is put on
// the page as text (dom.ts), except highlighted code (highlight.ts).
import {
  ApiFailure,
  type Facets,
  type Page,
  type ProblemRow,
  type RunInfo,
  type TrajectoryRow,
  type TrajectoryView,
  get,
} from "./api";
import { type Child, h, replace, select, textInput } from "./dom";
import "./style.css";
import { trajectoryBody } from "./trajectory";

const app = document.getElementById("app")!;
const crumbs = document.getElementById("crumbs")!;
let runs: RunInfo[] = [];
const facetCache = new Map<number, Promise<Facets>>();
const facets = (run: number) => {
  let f = facetCache.get(run);
  if (!f) {
    f = get<Facets>(`runs/${run}/facets`);
    facetCache.set(run, f);
  }
  return f;
};

interface Route {
  parts: string[];
  q: URLSearchParams;
}

function route(): Route {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path = "", query = ""] = hash.split("?", 2) as [string?, string?];
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), q: new URLSearchParams(query) };
}

export function link(parts: (string | number)[], q?: URLSearchParams | Record<string, string>): string {
  const qs = q ? new URLSearchParams(q as Record<string, string>).toString() : "";
  return `#/${parts.map((p) => encodeURIComponent(String(p))).join("/")}${qs ? `?${qs}` : ""}`;
}

/** Sets (or with "" removes) query parameters of the current route; paging restarts at 0. */
function setParams(changes: Record<string, string>, keepOffset = false): void {
  const r = route();
  for (const [k, v] of Object.entries(changes)) {
    if (v === "") r.q.delete(k);
    else r.q.set(k, v);
  }
  if (!keepOffset) r.q.delete("offset");
  location.hash = link(r.parts, r.q);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const runName = (i: number) => runs[i]?.name ?? `run ${i}`;

function verdictBadge(v: string | null | undefined): HTMLElement {
  return h("span", { class: `verdict v-${v ?? "none"}` }, v ?? "not graded");
}

function crumbsFor(items: [string, string | null][]): void {
  replace(
    crumbs,
    items.map(([text, href], i) => [
      i > 0 ? " / " : null,
      href ? h("a", { href }, text) : h("span", null, text),
    ]),
  );
}

function pager(total: number, offset: number, limit: number): HTMLElement {
  const last = Math.min(offset + limit, total);
  return h(
    "div",
    { class: "pager" },
    h(
      "button",
      {
        class: "prev",
        type: "button",
        on: { click: () => setParams({ offset: String(Math.max(0, offset - limit)) }, true) },
        attrs: offset === 0 ? { "aria-label": "previous page (none)" } : { "aria-label": "previous page" },
      },
      "‹ prev",
    ),
    h("span", { class: "range" }, total === 0 ? "no matches" : `${offset + 1}–${last} of ${total}`),
    h(
      "button",
      {
        class: "next",
        type: "button",
        on: { click: () => last < total && setParams({ offset: String(offset + limit) }, true) },
      },
      "next ›",
    ),
    select("per page", ["25", "50", "100", "200"], String(limit), (v) => setParams({ limit: v }), "limit"),
  );
}

/** A sortable column header: clicking sorts by it, clicking again reverses. */
function sortHeader(label: string, key: string, q: URLSearchParams): HTMLElement {
  const active = (q.get("sort") ?? "ordinal") === key;
  const desc = q.get("dir") === "desc";
  return h(
    "th",
    { class: active ? "sorted" : "", data: { sort: key } },
    h(
      "button",
      {
        type: "button",
        class: "sort",
        on: { click: () => setParams({ sort: key, dir: active && !desc ? "desc" : "" }) },
      },
      label,
      active ? (desc ? " ▼" : " ▲") : "",
    ),
  );
}

async function runsPage(): Promise<void> {
  crumbsFor([["runs", null]]);
  const compare = (() => {
    if (runs.length < 2) return null;
    let a = "0";
    let b = "1";
    let problem = "";
    let traj = "0";
    return h(
      "form",
      {
        class: "compare-form",
        on: {
          submit: (e) => {
            e.preventDefault();
            location.hash = link(["compare"], { a, b, problem, trajectory: traj });
          },
        },
      },
      h("h2", null, "Two runs side by side"),
      select(
        "run A",
        runs.map((r) => [String(r.index), r.name]),
        a,
        (v) => {
          a = v;
        },
        "a",
      ),
      select(
        "run B",
        runs.map((r) => [String(r.index), r.name]),
        b,
        (v) => {
          b = v;
        },
        "b",
      ),
      h(
        "label",
        null,
        "problem id ",
        h("input", {
          type: "text",
          attrs: { name: "problem" },
          on: {
            input: (e) => {
              problem = (e.target as HTMLInputElement).value;
            },
          },
        }),
      ),
      h(
        "label",
        null,
        "trajectory ",
        h("input", {
          type: "number",
          value: "0",
          attrs: { name: "trajectory", min: "0" },
          on: {
            input: (e) => {
              traj = (e.target as HTMLInputElement).value;
            },
          },
        }),
      ),
      h("button", { type: "submit" }, "compare"),
    );
  })();
  replace(
    app,
    h("h1", null, "Runs"),
    h(
      "table",
      { class: "grid runs" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ["run", "config", "trajectories", "done", "failed", "created"].map((c) => h("th", null, c)),
        ),
      ),
      h(
        "tbody",
        null,
        runs.map((r) =>
          h(
            "tr",
            null,
            h(
              "td",
              null,
              h("a", { href: link(["run", r.index, "problems"]) }, r.name),
              " ",
              h("a", { class: "small", href: link(["run", r.index, "trajectories"]) }, "trajectories"),
            ),
            h("td", { class: "mono" }, r.summary),
            h("td", { class: "num" }, r.counts.total),
            h("td", { class: "num" }, r.counts.done),
            h("td", { class: "num" }, r.counts.failed),
            h("td", null, r.createdAt),
          ),
        ),
      ),
    ),
    compare,
  );
}

function runTabs(run: number, active: "problems" | "trajectories"): HTMLElement {
  return h(
    "div",
    { class: "tabs" },
    h(
      "a",
      { href: link(["run", run, "problems"]), class: active === "problems" ? "active" : "" },
      "problems",
    ),
    h(
      "a",
      { href: link(["run", run, "trajectories"]), class: active === "trajectories" ? "active" : "" },
      "trajectories",
    ),
  );
}

async function problemsPage(run: number, q: URLSearchParams): Promise<void> {
  crumbsFor([
    ["runs", "#/"],
    [runName(run), null],
  ]);
  const [f, page] = await Promise.all([
    facets(run),
    get<Page<ProblemRow>>(`runs/${run}/problems`, {
      q: q.get("q") ?? undefined,
      difficulty: q.get("difficulty") ?? undefined,
      tag: q.get("tag") ?? undefined,
      solved: q.get("solved") ?? undefined,
      sort: q.get("sort") ?? undefined,
      dir: q.get("dir") ?? undefined,
      offset: q.get("offset") ?? undefined,
      limit: q.get("limit") ?? "50",
    }),
  ]);
  replace(
    app,
    h("h1", null, `${runName(run)}: problems`),
    runTabs(run, "problems"),
    h(
      "div",
      { class: "filters" },
      textInput("search", q.get("q") ?? "", (v) => setParams({ q: v }), "q", "id or title"),
      select(
        "difficulty",
        f.difficulties,
        q.get("difficulty") ?? "",
        (v) => setParams({ difficulty: v }),
        "difficulty",
      ),
      select("tag", f.tags, q.get("tag") ?? "", (v) => setParams({ tag: v }), "tag"),
      select(
        "solved",
        [
          ["all", "every trajectory"],
          ["some", "at least one"],
          ["none", "none"],
        ],
        q.get("solved") ?? "",
        (v) => setParams({ solved: v }),
        "solved",
      ),
    ),
    pager(page.total, page.offset, page.limit),
    h(
      "table",
      { class: "grid problems" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          sortHeader("#", "ordinal", q),
          sortHeader("problem", "id", q),
          sortHeader("title", "title", q),
          sortHeader("difficulty", "difficulty", q),
          h("th", null, "tags"),
          sortHeader("trajectories", "trajectories", q),
          sortHeader("solved", "solved", q),
        ),
      ),
      h(
        "tbody",
        null,
        page.rows.map((p) =>
          h(
            "tr",
            { data: { problem: p.problemId } },
            h("td", { class: "num" }, p.ordinal),
            h(
              "td",
              null,
              h("a", { href: link(["run", run, "trajectories"], { problem: p.problemId }) }, p.problemId),
            ),
            h("td", { class: "title" }, p.title ?? ""),
            h("td", null, p.difficulty ?? ""),
            h(
              "td",
              null,
              p.tags.map((t) => h("span", { class: "tag" }, t)),
            ),
            h("td", { class: "num" }, p.total),
            h(
              "td",
              { class: "num" },
              solvedBar(p.solvedFraction),
              ` ${p.accepted}/${p.total} (${pct(p.solvedFraction)})`,
            ),
          ),
        ),
      ),
    ),
    pager(page.total, page.offset, page.limit),
  );
}

function solvedBar(x: number): HTMLElement {
  const inner = h("span", { class: "bar-fill" });
  inner.style.width = `${Math.round(100 * x)}%`;
  return h("span", { class: "bar" }, inner);
}

async function trajectoriesPage(run: number, q: URLSearchParams): Promise<void> {
  crumbsFor([
    ["runs", "#/"],
    [runName(run), link(["run", run, "problems"])],
    ["trajectories", null],
  ]);
  const params = [
    "problem",
    "status",
    "verdict",
    "solved",
    "minTurns",
    "maxTurns",
    "feedback",
    "q",
    "sort",
    "dir",
    "offset",
  ];
  const [f, page] = await Promise.all([
    facets(run),
    get<Page<TrajectoryRow>>(`runs/${run}/trajectories`, {
      ...Object.fromEntries(params.map((k) => [k, q.get(k) ?? undefined])),
      limit: q.get("limit") ?? "50",
    }),
  ]);
  replace(
    app,
    h("h1", null, `${runName(run)}: trajectories`),
    runTabs(run, "trajectories"),
    h(
      "div",
      { class: "filters" },
      textInput(
        "problem",
        q.get("problem") ?? "",
        (v) => setParams({ problem: v }),
        "problem",
        "exact id",
        "text",
      ),
      select(
        "status",
        ["pending", "running", "done", "failed"],
        q.get("status") ?? "",
        (v) => setParams({ status: v }),
        "status",
      ),
      select(
        "hidden verdict",
        [...f.verdicts, ["none", "not graded"]],
        q.get("verdict") ?? "",
        (v) => setParams({ verdict: v }),
        "verdict",
      ),
      select(
        "solved",
        [
          ["true", "solved"],
          ["false", "unsolved"],
        ],
        q.get("solved") ?? "",
        (v) => setParams({ solved: v }),
        "solved",
      ),
      textInput(
        "min turns",
        q.get("minTurns") ?? "",
        (v) => setParams({ minTurns: v }),
        "minTurns",
        "",
        "number",
      ),
      textInput(
        "max turns",
        q.get("maxTurns") ?? "",
        (v) => setParams({ maxTurns: v }),
        "maxTurns",
        "",
        "number",
      ),
      select(
        "feedback on",
        [...f.verdicts, ["no_code", "no code"]],
        q.get("feedback") ?? "",
        (v) => setParams({ feedback: v }),
        "feedback",
      ),
      textInput("text in code/answers", q.get("q") ?? "", (v) => setParams({ q: v }), "q", "substring"),
    ),
    pager(page.total, page.offset, page.limit),
    h(
      "table",
      { class: "grid trajectories" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          sortHeader("problem", "ordinal", q),
          h("th", null, "title"),
          h("th", null, "#"),
          sortHeader("status", "status", q),
          sortHeader("turns", "turns", q),
          h("th", null, "candidates"),
          sortHeader("tokens", "tokens", q),
          sortHeader("hidden verdict", "verdict", q),
          sortHeader("passed", "passed", q),
        ),
      ),
      h(
        "tbody",
        null,
        page.rows.map((t) =>
          h(
            "tr",
            { data: { problem: t.problemId, trajectory: t.trajectory } },
            h("td", null, t.problemId),
            h("td", { class: "title" }, t.title ?? ""),
            h(
              "td",
              null,
              h(
                "a",
                { class: "open", href: link(["run", run, "t", t.problemId, t.trajectory]) },
                `#${t.trajectory}`,
              ),
            ),
            h(
              "td",
              null,
              t.status,
              t.error ? h("span", { class: "muted", title: t.error }, " (error)") : null,
            ),
            h("td", { class: "num" }, t.turnCount),
            h("td", { class: "num" }, t.candidateCount),
            h("td", { class: "num" }, `${t.promptTokens} + ${t.completionTokens}`),
            h("td", null, verdictBadge(t.verdict)),
            h("td", { class: "num" }, t.total === null ? "" : `${t.passed}/${t.total}`),
          ),
        ),
      ),
    ),
    pager(page.total, page.offset, page.limit),
  );
}

async function trajectoryPage(run: number, problemId: string, trajectory: number): Promise<void> {
  crumbsFor([
    ["runs", "#/"],
    [runName(run), link(["run", run, "problems"])],
    [problemId, link(["run", run, "trajectories"], { problem: problemId })],
    [`#${trajectory}`, null],
  ]);
  const t = await get<TrajectoryView>(`runs/${run}/trajectory`, {
    problem: problemId,
    trajectory: String(trajectory),
  });
  const others = runs.filter((r) => r.index !== run);
  replace(
    app,
    h(
      "div",
      { class: "nav-row" },
      trajectory > 0
        ? h("a", { href: link(["run", run, "t", problemId, trajectory - 1]) }, "‹ previous trajectory")
        : null,
      h("a", { href: link(["run", run, "t", problemId, trajectory + 1]) }, "next trajectory ›"),
      others.length
        ? h(
            "span",
            null,
            "side by side with: ",
            others.map((o) =>
              h(
                "a",
                {
                  href: link(["compare"], {
                    a: String(run),
                    b: String(o.index),
                    problem: problemId,
                    trajectory: String(trajectory),
                  }),
                },
                o.name,
              ),
            ),
          )
        : null,
    ),
    trajectoryBody(t),
  );
}

async function comparePage(q: URLSearchParams): Promise<void> {
  const a = Number(q.get("a") ?? 0);
  const b = Number(q.get("b") ?? 1);
  const problem = q.get("problem") ?? "";
  const trajectory = q.get("trajectory") ?? "0";
  crumbsFor([
    ["runs", "#/"],
    [`compare ${runName(a)} / ${runName(b)}`, null],
  ]);
  const load = (run: number) =>
    get<TrajectoryView>(`runs/${run}/trajectory`, { problem, trajectory }).then(
      (t) => trajectoryBody(t),
      (err: Error) => h("p", { class: "error" }, err.message),
    );
  const [left, right] = await Promise.all([load(a), load(b)]);
  replace(
    app,
    h("h1", null, `${problem} #${trajectory}`),
    h(
      "div",
      { class: "side-by-side" },
      h("section", { class: "side", data: { run: a } }, h("h2", null, runName(a)), left),
      h("section", { class: "side", data: { run: b } }, h("h2", null, runName(b)), right),
    ),
  );
}

let renderSeq = 0;
async function render(): Promise<void> {
  const seq = ++renderSeq;
  const { parts, q } = route();
  try {
    if (runs.length === 0) runs = await get<RunInfo[]>("runs");
    const [head, runStr, what, pid, traj] = parts;
    // A run is named by its index here, or by its run id in links from a report (whose runs
    // may be in another order than this viewer's).
    let run = Number(runStr);
    if (head === "run" && runStr !== undefined && !/^\d+$/.test(runStr)) {
      run = runs.findIndex((r) => r.id === runStr);
      if (run < 0) {
        throw new Error(
          `this viewer does not serve run ${runStr}; start \`codeloop view\` with that run's folder`,
        );
      }
      location.replace(link(["run", run, ...parts.slice(2)], q));
      return;
    }
    if (head === "run" && what === "problems") await problemsPage(run, q);
    else if (head === "run" && what === "trajectories") await trajectoriesPage(run, q);
    else if (head === "run" && what === "t" && pid !== undefined)
      await trajectoryPage(run, pid, Number(traj ?? 0));
    else if (head === "compare") await comparePage(q);
    else if (runs.length === 1 && parts.length === 0) location.hash = link(["run", 0, "problems"]);
    else await runsPage();
    if (seq === renderSeq) document.body.dataset.ready = String(seq);
  } catch (err) {
    if (seq !== renderSeq) return;
    const message = err instanceof ApiFailure || err instanceof Error ? err.message : String(err);
    replace(app, h("p", { class: "error" }, message) as Child);
    document.body.dataset.ready = String(seq);
  }
}

window.addEventListener("hashchange", () => void render());
void render();
