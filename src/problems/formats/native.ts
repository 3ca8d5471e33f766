import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { z } from "zod";
import type { PyValue } from "../../judge/pyvalue.js";
import { ProblemLoadError } from "../errors.js";
import type { RecordContext } from "../fields.js";
import { BENCHMARK_FORMATS, type Problem } from "../types.js";

/** First line of a native file; every other line is one Problem as JSON. */
export const NATIVE_HEADER = { format: "codeloop-problems", version: 1 } as const;

export function isNativeHeader(v: Record<string, unknown>): boolean {
  return v.format === NATIVE_HEADER.format;
}

const floatValue = z.union([z.number(), z.literal("nan"), z.literal("inf"), z.literal("-inf")]);
const pyValue: z.ZodType<PyValue> = z.lazy(() =>
  z.union([
    z.tuple([z.literal("N")]),
    z.tuple([z.literal("b"), z.boolean()]),
    z.tuple([z.literal("i"), z.string().regex(/^-?(?:\d+|0x[0-9a-f]+)$/)]),
    z.tuple([z.literal("f"), floatValue]),
    z.tuple([z.literal("s"), z.string()]),
    z.tuple([z.literal("y"), z.string()]),
    z.tuple([z.enum(["l", "t", "S", "F"]), z.array(pyValue)]),
    z.tuple([z.literal("d"), z.array(z.tuple([pyValue, pyValue]))]),
    z.tuple([z.literal("o"), z.string(), z.string()]),
  ]),
) as z.ZodType<PyValue>;

const compare = z.object({
  caseSensitive: z.boolean(),
  spaceChangeSensitive: z.boolean(),
  floatAbsTol: z.number().optional(),
  floatRelTol: z.number().optional(),
});

const judgeSpec = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("stdio"),
    compare,
    validator: z
      .object({
        protocol: z.enum(["kattis", "testlib"]).optional(),
        sources: z.array(z.object({ path: z.string(), content: z.string() })),
        language: z.enum(["python", "cpp"]),
        flags: z.array(z.string()),
      })
      .optional(),
  }),
  z.object({
    kind: z.literal("function"),
    entryPoint: z.string().min(1),
    floatAbsTol: z.number().optional(),
    floatRelTol: z.number().optional(),
    looseSequences: z.boolean().optional(),
    pythonEquality: z.boolean().optional(),
  }),
  z.object({
    kind: z.literal("assert"),
    setup: z.string().optional(),
    context: z.string().optional(),
    entryPoint: z.string().min(1).optional(),
  }),
]);

const assertCheck = z.discriminatedUnion("op", [
  z.object({
    op: z.enum(["eq", "ne"]),
    expected: pyValue,
    wrap: z.enum(["set", "frozenset", "tuple", "list"]).optional(),
  }),
  z.object({ op: z.literal("isclose"), expected: pyValue, relTol: z.number(), absTol: z.number() }),
  z.object({ op: z.literal("absdiff"), expected: pyValue, tol: z.number(), inclusive: z.boolean() }),
  z.object({ op: z.enum(["truthy", "falsy"]) }),
  z.object({ op: z.enum(["is", "isnot"]), expected: pyValue }),
]);

const assertCall = z.object({
  args: z.array(pyValue),
  kwargs: z.array(z.tuple([z.string(), pyValue])).optional(),
  check: assertCheck,
});

const testCase = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("stdio"), name: z.string().optional(), input: z.string(), output: z.string() }),
  z.object({
    kind: z.literal("function"),
    name: z.string().optional(),
    args: z.array(pyValue),
    expected: pyValue,
  }),
  z.object({
    kind: z.literal("assert"),
    name: z.string().optional(),
    script: z.string(),
    call: assertCall.optional(),
  }),
]);

export const problemSchema = z.object({
  id: z.string().min(1),
  benchmark: z.enum(BENCHMARK_FORMATS as [Problem["benchmark"], ...Problem["benchmark"][]]),
  split: z.string(),
  title: z.string(),
  statement: z.string(),
  starterCode: z.string().optional(),
  judge: judgeSpec,
  extraJudges: z.array(judgeSpec).default([]),
  tests: z.object({
    public: z.array(testCase),
    private: z.array(testCase),
    generated: z.array(testCase).default([]),
  }),
  limits: z.object({
    timeLimitSec: z.number().positive(),
    memoryLimitMb: z.number().positive(),
    timeLimitOrigin: z.enum(["dataset", "default", "timelimit-file", "measured"]).default("dataset"),
    timeMultiplier: z.number().positive().optional(),
    timeSafetyMargin: z.number().positive().optional(),
  }),
  metadata: z.object({
    difficulty: z.enum(["easy", "medium", "hard", "unknown"]).default("unknown"),
    difficultyRaw: z.string().optional(),
    rating: z.number().optional(),
    tags: z.array(z.string()).default([]),
    source: z.string().optional(),
    contestDate: z.string().optional(),
    url: z.string().optional(),
    inputFile: z.string().optional(),
    outputFile: z.string().optional(),
    interactive: z.boolean().optional(),
    unjudgeable: z.string().optional(),
    extra: z.record(z.unknown()).optional(),
  }),
  solutions: z
    .array(
      z.object({ language: z.string(), code: z.string(), verdict: z.string(), path: z.string().optional() }),
    )
    .default([]),
  warnings: z.array(z.string()).default([]),
  pendingExpected: z
    .object({
      canonicalCode: z.string(),
      entryPoint: z.string(),
      privateArgs: z.array(z.array(pyValue)),
      generatedArgs: z.array(z.array(pyValue)),
      datasetHash: z.string(),
    })
    .optional(),
  origin: z.object({ file: z.string(), row: z.number().optional() }).optional(),
});

/** One native line -> Problem; the origin becomes this file and line. */
export function nativeProblem(rec: Record<string, unknown>, ctx: RecordContext): Problem {
  const r = problemSchema.safeParse(rec);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ProblemLoadError(ctx.file, issue.message, {
      line: ctx.line,
      field: issue.path.join(".") || "(line)",
    });
  }
  const kinds = new Set([r.data.judge.kind, ...r.data.extraJudges.map((j) => j.kind)]);
  for (const group of ["public", "private", "generated"] as const) {
    for (const [i, t] of r.data.tests[group].entries()) {
      if (!kinds.has(t.kind)) {
        throw new ProblemLoadError(ctx.file, `a ${t.kind} test but no ${t.kind} judge spec`, {
          line: ctx.line,
          field: `tests.${group}.${i}`,
        });
      }
    }
  }
  return { ...(r.data as Problem), origin: { file: ctx.file, row: ctx.line } };
}

/** Writes problems as native JSONL (header line first); origin is dropped, it is re-derived on read. */
export async function writeNativeJsonl(
  problems: Iterable<Problem> | AsyncIterable<Problem>,
  file: string,
): Promise<number> {
  const out = createWriteStream(file);
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, "drain");
  };
  let n = 0;
  try {
    await write(JSON.stringify(NATIVE_HEADER));
    for await (const p of problems) {
      const { origin: _origin, ...rest } = p;
      await write(JSON.stringify(rest));
      n++;
    }
  } finally {
    out.end();
    await once(out, "close");
  }
  return n;
}
