import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseStatementExamples } from "../../src/problems/examples.js";
import {
  CCPLUS_SOLUTIONS_KEPT,
  codecontestsPlusProblem,
} from "../../src/problems/formats/codecontestsplus.js";
import { selectHubFiles } from "../../src/problems/hub.js";
import {
  DEFAULT_MEMORY_LIMIT_MB,
  DEFAULT_TIME_LIMIT_SEC,
  ProblemLoadError,
  detectFileFormat,
  loadProblems,
  parseHubSource,
  writeNativeJsonl,
} from "../../src/problems/index.js";
import { readParquetRows } from "../../src/problems/readers/parquet.js";
import { TESTLIB_ENV, TESTLIB_MISSING } from "../../src/problems/testlib.js";
import { type HubServer, startHubServer } from "../helpers/hub-server.js";
import {
  DERANGEMENT_CHECKER,
  TINY_TESTLIB,
  ccplusRows,
  writeCcplusJsonl,
  writeCcplusParquet,
} from "./ccplus-fixture.js";
import { dataPath, hasData } from "./data.js";

let tmp: string;
let header: string;
const savedTestlib = process.env[TESTLIB_ENV];
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "codeloop-ccplus-"));
  header = join(tmp, "include", "testlib.h");
  await mkdir(join(tmp, "include"));
  await writeFile(header, TINY_TESTLIB);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
afterEach(() => {
  if (savedTestlib === undefined) delete process.env[TESTLIB_ENV];
  else process.env[TESTLIB_ENV] = savedTestlib;
});

describe("statement examples", () => {
  it("reads CodeContests-style Input/Output pairs, blank lines around them being layout", () => {
    const ex = parseStatementExamples(
      "Print it.\n\nInput\n\nA line.\n\nExamples\n\nInput\n\n\n2\n1 2\n\n\nOutput\n\n\n3 \n\nInput\n\n1\n5\n\nOutput\n\n5\n\nNote\n\nOutput 3.",
    );
    expect(ex).toEqual([
      { input: "2\n1 2\n", output: "3\n" },
      { input: "1\n5\n", output: "5\n" },
    ]);
  });

  it("gives nothing rather than half an example", () => {
    expect(parseStatementExamples("No examples here.\n\nInput\n\n1\n")).toBeUndefined();
    expect(parseStatementExamples("Examples\n\nInput\n\n1\n\nInput\n\n2\n\nOutput\n\n3")).toBeUndefined();
    expect(parseStatementExamples("Example\n\nInput\n\n1\n")).toBeUndefined();
    expect(parseStatementExamples("Example\n\nOutput\n\n1\n")).toBeUndefined();
  });

  it("finds every public test of the real CodeContests sample among its statement's examples", async () => {
    if (!hasData("codecontests-sample", "code_contests-sample.parquet")) return;
    const norm = (s: string) => s.trim().split(/\s+/).join(" ");
    let rows = 0;
    let parsed = 0;
    let inputs = 0;
    for await (const { value } of readParquetRows(
      dataPath("codecontests-sample", "code_contests-sample.parquet"),
    )) {
      rows++;
      const ex = parseStatementExamples(value.description as string);
      if (!ex) continue;
      parsed++;
      const pub = value.public_tests as { input: string[] };
      for (const input of pub.input) {
        inputs++;
        // Outputs may differ: for multi-answer problems the dataset keeps another valid answer.
        expect(
          ex.some((e) => norm(e.input) === norm(input)),
          `${String(value.name)}: ${input}`,
        ).toBe(true);
      }
    }
    expect(rows).toBe(300);
    expect(parsed).toBe(300);
    expect(inputs).toBeGreaterThan(400);
  });
});

describe("CodeContests+ rows", () => {
  const ctx = { file: "part-00000-of-00010.parquet", row: 3 };

  it("maps columns: limits in ms and MB, examples public, test_cases hidden, languages, url, rates", () => {
    process.env[TESTLIB_ENV] = header;
    const p = codecontestsPlusProblem({ ...ccplusRows()[0]! }, ctx, "train");
    expect(p.id).toBe("1010_A");
    expect(p.benchmark).toBe("codecontests-plus");
    expect(p.title).toBe("Derangement");
    expect(p.limits).toEqual({ timeLimitSec: 1, memoryLimitMb: 256, timeLimitOrigin: "dataset" });
    expect(p.tests.public).toEqual([
      { kind: "stdio", name: "example-0", input: "3\n", output: "2 3 1\n" },
      { kind: "stdio", name: "example-1", input: "2\n", output: "2 1\n" },
    ]);
    expect(p.tests.private.map((t) => t.name)).toEqual(["test-0", "test-1", "test-2"]);
    expect(p.solutions.map((s) => [s.language, s.verdict])).toEqual([
      ["python", "accepted"],
      ["cpp", "accepted"],
      ["python", "incorrect"],
    ]);
    expect(p.metadata.url).toBe("https://codeforces.com/problemset/problem/1010/A");
    expect(p.metadata.extra).toMatchObject({
      truePositiveRate: 1,
      trueNegativeRate: 0.98,
      correctSubmissions: 2,
    });
    expect(p.judge).toEqual({
      kind: "stdio",
      compare: { caseSensitive: true, spaceChangeSensitive: false },
      validator: {
        protocol: "testlib",
        language: "cpp",
        sources: [
          { path: "checker.cpp", content: DERANGEMENT_CHECKER },
          { path: "testlib.h", content: TINY_TESTLIB },
        ],
        flags: [],
      },
    });
    expect(p.metadata.extra?.testlibHeader).toBe(`${TESTLIB_ENV}=${header}`);
    expect(p.metadata.unjudgeable).toBeUndefined();
  });

  it("marks a checker that includes testlib.h unjudgeable, with the warning, when no header is known", () => {
    delete process.env[TESTLIB_ENV];
    const p = codecontestsPlusProblem({ ...ccplusRows()[0]! }, ctx, "train");
    expect(p.metadata.unjudgeable).toBe(TESTLIB_MISSING);
    expect(TESTLIB_MISSING).toBe("checker needs testlib.h: set CODELOOP_TESTLIB=/path/to/testlib.h");
    expect(p.warnings).toContain(TESTLIB_MISSING);
    // A checker that needs no header is judgeable without one.
    const sqrt = codecontestsPlusProblem({ ...ccplusRows()[1]! }, ctx, "train");
    expect(sqrt.metadata.unjudgeable).toBeUndefined();
    expect(sqrt.judge.kind === "stdio" && sqrt.judge.validator?.sources.map((s) => s.path)).toEqual([
      "checker.cpp",
    ]);
  });

  it("takes the header from the row's own testlib column before CODELOOP_TESTLIB", () => {
    process.env[TESTLIB_ENV] = header;
    const p = codecontestsPlusProblem(
      { ...ccplusRows()[0]!, testlib: "// the dataset's copy\n" },
      ctx,
      "train",
    );
    expect(p.judge.kind === "stdio" && p.judge.validator?.sources[1]).toEqual({
      path: "testlib.h",
      content: "// the dataset's copy\n",
    });
  });

  it("fails clearly when CODELOOP_TESTLIB names no file", () => {
    process.env[TESTLIB_ENV] = join(tmp, "nowhere", "testlib.h");
    expect(() => codecontestsPlusProblem({ ...ccplusRows()[0]! }, ctx, "train")).toThrow(
      /nowhere\/testlib\.h: CODELOOP_TESTLIB must name an existing file/,
    );
  });

  it("without a checker: token comparison, the multi-answer warning; defaults for zero limits", () => {
    const p = codecontestsPlusProblem(
      { ...ccplusRows()[2]!, description: "Print any of them.\n\nExamples\n\nInput\n\n1\n\nOutput\n\n1\n" },
      ctx,
      "train",
    );
    expect(p.judge).toEqual({
      kind: "stdio",
      compare: { caseSensitive: false, spaceChangeSensitive: false, floatAbsTol: 1e-6, floatRelTol: 1e-6 },
    });
    expect(p.limits).toEqual({
      timeLimitSec: DEFAULT_TIME_LIMIT_SEC,
      memoryLimitMb: DEFAULT_MEMORY_LIMIT_MB,
      timeLimitOrigin: "default",
    });
    expect(p.warnings.join("\n")).toMatch(/several correct outputs.*no checker/);
    expect(p.warnings.join("\n")).toMatch(/test_cases is empty/);
    const none = codecontestsPlusProblem({ ...ccplusRows()[2]! }, ctx, "train");
    expect(none.tests.public).toEqual([]);
    expect(none.warnings.join("\n")).toMatch(/no examples found in the statement/);
  });

  it("accepts lists as JSON text and as CodeContests-style parallel lists, and caps kept submissions", () => {
    const many = Array.from({ length: CCPLUS_SOLUTIONS_KEPT + 10 }, (_, i) => ({
      code: `print(${i})`,
      language: "py3",
    }));
    const p = codecontestsPlusProblem(
      {
        ...ccplusRows()[1]!,
        test_cases: JSON.stringify([{ input: "4\n", output: "2\n" }]),
        correct_submissions: many,
        incorrect_submissions: { code: ["x"], language: ["java"] },
        time_limit: 2500n,
        memory_limit: 268435456n,
      },
      ctx,
      "train",
    );
    expect(p.tests.private).toEqual([{ kind: "stdio", name: "test-0", input: "4\n", output: "2\n" }]);
    expect(p.solutions.filter((s) => s.verdict === "accepted")).toHaveLength(CCPLUS_SOLUTIONS_KEPT);
    expect(p.metadata.extra?.correctSubmissions).toBe(CCPLUS_SOLUTIONS_KEPT + 10);
    expect(p.solutions.at(-1)).toEqual({ language: "java", code: "x", verdict: "incorrect" });
    // Bytes, recognised by their size, as CodeContests writes memory limits.
    expect(p.limits).toMatchObject({ timeLimitSec: 2.5, memoryLimitMb: 268 });
  });

  it("names file, row and field of a malformed value", () => {
    const bad = { ...ccplusRows()[1]!, test_cases: [{ input: "1\n", output: 2 }] };
    expect(() => codecontestsPlusProblem(bad, ctx, "train")).toThrow(ProblemLoadError);
    expect(() => codecontestsPlusProblem(bad, ctx, "train")).toThrow(
      "part-00000-of-00010.parquet row 3 field test_cases[0].output: expected a string, got number",
    );
  });
});

describe("CodeContests+ files", () => {
  it("detects and loads parquet (row group by row group) and the same rows as JSONL alike", async () => {
    process.env[TESTLIB_ENV] = header;
    const dir = join(tmp, "files");
    await mkdir(dir);
    const rows = ccplusRows();
    await writeCcplusParquet(join(dir, "part-00000-of-00001.parquet"), rows, 1);
    await writeCcplusJsonl(join(dir, "ccplus.jsonl"), rows);
    expect(await detectFileFormat(join(dir, "part-00000-of-00001.parquet"))).toBe("codecontests-plus");
    expect(await detectFileFormat(join(dir, "ccplus.jsonl"))).toBe("codecontests-plus");
    const fromParquet = await loadProblems(join(dir, "part-00000-of-00001.parquet"));
    const fromJsonl = await loadProblems(join(dir, "ccplus.jsonl"));
    const strip = (ps: typeof fromParquet) => ps.map(({ origin: _o, ...p }) => p);
    expect(strip(fromParquet)).toEqual(strip(fromJsonl));
    expect(fromParquet.map((p) => [p.id, p.split, p.tests.public.length, p.tests.private.length])).toEqual([
      ["1010_A", "train", 2, 3],
      ["1020_B", "train", 1, 2],
      ["1030_C", "train", 0, 0],
    ]);
    expect(fromParquet[1]!.origin).toEqual({ file: join(dir, "part-00000-of-00001.parquet"), row: 1 });
    // --ids reads the id column first and decodes only the row group holding the problem.
    const one = await loadProblems(join(dir, "part-00000-of-00001.parquet"), { ids: ["1020_B"] });
    expect(one.map((p) => p.id)).toEqual(["1020_B"]);
  });

  it("takes testlib.h shipped beside the data over CODELOOP_TESTLIB", async () => {
    process.env[TESTLIB_ENV] = header;
    const dir = join(tmp, "with-header");
    await mkdir(join(dir, "ccplus_1x"), { recursive: true });
    await writeFile(join(dir, "testlib.h"), "// shipped with the dataset\n");
    await writeCcplusParquet(join(dir, "ccplus_1x", "part-00000-of-00020.parquet"), ccplusRows().slice(0, 1));
    const [p] = await loadProblems(dir);
    expect(p!.judge.kind === "stdio" && p!.judge.validator?.sources[1]?.content).toBe(
      "// shipped with the dataset\n",
    );
    expect(p!.metadata.extra?.testlibHeader).toBe(join(dir, "testlib.h"));
  });

  it("keeps the checker protocol through codeloop's native JSONL", async () => {
    process.env[TESTLIB_ENV] = header;
    const file = join(tmp, "native.jsonl");
    const dir = join(tmp, "native-src");
    await mkdir(dir);
    await writeCcplusJsonl(join(dir, "ccplus.jsonl"), ccplusRows());
    const ps = await loadProblems(join(dir, "ccplus.jsonl"));
    await writeNativeJsonl(ps, file);
    const back = await loadProblems(file);
    expect(back[0]!.judge).toEqual(ps[0]!.judge);
    expect(back[0]!.judge.kind === "stdio" && back[0]!.judge.validator?.protocol).toBe("testlib");
    expect(back[0]!.metadata.unjudgeable).toBeUndefined();
    expect((await readFile(file, "utf8")).includes('"protocol":"testlib"')).toBe(true);
    // An unjudgeable problem stays unjudgeable.
    delete process.env[TESTLIB_ENV];
    const missing = await loadProblems(join(dir, "ccplus.jsonl"), { ids: ["1010_A"] });
    await writeNativeJsonl(missing, file);
    expect((await loadProblems(file))[0]!.metadata.unjudgeable).toBe(TESTLIB_MISSING);
  });
});

describe("hf:ByteDance-Seed/Code-Contests-Plus configs", () => {
  const DATASET = "ByteDance-Seed/Code-Contests-Plus";
  const entries = [
    "README.md",
    "LICENSE",
    "paper.pdf",
    "part-00000-of-00010.parquet",
    "part-00001-of-00010.parquet",
    "ccplus_1x/part-00000-of-00020.parquet",
    "ccplus_1x/part-00001-of-00020.parquet",
    "ccplus_3x/part-00000-of-00020.parquet",
  ].map((path) => ({ path }));

  it("parses hf:<dataset>[:config][@revision]", () => {
    expect(parseHubSource(`hf:${DATASET}:3x@main`)).toEqual({
      dataset: DATASET,
      revision: "main",
      config: "3x",
    });
    expect(parseHubSource(`hf:${DATASET}`)).toEqual({ dataset: DATASET, revision: "main" });
    expect(parseHubSource("hf:a/b@refs/convert/parquet").config).toBeUndefined();
  });

  it("picks the root shards by default and ccplus_<N>x/ for a config, never every config", () => {
    const paths = (config?: string) =>
      selectHubFiles(DATASET, entries, {}, undefined, config).map((f) => f.path);
    expect(paths()).toEqual(["part-00000-of-00010.parquet", "part-00001-of-00010.parquet"]);
    expect(paths("default")).toEqual(paths());
    expect(paths("1x")).toEqual([
      "ccplus_1x/part-00000-of-00020.parquet",
      "ccplus_1x/part-00001-of-00020.parquet",
    ]);
    expect(paths("3x")).toEqual(["ccplus_3x/part-00000-of-00020.parquet"]);
    expect(() => paths("9x")).toThrow(/has no config "9x": use one of default, 1x, 2x, 3x, 4x, 5x/);
  });

  describe("against a local Hub", () => {
    let hub: HubServer;
    beforeAll(async () => {
      const dir = join(tmp, "hub-src");
      await mkdir(dir);
      const rows = ccplusRows();
      await writeCcplusParquet(join(dir, "root.parquet"), rows.slice(2));
      await writeCcplusParquet(join(dir, "1x.parquet"), rows.slice(0, 2), 2);
      const read = (f: string) => readFile(join(dir, f));
      hub = await startHubServer([
        {
          id: DATASET,
          revisions: {
            main: {
              "README.md": Buffer.from("# CodeContests+\n"),
              "testlib.h": Buffer.from(TINY_TESTLIB),
              "part-00000-of-00010.parquet": await read("root.parquet"),
              "ccplus_1x/part-00000-of-00020.parquet": await read("1x.parquet"),
            },
          },
        },
      ]);
    });
    afterAll(async () => {
      await hub?.close();
    });

    it("downloads only the config's shards and the dataset's testlib.h, and reads only those", async () => {
      delete process.env[TESTLIB_ENV];
      const cacheDir = join(tmp, "hub-cache");
      const ps = await loadProblems(`hf:${DATASET}:1x`, {}, { hubEndpoint: hub.url, cacheDir });
      expect(ps.map((p) => p.id)).toEqual(["1010_A", "1020_B"]);
      const downloads = hub.requests
        .filter((r) => r.path.startsWith("/cdn/"))
        .map((r) => r.path.split("/main/")[1]);
      expect(downloads.sort()).toEqual(["ccplus_1x/part-00000-of-00020.parquet", "testlib.h"]);
      // The header came from the snapshot: the checker is judgeable without CODELOOP_TESTLIB.
      expect(ps[0]!.metadata.unjudgeable).toBeUndefined();
      expect(ps[0]!.judge.kind === "stdio" && ps[0]!.judge.validator?.sources[1]?.content).toBe(TINY_TESTLIB);
      // The default config shares the snapshot folder but reads its own shards only.
      const def = await loadProblems(`hf:${DATASET}`, {}, { hubEndpoint: hub.url, cacheDir });
      expect(def.map((p) => p.id)).toEqual(["1030_C"]);
      // Offline, each config's cached listing still selects its own files.
      const offline = await loadProblems(`hf:${DATASET}:1x`, {}, { cacheDir, offline: true });
      expect(offline.map((p) => p.id)).toEqual(["1010_A", "1020_B"]);
    });
  });
});
