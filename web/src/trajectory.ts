// One trajectory: its header, the tree of turns (tree search, or any branching), and every turn's
// messages and candidates (side by side for best-of-N, with verifier scores), each candidate's
// answer, extracted code, diff to the parent turn's code, public-test results and hidden grade.
import type { CandidateView, TestSummary, TrajectoryView, TurnView } from "./api";
import { h } from "./dom";
import { codeBlock } from "./highlight";

const frac = (s: TestSummary | null) => (s ? `${s.passed}/${s.total}` : "not run");

function verdict(v: string | null | undefined, label?: string): HTMLElement {
  return h("span", { class: `verdict v-${v ?? "none"}` }, label ?? v ?? "not graded");
}

/** Whether the turns branch: some turn does not continue the turn created just before it. */
function branches(t: TrajectoryView): boolean {
  const roots = t.turns.filter((u) => u.parentTurn === null).length;
  return roots > 1 || t.turns.some((u, i) => i > 0 && u.parentTurn !== t.turns[i - 1]!.index);
}

function treeView(t: TrajectoryView, anchor: (turn: number) => string): HTMLElement {
  const children = new Map<number | null, TurnView[]>();
  for (const u of t.turns) {
    const list = children.get(u.parentTurn) ?? [];
    list.push(u);
    children.set(u.parentTurn, list);
  }
  // The path from a root to the submitted node.
  const byIndex = new Map(t.turns.map((u) => [u.index, u]));
  const path = new Set<number>();
  for (let cur = t.submittedTurn === null ? undefined : byIndex.get(t.submittedTurn); cur; ) {
    if (path.has(cur.index)) break;
    path.add(cur.index);
    cur = cur.parentTurn === null ? undefined : byIndex.get(cur.parentTurn);
  }
  const node = (u: TurnView): HTMLElement => {
    const c = u.candidates[0];
    const kids = children.get(u.index) ?? [];
    return h(
      "li",
      { data: { turn: u.index } },
      h(
        "button",
        {
          type: "button",
          class: `node${path.has(u.index) ? " path" : ""}`,
          on: { click: () => document.getElementById(anchor(u.index))?.scrollIntoView() },
        },
        `turn ${u.index}`,
        c
          ? [
              " ",
              verdict(
                c.publicTests?.verdict ?? (c.code === null ? "no_code" : null),
                `public ${frac(c.publicTests)}`,
              ),
            ]
          : null,
        c?.verifierScore !== null && c?.verifierScore !== undefined
          ? ` score ${c.verifierScore.toFixed(3)}`
          : "",
        t.submittedTurn === u.index ? " ★ submitted" : "",
      ),
      kids.length ? h("ul", null, kids.map(node)) : null,
    );
  };
  return h(
    "div",
    { class: "tree-view" },
    h("h3", null, "Search tree"),
    h("ul", null, (children.get(null) ?? []).map(node)),
  );
}

function testsTable(s: TestSummary, title: string): HTMLElement {
  return h(
    "details",
    { class: "tests", open: s.verdict !== "accepted" },
    h(
      "summary",
      null,
      `${title}: `,
      verdict(s.verdict),
      ` ${s.passed}/${s.total} passed`,
      s.infrastructureFailure ? " (sandbox failure)" : "",
    ),
    h(
      "table",
      { class: "grid small" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ["test", "verdict", "message", "cpu ms"].map((c) => h("th", null, c)),
        ),
      ),
      h(
        "tbody",
        null,
        s.tests.map((x) =>
          h(
            "tr",
            null,
            h("td", { class: "num" }, x.index),
            h("td", null, verdict(x.verdict)),
            h("td", null, h("pre", { class: "msg" }, x.message ?? "")),
            h("td", { class: "num" }, x.cpuMs === undefined ? "" : Math.round(x.cpuMs)),
          ),
        ),
      ),
    ),
    s.tests.length < s.total
      ? h("p", { class: "muted" }, `judging stopped after ${s.tests.length} of ${s.total} tests`)
      : null,
  );
}

function diffView(lines: NonNullable<CandidateView["diff"]>): HTMLElement {
  const changed = lines.filter((l) => l.op !== " ").length;
  return h(
    "details",
    { class: "diff" },
    h("summary", null, `diff to the parent turn's code (${changed} changed lines)`),
    h(
      "pre",
      { class: "diff-lines" },
      lines.map((l) =>
        h("span", { class: l.op === "+" ? "add" : l.op === "-" ? "del" : "same" }, `${l.op} ${l.text}\n`),
      ),
    ),
  );
}

function candidateCard(c: CandidateView, turn: TurnView): HTMLElement {
  return h(
    "div",
    {
      class: `candidate${c.selected ? " selected" : ""}${c.submitted ? " submitted" : ""}`,
      data: { candidate: c.index },
    },
    h(
      "div",
      { class: "cand-head" },
      h("strong", null, `candidate ${c.index}`),
      c.selected ? h("span", { class: "badge" }, "selected") : null,
      c.submitted ? h("span", { class: "badge sub" }, "submitted") : null,
      c.verifierScore !== null
        ? h("span", { class: "score" }, `verifier ${c.verifierScore.toFixed(4)}`)
        : null,
      h(
        "span",
        { class: "muted" },
        ` ${c.promptTokens}+${c.completionTokens} tokens, ${Math.round(c.latencyMs)} ms${c.cached ? ", cached" : ""}, finish ${c.finishReason ?? "-"}, extraction ${c.extraction}`,
      ),
    ),
    c.modelError
      ? h("p", { class: "error" }, `model error (${c.modelError.kind}): ${c.modelError.message}`)
      : null,
    h(
      "details",
      { class: "answer" },
      h("summary", null, `answer (${c.rawAnswer.length} chars)`),
      h("pre", { class: "text" }, c.rawAnswer),
    ),
    c.code !== null ? codeBlock(c.code) : h("p", { class: "muted" }, "no code extracted"),
    c.diff ? diffView(c.diff) : null,
    c.publicTests
      ? testsTable(c.publicTests, "public tests")
      : h("p", { class: "muted" }, "public tests: not run"),
    c.hiddenGrade ? testsTable(c.hiddenGrade, `hidden grade (v${c.hiddenGrade.version})`) : null,
    turn.candidates.length > 1 && turn.selection && c.selected
      ? h("p", { class: "muted" }, `picked by ${turn.selection}`)
      : null,
  );
}

export function trajectoryBody(t: TrajectoryView): HTMLElement {
  const anchor = (turn: number) => `r${t.run.index}-turn-${turn}`;
  const tokens = t.turns.reduce(
    (n, u) => n + u.candidates.reduce((m, c) => m + c.promptTokens + c.completionTokens, 0),
    0,
  );
  return h(
    "article",
    { class: "trajectory", data: { problem: t.problemId, trajectory: t.trajectory } },
    h("h1", { class: "problem-title" }, `${t.problemId}${t.problem?.title ? `: ${t.problem.title}` : ""}`),
    h(
      "p",
      { class: "facts" },
      `run ${t.run.name} (${t.run.strategy}) · trajectory #${t.trajectory} · ${t.status} · ${t.turnCount} turns · ${tokens} tokens · hidden: `,
      verdict(t.grade?.verdict),
      t.grade ? ` ${t.grade.passed}/${t.grade.total}` : "",
      t.submittedTurn !== null
        ? ` · submitted turn ${t.submittedTurn} candidate ${t.submittedCandidate}`
        : " · nothing submitted",
    ),
    t.error ? h("p", { class: "error" }, t.error) : null,
    t.problem?.tags.length
      ? h(
          "p",
          null,
          t.problem.tags.map((x) => h("span", { class: "tag" }, x)),
        )
      : null,
    t.run.strategy === "tree" || branches(t) ? treeView(t, anchor) : null,
    t.turns.map((u) =>
      h(
        "section",
        { class: "turn", id: anchor(u.index), data: { turn: u.index } },
        h(
          "h2",
          null,
          `Turn ${u.index}`,
          u.parentTurn !== null
            ? h("span", { class: "muted" }, ` continues turn ${u.parentTurn} candidate ${u.parentCandidate}`)
            : h("span", { class: "muted" }, " root"),
          u.history === "replace" ? h("span", { class: "muted" }, " (dialog replaced)") : null,
        ),
        h(
          "div",
          { class: "messages" },
          u.messages.map((m) =>
            h(
              "div",
              { class: `msg role-${m.role}` },
              h("div", { class: "role" }, m.role),
              h("pre", { class: "text" }, m.content),
            ),
          ),
        ),
        h(
          "div",
          { class: `candidates n${Math.min(u.candidates.length, 4)}` },
          u.candidates.map((c) => candidateCard(c, u)),
        ),
      ),
    ),
  );
}
