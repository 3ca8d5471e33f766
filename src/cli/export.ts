import type { Command } from "commander";
import {
  DEFAULT_OPTIONS,
  EXPORT_KINDS,
  ExportError,
  type ExportMeta,
  type ExportOptions,
  FORMATS,
  exportRuns,
  metaPath,
  parseFormat,
  parseKind,
} from "../export/index.js";
import { CliError } from "./errors.js";

interface Flags {
  out: string;
  format: string;
  seed: string;
  system: boolean;
  trainOn: string;
  maxPerProblem: string;
  dedupThreshold: string;
  shingle: string;
  singleTurnOnly?: boolean;
  decontaminate?: string[];
  ngram: string;
  overlapThreshold: string;
  pairsPerProblem: string;
  pointwise?: boolean;
  allowStaleGrades?: boolean;
  json?: boolean;
}

/** A number flag; range checks are the export's (they name the flag too). */
function number(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new CliError(`${flag}: expected a number, got "${v}"`);
  return n;
}

function summary(m: ExportMeta): string {
  const t = m.trajectories;
  const dropped = Object.entries(t.dropped)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const lines = [
    `${m.kind} (${m.format}) from ${m.runs.length} run(s): ${m.examples} examples, ~${m.approxTokens} tokens (${m.tokensNote}) -> ${m.out}`,
    `trajectories: ${t.read} read, ${t.kept} kept; dropped: ${dropped}`,
    `problems: ${m.problems.read} read, ${m.problems.exported} exported, ${m.problems.contaminated} contaminated`,
  ];
  if (m.codes) {
    lines.push(
      `codes: ${Object.entries(m.codes)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
  }
  for (const c of m.contamination) {
    lines.push(
      `contaminated: ${c.problemId} matches ${c.source} ${c.evalId} by ${c.reason} (overlap ${c.overlap})`,
    );
  }
  for (const r of m.runs)
    lines.push(
      `run ${r.folder}: config ${r.configHash.slice(0, 12)}, grade versions ${r.gradeVersions.map((g) => `${g.version} (${g.judgeVersion ?? "judge unrecorded"})`).join(", ")}`,
    );
  lines.push(...m.notes.map((n) => `note: ${n}`), `provenance: ${metaPath(m.out)}`);
  return `${lines.join("\n")}\n`;
}

export function registerExport(program: Command): void {
  const d = DEFAULT_OPTIONS;
  program
    .command("export <kind> <run-folders...>")
    .description(`training data from runs: ${EXPORT_KINDS.join(", ")} (see docs/export.md)`)
    .requiredOption("--out <file.jsonl>", "the JSONL file to write (and <file>.meta.json beside it)")
    .option(
      "--format <format>",
      `row format: ${FORMATS.join(", ")} (verifier-pairs: messages, axolotl, sharegpt)`,
      d.format,
    )
    .option("--seed <n>", "seed of every choice (dedup order, caps, pairs)", String(d.seed))
    .option("--system", "keep the run's system message (default)")
    .option("--no-system", "leave the system message out")
    .option("--train-on <which>", "assistant turns trained on: last or all", d.trainOn)
    .option(
      "--max-per-problem <n>",
      "rft: trajectories kept per problem; relabel: failed ones relabelled",
      String(d.maxPerProblem),
    )
    .option(
      "--dedup-threshold <j>",
      "rft: Jaccard similarity of code shingles counted as a duplicate",
      String(d.dedupThreshold),
    )
    .option("--shingle <k>", "rft: tokens per shingle", String(d.shingle))
    .option("--single-turn-only", "rft: only trajectories solved on their first turn")
    .option("--decontaminate <source...>", "drop problems overlapping these evaluation sets")
    .option("--ngram <n>", "decontamination: words per statement n-gram", String(d.ngram))
    .option(
      "--overlap-threshold <f>",
      "decontamination: share of n-grams above which a statement overlaps",
      String(d.overlapThreshold),
    )
    .option("--pairs-per-problem <n>", "verifier-pairs: pairs per problem", String(d.pairsPerProblem))
    .option("--pointwise", "verifier-pairs: {prompt, completion, label} rows instead of pairs")
    .option("--allow-stale-grades", "export grades an older judge made instead of refusing the run")
    .option("--json", "print the sidecar as JSON")
    .action(async (kindArg: string, folders: string[], f: Flags) => {
      let meta: ExportMeta;
      try {
        const kind = parseKind(kindArg);
        if (f.trainOn !== "last" && f.trainOn !== "all") {
          throw new ExportError(`--train-on: expected last or all, got "${f.trainOn}"`);
        }
        const opts: ExportOptions = {
          out: f.out,
          format: parseFormat(f.format),
          seed: number("--seed", f.seed),
          system: f.system !== false,
          trainOn: f.trainOn,
          maxPerProblem: number("--max-per-problem", f.maxPerProblem),
          dedupThreshold: number("--dedup-threshold", f.dedupThreshold),
          shingle: number("--shingle", f.shingle),
          singleTurnOnly: f.singleTurnOnly ?? false,
          decontaminate: f.decontaminate ?? [],
          ngram: number("--ngram", f.ngram),
          overlapThreshold: number("--overlap-threshold", f.overlapThreshold),
          pairsPerProblem: number("--pairs-per-problem", f.pairsPerProblem),
          pointwise: f.pointwise ?? false,
          allowStaleGrades: f.allowStaleGrades ?? false,
          log: (m) => process.stderr.write(`codeloop: ${m}\n`),
        };
        meta = await exportRuns(kind, folders, opts);
      } catch (err) {
        if (err instanceof ExportError) throw new CliError(err.message);
        throw err;
      }
      process.stdout.write(f.json ? `${JSON.stringify(meta)}\n` : summary(meta));
    });
}
