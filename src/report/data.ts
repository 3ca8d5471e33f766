import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { diffLines } from "diff";
import {
  type MetricsInput,
  type SimilaritySummary,
  VerifierAccumulator,
  computeMetrics,
  metricsInputFromStore,
  nAtKPerProblem,
  normalisedCacheFile,
  runSimilarityRatios,
  summarise,
} from "../metrics/index.js";
import { openRunFolder } from "../runs/open-run.js";
import { RUN_FILES, type RunStore } from "../runs/store.js";
import type { HiddenGrade, TestSummary, TrajectoryDetail } from "../runs/trajectory.js";
import { TREE_DEFAULTS } from "../strategies/index.js";
import { configAxes, modelLabel, varyingAxes } from "./axes.js";
import type {
  CandidateView,
  Comparison,
  DiffOp,
  NAtKCurve,
  ProblemRow,
  ReportData,
  RunReport,
  TestView,
  TrajectoryView,
  TreeNodeView,
  TreeView,
  TurnView,
} from "./types.js";

export interface ReportOptions {
  title?: string;
  /** Trajectories per problem embedded with their turns (default 10); the metrics use all. */
  maxTrajectoriesPerProblem?: number;
  bootstrap?: { resamples?: number; seed?: number };
  /** Progress lines (stderr in the CLI). */
  log?: (message: string) => void;
  /** A running viewer's URL to link to (http or https); see ReportData.viewerUrl. */
  viewerUrl?: string;
}

/** A viewer URL fit for links: http(s) only (no javascript: or file:), without its fragment. */
export function normaliseViewerUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ReportError(`--viewer: '${url}' is not a URL (e.g. http://127.0.0.1:8377/)`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new ReportError(`--viewer: '${url}' must be an http:// or https:// URL`);
  }
  u.hash = "";
  u.search = "";
  if (!u.pathname.endsWith("/")) u.pathname += "/";
  return u.toString();
}

/** A folder that is not a run, or a run that cannot be read. */
export class ReportError extends Error {
  override name = "ReportError";
}

export const DEFAULT_MAX_TRAJECTORIES = 10;
/** Characters kept of one test's failure message on the page. */
const MESSAGE_CHARS = 2000;

/** Texts stored once and referenced by index (a problem statement repeats in every trajectory). */
export class StringPool {
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();
  ref(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}… (${s.length - n} more characters)`;
}

function testView(t: TestSummary): TestView {
  return {
    verdict: t.verdict,
    passed: t.passed,
    total: t.total,
    infrastructureFailure: t.infrastructureFailure,
    tests: t.tests.map((x) => ({
      index: x.index,
      verdict: x.verdict,
      ...(x.message !== undefined ? { message: clip(x.message, MESSAGE_CHARS) } : {}),
    })),
  };
}

function gradeView(g: HiddenGrade): TestView & { version: number } {
  return { ...testView(g), version: g.version };
}

/** Line diff of two codes, as (op, lines) runs. */
export function lineDiff(before: string, after: string): DiffOp[] {
  return diffLines(before, after).map((c) => [c.added ? 1 : c.removed ? -1 : 0, c.value] as DiffOp);
}

const nodeVerdict = (t: { verdict: string; passed: number; total: number } | null) =>
  t ? { verdict: t.verdict, passed: t.passed, total: t.total } : null;

/**
 * A tree search's trajectory as a tree: each turn a node (its one program: the selected
 * candidate, else the first), linked to the turn it refines, with its public result and hidden
 * grade, and the path from the root to the submitted node.
 */
export function treeView(d: TrajectoryDetail): TreeView {
  const byIndex = new Map(d.turns.map((t) => [t.index, t]));
  const nodes = new Map<number, TreeNodeView>();
  for (const t of d.turns) {
    const c = t.candidates.find((x) => x.selected) ?? t.candidates[0] ?? null;
    const submitted = c !== null && d.submittedTurn === t.index && d.submittedCandidate === c.index;
    const grade = c
      ? submitted
        ? d.grade
        : (d.turnGrades.find((x) => x.turn === t.index && x.candidate === c.index)?.grade ?? null)
      : null;
    const parent = t.parentTurn !== null && byIndex.has(t.parentTurn) ? t.parentTurn : null;
    nodes.set(t.index, {
      turn: t.index,
      parent,
      depth: 1,
      children: [],
      onPath: false,
      submitted,
      hasCode: c?.code != null,
      failed: c === null || c.modelError !== null,
      public: nodeVerdict(c?.publicTests ?? null),
      hidden: nodeVerdict(grade),
    });
  }
  const roots: number[] = [];
  for (const n of nodes.values()) {
    if (n.parent === null || n.parent >= n.turn) {
      // A parent is always created before its child; anything else is shown as a root.
      n.parent = null;
      roots.push(n.turn);
    } else nodes.get(n.parent)!.children.push(n.turn);
  }
  // Parents come first in creation order, so one pass in that order sets every depth.
  const ordered = [...nodes.values()].sort((x, y) => x.turn - y.turn);
  for (const n of ordered) if (n.parent !== null) n.depth = nodes.get(n.parent)!.depth + 1;
  const submittedPath: number[] = [];
  const sub = d.submittedTurn === null ? undefined : nodes.get(d.submittedTurn);
  for (let n = sub; n; n = n.parent === null ? undefined : nodes.get(n.parent)) {
    n.onPath = true;
    submittedPath.unshift(n.turn);
  }
  return {
    roots,
    nodes: d.turns.map((t) => nodes.get(t.index)!),
    submittedPath,
    depth: Math.max(0, ...ordered.map((n) => n.depth)),
  };
}

/**
 * A stored trajectory as the page shows it; the diff of each turn is to the turn it continued.
 * With `tree` (a tree search run) it carries its tree of nodes too.
 */
export function trajectoryView(
  run: number,
  d: TrajectoryDetail,
  pool: StringPool,
  opts: { tree?: boolean } = {},
): TrajectoryView {
  const byIndex = new Map(d.turns.map((t) => [t.index, t]));
  const selectedCode = (
    turnIndex: number | null,
    cand: number | null,
  ): { turn: number; code: string } | null => {
    // Walk up the parent chain to the nearest continued candidate that has code.
    let ti = turnIndex;
    let ci = cand;
    const seen = new Set<number>();
    while (ti !== null && !seen.has(ti)) {
      seen.add(ti);
      const t = byIndex.get(ti);
      if (!t) return null;
      const c = t.candidates.find((x) => x.index === ci);
      if (c?.code != null) return { turn: ti, code: c.code };
      ti = t.parentTurn;
      ci = t.parentCandidate;
    }
    return null;
  };
  const turns: TurnView[] = d.turns.map((t) => {
    const sel = t.candidates.find((c) => c.selected) ?? null;
    const prev = selectedCode(t.parentTurn, t.parentCandidate);
    const candidates: CandidateView[] = t.candidates.map((c) => {
      const isSubmission = d.submittedTurn === t.index && d.submittedCandidate === c.index;
      const g = isSubmission
        ? d.grade
        : (d.turnGrades.find((x) => x.turn === t.index && x.candidate === c.index)?.grade ?? null);
      return {
        index: c.index,
        selected: c.selected,
        answer: pool.ref(c.rawAnswer),
        code: c.code === null ? null : pool.ref(c.code),
        extraction: c.extraction,
        finishReason: c.finishReason,
        promptTokens: c.promptTokens,
        completionTokens: c.completionTokens,
        latencyMs: c.latencyMs,
        cached: c.cached,
        modelError: c.modelError ? `${c.modelError.kind}: ${c.modelError.message}` : null,
        public: c.publicTests ? testView(c.publicTests) : null,
        hidden: g ? gradeView(g) : null,
      };
    });
    const diff = sel?.code != null && prev ? lineDiff(prev.code, sel.code) : null;
    return {
      index: t.index,
      parentTurn: t.parentTurn,
      parentCandidate: t.parentCandidate,
      history: t.history,
      messages: t.messages.map((m) => ({ role: m.role, content: pool.ref(m.content) })),
      candidates,
      diff,
      diffAgainst: diff ? prev!.turn : null,
      startedAt: t.startedAt,
      finishedAt: t.finishedAt,
    };
  });
  return {
    run,
    problemId: d.problemId,
    trajectory: d.trajectory,
    status: d.status,
    error: d.error,
    submittedTurn: d.submittedTurn,
    submittedCandidate: d.submittedCandidate,
    grade: d.grade ? gradeView(d.grade) : null,
    turns,
    ...(opts.tree ? { tree: treeView(d) } : {}),
  };
}

/** Seconds of every run session that finished (run.log: started/resumed ... finished). */
export function wallSecondsFromLog(text: string): number | null {
  let total = 0;
  let any = false;
  let start: number | null = null;
  for (const line of text.split("\n")) {
    const sp = line.indexOf(" ");
    if (sp < 0) continue;
    const at = Date.parse(line.slice(0, sp));
    if (Number.isNaN(at)) continue;
    const msg = line.slice(sp + 1);
    if (msg === "run started" || msg === "run resumed") start = at;
    else if (msg.startsWith("run finished") && start !== null) {
      total += at - start;
      any = true;
      start = null;
    }
  }
  return any ? total / 1000 : null;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Trajectories bought per problem along the n@k curve (k = T × m). */
const CURVE_M = [1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 1000];

export function nAtKCurves(input: MetricsInput): NAtKCurve[] {
  const T = input.maxTurns;
  const most = Math.max(0, ...input.problems.map((p) => p.trajectories.length));
  const ms = CURVE_M.filter((m) => m <= most);
  const curve = (label: string, nOf: (m: number) => number | null): NAtKCurve => {
    const points: NAtKCurve["points"] = [];
    for (const m of ms) {
      const n = nOf(m);
      if (n === null) continue;
      const vals = nAtKPerProblem(input.problems, { n, k: m * T }, T).filter((v): v is number => v !== null);
      if (vals.length) points.push({ k: m * T, value: mean(vals)!, problems: vals.length });
    }
    return { label, points };
  };
  return [curve("1", () => 1), curve("10", (m) => (m >= 10 ? 10 : null)), curve("k/T", (m) => m)].filter(
    (c) => c.points.length > 0,
  );
}

function openRun(folder: string): RunStore {
  return openRunFolder(folder, { error: (m) => new ReportError(m) }).store;
}

/**
 * The run's similarity distribution, normalising through the run folder's cache file (a run
 * may have filled it while it ran; a report adds what is missing). In a read-only folder the
 * cache is still read, and what is missing is normalised without being kept.
 */
async function similarityOf(folder: string, input: MetricsInput, log: (m: string) => void) {
  const cacheFile = normalisedCacheFile(folder);
  return runSimilarityRatios(input, {
    cacheFile,
    onCacheNotWritten: (err) => log(`cannot write ${cacheFile} (${err.message}); normalisations not kept`),
  });
}

interface LoadedRun {
  report: RunReport;
  /** Consecutive-code ratios, pooled with other runs of the same feedback kind. */
  ratios: number[];
}

async function loadRun(
  folder: string,
  index: number,
  opts: Required<Pick<ReportOptions, "maxTrajectoriesPerProblem">> & ReportOptions,
  pool: StringPool,
  views: Record<string, TrajectoryView>,
  log: (m: string) => void,
): Promise<LoadedRun> {
  const store = openRun(folder);
  try {
    const cfg = store.config;
    const isTree = cfg.strategy.kind === "tree";
    const summaries = [...store.iterateProblemSummaries()];
    log(`${folder}: reading ${summaries.length} problems' trajectories`);
    const t0 = Date.now();
    const input = metricsInputFromStore(store);
    log(`${folder}: read in ${((Date.now() - t0) / 1000).toFixed(1)} s; computing metrics`);
    const metrics = computeMetrics(input, { bootstrap: opts.bootstrap });
    const nAtKCurve = nAtKCurves(input);

    log(`${folder}: similarity of consecutive codes`);
    const ratios = await similarityOf(folder, input, log);
    const similarity = summarise(ratios);

    const byId = new Map(input.problems.map((p) => [p.id, p]));
    const verifier =
      cfg.strategy.candidatesPerTurn > 1
        ? new VerifierAccumulator({
            candidatesPerTurn: cfg.strategy.candidatesPerTurn,
            selection: cfg.strategy.selection,
            seed: opts.bootstrap?.seed ?? 0,
          })
        : null;
    if (verifier)
      log(
        `${folder}: best-of-${cfg.strategy.candidatesPerTurn}: reading every candidate for the verifier metrics`,
      );
    let embeddedCount = 0;
    let leftOut = 0;
    const problems: ProblemRow[] = summaries.map((s, row) => {
      const p = byId.get(s.problemId);
      const trajs = p?.trajectories ?? [];
      const n = trajs.length;
      const embedded: number[] = [];
      for (const t of store.trajectories({ problemId: s.problemId })) {
        if (t.turnCount === 0) continue;
        const embed = embedded.length < opts.maxTrajectoriesPerProblem;
        if (!embed) leftOut++;
        // Best-of-N runs need every trajectory's candidates (scores, grades) for the verifier
        // metrics: this walk already reads the embedded ones, so it reads the rest here too.
        if (!embed && !verifier) continue;
        const d = store.trajectoryDetail(t);
        if (!d) continue;
        verifier?.add(d);
        if (!embed) continue;
        views[`${index}/${row}/${t.trajectory}`] = trajectoryView(index, d, pool, { tree: isTree });
        embedded.push(t.trajectory);
      }
      embeddedCount += embedded.length;
      return {
        id: s.problemId,
        title: s.title,
        difficulty: s.difficulty,
        tags: s.tags,
        planned: s.total,
        trajectories: n,
        solvedFraction: n ? trajs.filter((t) => t.hiddenPass).length / n : null,
        publicPassRate: n
          ? trajs.filter((t) => t.submittedTurn !== null && t.turns[t.submittedTurn]?.publicPass).length / n
          : null,
        meanTurns: mean(trajs.map((t) => t.turns.length)),
        meanTokens: mean(trajs.map((t) => t.turns.reduce((a, u) => a + u.tokens, 0))),
        meanCalls: mean(trajs.map((t) => t.turns.reduce((a, u) => a + u.llmCalls, 0))),
        embedded,
      };
    });

    let turns = 0;
    let llmCalls = 0;
    let tokens = 0;
    let accepted = 0;
    let solved = 0;
    let finished = 0;
    for (const p of input.problems) {
      let any = false;
      for (const t of p.trajectories) {
        finished++;
        turns += t.turns.length;
        for (const u of t.turns) {
          llmCalls += u.llmCalls;
          tokens += u.tokens;
        }
        if (t.hiddenPass) {
          accepted++;
          any = true;
        }
      }
      if (any) solved++;
    }
    const logFile = join(folder, RUN_FILES.log);
    const wallSeconds = existsSync(logFile) ? wallSecondsFromLog(readFileSync(logFile, "utf8")) : null;
    const report: RunReport = {
      index,
      folder,
      name: store.run.name,
      runId: store.run.id,
      createdAt: store.run.createdAt,
      config: {
        model: modelLabel(cfg),
        benchmark: cfg.benchmark.source,
        strategy: cfg.strategy.kind,
        feedback: cfg.feedback.kind,
        maxTurns: cfg.strategy.maxTurns,
        candidatesPerTurn: cfg.strategy.candidatesPerTurn,
        trajectoriesPerProblem: cfg.trajectoriesPerProblem,
        language: cfg.language,
        seed: cfg.seed,
        temperature: cfg.sampling.temperature,
        gradingTests: cfg.grading.tests,
        ...(store.facts().python ? { python: store.facts().python } : {}),
        ...(isTree
          ? {
              tree: {
                budget: { ...(cfg.strategy.budget ?? TREE_DEFAULTS.budget) },
                branching: cfg.strategy.branching ?? TREE_DEFAULTS.branching,
                programsPerTrajectory: input.maxTurns,
              },
            }
          : {}),
      },
      excluded: store.excludedProblems(),
      axes: configAxes(cfg),
      counts: store.counts(),
      totals: {
        problems: summaries.length,
        trajectories: finished,
        ...(input.infrastructureExcluded ? { infrastructureExcluded: input.infrastructureExcluded } : {}),
        turns,
        llmCalls,
        tokens,
        solvedProblems: solved,
        acceptedTrajectories: accepted,
        wallSeconds,
      },
      metrics,
      nAtKCurve,
      similarity,
      verifier: verifier ? verifier.result() : null,
      problems,
      embedded: { perProblem: opts.maxTrajectoriesPerProblem, trajectories: embeddedCount, leftOut },
    };
    return { report, ratios };
  } finally {
    store.close();
  }
}

const fmtSetting = (n: number, k: number) => `${n}@${k}`;

function comparison(runs: RunReport[]): Comparison | null {
  if (runs.length < 2) return null;
  const varying = varyingAxes(runs.map((r) => r.axes));
  // The first n@k setting every run (or, failing that, any run) can afford.
  const settings = new Map<string, number>();
  for (const r of runs) for (const x of r.metrics.nAtK) settings.set(fmtSetting(x.n, x.k), x.k);
  const order = [...settings].sort((a, b) => a[1] - b[1]).map(([s]) => s);
  const affordedBy = (s: string) =>
    runs.filter((r) => r.metrics.nAtK.some((x) => fmtSetting(x.n, x.k) === s));
  const chosen = order.find((s) => affordedBy(s).length === runs.length) ?? order[0] ?? null;
  const metric = chosen ? `pass ${chosen}` : "pass@1";
  const rows = runs.map((r) => {
    const nAtK: Comparison["rows"][number]["nAtK"] = {};
    for (const s of order) {
      const x = r.metrics.nAtK.find((y) => fmtSetting(y.n, y.k) === s);
      nAtK[s] = x ? { value: x.value, low: x.low, high: x.high } : null;
    }
    const passAt1 = r.metrics.passAtK.find((x) => x.k === 1)?.value ?? null;
    return {
      run: r.index,
      name: r.name,
      axes: r.axes,
      passAt1,
      nAtK,
      value: chosen ? (nAtK[chosen]?.value ?? null) : passAt1,
      tokens: r.totals.tokens,
      llmCalls: r.totals.llmCalls,
    };
  });
  const chart =
    varying.length >= 2 ? { x: varying[0]!, y: varying[1]! } : { x: varying[0] ?? "run", y: null };
  return { varying, metric, rows, chart };
}

/**
 * The similarity pool a run's pairs go to: its feedback kind, with " (tree)" for a tree search
 * (node-parent pairs are not pooled with a chain's turn-to-turn pairs).
 */
export function similarityPool(r: RunReport): string {
  return r.config.tree ? `${r.config.feedback} (tree)` : r.config.feedback;
}

/** Reads every run (read-only, apart from the normalisation cache) and computes the report's data. */
export async function buildReportData(folders: string[], opts: ReportOptions = {}): Promise<ReportData> {
  if (folders.length === 0) throw new ReportError("no run folders given");
  const max = opts.maxTrajectoriesPerProblem ?? DEFAULT_MAX_TRAJECTORIES;
  if (!Number.isInteger(max) || max < 0)
    throw new ReportError(`maxTrajectoriesPerProblem must be a non-negative integer, got ${max}`);
  const log = opts.log ?? (() => {});
  // Fail on a bad folder before any slow work.
  for (const f of folders) openRun(f).close();
  const pool = new StringPool();
  const views: Record<string, TrajectoryView> = {};
  const loaded: LoadedRun[] = [];
  for (let i = 0; i < folders.length; i++) {
    log(`run ${i + 1}/${folders.length}: ${folders[i]}`);
    loaded.push(await loadRun(folders[i]!, i, { ...opts, maxTrajectoriesPerProblem: max }, pool, views, log));
  }
  const runs = loaded.map((l) => l.report);
  // Runs sharing a feedback kind are pooled pair by pair: every statistic stays exact.
  const pooled = new Map<string, number[]>();
  for (const l of loaded) {
    const key = similarityPool(l.report);
    const list = pooled.get(key) ?? [];
    for (const v of l.ratios) list.push(v);
    pooled.set(key, list);
  }
  const similarityByFeedback: Record<string, SimilaritySummary> = {};
  for (const [k, v] of pooled) similarityByFeedback[k] = summarise(v);
  return {
    title:
      opts.title ??
      (runs.length === 1 ? `codeloop report: ${runs[0]!.name}` : `codeloop report: ${runs.length} runs`),
    generatedAt: new Date().toISOString(),
    codeloopVersion: "0.1.0",
    options: {
      maxTrajectoriesPerProblem: max,
      resamples: opts.bootstrap?.resamples ?? 10000,
      seed: opts.bootstrap?.seed ?? 0,
    },
    runs,
    similarityByFeedback,
    comparison: comparison(runs),
    trajectories: views,
    strings: pool.strings,
    ...(opts.viewerUrl !== undefined ? { viewerUrl: normaliseViewerUrl(opts.viewerUrl) } : {}),
  };
}
