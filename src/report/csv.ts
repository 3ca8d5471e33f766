import type { ReportData } from "./types.js";

/** One CSV field: quoted when it holds a comma, quote, CR or LF (quotes doubled), per RFC 4180. */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "number" ? (Number.isFinite(v) ? String(v) : "") : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: (string | number | boolean | null | undefined)[]): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}

/** The per-problem table of every run (one row per run and problem). */
export function problemsCsv(data: ReportData): string {
  let out = csvLine([
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
  for (const r of data.runs) {
    for (const p of r.problems) {
      out += csvLine([
        r.name,
        p.id,
        p.title,
        p.difficulty,
        p.tags.join(";"),
        p.planned,
        p.trajectories,
        p.solvedFraction,
        p.publicPassRate,
        p.meanTurns,
        p.meanTokens,
        p.meanCalls,
      ]);
    }
  }
  return out;
}

/** One row per run: its config axes, totals and every metric with its interval. */
export function runsCsv(data: ReportData): string {
  const axisNames = [...new Set(data.runs.flatMap((r) => Object.keys(r.axes)))];
  const pak = [...new Set(data.runs.flatMap((r) => r.metrics.passAtK.map((x) => x.k)))].sort((a, b) => a - b);
  const nak = [
    ...new Map(data.runs.flatMap((r) => r.metrics.nAtK.map((x) => [`${x.n}@${x.k}`, x.k] as const))),
  ].sort((a, b) => a[1] - b[1]);
  const header = [
    "run",
    "folder",
    ...axisNames,
    "problems",
    "trajectories",
    "solved_problems",
    "llm_calls",
    "tokens",
  ];
  for (const k of pak) header.push(`pass@${k}`, `pass@${k}_low`, `pass@${k}_high`);
  for (const [s] of nak) header.push(`pass_${s}`, `pass_${s}_low`, `pass_${s}_high`);
  header.push("similarity_mean");
  let out = csvLine(header);
  for (const r of data.runs) {
    const row: (string | number | null)[] = [r.name, r.folder, ...axisNames.map((a) => r.axes[a] ?? null)];
    row.push(
      r.totals.problems,
      r.totals.trajectories,
      r.totals.solvedProblems,
      r.totals.llmCalls,
      r.totals.tokens,
    );
    for (const k of pak) {
      const x = r.metrics.passAtK.find((y) => y.k === k);
      row.push(x?.value ?? null, x?.low ?? null, x?.high ?? null);
    }
    for (const [s] of nak) {
      const x = r.metrics.nAtK.find((y) => `${y.n}@${y.k}` === s);
      row.push(x?.value ?? null, x?.low ?? null, x?.high ?? null);
    }
    row.push(r.similarity.count ? r.similarity.mean : null);
    out += csvLine(row);
  }
  return out;
}
