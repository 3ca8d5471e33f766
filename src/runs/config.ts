import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { type Document, LineCounter, type Node, type YAMLParseError, isNode, parseDocument } from "yaml";
import { type ZodIssue, z } from "zod";
import { modelConfigSchema, parseModelRef } from "../models/ref.js";
import { ModelError } from "../models/types.js";
import { LOAD_FLAG_KINDS, type LoadFlagKind } from "../problems/flags.js";
import { BENCHMARK_FORMATS, type BenchmarkFormat, type ProblemFilters } from "../problems/types.js";
import {
  DEFAULT_FEEDBACK_LIMITS,
  FEEDBACK_KINDS,
  type FeedbackKind,
  UnknownPromptError,
  getPrompt,
  listPrompts,
  validateOverrides,
} from "../prompts/index.js";

/*
 * The run config file. Every field has a documented default (docs/runs.md) except the
 * benchmark source and the model. Messages are written so that the formatter below can append
 * ", got <value>" and a file name and field path in front.
 */

const posInt = (what = "a positive integer") =>
  z
    .number({ invalid_type_error: `expected ${what}`, required_error: `required: ${what}` })
    .int(`expected ${what}`)
    .positive(`expected ${what}`);

const nonNegInt = (what = "a non-negative integer") =>
  z
    .number({ invalid_type_error: `expected ${what}`, required_error: `required: ${what}` })
    .int(`expected ${what}`)
    .nonnegative(`expected ${what}`);

const num = (what: string) =>
  z.number({ invalid_type_error: `expected ${what}`, required_error: `required: ${what}` });

const str = (what = "a non-empty string") =>
  z
    .string({ invalid_type_error: `expected ${what}`, required_error: `required: ${what}` })
    .min(1, `expected ${what}`);

const bool = () => z.boolean({ invalid_type_error: "expected true or false" });

const isoDate = () =>
  z
    .string({ invalid_type_error: "expected an ISO date YYYY-MM-DD" })
    .regex(/^\d{4}-\d{2}-\d{2}/, "expected an ISO date YYYY-MM-DD");

const stringList = () => z.array(str(), { invalid_type_error: "expected a list of strings" });

export const filtersSchema = z
  .object({
    split: str().optional(),
    ids: stringList().optional(),
    difficulty: stringList().optional(),
    /** Inclusive contest-date window. */
    from: isoDate().optional(),
    to: isoDate().optional(),
    tags: stringList().optional(),
    /** Keep this many problems chosen with `seed` (stable under the same seed). */
    sample: nonNegInt().optional(),
    seed: nonNegInt().optional(),
    /** At most this many problems (after sampling). */
    limit: nonNegInt().optional(),
  })
  .strict();

export const benchmarkSchema = z
  .object({
    /** A file, a folder or `hf:<dataset>[@revision]` (see docs/benchmarks.md). */
    source: str("a benchmark source (file, folder or hf:<dataset>)"),
    format: z.enum(BENCHMARK_FORMATS as [BenchmarkFormat, ...BenchmarkFormat[]]).optional(),
    /** LiveCodeBench release. */
    release: str().optional(),
    filters: filtersSchema.default({}),
    /**
     * Problems flagged at load with any of these kinds are left out of the run (and listed in
     * it with the reason): unjudgeable (no checker where one is needed), interactive,
     * needs-checker (several valid answers, judged by token comparison). `[]` keeps all.
     */
    exclude: z
      .array(z.enum(LOAD_FLAG_KINDS as [LoadFlagKind, ...LoadFlagKind[]]), {
        invalid_type_error: `expected a list of ${LOAD_FLAG_KINDS.join(", ")}`,
      })
      .default(["unjudgeable"]),
  })
  .strict();

/** A model reference (`vllm:http://host:8000/v1#name`, ...) checked by the models layer's own parser. */
const modelRefSchema = z
  .string({ invalid_type_error: "expected a model reference string or a model config object" })
  .superRefine((ref, ctx) => {
    try {
      parseModelRef(ref, {});
    } catch (err) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: err instanceof ModelError ? err.message : String(err),
      });
    }
  });

export const modelSchema = z.union([modelRefSchema, modelConfigSchema]);

export const samplingSchema = z
  .object({
    temperature: num("a number >= 0").min(0, "expected a number >= 0").default(1.0),
    topP: num("a number in (0, 1]")
      .gt(0, "expected a number in (0, 1]")
      .max(1, "expected a number in (0, 1]")
      .default(0.95),
    topK: posInt().optional(),
    minP: num("a number in [0, 1]")
      .min(0, "expected a number in [0, 1]")
      .max(1, "expected a number in [0, 1]")
      .optional(),
    maxTokens: posInt().default(4096),
    stop: stringList().optional(),
  })
  .strict();

export const STRATEGY_KINDS = ["single-turn", "multi-turn", "cot-retry", "best-of-n", "tree"] as const;
export type StrategyKind = (typeof STRATEGY_KINDS)[number];

import { SELECTION_RULES, readsScores } from "../core/selection.js";
import { TREE_DEFAULTS } from "../strategies/index.js";

export { SELECTION_RULES };

/**
 * A learned verifier (src/verifiers): a reference `<kind>:<rest>` (vllm-classify:,
 * vllm-pooling:, tei:, tei-rerank:, chat-judge:<model ref>, embedded:<v.json>), or the same
 * with settings: what it is shown, a version that keys its score cache, the class of a
 * classification head that means correct, the chat judge's prompt.
 */
export const verifierSchema = z.union([
  str("a verifier reference, e.g. vllm-classify:http://host:8000#model"),
  z
    .object({
      ref: str("a verifier reference, e.g. vllm-classify:http://host:8000#model"),
      input: z.enum(["prompt+code", "code"]).default("prompt+code"),
      version: str().optional(),
      label: z.union([z.number().int().nonnegative(), str()]).optional(),
      judgePrompt: str().optional(),
      timeoutMs: posInt().optional(),
    })
    .strict(),
]);

/** Prompt ids for one turn; either may be absent (that turn gets no such prompt). */
const cotTurnSchema = z
  .object({
    reasoning: str("a prompt id").optional(),
    instruction: str("a prompt id").optional(),
  })
  .strict();

/** A tree search's budget: LLM calls answered, or tokens (prompt + completion), or both. */
const budgetSchema = z
  .object({
    calls: posInt().optional(),
    tokens: posInt().optional(),
  })
  .strict()
  .refine((b) => b.calls !== undefined || b.tokens !== undefined, {
    message: "give calls or tokens (or both), e.g. {calls: 8} or {tokens: 20000}",
  });

export const strategySchema = z
  .object({
    kind: z.enum(STRATEGY_KINDS).default("multi-turn"),
    /**
     * Default 1 for single-turn, 3 otherwise (the paper's compute-optimal T). For tree search,
     * the turns on one path from a root.
     */
    maxTurns: posInt().optional(),
    /** Default 5 for best-of-n (µCode's N), 1 otherwise. */
    candidatesPerTurn: posInt().optional(),
    stopOnPublicPass: bool().default(true),
    /** Entry i applies to turn i + 1; turns past the end of the list get no CoT prompt. */
    cot: z
      .array(cotTurnSchema, { invalid_type_error: "expected a list of {reasoning, instruction}" })
      .default([]),
    /** How best-of-n picks the candidate that continues (ignored with one candidate). */
    selection: z.enum(SELECTION_RULES).default("public-tests"),
    /** The learned verifier of the verifier selection rules (see verifierSchema). */
    verifier: verifierSchema.optional(),
    /** Tree search: when to stop (default {calls: 8}). */
    budget: budgetSchema.optional(),
    /** Tree search: children sampled per expansion (default 1). */
    branching: posInt().optional(),
    /** Tree search: REx's heuristic weight C (default 5; docs/strategies.md). */
    exploration: num("a positive number").positive("expected a positive number").optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.kind !== "tree") {
      for (const f of ["budget", "branching", "exploration"] as const) {
        if (s[f] !== undefined) {
          ctx.addIssue({ code: "custom", path: [f], message: `only for kind: tree (this is ${s.kind})` });
        }
      }
    } else {
      if (s.candidatesPerTurn !== undefined && s.candidatesPerTurn !== 1) {
        ctx.addIssue({
          code: "custom",
          path: ["candidatesPerTurn"],
          message: "tree search makes one program per node; set branching for children per expansion",
        });
      }
      if (s.selection === "random") {
        ctx.addIssue({
          code: "custom",
          path: ["selection"],
          message:
            'tree search submits by public tests ("public-tests"), then verifier ("public-tests+verifier"), or by verifier alone ("verifier"); "random" is not one',
        });
      }
    }
    if (s.kind === "single-turn" && s.maxTurns !== undefined && s.maxTurns !== 1) {
      ctx.addIssue({ code: "custom", path: ["maxTurns"], message: "single-turn means maxTurns 1" });
    }
    if (s.kind === "best-of-n" && s.candidatesPerTurn !== undefined && s.candidatesPerTurn < 2) {
      ctx.addIssue({ code: "custom", path: ["candidatesPerTurn"], message: "best-of-n needs at least 2" });
    }
    if (s.kind === "cot-retry" && s.cot.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["cot"],
        message:
          "cot-retry needs prompt ids for its later turns, e.g. [{}, {reasoning: reasoning.restate}, {instruction: instruction.naive-then-improve}]",
      });
    }
    if (readsScores(s.selection) && s.verifier === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["verifier"],
        message: `selection "${s.selection}" needs a verifier`,
      });
    }
    const turns = s.maxTurns ?? (s.kind === "single-turn" ? 1 : 3);
    if (s.cot.length > turns) {
      ctx.addIssue({
        code: "custom",
        path: ["cot"],
        message: `${s.cot.length} entries for at most ${turns} turns`,
      });
    }
  })
  .transform((s) => ({
    ...s,
    maxTurns: s.maxTurns ?? (s.kind === "single-turn" ? 1 : 3),
    candidatesPerTurn: s.candidatesPerTurn ?? (s.kind === "best-of-n" ? 5 : 1),
  }));

const FEEDBACK_KIND_VALUES = FEEDBACK_KINDS as [FeedbackKind, ...FeedbackKind[]];

export const feedbackSchema = z
  .object({
    kind: z.enum(FEEDBACK_KIND_VALUES).default("failed-test"),
    /** The prompts layer's FeedbackLimits; defaults are its DEFAULT_FEEDBACK_LIMITS. */
    truncation: z
      .object({
        /** Characters per shown field (input, expected, output, traceback), cut to head + tail. */
        fieldChars: posInt().default(DEFAULT_FEEDBACK_LIMITS.fieldChars),
        /** Lines per shown field, cut to head + tail. */
        fieldLines: posInt().default(DEFAULT_FEEDBACK_LIMITS.fieldLines),
        /** Tests described by failed-tests and all-tests. */
        maxTests: posInt().default(DEFAULT_FEEDBACK_LIMITS.maxTests),
        /** Trace: blocks kept from the start and from the end. */
        headBlocks: nonNegInt().default(DEFAULT_FEEDBACK_LIMITS.headBlocks),
        tailBlocks: nonNegInt().default(DEFAULT_FEEDBACK_LIMITS.tailBlocks),
        /** Trace: characters per variable value. */
        valueChars: posInt().default(DEFAULT_FEEDBACK_LIMITS.valueChars),
        /** Trace: variables shown per block. */
        maxVars: posInt().default(DEFAULT_FEEDBACK_LIMITS.maxVars),
        /** Trace: lines shown per block. */
        blockLines: posInt().default(DEFAULT_FEEDBACK_LIMITS.blockLines),
      })
      .strict()
      .default({}),
  })
  .strict();

export const promptsSchema = z
  .object({
    /** Replace a catalogue prompt's template by id. */
    overrides: z.record(z.string({ invalid_type_error: "expected a template string" })).default({}),
    /** A system message sent first in every dialog. */
    system: z.string({ invalid_type_error: "expected a string" }).optional(),
  })
  .strict();

export const runConfigSchema = z
  .object({
    /** Shown by `runs list`; defaults to the folder name. */
    name: str().optional(),
    benchmark: benchmarkSchema,
    model: modelSchema,
    sampling: samplingSchema.default({}),
    strategy: strategySchema.default({}),
    feedback: feedbackSchema.default({}),
    prompts: promptsSchema.default({}),
    /** Language the model is asked to write. */
    language: z.enum(["python", "cpp"]).default("python"),
    trajectoriesPerProblem: posInt().default(1),
    /** Seeds every sample through `seedFor`. */
    seed: nonNegInt().default(0),
    concurrency: z
      .object({
        /** Model requests in flight. */
        model: posInt().default(8),
        /** Test sets being judged at once; default: the number of sandbox workers. */
        sandbox: posInt().optional(),
        /** Verifier batches (one per turn) in flight; default 8. */
        verifier: posInt().optional(),
      })
      .strict()
      .default({}),
    sandbox: z
      .object({
        /** Multiplies every problem's time limit (slower machines, Python on C++ limits). */
        timeLimitScale: num("a positive number").positive("expected a positive number").default(1),
        /** Overrides every problem's memory limit, MiB. */
        memoryMb: posInt().optional(),
        /** Sandbox workers; default one per core. */
        workers: posInt().optional(),
        mode: z.enum(["forkserver", "fresh"]).default("forkserver"),
        /** Default: $CODELOOP_SANDBOX or auto. */
        isolation: z.enum(["auto", "bwrap", "none"]).optional(),
        /**
         * Let programs start subprocesses. Off by default: competitive-programming judges
         * allow none, and without them every limit covers all a test did.
         */
        subprocesses: bool().default(false),
        /**
         * Python runtime of programs: auto (PyPy for Kattis packages when installed, whose
         * time limits are calibrated for it; CPython elsewhere), cpython or pypy.
         */
        python: z.enum(["auto", "cpython", "pypy"]).default("auto"),
      })
      .strict()
      .default({}),
    grading: z
      .object({
        /**
         * Tests the submission is graded on: all (public + hidden, as Zheng et al. evaluate
         * the final submission) or hidden only (private + generated).
         */
        tests: z.enum(["all", "hidden"]).default("all"),
        /** Also grade every turn's code on the hidden tests, not only the submitted code. */
        gradeEveryTurn: bool().default(false),
      })
      .strict()
      .default({}),
    cache: z
      .object({
        enabled: bool().default(true),
        /** Response cache folder; default $CODELOOP_CACHE_DIR or ~/.cache/codeloop. */
        dir: str().optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

/** The config a user writes (defaults may be missing). */
export type RunConfigInput = z.input<typeof runConfigSchema>;
/** The resolved config: every default filled in. */
export type RunConfig = z.output<typeof runConfigSchema>;

/** Checks a prompt id against the prompt catalogue; returns an error message, or undefined if fine. */
export type PromptIdValidator = (
  id: string,
  use: "reasoning" | "instruction" | "override",
  /** The override's template text (use "override"). */
  text?: string,
) => string | undefined;

/**
 * The default check: CoT ids must name a catalogue prompt of the right category; an override
 * must name a catalogue prompt or a template, with only the placeholders that template offers.
 */
export const catalogueValidator: PromptIdValidator = (id, use, text) => {
  if (use === "override") {
    if (listPrompts().some((e) => e.id === id)) return undefined;
    try {
      validateOverrides({ [id]: text ?? "" });
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }
  try {
    getPrompt(id, use);
    return undefined;
  } catch (err) {
    if (err instanceof UnknownPromptError) return err.message;
    throw err;
  }
};

export interface ParseOptions {
  /** File name used in messages. */
  file?: string;
  /**
   * Validates prompt ids in `strategy.cot` and `prompts.overrides`; default `catalogueValidator`
   * (the prompts layer's catalogue and templates), null to skip.
   */
  validatePromptId?: PromptIdValidator | null;
}

export class RunConfigError extends Error {
  constructor(
    message: string,
    /** One line per problem found. */
    readonly problems: string[],
  ) {
    super(message);
    this.name = "RunConfigError";
  }
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let cur = root;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Of a union's failed branches, the one the input was most likely meant for: the branch whose
 * issues do not complain about the input's type or about a discriminating literal.
 */
function bestUnionBranch(unionErrors: z.ZodError[], depth: number): ZodIssue[] {
  let best: ZodIssue[] = [];
  let bestScore = Number.POSITIVE_INFINITY;
  for (const e of unionErrors) {
    let score = e.issues.length;
    for (const i of e.issues) {
      if (i.code === "invalid_type" && i.path.length <= depth) score += 1000;
      if (i.code === "invalid_literal") score += 100;
    }
    if (score < bestScore) {
      bestScore = score;
      best = e.issues;
    }
  }
  return best;
}

function flatten(issues: ZodIssue[]): ZodIssue[] {
  const out: ZodIssue[] = [];
  for (const i of issues) {
    if (i.code === "invalid_union") out.push(...flatten(bestUnionBranch(i.unionErrors, i.path.length)));
    else out.push(i);
  }
  return out;
}

interface Located {
  path: (string | number)[];
  message: string;
}

function describe(issue: ZodIssue, input: unknown): Located[] {
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => ({ path: [...issue.path, k], message: "unknown field" }));
    case "invalid_type":
      if (value === undefined) {
        const msg = issue.message.startsWith("required") ? issue.message : `required (${issue.expected})`;
        return [{ path: issue.path, message: msg }];
      }
      return [
        {
          path: issue.path,
          message: `${issue.message.startsWith("expected") ? issue.message : `expected ${issue.expected}`}, got ${show(value)}`,
        },
      ];
    case "invalid_enum_value":
      return [
        {
          path: issue.path,
          message: `expected one of ${issue.options.map((o) => JSON.stringify(o)).join(", ")}, got ${show(value)}`,
        },
      ];
    case "invalid_literal":
      return [{ path: issue.path, message: `expected ${show(issue.expected)}, got ${show(value)}` }];
    case "custom":
      return [{ path: issue.path, message: issue.message }];
    default:
      return [
        {
          path: issue.path,
          message: value === undefined ? issue.message : `${issue.message}, got ${show(value)}`,
        },
      ];
  }
}

function lineOf(doc: Document | undefined, counter: LineCounter | undefined, path: (string | number)[]) {
  if (!doc || !counter) return undefined;
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && (node as Node).range) return counter.linePos((node as Node).range![0]).line;
  }
  return undefined;
}

function checkPromptIds(cfg: RunConfig, validate: PromptIdValidator): Located[] {
  const out: Located[] = [];
  cfg.strategy.cot.forEach((t, i) => {
    for (const use of ["reasoning", "instruction"] as const) {
      const id = t[use];
      if (id === undefined) continue;
      const err = validate(id, use);
      if (err) out.push({ path: ["strategy", "cot", i, use], message: err });
    }
  });
  for (const [id, text] of Object.entries(cfg.prompts.overrides)) {
    const err = validate(id, "override", text);
    if (err) out.push({ path: ["prompts", "overrides", id], message: err });
  }
  return out;
}

function fail(file: string, found: Located[], doc?: Document, counter?: LineCounter): never {
  const lines = found.map((f) => {
    const line = lineOf(doc, counter, f.path);
    const where = f.path.length > 0 ? f.path.join(".") : "(top level)";
    return `${file}: ${where}: ${f.message}${line !== undefined ? ` (line ${line})` : ""}`;
  });
  throw new RunConfigError(lines.join("\n"), lines);
}

function validateValue(
  value: unknown,
  file: string,
  opts: ParseOptions,
  doc?: Document,
  counter?: LineCounter,
) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    fail(file, [{ path: [], message: `expected a mapping of config fields, got ${show(value)}` }]);
  }
  const result = runConfigSchema.safeParse(value);
  if (!result.success) {
    fail(
      file,
      flatten(result.error.issues).flatMap((i) => describe(i, value)),
      doc,
      counter,
    );
  }
  const validate = opts.validatePromptId === undefined ? catalogueValidator : opts.validatePromptId;
  if (validate) {
    const bad = checkPromptIds(result.data, validate);
    if (bad.length > 0) fail(file, bad, doc, counter);
  }
  return result.data;
}

/** Validates an already parsed config value (e.g. from code, or a stored config.json). */
export function parseRunConfig(value: unknown, opts: ParseOptions = {}): RunConfig {
  return validateValue(value, opts.file ?? "config", opts);
}

/** How a config file's text is read: by extension, else by its first character. */
export function configSyntax(path: string, text: string): "json" | "yaml" {
  const ext = extname(path).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".yaml" || ext === ".yml") return "yaml";
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}

/** Parses config text (YAML or JSON) with file-and-line messages. */
export function parseRunConfigText(
  text: string,
  opts: ParseOptions & { syntax: "json" | "yaml" },
): RunConfig {
  const file = opts.file ?? "config";
  const counter = new LineCounter();
  if (opts.syntax === "json") {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const m = /position (\d+)/.exec((err as Error).message);
      let where = "";
      if (m) {
        const pos = Number(m[1]);
        const before = text.slice(0, pos).split("\n");
        where = ` (line ${before.length}, column ${before[before.length - 1]!.length + 1})`;
      }
      throw new RunConfigError(`${file}: invalid JSON: ${(err as Error).message}${where}`, [
        `${file}: invalid JSON${where}`,
      ]);
    }
    // Valid JSON is valid YAML: the YAML parser gives the line of each field for messages.
    const doc = parseDocument(text, { lineCounter: counter });
    return validateValue(value, file, opts, doc, counter);
  }
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e: YAMLParseError) => {
      const pos = counter.linePos(e.pos[0]);
      const where = `line ${pos.line}, column ${pos.col}`;
      return `${file}: YAML syntax error at ${where}: ${e.message.split("\n")[0]}`;
    });
    throw new RunConfigError(lines.join("\n"), lines);
  }
  return validateValue(doc.toJS(), file, opts, doc, counter);
}

/** Reads and validates a run config file (YAML or JSON). */
export async function loadRunConfig(path: string, opts: Omit<ParseOptions, "file"> = {}): Promise<RunConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new RunConfigError(`${path}: cannot read: ${(err as Error).message}`, [`${path}: cannot read`]);
  }
  return parseRunConfigText(text, { ...opts, file: basename(path), syntax: configSyntax(path, text) });
}

/** The benchmark filters in the problems layer's terms. */
export function problemFilters(cfg: RunConfig): ProblemFilters {
  const f = cfg.benchmark.filters;
  return {
    split: f.split,
    ids: f.ids,
    difficulty: f.difficulty,
    contestDateFrom: f.from,
    contestDateTo: f.to,
    tags: f.tags,
    sample: f.sample,
    seed: f.seed,
    limit: f.limit,
  };
}

/** One line describing a config, for listings. */
export function configSummary(cfg: RunConfig): string {
  const model =
    typeof cfg.model === "string"
      ? cfg.model
      : cfg.model.provider === "openai"
        ? `openai:${cfg.model.model}`
        : `llama:${cfg.model.path ?? cfg.model.hf}`;
  const s = cfg.strategy;
  const budget: { calls?: number; tokens?: number } = s.budget ?? TREE_DEFAULTS.budget;
  const shape =
    s.kind === "tree"
      ? `tree depth=${s.maxTurns} b=${s.branching ?? 1} budget=${[budget.calls !== undefined ? `${budget.calls} calls` : "", budget.tokens !== undefined ? `${budget.tokens} tokens` : ""].filter(Boolean).join("/")}`
      : `${s.kind} T=${s.maxTurns}${s.candidatesPerTurn > 1 ? ` N=${s.candidatesPerTurn}` : ""}`;
  return `${cfg.benchmark.source} | ${model} | ${shape} | feedback=${cfg.feedback.kind} | ${cfg.trajectoriesPerProblem}/problem | seed=${cfg.seed}`;
}
