import type { Command } from "commander";
import { type ModelCheck, ModelError, checkModel } from "../models/index.js";
import { CliError } from "./errors.js";

function formatCheck(report: ModelCheck): string {
  const lines = [`model     ${report.ref} (${report.provider}: ${report.model})`];
  for (const e of report.endpoints) {
    lines.push(`endpoint  ${e.endpoint}`);
    lines.push(`  reachable   ${e.reachable ? "yes" : "no"}`);
    if (e.models) {
      const shown =
        e.models.length > 8 ? [...e.models.slice(0, 8), `... ${e.models.length - 8} more`] : e.models;
      lines.push(
        `  models      ${shown.join(", ") || "(none)"}${e.modelListed === false ? "  [model not listed]" : ""}`,
      );
    }
    const g = e.generation;
    if (g?.ok) {
      lines.push(
        `  generation  ok in ${g.latencyMs} ms: ${JSON.stringify(g.text)} (${g.promptTokens} prompt + ${g.completionTokens} completion tokens)`,
      );
    } else {
      lines.push("  generation  failed");
    }
    lines.push(`  n           ${e.n}`);
    lines.push(`  seed        ${e.seed}`);
    lines.push(`  logprobs    ${e.logprobs}`);
    for (const err of e.errors) lines.push(`  error       ${err}`);
    for (const note of e.notes) lines.push(`  note        ${note}`);
  }
  return `${lines.join("\n")}\n`;
}

export function registerModels(program: Command): void {
  const models = program.command("models").description("chat models: check endpoints and capabilities");
  models
    .command("check <model-ref>")
    .description(
      "check a model: reachable, models listed, whether n, seed and logprobs are honoured, latency of a tiny generation",
    )
    .option("--json", "print the report as JSON")
    .option("--timeout <s>", "time limit per request in seconds", "60")
    .action(async (ref: string, opts: { json?: boolean; timeout: string }) => {
      const seconds = Number(opts.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0) {
        throw new CliError(`--timeout must be a positive number of seconds, got '${opts.timeout}'`);
      }
      let report: ModelCheck;
      try {
        report = await checkModel(ref, { timeoutMs: Math.round(seconds * 1000) });
      } catch (err) {
        if (err instanceof ModelError && err.kind === "config") throw new CliError(err.message);
        throw err;
      }
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheck(report));
      if (!report.ok) process.exitCode = 1;
    });
}
