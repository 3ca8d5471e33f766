import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { inlineScript } from "./escape.js";

const require = createRequire(import.meta.url);

let cached: { chart: string; matrix: string } | undefined;

/**
 * The charting libraries' browser builds, read from node_modules when a report is rendered
 * and inlined (the page makes no requests): Chart.js's UMD bundle (defines `Chart`) and
 * chartjs-chart-matrix's UMD bundle (registers the matrix controller with it).
 */
export function chartLibraries(): { chart: string; matrix: string } {
  if (cached) return cached;
  // chart.js exports only its module entries; its UMD bundle sits beside them in dist/.
  const chartDir = dirname(require.resolve("chart.js"));
  const matrixDir = dirname(require.resolve("chartjs-chart-matrix/package.json"));
  cached = {
    chart: inlineScript(readFileSync(join(chartDir, "chart.umd.min.js"), "utf8"), "chart.js"),
    matrix: inlineScript(
      readFileSync(join(matrixDir, "dist", "chartjs-chart-matrix.min.js"), "utf8"),
      "chartjs-chart-matrix",
    ),
  };
  return cached;
}
