import type { RunConfig } from "../runs/config.js";

/** The axes a run differs on, in the order comparison tables show them. */
export const AXIS_NAMES = ["model", "reasoning", "instruction", "feedback", "turns", "strategy"] as const;
export type AxisName = (typeof AXIS_NAMES)[number];

/** How a run config names its model: the reference, or provider:model for a config object. */
export function modelLabel(cfg: RunConfig): string {
  const m = cfg.model;
  if (typeof m === "string") return m;
  return m.provider === "openai" ? `openai:${m.model}` : `llama:${m.path ?? m.hf}`;
}

/**
 * One prompt kind over the turns: "none" when no turn has one, the id when every turn that
 * could have one has the same, else "t1:<id|none> t2:..." (e.g. CoT-retry's later-turn prompts).
 */
function promptAxis(cfg: RunConfig, kind: "reasoning" | "instruction"): string {
  const turns = cfg.strategy.maxTurns;
  const ids: string[] = [];
  for (let t = 0; t < turns; t++) ids.push(cfg.strategy.cot[t]?.[kind] ?? "none");
  const distinct = new Set(ids);
  if (distinct.size === 1) return ids[0]!;
  return ids.map((id, t) => `t${t + 1}:${id}`).join(" ");
}

/**
 * The comparison axes of a run: model, reasoning and instruction prompt ids, feedback kind,
 * max turns and strategy (with candidates per turn when there are several). Values are
 * strings so that runs can be grouped and a heatmap drawn over any two of them.
 */
export function configAxes(config: RunConfig): Record<AxisName, string> {
  const s = config.strategy;
  return {
    model: modelLabel(config),
    reasoning: promptAxis(config, "reasoning"),
    instruction: promptAxis(config, "instruction"),
    feedback: config.feedback.kind,
    turns: String(s.maxTurns),
    strategy: s.candidatesPerTurn > 1 ? `${s.kind} N=${s.candidatesPerTurn}` : s.kind,
  };
}

/** The axes whose value is not the same in every run, in AXIS_NAMES order. */
export function varyingAxes(axes: readonly Record<string, string>[]): string[] {
  if (axes.length < 2) return [];
  const names = Object.keys(axes[0]!);
  return names.filter((n) => new Set(axes.map((a) => a[n])).size > 1);
}
