import { readdir, stat } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import { defaultCacheDir } from "./cache.js";
import { ProblemLoadError, errorMessage } from "./errors.js";
import { computeExpectedOutputs, sha256File } from "./expected.js";
import type { RecordContext } from "./fields.js";
import { checkFilters, matchesFilters, sampleProblems } from "./filters.js";
import { codecontestsProblem, codecontestsSplitFromFile } from "./formats/codecontests.js";
import { codecontestsPlusProblem, isCodeContestsPlusRecord } from "./formats/codecontestsplus.js";
import { humanevalProblem, isHumanEvalRecord } from "./formats/humaneval.js";
import { isKattisPackage, kattisPackages, kattisProblem } from "./formats/kattis.js";
import {
  isLiveCodeBenchRecord,
  lcbVersionOfFile,
  lcbVersions,
  livecodebenchProblem,
} from "./formats/livecodebench.js";
import { isMbppRecord, mbppProblem } from "./formats/mbpp.js";
import { isNativeHeader, nativeProblem } from "./formats/native.js";
import { isTacoRecord, tacoProblem } from "./formats/taco.js";
import { isHubSource, resolveHubFiles } from "./hub.js";
import { peekJsonl, readJsonl } from "./readers/jsonl.js";
import { parquetColumns, parquetMetadataOf, readParquetRows } from "./readers/parquet.js";
import type { BenchmarkFormat, LoadOptions, Problem, ProblemFilters } from "./types.js";

/** One data file to read, with what is known about it before reading. */
export interface InputFile {
  file: string;
  format: BenchmarkFormat;
  /** Split named by the file (CodeContests/TACO shards); otherwise the converter decides. */
  split?: string;
  /** Index of the file's first row within its split (TACO ids count across shards). */
  rowOffset?: number;
  /** LiveCodeBench release increment of the file. */
  release?: number;
}

const DATA_FILE = /\.(parquet|jsonl|jsonl\.gz)$/;

/** Format of one record by its fields. */
export function detectRecordFormat(
  keys: Set<string>,
  first?: Record<string, unknown>,
): BenchmarkFormat | undefined {
  if (first && isNativeHeader(first)) return "native";
  if (keys.has("public_tests") && keys.has("private_tests") && keys.has("description")) return "codecontests";
  if (isCodeContestsPlusRecord(keys)) return "codecontests-plus";
  if (isTacoRecord(keys)) return "taco";
  if (isLiveCodeBenchRecord(keys)) return "livecodebench";
  if (isHumanEvalRecord(keys)) return "humaneval";
  if (isMbppRecord(keys)) return "mbpp";
  return undefined;
}

export async function detectFileFormat(file: string): Promise<BenchmarkFormat | undefined> {
  if (file.endsWith(".parquet")) return detectRecordFormat(new Set(await parquetColumns(file)));
  const first = await peekJsonl(file);
  return first ? detectRecordFormat(new Set(Object.keys(first)), first) : undefined;
}

async function dataFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }))) {
      if (e.name.startsWith(".")) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (DATA_FILE.test(e.name)) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

function splitFromName(file: string): string | undefined {
  const m = /^(train|valid|validation|test|dev)(?=[-_.\d])/.exec(basename(file));
  return m?.[1];
}

/** Files (or Kattis packages) a local source stands for, formats decided, LCB releases applied. */
export async function resolveLocal(
  path: string,
  options: LoadOptions,
): Promise<{ files: InputFile[]; kattis: string[] }> {
  const st = await stat(path).catch((err: unknown) => {
    throw new ProblemLoadError(path, `cannot open source: ${errorMessage(err)}`);
  });
  if (
    st.isDirectory() &&
    (options.format === "kattis" || (options.format === undefined && (await isKattisPackage(path))))
  ) {
    return { files: [], kattis: await kattisPackages(path) };
  }
  let candidates: string[];
  if (st.isDirectory()) {
    candidates = await dataFilesUnder(path);
    if (candidates.length === 0) {
      const kattis = await kattisPackages(path);
      if (kattis.length > 0) return { files: [], kattis };
      throw new ProblemLoadError(path, "no problem packages or .parquet/.jsonl/.jsonl.gz files found");
    }
  } else candidates = [path];
  return { files: await classifyFiles(candidates, options, path, st.isDirectory()), kattis: [] };
}

/**
 * Formats of data files, all one format, LCB releases applied and TACO row offsets counted.
 * `skipUnknown`: files of no known format are left out (a folder's other files) instead of failing.
 */
async function classifyFiles(
  candidates: string[],
  options: LoadOptions,
  path: string,
  skipUnknown: boolean,
): Promise<InputFile[]> {
  const files: InputFile[] = [];
  for (const file of candidates) {
    if (skipUnknown && !DATA_FILE.test(file)) continue;
    const format = options.format ?? (await detectFileFormat(file));
    if (format === undefined) {
      if (!skipUnknown) throw new ProblemLoadError(file, "unrecognised format (use --format)");
      continue;
    }
    files.push({ file, format, split: splitFromName(file) });
  }
  const formats = new Set(files.map((f) => f.format));
  if (formats.size === 0) throw new ProblemLoadError(path, "no file in a recognised benchmark format");
  if (formats.size > 1) {
    throw new ProblemLoadError(
      path,
      `mixes formats (${[...formats].join(", ")}): point at one file or pass --format`,
    );
  }
  const format = files[0]!.format;
  if (format === "livecodebench") return selectLcbRelease(files, options.release, path);
  if (format === "taco") await addRowOffsets(files);
  return files;
}

function selectLcbRelease(files: InputFile[], release: string | undefined, where: string): InputFile[] {
  for (const f of files) f.release = lcbVersionOfFile(basename(f.file));
  const versioned = files.filter((f) => f.release !== undefined);
  if (release === undefined) return files;
  let wanted: number[];
  try {
    wanted = lcbVersions(
      release,
      versioned.map((f) => f.release!),
    );
  } catch (err) {
    throw new ProblemLoadError(where, errorMessage(err));
  }
  const out = versioned.filter((f) => wanted.includes(f.release!));
  const missing = wanted.filter((v) => !out.some((f) => f.release === v));
  if (missing.length > 0) {
    throw new ProblemLoadError(
      where,
      `release ${release} needs ${missing.map((v) => (v === 1 ? "test.jsonl" : `test${v}.jsonl`)).join(", ")}`,
    );
  }
  return out;
}

async function addRowOffsets(files: InputFile[]): Promise<void> {
  const seen = new Map<string, number>();
  for (const f of files) {
    const key = f.split ?? "";
    f.rowOffset = seen.get(key) ?? 0;
    if (f.file.endsWith(".parquet"))
      seen.set(key, f.rowOffset + Number((await parquetMetadataOf(f.file)).num_rows));
  }
}

/** Cheap checks on a raw LiveCodeBench row, so filtered-out rows never decode their private tests. */
function lcbRawMatches(rec: Record<string, unknown>, f: ProblemFilters): boolean {
  if (f.ids && !f.ids.includes(String(rec.question_id))) return false;
  const d = typeof rec.contest_date === "string" ? rec.contest_date.slice(0, 10) : undefined;
  if (f.contestDateFrom && (d === undefined || d < f.contestDateFrom)) return false;
  if (f.contestDateTo && (d === undefined || d > f.contestDateTo.slice(0, 10))) return false;
  return true;
}

async function* problemsOfFile(input: InputFile, filters: ProblemFilters): AsyncGenerator<Problem> {
  const { file, format } = input;
  // HumanEval+/MBPP+ expected outputs are cached per dataset file hash.
  const hash = format === "humaneval" || format === "mbpp" ? await sha256File(file) : "";
  if (file.endsWith(".parquet")) {
    const ids = filters.ids;
    // With --ids, only the id column of each row group is read until a wanted problem shows up.
    const keyColumn = format === "codecontests" ? "name" : format === "codecontests-plus" ? "id" : undefined;
    const rows = readParquetRows(
      file,
      keyColumn && ids ? { keyColumn, wantKey: (k) => ids.includes(String(k)) } : {},
    );
    for await (const { row, value } of rows) {
      const ctx: RecordContext = { file, row: row + (input.rowOffset ?? 0) };
      yield convert(input, value, JSON.stringify(value, bigintReplacer), ctx, hash);
    }
    return;
  }
  let first = true;
  for await (const { line, value, text } of readJsonl(file)) {
    if (format === "native" && first) {
      first = false;
      if (!isNativeHeader(value))
        throw new ProblemLoadError(file, "missing codeloop-problems header line", { line });
      if (value.version !== 1)
        throw new ProblemLoadError(file, `unsupported native version ${String(value.version)}`, {
          line,
          field: "version",
        });
      continue;
    }
    first = false;
    if (format === "livecodebench" && !lcbRawMatches(value, filters)) continue;
    yield convert(input, value, text, { file, line }, hash);
  }
}

function bigintReplacer(_key: string, v: unknown): unknown {
  return typeof v === "bigint" ? Number(v) : v;
}

function convert(
  input: InputFile,
  rec: Record<string, unknown>,
  text: string,
  ctx: RecordContext,
  hash: string,
): Problem {
  switch (input.format) {
    case "codecontests":
      return codecontestsProblem(rec, ctx, input.split ?? codecontestsSplitFromFile(input.file));
    case "codecontests-plus":
      // One split on the Hub: train.
      return codecontestsPlusProblem(rec, ctx, input.split ?? "train");
    case "taco":
      return tacoProblem(rec, ctx, input.split ?? "train");
    case "livecodebench":
      return livecodebenchProblem(rec, ctx, input.release);
    case "humaneval":
      return humanevalProblem(rec, text, ctx, hash);
    case "mbpp":
      return mbppProblem(rec, text, ctx, hash);
    case "native":
      return nativeProblem(rec, ctx);
    case "kattis":
      throw new ProblemLoadError(input.file, "Kattis packages are folders, not data files");
  }
}

/** The data files a Hub selection listed (downloaded first), formats decided as for a folder. */
async function hubInputFiles(
  source: string,
  filters: ProblemFilters,
  options: LoadOptions,
): Promise<InputFile[]> {
  const { root, files } = await resolveHubFiles(source, filters, options);
  // In folder order, as for a local copy (TACO ids count rows across shards in that order).
  const segments = (f: string) => relative(root, f).split(sep);
  const byFolder = (a: string, b: string): number => {
    const [x, y] = [segments(a), segments(b)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i] === y[i]) continue;
      // A file sorts among its folder's entries by name; a deeper path by its folder's name.
      return x[i]!.localeCompare(y[i]!, "en", { numeric: true });
    }
    return x.length - y.length;
  };
  return classifyFiles([...files].sort(byFolder), options, root, true);
}

/**
 * Streams the problems of a source that pass the per-problem filters (not sample/limit), in
 * file order. Files whose name shows another split are not opened.
 */
export async function* streamProblems(
  source: string,
  filters: ProblemFilters = {},
  options: LoadOptions = {},
): AsyncGenerator<Problem> {
  checkFilters(filters);
  const { files, kattis } = isHubSource(source)
    ? { files: await hubInputFiles(source, filters, options), kattis: [] }
    : await resolveLocal(source, options);
  for (const pkg of kattis) {
    const p = await kattisProblem(pkg);
    if (matchesFilters(p, filters)) yield p;
  }
  for (const input of files) {
    if (filters.split !== undefined && input.split !== undefined && input.split !== filters.split) {
      continue;
    }
    for await (const p of problemsOfFile(input, filters)) {
      if (matchesFilters(p, filters)) yield p;
    }
  }
}

/**
 * Loads problems from a local file or folder, or `hf:<dataset>[@revision]`, applying filters;
 * then, when `options.computeExpected` is given, fills HumanEval+/MBPP+ function tests.
 */
export async function loadProblems(
  source: string,
  filters: ProblemFilters = {},
  options: LoadOptions = {},
): Promise<Problem[]> {
  const out: Problem[] = [];
  const seen = new Set<string>();
  // Without sampling, stop reading as soon as the limit (or every requested id) is reached.
  const stopAt = filters.sample === undefined ? filters.limit : undefined;
  if (stopAt !== 0) {
    for await (const p of streamProblems(source, filters, options)) {
      if (seen.has(p.id)) {
        throw new ProblemLoadError(p.origin.file, `duplicate problem id ${JSON.stringify(p.id)}`, {
          row: p.origin.row,
        });
      }
      seen.add(p.id);
      out.push(p);
      if (stopAt !== undefined && out.length >= stopAt) break;
      if (filters.ids?.every((id) => seen.has(id))) break;
    }
  }
  let chosen = filters.sample !== undefined ? sampleProblems(out, filters.sample, filters.seed ?? 0) : out;
  if (filters.limit !== undefined) chosen = chosen.slice(0, filters.limit);
  if (options.computeExpected) {
    let last = Date.now();
    await computeExpectedOutputs(chosen, options.computeExpected, options.cacheDir ?? defaultCacheDir(), {
      onProgress: (done, total) => {
        if (done === total || Date.now() - last > 5000) {
          last = Date.now();
          options.log?.(
            `expected outputs: ${done}/${total} problems (canonical solutions run once, then cached)`,
          );
        }
      },
    });
  }
  return chosen;
}

/**
 * The benchmark format a source holds, decided without loading it (a hub source that is not
 * downloaded yet gives undefined): lets a command pick defaults, such as PyPy for Kattis
 * packages, before its sandbox starts.
 */
export async function sourceFormat(
  source: string,
  options: LoadOptions = {},
): Promise<BenchmarkFormat | undefined> {
  if (options.format) return options.format;
  if (isHubSource(source)) return undefined;
  try {
    const { files, kattis } = await resolveLocal(source, options);
    return kattis.length > 0 ? "kattis" : files[0]?.format;
  } catch {
    return undefined;
  }
}
