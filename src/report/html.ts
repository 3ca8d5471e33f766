import {
  DEFAULT_N_AT_K,
  type Estimate,
  type GroupMetrics,
  RULE_LABELS,
  type VerifierMetrics,
} from "../metrics/index.js";
import { chartLibraries } from "./assets.js";
import { CLIENT_SCRIPT, CLIENT_STYLE } from "./client.js";
import { similarityPool } from "./data.js";
import { escapeHtml as esc, scriptJson } from "./escape.js";
import type { ReportData, RunReport } from "./types.js";

const pct = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : `${(100 * v).toFixed(1)}%`;
const num = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits);
const int = (v: number) => v.toLocaleString("en-US");

function ci(e: Estimate): string {
  return `${pct(e.low)} – ${pct(e.high)}`;
}

function seconds(s: number | null): string {
  if (s === null) return "unknown";
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}

function table(head: string[], rows: string[][], cls = ""): string {
  return `<table${cls ? ` class="${cls}"` : ""}><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

function chart(id: string, kind: string, extra = ""): string {
  return `<div class="chart"><canvas id="${esc(id)}" data-chart="${esc(kind)}"${extra}></canvas></div>`;
}

function emptyNotice(r: RunReport): string {
  if (r.totals.trajectories > 0) return "";
  const c = r.counts;
  return `<p class="notice">Run <b>${esc(r.name)}</b> has no finished trajectories yet (${c.pending} pending, ${c.running} running, ${c.failed} failed of ${c.total}): its metrics are empty.</p>`;
}

/** Which tests graded each run, on which runtime, and the problems it left out. */
function gradingNotes(data: ReportData): string {
  return data.runs
    .map((r) => {
      const graded =
        r.config.gradingTests === "hidden" ? "the hidden tests only" : "all tests (public and hidden)";
      const python = r.config.python ? `; Python on ${esc(r.config.python)}` : "";
      const ex = r.excluded;
      const excluded =
        ex.length === 0
          ? ""
          : ` ${int(ex.length)} problem(s) excluded: ${ex
              .slice(0, 50)
              .map((e) => `<code>${esc(e.id)}</code> (${esc(e.reasons.join("; "))})`)
              .join(", ")}${ex.length > 50 ? `, and ${int(ex.length - 50)} more` : ""}.`;
      const infra = r.totals.infrastructureExcluded
        ? ` <b>${int(r.totals.infrastructureExcluded)} finished trajectories are left out of every metric</b>: the sandbox failed while grading their submission (an infrastructure failure, not the program's verdict); <code>codeloop rejudge ${esc(r.folder)}</code> grades them again.`
        : "";
      return `<p class="note">Run <b>${esc(r.name)}</b>: submissions graded on ${graded}${python}.${excluded}${infra}</p>`;
    })
    .join("");
}

/** Programs one trajectory costs in pass n@k: T, or a tree search's budget in programs. */
const programsOf = (r: RunReport) => r.config.tree?.programsPerTrajectory ?? r.config.maxTurns;

/** "6 calls", "4,000 tokens", "6 calls / 4,000 tokens". */
function treeBudget(b: { calls?: number; tokens?: number }): string {
  return [
    b.calls !== undefined ? `${int(b.calls)} calls` : "",
    b.tokens !== undefined ? `${int(b.tokens)} tokens` : "",
  ]
    .filter(Boolean)
    .join(" / ");
}

function strategyLabel(r: RunReport): string {
  const t = r.config.tree;
  if (t) return `${r.config.strategy} (budget ${treeBudget(t.budget)}, branching ${t.branching})`;
  return r.config.candidatesPerTurn > 1
    ? `${r.config.strategy} (N=${r.config.candidatesPerTurn})`
    : r.config.strategy;
}

function summarySection(data: ReportData): string {
  const rows = data.runs.map((r) => [
    esc(r.name),
    esc(r.config.model),
    esc(r.config.benchmark),
    esc(strategyLabel(r)),
    esc(r.config.feedback),
    r.config.tree ? `depth ≤ ${r.config.maxTurns}` : String(r.config.maxTurns),
    `${int(r.totals.trajectories)} / ${int(r.counts.total)}`,
    int(r.totals.problems),
    int(r.totals.tokens),
    int(r.totals.llmCalls),
    `${int(r.totals.solvedProblems)} / ${int(r.totals.problems)}`,
    esc(seconds(r.totals.wallSeconds)),
  ]);
  return `<section id="summary"><h2>Summary</h2>${table(
    [
      "run",
      "model",
      "benchmark",
      "strategy",
      "feedback",
      "turns (T)",
      "trajectories finished / planned",
      "problems",
      "tokens",
      "LLM calls",
      "solved problems",
      "wall time",
    ],
    rows,
  )}${data.runs.map(emptyNotice).join("")}${gradingNotes(data)}<p class="note">Folders: ${data.runs
    .map((r) => `<code>${esc(r.folder)}</code>`)
    .join(", ")}. Metrics use every finished trajectory; intervals are ${int(
    data.options.resamples,
  )}-resample percentile bootstraps over problems (seed ${data.options.seed}).</p></section>`;
}

function metricRows(g: GroupMetrics): string[][] {
  const rows: string[][] = [];
  for (const x of g.nAtK) rows.push([`pass ${x.n}@${x.k}`, pct(x.value), ci(x), String(x.problems)]);
  for (const x of g.passAtK) rows.push([`pass@${x.k}`, pct(x.value), ci(x), String(x.problems)]);
  return rows;
}

function metricsSection(data: ReportData): string {
  const parts = data.runs.map((r) => {
    const have = new Set(r.metrics.nAtK.map((x) => `${x.n}@${x.k}`));
    const missing = DEFAULT_N_AT_K.filter((s) => !have.has(`${s.n}@${s.k}`)).map(
      (s) => `${s.n}@${s.k} (needs ${Math.max(1, Math.floor(s.k / programsOf(r)))} trajectories per problem)`,
    );
    const body =
      r.metrics.nAtK.length + r.metrics.passAtK.length === 0
        ? `<p class="notice">No metric can be computed for this run.</p>`
        : table(["metric", "value", "95% CI", "problems"], metricRows(r.metrics), "metrics");
    const tree = r.config.tree
      ? `<p class="note">Tree search: a trajectory is a tree of ${int(r.config.tree.programsPerTrajectory)} programs at most (${r.config.tree.budget.calls !== undefined ? "its budget in calls" : "the most programs any of its trees made"}), and costs that many programs in pass n@k; its submission is its best node.</p>`
      : "";
    return `<h3>${esc(r.name)}</h3>${tree}${body}${
      missing.length
        ? `<p class="note">Not affordable with this run's budget: ${esc(missing.join(", "))}.</p>`
        : ""
    }`;
  });
  return `<section id="metrics"><h2>pass n@k and pass@k</h2><p class="note">pass n@k: from a budget of k programs (every turn counts; a trajectory costs T programs), submit at most n, public-test passers first; solved if a submission passes the hidden tests.</p>${parts.join(
    "",
  )}</section>`;
}

function curvesSection(data: ReportData): string {
  const any = data.runs.some((r) => r.totals.trajectories > 0);
  if (!any)
    return `<section id="curves"><h2>Curves</h2><p class="notice">No finished trajectories: no curves.</p></section>`;
  return `<section id="curves"><h2>Curves</h2><div class="grid">${chart("chart-budget-calls", "budget-calls")}${chart(
    "chart-budget-tokens",
    "budget-tokens",
  )}${chart("chart-nak", "nak")}</div><p class="note">Budget curves: solve rate when trajectories are taken in random order while their cumulative cost (LLM calls, or prompt + completion tokens) fits the budget; a trajectory costs the sum over all its turns (every node of a tree search). pass n@k vs k: n = 1, n = 10, and n = k/T (every bought trajectory submitted, i.e. pass@(k/T)).</p></section>`;
}

const num3 = (v: number | null) => (v === null ? "–" : v.toFixed(3));

/** One best-of-N run's verifier metrics: counts and notes, AUC, top-1, best-of-N chart and table. */
function verifierPart(r: RunReport, v: VerifierMetrics): string {
  const c = v.counts;
  const counts = table(
    [
      "candidates",
      "with code",
      "scored",
      "graded",
      "scored + graded",
      "accepted (scored + graded)",
      "infrastructure failures",
    ],
    [
      [
        int(c.candidates),
        int(c.withCode),
        int(c.scored),
        int(c.graded),
        int(c.scoredAndGraded),
        int(c.acceptedScoredAndGraded),
        int(c.infrastructureFailures),
      ],
    ],
  );
  const notes = v.notes.map((n) => `<p class="notice">${esc(n)}</p>`).join("");
  const a = v.auc;
  const auc = !a
    ? `<p class="note">No candidate is both scored and graded: no AUC.</p>`
    : a.value === null
      ? `<p class="note">ROC AUC: undefined (${int(a.positives)} accepted, ${int(a.negatives)} not: one class is empty).</p>`
      : `<p>ROC AUC of verifier scores against the hidden verdict (accepted = positive): <b class="auc">${num3(a.value)}</b> <span class="ci">[95% CI ${num3(a.low)} – ${num3(a.high)}]</span> over ${int(a.positives)} accepted and ${int(a.negatives)} other candidates of ${int(a.problems)} problems (Mann-Whitney U, ties count 1/2; ${esc(a.interval)}, ${int(a.resamples)} resamples, seed ${a.seed}).</p>`;
  const t = v.top1;
  const top1 = !t
    ? ""
    : `<h4>Top-1</h4>${table(
        ["pick", "accepted / turns", "rate"],
        [
          ...t.rows.map((row) => [
            esc(RULE_LABELS[row.rule]),
            `${int(row.accepted)} / ${int(row.turns)}`,
            pct(row.rate),
          ]),
          [
            "oracle (any accepted)",
            `${int(t.oracle.withAccepted)} / ${int(t.oracle.turns)}`,
            pct(t.oracle.rate),
          ],
        ],
        "top1",
      )}<p class="note">Picks among a turn's scored and graded candidates, over the ${int(t.turns)} turns with at least two of them and at least one accepted (the oracle could succeed). The oracle row is over every turn with at least two graded candidates.</p>`;
  const b = v.bestOfN;
  const curves = !b
    ? `<p class="note">No first turn has a usable hidden grade for every code: no best-of-N curves.</p>`
    : `<h4>Best-of-N on first turns</h4>${chart(`chart-bestofn-${r.index}`, "best-of-n")}${table(
        ["n", ...b.curves.map((x) => esc(RULE_LABELS[x.rule]))],
        Array.from({ length: b.candidatesPerTurn }, (_, i) => [
          String(i + 1),
          ...b.curves.map((x) => pct(x.points[i]?.passRate)),
        ]),
        "bestofn",
      )}<p class="note">Pass rate of the candidate each rule picks among n of a first turn's ${b.candidatesPerTurn} candidates, ${b.sampledSizes.length ? `the mean over C(${b.candidatesPerTurn}, n) subsets (seeded samples of ${b.maxSubsets} for n = ${b.sampledSizes.join(", ")})` : `the exact mean over all C(${b.candidatesPerTurn}, n) subsets`} (random: the mean accepted share of the codes; oracle: any accepted among the n), over ${int(b.turns)} first turns${b.ineligibleTurns ? ` (${int(b.ineligibleTurns)} left out: a code without a usable grade, or another number of candidates)` : ""}. First turns only: later turns depend on an earlier pick.</p>`;
  return `<h3>${esc(r.name)}</h3>${counts}${notes}${auc}${top1}${curves}`;
}

function verifierSection(data: ReportData): string {
  const runs = data.runs.filter((r) => r.verifier);
  if (runs.length === 0) return "";
  return `<section id="verifier"><h2>Verifier</h2><p class="note">Best-of-N runs: every stored candidate with its verifier score and its latest hidden grade (infrastructure failures left out); codes without a grade are graded with <code>codeloop rejudge &lt;folder&gt; --all</code> or by running with grading.gradeEveryTurn.</p>${runs
    .map((r) => verifierPart(r, r.verifier!))
    .join("")}</section>`;
}

const DIFFICULTY_ORDER = ["easy", "medium", "hard", "unknown"];

/** Difficulties in their natural order (unknown labels after, alphabetically); tags alphabetically. */
function orderGroups(groups: string[], key: "byDifficulty" | "byTag"): string[] {
  const rank = (g: string) => {
    const i = DIFFICULTY_ORDER.indexOf(g.toLowerCase());
    return key === "byDifficulty" && i >= 0 ? i : DIFFICULTY_ORDER.length;
  };
  return groups.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function breakdownTable(data: ReportData, key: "byDifficulty" | "byTag"): string {
  const groups = orderGroups([...new Set(data.runs.flatMap((r) => Object.keys(r.metrics[key])))], key);
  if (groups.length === 0) return "";
  const settings = [
    ...new Map(data.runs.flatMap((r) => r.metrics.nAtK.map((x) => [`${x.n}@${x.k}`, x.k] as const))),
  ]
    .sort((a, b) => a[1] - b[1])
    .map(([s]) => s);
  const cell = (e: Estimate | undefined) => (e ? `${pct(e.value)} <span class="ci">[${ci(e)}]</span>` : "–");
  const rows: string[][] = [];
  for (const g of groups) {
    for (const r of data.runs) {
      const m = r.metrics[key][g];
      if (!m) continue;
      rows.push([
        esc(g),
        ...(data.runs.length > 1 ? [esc(r.name)] : []),
        String(m.problems),
        cell(m.passAtK.find((x) => x.k === 1)),
        ...settings.map((s) => cell(m.nAtK.find((x) => `${x.n}@${x.k}` === s))),
      ]);
    }
  }
  return table(
    [
      key === "byDifficulty" ? "difficulty" : "tag",
      ...(data.runs.length > 1 ? ["run"] : []),
      "problems",
      "pass@1",
      ...settings.map((s) => `pass ${s}`),
    ],
    rows,
  );
}

function breakdownSection(data: ReportData): string {
  const tags = breakdownTable(data, "byTag");
  const hasTags = tags !== "";
  const withData = data.runs.some((r) => r.totals.trajectories > 0);
  return `<section id="breakdown"><h2>Difficulty${hasTags ? " and tags" : ""}</h2>${
    withData
      ? `<div class="grid">${chart("chart-difficulty", "difficulty")}${hasTags ? chart("chart-tags", "tags") : ""}</div>`
      : ""
  }${breakdownTable(data, "byDifficulty")}${
    hasTags
      ? `<h3>Tags</h3><p class="note">A problem counts in every tag it has.</p>${tags}`
      : `<p class="note">The problems carry no tags.</p>`
  }</section>`;
}

function similaritySection(data: ReportData): string {
  const kinds = Object.entries(data.similarityByFeedback);
  const rows = kinds.map(([k, s]) => [
    esc(k),
    int(s.count),
    num(s.mean, 3),
    num(s.p10, 3),
    num(s.median, 3),
    num(s.p90, 3),
  ]);
  const perRun =
    data.runs.length > 1
      ? table(
          ["run", "feedback", "pairs", "mean", "median"],
          data.runs.map((r) => [
            esc(r.name),
            esc(similarityPool(r)),
            int(r.similarity.count),
            num(r.similarity.mean, 3),
            num(r.similarity.median, 3),
          ]),
        )
      : "";
  const any = kinds.some(([, s]) => s.count > 0);
  return `<section id="similarity"><h2>Similarity of consecutive codes</h2><p class="note">Each pair of consecutive codes in a trajectory, normalised through Python's ast (comments and formatting dropped; raw text when it does not parse), compared with a sequence-matcher ratio: near 1 = the model edits its code (exploitation), low = it rewrites (exploration).${
    data.runs.some((r) => r.config.tree)
      ? " In a tree search each node is paired with its parent (the code it refines; roots have none), and tree runs are pooled apart from linear ones, as “&lt;feedback&gt; (tree)”."
      : ""
  }</p>${
    any
      ? `${chart("chart-similarity", "similarity")}${table(["feedback", "pairs", "mean", "p10", "median", "p90"], rows)}${perRun}`
      : `<p class="notice">No trajectory has two turns with code: nothing to compare.</p>`
  }</section>`;
}

function comparisonSection(data: ReportData): string {
  const c = data.comparison;
  if (!c) return "";
  const axisNames = Object.keys(c.rows[0]?.axes ?? {});
  const settings = Object.keys(c.rows[0]?.nAtK ?? {});
  const rows = c.rows.map((r) => [
    `<a href="#run-${r.run}">${esc(r.name)}</a>`,
    ...axisNames.map((a) =>
      c.varying.includes(a) ? `<b>${esc(r.axes[a] ?? "")}</b>` : esc(r.axes[a] ?? ""),
    ),
    pct(r.passAt1),
    ...settings.map((s) => {
      const x = r.nAtK[s];
      return x ? `${pct(x.value)} <span class="ci">[${pct(x.low)} – ${pct(x.high)}]</span>` : "–";
    }),
    int(r.tokens),
    int(r.llmCalls),
  ]);
  const what = c.chart?.y
    ? `a heatmap of ${esc(c.metric)} over ${esc(c.chart.x)} × ${esc(c.chart.y)}`
    : `${esc(c.metric)} per ${esc(c.chart?.x ?? "run")}`;
  return `<section id="comparison"><h2>Comparison</h2><p class="note">${
    c.varying.length
      ? `Axes that vary: ${c.varying.map(esc).join(", ")}.`
      : "The runs share every config axis."
  } Chart: ${what}${c.varying.length > 2 ? " (the first two varying axes; runs sharing a cell are averaged)" : ""}.</p>${chart(
    "chart-comparison",
    c.chart?.y ? "heatmap" : "comparison-bar",
  )}${table(["run", ...axisNames.map(esc), "pass@1", ...settings.map((s) => `pass ${esc(s)}`), "tokens", "LLM calls"], rows, "comparison")}</section>`;
}

function problemsSection(data: ReportData): string {
  const parts = data.runs.map((r) => {
    const rows = r.problems.map((p, row) => {
      const links = p.embedded
        .map((t) => `<a class="traj" href="#t/${r.index}/${row}/${t}">${t}</a>`)
        .join(" ");
      const more = p.planned - p.embedded.length;
      const viewer = data.viewerUrl
        ? ` <a class="viewer" target="_blank" rel="noopener noreferrer" href="${esc(
            `${data.viewerUrl}#/run/${encodeURIComponent(r.runId)}/trajectories?problem=${encodeURIComponent(p.id)}`,
          )}">all ${p.planned} in the viewer</a>`
        : "";
      return [
        `<span id="p-${r.index}-${row}">${esc(p.id)}</span>`,
        esc(p.title ?? ""),
        esc(p.difficulty ?? "–"),
        esc(p.tags.join(", ")),
        `${p.trajectories} / ${p.planned}`,
        pct(p.solvedFraction),
        pct(p.publicPassRate),
        num(p.meanTurns, 2),
        num(p.meanTokens, 0),
        `${links}${more > 0 && p.embedded.length > 0 ? ` <span class="more">(+${more} not embedded)</span>` : ""}${p.embedded.length === 0 && !viewer ? "–" : ""}${viewer}`,
      ];
    });
    return `<h3 id="run-${r.index}">${esc(r.name)}</h3><p class="note">Up to ${r.embedded.perProblem} trajectories per problem are embedded with their turns (${int(
      r.embedded.trajectories,
    )} embedded${r.embedded.leftOut ? `, ${int(r.embedded.leftOut)} more with stored turns left out; rebuild with --max-trajectories to see them` : ""}). The figures use every finished trajectory.</p>${table(
      [
        "problem",
        "title",
        "difficulty",
        "tags",
        "finished / planned",
        "solved",
        "public pass",
        r.config.tree ? "mean nodes" : "mean turns",
        "mean tokens",
        "trajectories",
      ],
      rows,
      "problems",
    )}`;
  });
  return `<section id="problems"><h2>Problems</h2>${parts.join("")}</section>`;
}

/** The whole page: static tables rendered here, charts and the trajectory viewer by the inlined script. */
export function renderReportHtml(data: ReportData): string {
  const libs = chartLibraries();
  const nav = [
    ["summary", "Summary"],
    ["metrics", "pass n@k"],
    ["curves", "Curves"],
    ["breakdown", "Difficulty"],
    ["similarity", "Similarity"],
    ...(data.runs.some((r) => r.verifier) ? [["verifier", "Verifier"]] : []),
    ...(data.comparison ? [["comparison", "Comparison"]] : []),
    ["problems", "Problems"],
  ]
    .map(([id, label]) => `<a href="#${id}">${label}</a>`)
    .join("");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(data.title)}</title>
<style>${CLIENT_STYLE}</style>
</head>
<body>
<header><h1>${esc(data.title)}</h1><p class="note">Generated ${esc(data.generatedAt)} by codeloop ${esc(data.codeloopVersion)}.</p><nav>${nav}</nav></header>
<main>
${summarySection(data)}
${comparisonSection(data)}
${metricsSection(data)}
${curvesSection(data)}
${breakdownSection(data)}
${similaritySection(data)}
${verifierSection(data)}
${problemsSection(data)}
<section id="viewer" hidden><h2>Trajectory</h2><div id="viewer-body"></div></section>
</main>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${libs.chart}</script>
<script>${libs.matrix}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
