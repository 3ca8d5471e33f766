import { readFile } from "node:fs/promises";
import { basename, dirname, extname, resolve } from "node:path";
import { type Document, LineCounter, type Node, isNode, parseDocument } from "yaml";
import { type ZodIssue, z } from "zod";
import { FEEDBACK_KINDS, type FeedbackKind, listPrompts } from "../prompts/index.js";
import {
  type RunConfig,
  RunConfigError,
  configSyntax,
  modelSchema,
  parseRunConfig,
  parseRunConfigText,
} from "../runs/config.js";

/*
 * The sweep config: a base run config and a grid of axes. Every cell of the grid is a run
 * config made from the base by setting the axes' values (rules in docs/sweep.md), and every
 * cell is validated like a run config before anything runs.
 */

export const AXES = ["model", "reasoning", "instruction", "feedback", "turns"] as const;
export type Axis = (typeof AXES)[number];

/** How a cell's reasoning and instruction prompts map onto `strategy.cot`. */
export const APPLY_PROMPTS = ["every-turn", "first-turn"] as const;
export type ApplyPrompts = (typeof APPLY_PROMPTS)[number];

const nonEmpty = (what: string) =>
  z
    .string({ invalid_type_error: `expected ${what}`, required_error: `required: ${what}` })
    .min(1, `expected ${what}`);

const list = <T extends z.ZodTypeAny>(item: T, what: string) =>
  z
    .array(item, { invalid_type_error: `expected a list of ${what}` })
    .min(1, `expected a non-empty list of ${what}`);

const FEEDBACK_KIND_VALUES = FEEDBACK_KINDS as [FeedbackKind, ...FeedbackKind[]];

export const gridSchema = z
  .object({
    /** Reasoning prompt ids (`reasoning.restate` or `restate`), or `none`. */
    reasoning: list(nonEmpty("a reasoning prompt id or none"), "reasoning prompt ids").optional(),
    /** Instruction prompt ids (`instruction.double-check` or `double-check`), or `none`. */
    instruction: list(nonEmpty("an instruction prompt id or none"), "instruction prompt ids").optional(),
    /** Feedback kinds. */
    feedback: list(z.enum(FEEDBACK_KIND_VALUES), "feedback kinds").optional(),
    /** Max turns per trajectory; 1 is single-turn. */
    turns: list(
      z
        .number({ invalid_type_error: "expected a positive integer" })
        .int("expected a positive integer")
        .positive("expected a positive integer"),
      "turn counts",
    ).optional(),
    /** Model references or model config objects, as a run config's `model`. */
    model: list(modelSchema, "model references").optional(),
  })
  .strict();

export const sweepConfigSchema = z
  .object({
    /** The sweep folder's default name (runs/<name>); default: the sweep file's name. */
    name: z
      .string({ invalid_type_error: "expected a name" })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "expected a name of letters, digits, '.', '_' and '-'")
      .optional(),
    description: z.string({ invalid_type_error: "expected a string" }).optional(),
    /**
     * The run config every cell starts from: a file path (relative to the sweep file's folder)
     * or an inline run config.
     */
    base: z.union([
      nonEmpty("a run config file path or an inline run config"),
      z.record(z.unknown(), {
        invalid_type_error: "expected a run config file path or an inline run config",
      }),
    ]),
    /**
     * `every-turn` (default): a cell's reasoning and instruction prompts apply on every turn;
     * `first-turn`: on turn 1 only (later turns get the feedback alone).
     */
    applyPrompts: z.enum(APPLY_PROMPTS).default("every-turn"),
    grid: gridSchema,
  })
  .strict();

export type SweepConfigInput = z.input<typeof sweepConfigSchema>;

/** One cell's values on the grid's axes (axes not in the grid are absent). */
export type CellAxes = Partial<{
  model: string;
  reasoning: string;
  instruction: string;
  feedback: string;
  turns: number;
}>;

export interface SweepCell {
  /** Readable and unique: `r-restate_i-none_f-failed-test_t3`. */
  name: string;
  index: number;
  axes: CellAxes;
  /** The cell's resolved run config. */
  config: RunConfig;
}

export interface SweepPlan {
  /** Sweep file (as given) and its base name used in messages. */
  file: string;
  name: string;
  description?: string;
  applyPrompts: ApplyPrompts;
  /** The grid with prompt ids in full (`reasoning.restate`) and models as written. */
  grid: Partial<Record<Axis, unknown[]>>;
  /** Where the base came from: a file path (resolved) or "inline". */
  base: string;
  baseConfig: RunConfig;
  cells: SweepCell[];
}

export class SweepConfigError extends Error {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
    this.name = "SweepConfigError";
  }
}

/** `grid.reasoning[2]`, `base.strategy.kind`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out === "" ? "(top level)" : out;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let cur = root;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

class Locator {
  constructor(
    readonly file: string,
    private readonly doc?: Document,
    private readonly counter?: LineCounter,
  ) {}

  line(path: readonly (string | number)[]): number | undefined {
    if (!this.doc || !this.counter) return undefined;
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true);
      if (isNode(node) && (node as Node).range) return this.counter.linePos((node as Node).range![0]).line;
    }
    return undefined;
  }

  message(path: readonly (string | number)[], text: string): string {
    const line = this.line(path);
    return `${this.file}: ${formatPath(path)}: ${text}${line !== undefined ? ` (line ${line})` : ""}`;
  }
}

function fail(lines: string[]): never {
  const shown = lines.length > 30 ? [...lines.slice(0, 30), `... and ${lines.length - 30} more`] : lines;
  throw new SweepConfigError(shown.join("\n"), lines);
}

function describeIssue(issue: ZodIssue, input: unknown): { path: (string | number)[]; text: string }[] {
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => ({ path: [...issue.path, k], text: "unknown field" }));
    case "invalid_union": {
      // The model axis: report the branch that got furthest (the reference string's own check).
      const best = issue.unionErrors
        .map((e) => e.issues)
        .sort((a, b) => a.length - b.length)
        .find((is) => is.every((i) => i.code !== "invalid_type" || i.path.length > issue.path.length));
      if (best) return best.flatMap((i) => describeIssue(i, input));
      return [{ path: issue.path, text: `${issue.message}, got ${show(value)}` }];
    }
    case "invalid_type":
      if (value === undefined) return [{ path: issue.path, text: "required" }];
      return [{ path: issue.path, text: `${issue.message}, got ${show(value)}` }];
    case "invalid_enum_value":
      return [
        {
          path: issue.path,
          text: `expected one of ${issue.options.map((o) => JSON.stringify(o)).join(", ")}, got ${show(value)}`,
        },
      ];
    default:
      return [
        {
          path: issue.path,
          text: value === undefined ? issue.message : `${issue.message}, got ${show(value)}`,
        },
      ];
  }
}

/** The full prompt id for a grid value (`restate` -> `reasoning.restate`), or an error text. */
function promptId(value: string, category: "reasoning" | "instruction"): string | { error: string } {
  if (value === "none") return value;
  const ids = listPrompts(category).map((e) => e.id);
  if (ids.includes(value)) return value;
  if (ids.includes(`${category}.${value}`)) return `${category}.${value}`;
  return { error: `unknown ${category} prompt "${value}"; valid: none, ${ids.join(", ")}` };
}

/** A short, file-name-safe label for one axis value. */
function label(v: string): string {
  return v.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "x";
}

function modelLabel(m: unknown): string {
  if (typeof m === "string") {
    const hash = m.lastIndexOf("#");
    if (hash >= 0) return m.slice(hash + 1);
    const tail = m.split(/[/:]/).filter(Boolean);
    return tail[tail.length - 1] ?? m;
  }
  const o = m as { model?: string; path?: string; hf?: string };
  return basename(o.model ?? o.path ?? o.hf ?? "model");
}

/** Cell name parts per axis value; models get their short name, or m1, m2 ... when those clash. */
function axisLabels(grid: Partial<Record<Axis, unknown[]>>): Partial<Record<Axis, string[]>> {
  const out: Partial<Record<Axis, string[]>> = {};
  if (grid.model) {
    const names = grid.model.map((m) => `m-${label(modelLabel(m))}`);
    out.model = new Set(names).size === names.length ? names : grid.model.map((_, i) => `m${i + 1}`);
  }
  if (grid.reasoning)
    out.reasoning = grid.reasoning.map((r) => `r-${label(String(r).replace(/^reasoning\./, ""))}`);
  if (grid.instruction)
    out.instruction = grid.instruction.map((r) => `i-${label(String(r).replace(/^instruction\./, ""))}`);
  if (grid.feedback) out.feedback = grid.feedback.map((f) => `f-${label(String(f))}`);
  if (grid.turns) out.turns = grid.turns.map((t) => `t${t}`);
  return out;
}

/** Applies one cell's axis values to a copy of the base run config as written. */
export function cellInput(
  base: Record<string, unknown>,
  baseConfig: RunConfig,
  axes: CellAxes & { modelValue?: unknown },
  applyPrompts: ApplyPrompts,
  runName: string,
): Record<string, unknown> {
  const cell: Record<string, unknown> = structuredClone(base);
  cell.name = runName;
  if (axes.modelValue !== undefined) cell.model = structuredClone(axes.modelValue);
  if (axes.feedback !== undefined) {
    cell.feedback = { ...((cell.feedback as object | undefined) ?? {}), kind: axes.feedback };
  }
  const strategy: Record<string, unknown> = { ...((cell.strategy as object | undefined) ?? {}) };
  let turns = baseConfig.strategy.maxTurns;
  if (axes.turns !== undefined) {
    turns = axes.turns;
    const kind = baseConfig.strategy.kind;
    // 1 turn is single-turn (best-of-n keeps its candidates); more turns turn a single-turn
    // base into multi-turn; multi-turn, cot-retry and best-of-n keep their kind.
    // A tree search keeps its kind too: its turns are the depth of a path.
    if (turns === 1 && kind !== "best-of-n" && kind !== "tree") strategy.kind = "single-turn";
    else if (turns > 1 && kind === "single-turn") strategy.kind = "multi-turn";
    strategy.maxTurns = turns;
  }
  if (axes.reasoning !== undefined || axes.instruction !== undefined) {
    const entry: Record<string, string> = {};
    if (axes.reasoning !== undefined && axes.reasoning !== "none") entry.reasoning = axes.reasoning;
    if (axes.instruction !== undefined && axes.instruction !== "none") entry.instruction = axes.instruction;
    const empty = Object.keys(entry).length === 0;
    strategy.cot = empty
      ? []
      : applyPrompts === "first-turn"
        ? [{ ...entry }]
        : Array.from({ length: turns }, () => ({ ...entry }));
  }
  if (Object.keys(strategy).length > 0) cell.strategy = strategy;
  return cell;
}

function parseText(text: string, file: string, syntax: "json" | "yaml") {
  const counter = new LineCounter();
  if (syntax === "json") {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      fail([`${file}: invalid JSON: ${(err as Error).message}`]);
    }
    return { value, doc: parseDocument(text, { lineCounter: counter }), counter };
  }
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    fail(
      doc.errors.map((e) => {
        const pos = counter.linePos(e.pos[0]);
        return `${file}: YAML syntax error at line ${pos.line}, column ${pos.col}: ${e.message.split("\n")[0]}`;
      }),
    );
  }
  return { value: doc.toJS() as unknown, doc, counter };
}

/** Appends the sweep file's line to a run config message about the inline base. */
function locateBaseLine(line: string, prefix: string, loc: Locator): string {
  if (!line.startsWith(prefix) || /\(line \d+\)$/.test(line)) return line;
  const rest = line.slice(prefix.length);
  const colon = rest.indexOf(": ");
  if (colon < 0) return line;
  const path = rest
    .slice(0, colon)
    .split(".")
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const at = loc.line(["base", ...path]);
  return at === undefined ? line : `${line} (line ${at})`;
}

/**
 * Parses and validates a sweep config's text and plans its cells: the schema, every prompt id,
 * duplicate axis values, the base config, then every cell's run config. All problems found are
 * reported together, each with the file, the field path and the line where there is one.
 */
export async function planSweepText(
  text: string,
  opts: { file: string; syntax?: "json" | "yaml"; baseDir?: string },
): Promise<SweepPlan> {
  const fileName = basename(opts.file);
  const { value, doc, counter } = parseText(text, fileName, opts.syntax ?? configSyntax(opts.file, text));
  const loc = new Locator(fileName, doc, counter);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    fail([`${fileName}: expected a mapping with name, base and grid, got ${show(value)}`]);
  }
  const parsed = sweepConfigSchema.safeParse(value);
  if (!parsed.success) {
    fail(parsed.error.issues.flatMap((i) => describeIssue(i, value)).map((d) => loc.message(d.path, d.text)));
  }
  const sweep = parsed.data;
  const problems: string[] = [];
  const grid: Partial<Record<Axis, unknown[]>> = {};
  for (const axis of AXES) {
    const values = sweep.grid[axis] as unknown[] | undefined;
    if (values === undefined) continue;
    const resolved: unknown[] = [];
    const seen = new Map<string, number>();
    values.forEach((v, i) => {
      let r: unknown = v;
      if (axis === "reasoning" || axis === "instruction") {
        const id = promptId(v as string, axis);
        if (typeof id === "object") {
          problems.push(loc.message(["grid", axis, i], id.error));
          return;
        }
        r = id;
      }
      const key = JSON.stringify(r);
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push(loc.message(["grid", axis, i], `duplicate of grid.${axis}[${first}] (${show(r)})`));
        return;
      }
      seen.set(key, i);
      resolved.push(r);
    });
    grid[axis] = resolved;
  }
  if (Object.keys(grid).length === 0) {
    problems.push(
      loc.message(["grid"], `expected at least one axis (${AXES.join(", ")}); an empty grid is a plain run`),
    );
  }

  // The base run config, as written (cells are made from it) and resolved.
  let baseValue: Record<string, unknown> | undefined;
  let baseConfig: RunConfig | undefined;
  let baseWhere = "inline";
  try {
    if (typeof sweep.base === "string") {
      const path = resolve(opts.baseDir ?? dirname(opts.file), sweep.base);
      baseWhere = path;
      let baseText: string;
      try {
        baseText = await readFile(path, "utf8");
      } catch (err) {
        throw new RunConfigError(
          loc.message(
            ["base"],
            `cannot read the base run config ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          ),
          [],
        );
      }
      const syntax = configSyntax(path, baseText);
      baseConfig = parseRunConfigText(baseText, { file: basename(path), syntax });
      baseValue = parseText(baseText, basename(path), syntax).value as Record<string, unknown>;
    } else {
      baseValue = sweep.base;
      const prefix = `${fileName}: base: `;
      try {
        baseConfig = parseRunConfig(baseValue, { file: `${fileName}: base` });
      } catch (err) {
        if (!(err instanceof RunConfigError)) throw err;
        throw new RunConfigError(
          err.problems.map((l) => locateBaseLine(l, prefix, loc)).join("\n"),
          err.problems,
        );
      }
    }
  } catch (err) {
    if (!(err instanceof RunConfigError)) throw err;
    problems.push(...err.message.split("\n"));
  }
  if (baseConfig && (grid.reasoning || grid.instruction) && baseConfig.strategy.cot.length > 0) {
    problems.push(
      loc.message(
        ["grid", grid.reasoning ? "reasoning" : "instruction"],
        "the base config sets strategy.cot; the grid's reasoning/instruction axes build each cell's cot, so remove one of them",
      ),
    );
  }
  if (problems.length > 0 || !baseConfig || !baseValue) fail(problems);

  const name = sweep.name ?? basename(opts.file, extname(opts.file));
  const labels = axisLabels(grid);
  const combos: { axes: CellAxes & { modelValue?: unknown }; parts: string[] }[] = [{ axes: {}, parts: [] }];
  for (const axis of AXES) {
    const values = grid[axis];
    if (!values) continue;
    const next: typeof combos = [];
    for (const c of combos) {
      values.forEach((v, i) => {
        const axes = { ...c.axes };
        if (axis === "model") {
          axes.model = typeof v === "string" ? v : modelLabel(v);
          axes.modelValue = v;
        } else if (axis === "turns") axes.turns = v as number;
        else axes[axis] = v as string;
        next.push({ axes, parts: [...c.parts, labels[axis]![i]!] });
      });
    }
    combos.splice(0, combos.length, ...next);
  }
  const cells: SweepCell[] = [];
  combos.forEach((c, index) => {
    const cellName = c.parts.join("_");
    const input = cellInput(baseValue!, baseConfig!, c.axes, sweep.applyPrompts, `${name}/${cellName}`);
    const { modelValue: _, ...axes } = c.axes;
    try {
      cells.push({
        name: cellName,
        index,
        axes,
        config: parseRunConfig(input, { file: `${fileName}: cell ${cellName}` }),
      });
    } catch (err) {
      if (!(err instanceof RunConfigError)) throw err;
      problems.push(...err.problems);
    }
  });
  if (problems.length > 0) fail(problems);
  return {
    file: opts.file,
    name,
    ...(sweep.description !== undefined ? { description: sweep.description } : {}),
    applyPrompts: sweep.applyPrompts,
    grid,
    base: baseWhere,
    baseConfig: baseConfig!,
    cells,
  };
}

/** Reads and plans a sweep config file (YAML or JSON). */
export async function loadSweep(path: string): Promise<SweepPlan> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new SweepConfigError(`${path}: cannot read: ${(err as Error).message}`, [`${path}: cannot read`]);
  }
  return planSweepText(text, { file: path });
}
