import { inflateSync } from "node:zlib";
import { pyFromJsonText } from "../../judge/pyvalue.js";
import type { JudgeSpec, TestCase } from "../../judge/types.js";
import { DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIME_LIMIT_SEC, STDIO_COMPARE_NO_CHECKER } from "../defaults.js";
import { type RecordContext, fail, jsonField, optString, reqString } from "../fields.js";
import { unpickle } from "../pickle.js";
import type { Difficulty, Problem } from "../types.js";
import { entryPointFor } from "./taco.js";

export function isLiveCodeBenchRecord(keys: Set<string>): boolean {
  return keys.has("question_content") && keys.has("platform") && keys.has("public_test_cases");
}

/** Release file of increment k: test.jsonl for v1, testK.jsonl after. */
export function lcbFileOfVersion(k: number): string {
  return k === 1 ? "test.jsonl" : `test${k}.jsonl`;
}

/** Version numbers of `test.jsonl`, `test2.jsonl`, ... or undefined for other names. */
export function lcbVersionOfFile(base: string): number | undefined {
  const m = /^test(\d*)\.jsonl(\.gz)?$/.exec(base);
  if (!m) return undefined;
  return m[1] === "" ? 1 : Number(m[1]);
}

/**
 * Which increments a release tag selects: "release_vN" = 1..N (cumulative, as published),
 * "vN" = only N, "vA_vB" = A..B; "release_latest" or no tag = every file present.
 */
export function lcbVersions(tag: string | undefined, available: number[]): number[] {
  if (tag === undefined || tag === "release_latest") return available;
  let m = /^release_v(\d+)$/.exec(tag);
  if (m) return range(1, Number(m[1]));
  m = /^v(\d+)$/.exec(tag);
  if (m) return [Number(m[1])];
  m = /^v(\d+)_v(\d+)$/.exec(tag);
  if (m) return range(Number(m[1]), Number(m[2]));
  throw new Error(`unknown LiveCodeBench release ${JSON.stringify(tag)} (use release_vN, vN or vA_vB)`);
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let k = a; k <= b; k++) out.push(k);
  return out;
}

/** 1 GiB: a zlib bomb should fail loudly rather than take the machine down. */
const MAX_PRIVATE_TESTS_BYTES = 1 << 30;

/** Private tests are plain JSON, or base64 -> zlib -> pickle of the JSON text. */
export function decodePrivateTests(text: string, ctx: RecordContext): unknown {
  const t = text.trimStart();
  if (t.startsWith("[") || t === "") return t === "" ? [] : jsonField(text, "private_test_cases", ctx);
  let json: string;
  try {
    const raw = inflateSync(Buffer.from(text, "base64"), { maxOutputLength: MAX_PRIVATE_TESTS_BYTES });
    const v = unpickle(raw);
    if (typeof v !== "string") throw new Error("the pickle does not hold a string");
    json = v;
  } catch (err) {
    fail(
      ctx,
      "private_test_cases",
      `cannot decode base64/zlib/pickle: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return jsonField(json, "private_test_cases", ctx);
}

function toTests(raw: unknown, field: string, ctx: RecordContext, prefix: string): TestCase[] {
  if (!Array.isArray(raw)) fail(ctx, field, "expected a JSON list of tests");
  return raw.map((t, i): TestCase => {
    const o = t as Record<string, unknown>;
    if (typeof o?.input !== "string" || typeof o.output !== "string") {
      fail(ctx, `${field}[${i}]`, "expected {input, output, testtype} with string input and output");
    }
    const name = `${prefix}-${i}`;
    if (o.testtype === "functional") {
      try {
        // One JSON value per line, one line per argument.
        const args = o.input
          .split("\n")
          .filter((l) => l.trim() !== "")
          .map((l) => pyFromJsonText(l));
        return { kind: "function", name, args, expected: pyFromJsonText(o.output) };
      } catch (err) {
        fail(
          ctx,
          `${field}[${i}]`,
          `bad functional test: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    if (o.testtype !== "stdin")
      fail(
        ctx,
        `${field}[${i}].testtype`,
        `expected "stdin" or "functional", got ${JSON.stringify(o.testtype)}`,
      );
    return { kind: "stdio", name, input: o.input, output: o.output };
  });
}

export function livecodebenchProblem(
  rec: Record<string, unknown>,
  ctx: RecordContext,
  release?: number,
): Problem {
  const id = reqString(rec, "question_id", ctx);
  const starter = optString(rec, "starter_code", ctx) ?? "";
  const metaText = optString(rec, "metadata", ctx) ?? "";
  const meta = (metaText.trim() === "" ? {} : jsonField(metaText, "metadata", ctx)) as Record<
    string,
    unknown
  >;
  const publicTests = toTests(
    jsonField(reqString(rec, "public_test_cases", ctx), "public_test_cases", ctx),
    "public_test_cases",
    ctx,
    "public",
  );
  const privateTests = toTests(
    decodePrivateTests(reqString(rec, "private_test_cases", ctx), ctx),
    "private_test_cases",
    ctx,
    "private",
  );
  const all = [...publicTests, ...privateTests];
  const functional = all.some((t) => t.kind === "function");
  if (functional && all.some((t) => t.kind !== "function"))
    fail(ctx, "public_test_cases", "mixes stdin and functional tests");

  let judge: JudgeSpec;
  if (functional) {
    const fn = typeof meta.func_name === "string" ? meta.func_name : undefined;
    if (!fn) fail(ctx, "metadata", "functional tests need metadata.func_name");
    judge = {
      kind: "function",
      entryPoint: entryPointFor(fn, starter),
      looseSequences: true,
      floatAbsTol: 1e-6,
      floatRelTol: 1e-6,
    };
  } else {
    judge = { kind: "stdio", compare: STDIO_COMPARE_NO_CHECKER };
  }
  const difficulty = (optString(rec, "difficulty", ctx) ?? "").toLowerCase();
  const platform = optString(rec, "platform", ctx) ?? "";
  const contestId = optString(rec, "contest_id", ctx);
  const date = optString(rec, "contest_date", ctx);
  return {
    id,
    benchmark: "livecodebench",
    split: "test",
    title: optString(rec, "question_title", ctx) ?? id,
    statement: reqString(rec, "question_content", ctx),
    starterCode: starter || undefined,
    judge,
    extraJudges: [],
    tests: { public: publicTests, private: privateTests, generated: [] },
    limits: {
      timeLimitSec: DEFAULT_TIME_LIMIT_SEC,
      memoryLimitMb: DEFAULT_MEMORY_LIMIT_MB,
      timeLimitOrigin: "default",
    },
    metadata: {
      difficulty: (["easy", "medium", "hard"].includes(difficulty) ? difficulty : "unknown") as Difficulty,
      difficultyRaw: difficulty || undefined,
      tags: [],
      source: platform || undefined,
      contestDate: date || undefined,
      url: lcbUrl(platform, id, contestId),
      extra: { contestId, release, funcName: meta.func_name },
    },
    solutions: [],
    warnings: [],
    origin: { file: ctx.file, row: ctx.line },
  };
}

function lcbUrl(platform: string, id: string, contestId: string | undefined): string | undefined {
  if (platform === "atcoder" && contestId) return `https://atcoder.jp/contests/${contestId}/tasks/${id}`;
  if (platform === "codeforces") {
    const m = /^(\d+)([A-Z]\d?)$/.exec(id);
    if (m) return `https://codeforces.com/problemset/problem/${m[1]}/${m[2]}`;
  }
  return undefined;
}
