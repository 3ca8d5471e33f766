import {
  type BootstrapOptions,
  type NAtKResult,
  type PassAtKResult,
  computeMetrics,
  metricsInputFromStore,
} from "../metrics/index.js";
import { openRunFolder } from "../runs/index.js";
import { AXES, type Axis, type CellAxes } from "./config.js";

/** One cell's figures for the comparison table, sweep.csv and --json. */
export interface CellResult {
  name: string;
  folder: string;
  axes: CellAxes;
  problems: number;
  trajectories: number;
  /** Trajectories done and failed (a failed one hit model errors). */
  done: number;
  failed: number;
  passAtK: PassAtKResult[];
  nAtK: NAtKResult[];
  /** LLM calls and prompt + completion tokens of the done trajectories. */
  calls: number;
  tokens: number;
  /** Done trajectories left out of the metrics: their submission's grade was an infrastructure failure. */
  infrastructureExcluded: number;
}

/** Reads one cell's run and computes its metrics (pass@k, pass n@k with bootstrap CIs, cost). */
export function cellResult(
  cell: { name: string; folder: string; axes: CellAxes },
  boot: BootstrapOptions = {},
): CellResult {
  const { store } = openRunFolder(cell.folder);
  try {
    const counts = store.counts();
    const input = metricsInputFromStore(store);
    const m = computeMetrics(input, {
      bootstrap: boot,
      // Budget curves are not shown here: one ordering, one point keeps their cost nil.
      budget: { permutations: 1, budgets: [1] },
    });
    let calls = 0;
    let tokens = 0;
    for (const p of input.problems) {
      for (const t of p.trajectories) {
        for (const u of t.turns) {
          calls += u.llmCalls;
          tokens += u.tokens;
        }
      }
    }
    return {
      name: cell.name,
      folder: cell.folder,
      axes: cell.axes,
      problems: input.problems.length,
      trajectories: counts.total,
      done: counts.done,
      failed: counts.failed,
      passAtK: m.passAtK,
      nAtK: m.nAtK,
      calls,
      tokens,
      infrastructureExcluded: input.infrastructureExcluded ?? 0,
    };
  } finally {
    store.close();
  }
}

/** The axes a set of cells has values for, in grid order. */
export function axesOf(rows: readonly { axes: CellAxes }[]): Axis[] {
  return AXES.filter((a) => rows.some((r) => r.axes[a] !== undefined));
}

/** Metric columns some cell can afford: pass@k values of k, then n@k settings. */
function columns(rows: readonly CellResult[]) {
  const ks = [...new Set(rows.flatMap((r) => r.passAtK.map((p) => p.k)))].sort((a, b) => a - b);
  const nk = new Map<string, { n: number; k: number }>();
  for (const r of rows) for (const s of r.nAtK) nk.set(`${s.n}@${s.k}`, { n: s.n, k: s.k });
  const settings = [...nk.values()].sort((a, b) => a.k - b.k || a.n - b.n);
  return { ks, settings };
}

const pct = (v: number) => (v * 100).toFixed(1);

function tokensText(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

function align(rows: string[][], left: number): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c < left ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/**
 * The comparison table: one row per cell with its axes, pass@1 and the pass n@k settings with
 * their intervals (in %), tokens and LLM calls. "-" where a cell cannot afford a setting.
 */
export function comparisonTable(rows: readonly CellResult[], confidence = 0.95): string {
  const axes = axesOf(rows);
  const { settings } = columns(rows);
  const ci = `${Math.round(confidence * 1000) / 10}% CI`;
  const header = [
    "cell",
    ...axes,
    "problems",
    `pass@1 [${ci}]`,
    ...settings.map((s) => `${s.n}@${s.k}`),
    "tokens",
    "calls",
  ];
  const est = (e: { value: number; low: number; high: number } | undefined) =>
    e ? `${pct(e.value)} [${pct(e.low)}, ${pct(e.high)}]` : "-";
  const body = rows.map((r) => [
    r.name,
    ...axes.map((a) => String(r.axes[a] ?? "")),
    String(r.problems),
    est(r.passAtK.find((p) => p.k === 1)),
    ...settings.map((s) => est(r.nAtK.find((x) => x.n === s.n && x.k === s.k))),
    tokensText(r.tokens),
    String(r.calls),
  ]);
  return `${align([header, ...body], 1 + axes.length)}\n`;
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** sweep.csv: every pass@k and n@k with its interval as fractions, plus cost and counts. */
export function comparisonCsv(rows: readonly CellResult[]): string {
  const axes = axesOf(rows);
  const { ks, settings } = columns(rows);
  const header = [
    "cell",
    ...axes,
    "problems",
    "trajectories",
    "done",
    "failed",
    ...ks.flatMap((k) => [`pass@${k}`, `pass@${k}_low`, `pass@${k}_high`]),
    ...settings.flatMap((s) => [`${s.n}@${s.k}`, `${s.n}@${s.k}_low`, `${s.n}@${s.k}_high`]),
    "tokens",
    "calls",
    "folder",
  ];
  const three = (e: { value: number; low: number; high: number } | undefined): (string | number)[] =>
    e ? [e.value, e.low, e.high] : ["", "", ""];
  const lines = rows.map((r) =>
    (
      [
        r.name,
        ...axes.map((a) => r.axes[a] ?? ""),
        r.problems,
        r.trajectories,
        r.done,
        r.failed,
        ...ks.flatMap((k) => three(r.passAtK.find((p) => p.k === k))),
        ...settings.flatMap((s) => three(r.nAtK.find((x) => x.n === s.n && x.k === s.k))),
        r.tokens,
        r.calls,
        r.folder,
      ] as (string | number)[]
    )
      .map(csvCell)
      .join(","),
  );
  return `${[header.join(","), ...lines].join("\n")}\n`;
}
