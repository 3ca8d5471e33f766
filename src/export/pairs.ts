import { gradeKey, latestGrades } from "../runs/index.js";
import { type ExportContext, codeAnswer, skipContaminated } from "./context.js";
import { dialogTo } from "./dialog.js";
import { type ExportFormat, type Message, type Rendered, SHAREGPT_ROLE, messagesOf } from "./formats.js";
import { distinctIndices, rngFor } from "./sample.js";
import { detailOf, trajectoriesOf, whereOf } from "./source.js";

/**
 * Verifier training data (µCode): Bradley-Terry pairs `{prompt, chosen, rejected}` of one
 * problem's codes whose hidden verdicts differ, or with `pointwise` one `{prompt, completion,
 * label}` row per code. The prompt is the problem's first user turn (CoT prompts stripped),
 * as µCode's verifier reads it; a code is an assistant message holding the fenced code. Only
 * codes with a hidden grade count; the same code text graded both ways (a flaky test) is left out.
 */

/**
 * One preference row in the trainer's shape:
 * - `messages`: TRL preference `{prompt, chosen, rejected}`, message lists;
 * - `axolotl`: `bradley_terry.chat_template` `{system, input, chosen, rejected}`, strings (its
 *   loader reads `system` unconditionally, so the field is always there, empty without one);
 * - `sharegpt`: LLaMA-Factory's ranking rows `{conversations, chosen, rejected}`, with chosen and
 *   rejected single `{from: "gpt", value}` messages.
 */
export function pairRow(format: ExportFormat, prompt: Message[], chosen: string, rejected: string): Rendered {
  const chars = prompt.reduce((n, m) => n + m.content.length, 0) + chosen.length + rejected.length;
  const assistant = (content: string): Message[] => [{ role: "assistant", content }];
  switch (format) {
    case "axolotl":
      return {
        row: {
          system: prompt.find((m) => m.role === "system")?.content ?? "",
          input: prompt.find((m) => m.role === "user")!.content,
          chosen,
          rejected,
        },
        chars,
      };
    case "sharegpt": {
      const conv = prompt.map((m) => ({ from: SHAREGPT_ROLE[m.role], value: m.content }));
      return {
        row: {
          conversations: conv,
          chosen: { from: "gpt", value: chosen },
          rejected: { from: "gpt", value: rejected },
        },
        chars,
      };
    }
    default:
      return { row: { prompt, chosen: assistant(chosen), rejected: assistant(rejected) }, chars };
  }
}

/** The formats verifier-pairs writes (`--pointwise`: TRL's unpaired rows, `messages` only). */
export const PAIR_FORMATS: readonly ExportFormat[] = ["messages", "axolotl", "sharegpt"];

function bump(ctx: ExportContext, key: string, n = 1): void {
  const codes = ctx.counts.codes!;
  codes[key] = (codes[key] ?? 0) + n;
}

export async function exportPairs(ctx: ExportContext): Promise<void> {
  const { opts, runs } = ctx;
  ctx.counts.codes = { graded: 0, ungraded: 0, infrastructureFailure: 0, flaky: 0, accepted: 0, rejected: 0 };
  for (const p of ctx.problems) {
    if (skipContaminated(ctx, p.problemId)) continue;
    let prompt: Message[] | null = null;
    // code text -> verdict (true accepted), first-seen order kept by the Map.
    const verdicts = new Map<string, { ok: boolean; language: string; flaky: boolean }>();
    for (const rt of trajectoriesOf(runs, p.problemId)) {
      ctx.counts.read++;
      ctx.counts.kept++;
      const d = detailOf(runs, rt);
      const config = runs[rt.run]!.config;
      const grades = latestGrades(d);
      for (const turn of d.turns) {
        for (const c of turn.candidates) {
          if (c.code === null) continue;
          const g = grades.get(gradeKey(turn.index, c.index));
          if (!g) {
            bump(ctx, "ungraded");
            continue;
          }
          if (g.infrastructureFailure) {
            bump(ctx, "infrastructureFailure");
            continue;
          }
          bump(ctx, "graded");
          ctx.counts.gradeVersions.add(g.version);
          const ok = g.verdict === "accepted";
          const seen = verdicts.get(c.code);
          if (!seen) verdicts.set(c.code, { ok, language: config.language, flaky: false });
          else if (seen.ok !== ok) seen.flaky = true;
        }
      }
      if (prompt === null && d.turns.length > 0) {
        const root = d.turns.find((t) => t.parentTurn === null && t.candidates.length > 0);
        if (root) {
          const first = dialogTo(config, d, root.index, root.candidates[0]!.index, whereOf(runs, rt));
          prompt = messagesOf({ system: first.system, exchanges: [] }, opts.system);
          prompt.push({ role: "user", content: first.exchanges[0]!.user });
        }
      }
    }
    const good: string[] = [];
    const bad: string[] = [];
    const language = new Map<string, string>();
    for (const [code, v] of verdicts) {
      if (v.flaky) {
        bump(ctx, "flaky");
        continue;
      }
      (v.ok ? good : bad).push(code);
      language.set(code, v.language);
    }
    bump(ctx, "accepted", good.length);
    bump(ctx, "rejected", bad.length);
    if (prompt === null) continue;
    const promptChars = prompt.reduce((n, m) => n + m.content.length, 0);
    const msg = (code: string): Message[] => [
      { role: "assistant", content: codeAnswer(code, language.get(code)!) },
    ];
    let wrote = 0;
    if (opts.pointwise) {
      for (const [code, ok] of [
        ...good.map((c) => [c, true] as const),
        ...bad.map((c) => [c, false] as const),
      ]) {
        const completion = msg(code);
        ctx.out.write({
          row: { prompt, completion, label: ok },
          chars: promptChars + completion[0]!.content.length,
        });
        wrote++;
      }
    } else {
      const rng = rngFor(opts.seed, "verifier-pairs", p.problemId);
      for (const k of distinctIndices(good.length * bad.length, opts.pairsPerProblem, rng)) {
        const chosen = good[Math.floor(k / bad.length)]!;
        const rejected = bad[k % bad.length]!;
        ctx.out.write(
          pairRow(
            opts.format,
            prompt,
            codeAnswer(chosen, language.get(chosen)!),
            codeAnswer(rejected, language.get(rejected)!),
          ),
        );
        wrote++;
      }
      if (good.length === 0 || bad.length === 0) bump(ctx, "problemsWithOneVerdictOnly");
    }
    if (wrote > 0) ctx.counts.problemsExported++;
  }
  const ungraded = ctx.counts.codes.ungraded ?? 0;
  if (ungraded > 0) {
    ctx.counts.notes.push(
      `${ungraded} codes were skipped for lack of a hidden grade: runs grade only submissions unless grading.gradeEveryTurn is true; grade every stored code with \`codeloop rejudge <folder> --all\``,
    );
  }
}
