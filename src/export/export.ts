import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { JUDGE_VERSION } from "../judge/index.js";
import type { ExportContext } from "./context.js";
import { type ContaminationMatch, EvalIndex, forRunStatements } from "./decontaminate.js";
import { ExportError } from "./errors.js";
import { PAIR_FORMATS, exportPairs } from "./pairs.js";
import { exportRelabel } from "./relabel.js";
import { exportRft } from "./rft.js";
import { checkJudge, openRuns, problemsOf, provenance } from "./source.js";
import { EXPORT_KINDS, type ExportKind, type ExportMeta, type ExportOptions } from "./types.js";
import { JsonlOut, writeFileAtomic } from "./writer.js";

export function parseKind(value: string): ExportKind {
  if ((EXPORT_KINDS as readonly string[]).includes(value)) return value as ExportKind;
  throw new ExportError(`unknown export kind ${JSON.stringify(value)} (expected ${EXPORT_KINDS.join(", ")})`);
}

export function metaPath(out: string): string {
  return `${out}.meta.json`;
}

function check(o: ExportOptions): void {
  const int = (v: number, flag: string, min: number) => {
    if (!Number.isSafeInteger(v) || v < min)
      throw new ExportError(`${flag}: expected an integer >= ${min}, got ${v}`);
  };
  int(o.seed, "--seed", 0);
  int(o.maxPerProblem, "--max-per-problem", 1);
  int(o.pairsPerProblem, "--pairs-per-problem", 1);
  int(o.shingle, "--shingle", 1);
  int(o.ngram, "--ngram", 1);
  if (!(o.dedupThreshold > 0 && o.dedupThreshold <= 1))
    throw new ExportError(`--dedup-threshold: expected a number in (0, 1], got ${o.dedupThreshold}`);
  if (!(o.overlapThreshold >= 0 && o.overlapThreshold < 1))
    throw new ExportError(`--overlap-threshold: expected a number in [0, 1), got ${o.overlapThreshold}`);
  const dir = dirname(resolve(o.out));
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ExportError(`--out ${o.out}: no folder ${dir}`);
}

/** Problems overlapping the evaluation sets: statements are read from each run's benchmark. */
async function contamination(ctx: ExportContext): Promise<void> {
  const o = ctx.opts;
  const index = await EvalIndex.build({
    sources: o.decontaminate,
    n: o.ngram,
    threshold: o.overlapThreshold,
  });
  o.log?.(`decontaminate: ${index.size} evaluation problems from ${o.decontaminate.join(", ")}`);
  const titles = new Map(ctx.problems.map((p) => [p.problemId, p.title]));
  const found = new Map<string, ContaminationMatch[]>();
  for (const r of ctx.runs) {
    const ids = new Set<string>();
    for (const p of r.store.iterateProblemSummaries()) if (!found.has(p.problemId)) ids.add(p.problemId);
    await forRunStatements(r.folder, r.config, ids, (id, statement) => {
      if (!found.has(id)) found.set(id, index.matches(id, titles.get(id) ?? null, statement));
    });
  }
  for (const p of ctx.problems) {
    // A problem its source no longer has is still checked by id and title.
    const m = found.get(p.problemId) ?? index.matches(p.problemId, p.title, null);
    if (m.length > 0) ctx.contaminated.set(p.problemId, m);
  }
}

const KEYS: Record<ExportKind, string[]> = {
  rft: ["failed", "duplicate", "overCap", "contaminated"],
  "verifier-pairs": ["contaminated"],
  relabel: ["accepted", "noCode", "ungraded", "noExpert", "overCap", "contaminated"],
};

/** Runs one export: the JSONL file at `opts.out` and its sidecar `<out>.meta.json`. */
export async function exportRuns(
  kind: ExportKind,
  folders: readonly string[],
  opts: ExportOptions,
): Promise<ExportMeta> {
  check(opts);
  if (kind === "verifier-pairs" && !PAIR_FORMATS.includes(opts.format)) {
    throw new ExportError(
      `--format ${opts.format}: verifier-pairs writes ${PAIR_FORMATS.join(", ")} (TRL {prompt, chosen, rejected}, axolotl bradley_terry {system, input, chosen, rejected}, LLaMA-Factory ranking {conversations, chosen, rejected})`,
    );
  }
  if (kind === "verifier-pairs" && opts.pointwise && opts.format !== "messages") {
    throw new ExportError(
      `--pointwise writes TRL's unpaired rows {prompt, completion, label}; it takes --format messages, not ${opts.format}`,
    );
  }
  const runs = openRuns(folders);
  try {
    const staleNotes = checkJudge(runs, opts.allowStaleGrades);
    const ctx: ExportContext = {
      runs,
      problems: problemsOf(runs),
      contaminated: new Map(),
      opts,
      out: undefined as unknown as JsonlOut,
      counts: {
        read: 0,
        kept: 0,
        dropped: Object.fromEntries(KEYS[kind].map((k) => [k, 0])),
        codes: undefined,
        problemsExported: 0,
        gradeVersions: new Set(),
        notes: staleNotes,
      },
    };
    if (opts.singleTurnOnly && kind === "rft") ctx.counts.dropped.multiTurn = 0;
    if (opts.decontaminate.length > 0) await contamination(ctx);
    ctx.out = new JsonlOut(opts.out);
    try {
      if (kind === "rft") await exportRft(ctx);
      else if (kind === "verifier-pairs") await exportPairs(ctx);
      else await exportRelabel(ctx);
      ctx.out.finish();
    } catch (err) {
      ctx.out.abort();
      throw err;
    }
    const c = ctx.counts;
    if (
      opts.trainOn === "all" &&
      (opts.format === "messages" || opts.format === "sharegpt") &&
      kind === "rft"
    ) {
      c.notes.push(
        `--train-on all does not change the ${opts.format} format (its trainer decides which turns carry loss); use prompt-completion or axolotl to mark them`,
      );
    }
    if (c.gradeVersions.size > 1) {
      c.notes.push(
        `grades of versions ${[...c.gradeVersions].sort((a, b) => a - b).join(", ")} were mixed: codes the last rejudge did not cover keep older grades; \`codeloop rejudge <folder> --all\` grades every code with the current judge`,
      );
    }
    const { log: _log, out: _out, ...options } = opts;
    const meta: ExportMeta = {
      kind,
      out: opts.out,
      format:
        kind === "verifier-pairs"
          ? opts.pointwise
            ? "pointwise"
            : opts.format === "messages"
              ? "pairs"
              : `pairs-${opts.format}`
          : opts.format,
      options,
      judgeVersion: JUDGE_VERSION,
      runs: runs.map(provenance),
      gradeVersionsUsed: [...c.gradeVersions].sort((a, b) => a - b),
      problems: {
        read: ctx.problems.length,
        contaminated: ctx.contaminated.size,
        exported: c.problemsExported,
      },
      trajectories: { read: c.read, kept: c.kept, dropped: c.dropped },
      ...(c.codes ? { codes: c.codes } : {}),
      contamination: [...ctx.contaminated.values()].flat(),
      examples: ctx.out.examples,
      approxTokens: ctx.out.tokens,
      tokensNote: "approximate: characters of message text / 4",
      notes: c.notes,
    };
    writeFileAtomic(metaPath(opts.out), `${JSON.stringify(meta, null, 2)}\n`);
    return meta;
  } finally {
    for (const r of runs) r.store.close();
  }
}
