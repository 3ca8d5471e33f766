import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { problemsCsv, runsCsv } from "./csv.js";
import { type ReportOptions, buildReportData } from "./data.js";
import { renderReportHtml } from "./html.js";
import type { ReportData } from "./types.js";

export { AXIS_NAMES, type AxisName, configAxes, modelLabel, varyingAxes } from "./axes.js";
export { csvField, problemsCsv, runsCsv } from "./csv.js";
export {
  DEFAULT_MAX_TRAJECTORIES,
  ReportError,
  type ReportOptions,
  buildReportData,
  lineDiff,
  normaliseViewerUrl,
  nAtKCurves,
  similarityPool,
  treeView,
  trajectoryView,
  wallSecondsFromLog,
} from "./data.js";
export { escapeHtml, scriptJson } from "./escape.js";
export { renderReportHtml } from "./html.js";
export type * from "./types.js";

/** The report's data without the embedded trajectories (what --json writes). */
export function reportJson(data: ReportData): Omit<ReportData, "trajectories" | "strings"> {
  const { trajectories: _t, strings: _s, ...rest } = data;
  return rest;
}

/** Where the per-run metrics CSV goes next to the per-problem one (several runs only). */
export function runsCsvPath(csv: string): string {
  return csv.endsWith(".csv") ? `${csv.slice(0, -4)}.runs.csv` : `${csv}.runs.csv`;
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/**
 * Builds the report of one or more runs and writes the HTML (and optionally the JSON data and
 * the CSV tables: per problem, plus per run beside it as `<name>.runs.csv` with several runs).
 */
export async function writeReport(
  folders: string[],
  out: { html: string; json?: string; csv?: string },
  opts: ReportOptions = {},
): Promise<ReportData> {
  const data = await buildReportData(folders, opts);
  opts.log?.("rendering the page");
  write(out.html, renderReportHtml(data));
  if (out.json !== undefined) write(out.json, `${JSON.stringify(reportJson(data), null, 2)}\n`);
  if (out.csv !== undefined) {
    write(out.csv, problemsCsv(data));
    if (data.runs.length > 1) write(runsCsvPath(out.csv), runsCsv(data));
  }
  return data;
}
