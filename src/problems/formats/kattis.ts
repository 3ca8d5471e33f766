import { readFile, readdir, stat } from "node:fs/promises";
import { basename, extname, join, relative } from "node:path";
import { YAMLParseError, parse as parseYaml } from "yaml";
import { parseValidatorFlags } from "../../judge/compare.js";
import type { CompareOptions, JudgeSpec, OutputValidator, TestCase } from "../../judge/types.js";
import {
  KATTIS_DEFAULT_MEMORY_LIMIT_MB,
  KATTIS_DEFAULT_SAFETY_MARGIN,
  KATTIS_DEFAULT_TIME_MULTIPLIER,
  KATTIS_FALLBACK_TIME_LIMIT_SEC,
} from "../defaults.js";
import { ProblemLoadError, errorMessage } from "../errors.js";
import type { Limits, Problem, ReferenceSolution } from "../types.js";

const byName = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** True when `dir` is one problem package. */
export async function isKattisPackage(dir: string): Promise<boolean> {
  return (await exists(join(dir, "problem.yaml"))) && (await isDir(join(dir, "data")));
}

/** Package folders: `dir` itself, or its immediate subfolders that are packages. */
export async function kattisPackages(dir: string): Promise<string[]> {
  if (await isKattisPackage(dir)) return [dir];
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => byName(a.name, b.name))) {
    if (await exists(join(dir, e.name, "problem.yaml"))) out.push(join(dir, e.name));
  }
  return out;
}

/** Maps Kattis `validator_flags` onto CompareOptions; a malformed flag names the file and field. */
export function compareFromValidatorFlags(
  flags: string[],
  where: string,
): { compare: CompareOptions; unknown: string[] } {
  try {
    return parseValidatorFlags(flags);
  } catch (err) {
    throw new ProblemLoadError(where, (err as Error).message, { field: "validator_flags" });
  }
}

const LANGUAGE_BY_EXT: Record<string, string> = {
  ".py": "python",
  ".py3": "python",
  ".py2": "python2",
  ".cc": "cpp",
  ".cpp": "cpp",
  ".cxx": "cpp",
  ".c++": "cpp",
  ".h": "cpp",
  ".hpp": "cpp",
  ".c": "c",
  ".java": "java",
  ".kt": "kotlin",
  ".rs": "rust",
  ".go": "go",
  ".js": "javascript",
  ".cs": "csharp",
  ".rb": "ruby",
};

export function languageOfFile(path: string, content?: string): string {
  const lang = LANGUAGE_BY_EXT[extname(path).toLowerCase()] ?? "unknown";
  if (lang === "python" && content !== undefined && /^#!.*python2/.test(content)) return "python2";
  return lang;
}

/** Kattis submissions folder name -> verdict. */
const VERDICT_BY_FOLDER: Record<string, string> = {
  accepted: "accepted",
  wrong_answer: "wrong_answer",
  time_limit_exceeded: "time_limit",
  run_time_error: "runtime_error",
  runtime_error: "runtime_error",
  memory_limit_exceeded: "memory_limit",
  output_limit_exceeded: "output_limit",
  compile_error: "compile_error",
};

async function listFiles(dir: string): Promise<string[]> {
  if (!(await isDir(dir))) return [];
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => byName(a.name, b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new ProblemLoadError(path, `cannot read: ${errorMessage(err)}`);
  }
}

async function testsIn(pkg: string, group: "sample" | "secret"): Promise<TestCase[]> {
  const dir = join(pkg, "data", group);
  const files = (await listFiles(dir)).filter((f) => f.endsWith(".in"));
  const out: TestCase[] = [];
  for (const inFile of files) {
    const ansFile = `${inFile.slice(0, -3)}.ans`;
    if (!(await exists(ansFile))) throw new ProblemLoadError(ansFile, "missing answer file for test input");
    out.push({
      kind: "stdio",
      name: relative(join(pkg, "data"), inFile).slice(0, -3).split("\\").join("/"),
      input: await readText(inFile),
      output: await readText(ansFile),
    });
  }
  return out;
}

async function submissions(pkg: string): Promise<ReferenceSolution[]> {
  const root = join(pkg, "submissions");
  if (!(await isDir(root))) return [];
  const out: ReferenceSolution[] = [];
  for (const folder of (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory())) {
    const verdict = VERDICT_BY_FOLDER[folder.name] ?? folder.name;
    for (const file of await listFiles(join(root, folder.name))) {
      const code = await readText(file);
      out.push({
        language: languageOfFile(file, code),
        code,
        verdict,
        path: relative(pkg, file).split("\\").join("/"),
      });
    }
  }
  return out.sort((a, b) => byName(a.path!, b.path!));
}

async function outputValidator(pkg: string, flags: string[]): Promise<OutputValidator | string> {
  // Legacy packages use output_validators/<name>/..., the 2023 draft output_validator/.
  const files = [
    ...(await listFiles(join(pkg, "output_validators"))),
    ...(await listFiles(join(pkg, "output_validator"))),
  ];
  if (files.length === 0) return "validation is custom but the package has no output_validators/ folder";
  const langs = new Set(files.map((f) => languageOfFile(f)).filter((l) => l !== "unknown"));
  const language = langs.has("cpp") ? "cpp" : langs.size === 1 && langs.has("python") ? "python" : undefined;
  if (language === undefined) {
    return `custom output validator in ${[...langs].join(", ") || "an unknown language"} is not supported (only C++ and Python)`;
  }
  const sources = await Promise.all(
    files.map(async (f) => ({ path: relative(pkg, f).split("\\").join("/"), content: await readText(f) })),
  );
  return { sources, language, flags };
}

function yamlName(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v && typeof v === "object") {
    const m = v as Record<string, unknown>;
    const en = m.en ?? Object.values(m)[0];
    return typeof en === "string" ? en : undefined;
  }
  return undefined;
}

async function statementOf(pkg: string): Promise<string> {
  for (const dir of ["problem_statement", "statement"]) {
    for (const name of ["problem.en.md", "problem.md", "problem.en.tex", "problem.tex"]) {
      const p = join(pkg, dir, name);
      if (await exists(p)) return readText(p);
    }
  }
  return "";
}

function positiveNumber(v: unknown, file: string, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new ProblemLoadError(file, `expected a positive number, got ${JSON.stringify(v)}`, { field });
  return n;
}

/**
 * Time limit from a multiplier and the slowest accepted submission's time (as `validate` measures
 * it), rounded up to whole seconds like `.timelimit` files, at least 1 s.
 */
export function kattisTimeLimit(limits: Limits, slowestAcceptedSec: number): Limits {
  const multiplier = limits.timeMultiplier ?? KATTIS_DEFAULT_TIME_MULTIPLIER;
  return {
    ...limits,
    timeLimitSec: Math.max(1, Math.ceil(slowestAcceptedSec * multiplier - 1e-9)),
    timeLimitOrigin: "measured",
  };
}

export async function kattisProblem(pkg: string): Promise<Problem> {
  const yamlFile = join(pkg, "problem.yaml");
  const yamlText = await readText(yamlFile);
  let config: Record<string, unknown>;
  try {
    const parsed: unknown = parseYaml(yamlText) ?? {};
    if (typeof parsed !== "object" || Array.isArray(parsed))
      throw new Error("expected a mapping at the top level");
    config = parsed as Record<string, unknown>;
  } catch (err) {
    const line = err instanceof YAMLParseError ? err.linePos?.[0]?.line : undefined;
    throw new ProblemLoadError(
      yamlFile,
      `invalid YAML: ${errorMessage(err).split("\n")[0]}`,
      { line },
      { cause: err },
    );
  }
  const id = basename(pkg);
  const warnings: string[] = [];

  const limitsRaw = config.limits ?? {};
  if (typeof limitsRaw !== "object" || limitsRaw === null) {
    throw new ProblemLoadError(yamlFile, "expected a mapping", { field: "limits" });
  }
  const lim = limitsRaw as Record<string, unknown>;
  const timeMultiplier =
    positiveNumber(lim.time_multiplier, yamlFile, "limits.time_multiplier") ?? KATTIS_DEFAULT_TIME_MULTIPLIER;
  const timeSafetyMargin =
    positiveNumber(lim.time_safety_margin, yamlFile, "limits.time_safety_margin") ??
    KATTIS_DEFAULT_SAFETY_MARGIN;
  const memoryLimitMb =
    positiveNumber(lim.memory, yamlFile, "limits.memory") ?? KATTIS_DEFAULT_MEMORY_LIMIT_MB;
  let timeLimitSec = KATTIS_FALLBACK_TIME_LIMIT_SEC;
  let timeLimitOrigin: Limits["timeLimitOrigin"] = "default";
  const tlFile = join(pkg, ".timelimit");
  if (await exists(tlFile)) {
    const text = (await readText(tlFile)).trim();
    const v = Number(text);
    if (!Number.isFinite(v) || v <= 0)
      throw new ProblemLoadError(tlFile, `expected a number of seconds, got ${JSON.stringify(text)}`);
    timeLimitSec = v;
    timeLimitOrigin = "timelimit-file";
  } else if (lim.time !== undefined) {
    // The 2023 draft format may state the limit directly.
    timeLimitSec = positiveNumber(lim.time, yamlFile, "limits.time")!;
    timeLimitOrigin = "dataset";
  } else {
    warnings.push(
      `no .timelimit: using ${KATTIS_FALLBACK_TIME_LIMIT_SEC} s until validate measures accepted submissions (x${timeMultiplier})`,
    );
  }

  const validation =
    typeof config.validation === "string" ? config.validation.trim().split(/\s+/) : ["default"];
  const flagsRaw = config.validator_flags;
  if (flagsRaw !== undefined && typeof flagsRaw !== "string") {
    throw new ProblemLoadError(yamlFile, "expected a string", { field: "validator_flags" });
  }
  const flags = (flagsRaw ?? "").split(/\s+/).filter((f) => f !== "");
  const interactive = validation.includes("interactive");
  let judge: JudgeSpec;
  let unjudgeable: string | undefined;
  if (validation[0] === "custom") {
    const validator = await outputValidator(pkg, flags);
    if (typeof validator === "string") {
      // Token comparison cannot stand in for a custom validator: the problem accepts answers
      // the .ans files do not hold, so correct programs would be scored wrong.
      unjudgeable = validator;
      warnings.push(`unjudgeable: ${validator}; token comparison would reject correct answers`);
      judge = { kind: "stdio", compare: compareFromValidatorFlags(flags, yamlFile).compare };
    } else {
      judge = { kind: "stdio", compare: compareFromValidatorFlags([], yamlFile).compare, validator };
    }
  } else if (validation[0] === "default") {
    const { compare, unknown } = compareFromValidatorFlags(flags, yamlFile);
    if (unknown.length > 0) warnings.push(`ignored unknown validator_flags: ${unknown.join(" ")}`);
    judge = { kind: "stdio", compare };
  } else {
    throw new ProblemLoadError(yamlFile, `unknown validation ${JSON.stringify(config.validation)}`, {
      field: "validation",
    });
  }
  if (interactive)
    warnings.push("interactive problem: needs the interactor, output comparison cannot judge it");

  const statement = await statementOf(pkg);
  const title = yamlName(config.name) ?? /\\problemname\{([^}]*)\}/.exec(statement)?.[1] ?? id;
  const solutions = await submissions(pkg);
  if (!solutions.some((s) => s.verdict === "accepted"))
    warnings.push("no accepted submissions in the package");
  const keywords = typeof config.keywords === "string" ? config.keywords.split(/\s+/).filter(Boolean) : [];

  return {
    id,
    benchmark: "kattis",
    split: "test",
    title,
    statement,
    judge,
    extraJudges: [],
    tests: { public: await testsIn(pkg, "sample"), private: await testsIn(pkg, "secret"), generated: [] },
    limits: { timeLimitSec, memoryLimitMb, timeLimitOrigin, timeMultiplier, timeSafetyMargin },
    metadata: {
      difficulty: "unknown",
      tags: keywords,
      source: typeof config.source === "string" ? config.source : undefined,
      url: typeof config.source_url === "string" ? config.source_url : undefined,
      interactive: interactive || undefined,
      unjudgeable,
      extra: {
        author: config.author,
        license: config.license,
        rightsOwner: config.rights_owner,
        validation: validation.join(" "),
      },
    },
    solutions,
    warnings,
    origin: { file: pkg },
  };
}
