import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HubError, downloadFile, loadProblems, parseHubSource } from "../../src/problems/index.js";
import { type HubServer, startHubServer } from "../helpers/hub-server.js";
import { dataPath, hasData } from "./data.js";

const lcbRow = (id: string, date: string) =>
  JSON.stringify({
    question_title: `Problem ${id}`,
    question_content: "Print A+B.",
    platform: "atcoder",
    question_id: id,
    contest_id: "abc300",
    contest_date: date,
    starter_code: "",
    difficulty: "easy",
    public_test_cases: JSON.stringify([{ input: "1 2\n", output: "3\n", testtype: "stdin" }]),
    private_test_cases: JSON.stringify([{ input: "2 2\n", output: "4\n", testtype: "stdin" }]),
    metadata: "{}",
  });

const LCB = "livecodebench/code_generation_lite";
const lcbFiles = {
  "README.md": Buffer.from("# LiveCodeBench\n"),
  "code_generation_lite.py": Buffer.from("# loading script\n"),
  "test.jsonl": Buffer.from(
    `${lcbRow("abc300_a", "2023-04-29T00:00:00")}\n${lcbRow("abc300_b", "2023-04-29T00:00:00")}\n`,
  ),
  "test2.jsonl": Buffer.from(`${lcbRow("abc320_a", "2023-09-16T00:00:00")}\n`),
};

function tacoParquet(): Buffer {
  const columns = [
    "question",
    "solutions",
    "starter_code",
    "input_output",
    "difficulty",
    "tags",
    "raw_tags",
    "skill_types",
  ];
  const row: Record<string, string> = {
    question: "Print A+B.",
    solutions: "[]",
    starter_code: "",
    input_output: JSON.stringify({ inputs: ["1 2\n"], outputs: ["3\n"] }),
    difficulty: "EASY",
    tags: "[]",
    raw_tags: "[]",
    skill_types: "[]",
  };
  return Buffer.from(
    parquetWriteBuffer({
      columnData: columns.map((name) => ({ name, data: [row[name]!], type: "STRING" as const })),
    }),
  );
}

let hub: HubServer;
let tmp: string;
const savedEnv = { ...process.env };
beforeAll(async () => {
  hub = await startHubServer([
    { id: LCB, revisions: { main: lcbFiles, v1tag: { "test.jsonl": lcbFiles["test.jsonl"] } } },
    { id: "acme/gated", token: "s3cret", revisions: { main: { "test.jsonl": lcbFiles["test2.jsonl"] } } },
    {
      id: "acme/script-only",
      revisions: {
        main: { "README.md": Buffer.from("x") },
        "refs/convert/parquet": { "default/train/0000.parquet": tacoParquet() },
      },
      parquet: { default: { train: ["default/train/0000.parquet"] } },
    },
  ]);
  tmp = await mkdtemp(join(tmpdir(), "codeloop-hub-"));
});
afterAll(async () => {
  await hub.close();
  await rm(tmp, { recursive: true, force: true });
});
afterEach(() => {
  process.env = { ...savedEnv };
  hub.requests.length = 0;
  hub.ignoreRange = false;
  hub.cutNextDownloadAfter = undefined;
});

async function freshCache(name: string): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

describe("hf: sources against a local Hub", () => {
  it("parses hf:<dataset>[@revision]", () => {
    expect(parseHubSource("hf:deepmind/code_contests")).toEqual({
      dataset: "deepmind/code_contests",
      revision: "main",
    });
    expect(parseHubSource("hf:a/b@refs/convert/parquet")).toEqual({
      dataset: "a/b",
      revision: "refs/convert/parquet",
    });
    expect(() => parseHubSource("hf:nodataset")).toThrow(/expected hf:<owner>\/<dataset>/);
  });

  it("lists with Link pagination, downloads only the release's files through the redirect, then reuses the cache", async () => {
    const cacheDir = await freshCache("lcb");
    const ps = await loadProblems(`hf:${LCB}`, {}, { hubEndpoint: hub.url, cacheDir, release: "v2" });
    expect(ps.map((p) => p.id)).toEqual(["abc320_a"]);
    const treePages = hub.requests.filter((r) => r.path.includes("/tree/"));
    expect(treePages.length).toBeGreaterThan(1);
    const downloads = hub.requests.filter((r) => r.path.startsWith("/cdn/")).map((r) => r.path);
    expect(downloads).toEqual([`/cdn/${encodeURIComponent(LCB)}/main/test2.jsonl`]);
    const snapshot = join(cacheDir, "hf", "livecodebench", "code_generation_lite", "main");
    expect(await readFile(join(snapshot, "test2.jsonl"))).toEqual(lcbFiles["test2.jsonl"]);

    hub.requests.length = 0;
    const all = await loadProblems(
      `hf:${LCB}`,
      {},
      { hubEndpoint: hub.url, cacheDir, release: "release_v2" },
    );
    expect(all.map((p) => p.id)).toEqual(["abc300_a", "abc300_b", "abc320_a"]);
    expect(hub.requests.filter((r) => r.path.startsWith("/cdn/")).map((r) => r.path)).toEqual([
      `/cdn/${encodeURIComponent(LCB)}/main/test.jsonl`,
    ]);
  });

  it("honours HF_ENDPOINT, revisions and CODELOOP_CACHE_DIR", async () => {
    const cacheDir = await freshCache("env");
    process.env.HF_ENDPOINT = hub.url;
    process.env.CODELOOP_CACHE_DIR = cacheDir;
    const ps = await loadProblems(`hf:${LCB}@v1tag`);
    expect(ps.map((p) => p.id)).toEqual(["abc300_a", "abc300_b"]);
    expect(await readdir(join(cacheDir, "hf", "livecodebench", "code_generation_lite"))).toEqual(["v1tag"]);
  });

  it("sends HF_TOKEN and explains 401 without it", async () => {
    const cacheDir = await freshCache("gated");
    await expect(
      loadProblems("hf:acme/gated", {}, { hubEndpoint: hub.url, cacheDir, hubToken: "" }),
    ).rejects.toThrow(/HTTP 401.*set HF_TOKEN/);
    process.env.HF_TOKEN = "s3cret";
    const ps = await loadProblems("hf:acme/gated", {}, { hubEndpoint: hub.url, cacheDir });
    expect(ps).toHaveLength(1);
    expect(
      hub.requests.filter((r) => r.path.includes("/resolve/")).every((r) => r.auth === "Bearer s3cret"),
    ).toBe(true);
  });

  it("resumes an interrupted download with a Range request", async () => {
    const cacheDir = await freshCache("resume");
    hub.cutNextDownloadAfter = 100;
    await expect(
      loadProblems(`hf:${LCB}`, {}, { hubEndpoint: hub.url, cacheDir, release: "v1" }),
    ).rejects.toThrow(/run again to resume/);
    const part = join(cacheDir, "hf", "livecodebench", "code_generation_lite", "main", "test.jsonl.part");
    expect((await stat(part)).size).toBe(100);
    const ps = await loadProblems(`hf:${LCB}`, {}, { hubEndpoint: hub.url, cacheDir, release: "v1" });
    expect(ps).toHaveLength(2);
    expect(hub.requests.filter((r) => r.path.startsWith("/cdn/")).map((r) => r.range)).toEqual([
      undefined,
      "bytes=100-",
    ]);
  });

  it("restarts when the server ignores Range and checks sizes", async () => {
    const dest = join(await freshCache("sizes"), "f.jsonl");
    const url = `${hub.url}/datasets/${LCB}/resolve/main/test.jsonl`;
    const size = lcbFiles["test.jsonl"].length;
    await writeFile(`${dest}.part`, "garbage");
    hub.ignoreRange = true;
    await downloadFile(url, dest, size, {});
    expect(await readFile(dest)).toEqual(lcbFiles["test.jsonl"]);
    const dest2 = join(tmp, "sizes", "g.jsonl");
    await expect(downloadFile(url, dest2, size + 5, {})).rejects.toThrow(
      `got ${size} bytes, expected ${size + 5}`,
    );
  });

  it("falls back to the converted parquet listing when the repo has no data files", async () => {
    const cacheDir = await freshCache("parquet");
    const ps = await loadProblems("hf:acme/script-only", {}, { hubEndpoint: hub.url, cacheDir });
    expect(ps.map((p) => [p.benchmark, p.id, p.split])).toEqual([["taco", "train-0", "train"]]);
    expect(hub.requests.some((r) => r.path === "/api/datasets/acme/script-only/parquet")).toBe(true);
  });

  it("works offline from the cache and says clearly when there is none", async () => {
    const cacheDir = await freshCache("offline");
    await loadProblems(`hf:${LCB}`, {}, { hubEndpoint: hub.url, cacheDir });
    hub.requests.length = 0;
    const ps = await loadProblems(`hf:${LCB}`, {}, { hubEndpoint: hub.url, cacheDir, offline: true });
    expect(ps).toHaveLength(3);
    expect(hub.requests).toHaveLength(0);
    // An unreachable Hub falls back to the cache too.
    const unreachable = "http://127.0.0.1:9";
    expect(await loadProblems(`hf:${LCB}`, {}, { hubEndpoint: unreachable, cacheDir })).toHaveLength(3);
    const empty = await freshCache("offline-empty");
    await expect(
      loadProblems(`hf:${LCB}`, {}, { hubEndpoint: unreachable, cacheDir: empty }),
    ).rejects.toThrow(
      /cannot reach http:\/\/127\.0\.0\.1:9 .*and no cached copy of livecodebench\/code_generation_lite@main/,
    );
    process.env.HF_HUB_OFFLINE = "1";
    await expect(loadProblems(`hf:${LCB}`, {}, { hubEndpoint: hub.url, cacheDir: empty })).rejects.toThrow(
      HubError,
    );
    await expect(loadProblems(`hf:${LCB}`, {}, { hubEndpoint: hub.url, cacheDir: empty })).rejects.toThrow(
      /offline/,
    );
  });
});

describe.skipIf(!hasData("codecontests-sample"))(
  "hf:deepmind/code_contests against a local Hub (real parquet)",
  () => {
    it("downloads only the requested split's LFS shards from data/ and checks their size", async () => {
      const real = await readFile(dataPath("codecontests-sample", "code_contests-sample.parquet"));
      const cc = await startHubServer([
        {
          id: "deepmind/code_contests",
          revisions: {
            main: {
              "README.md": Buffer.from("# CodeContests"),
              "data/train-00000-of-00001-aaaa.parquet": real,
              "data/valid-00000-of-00001-bbbb.parquet": real,
            },
          },
        },
      ]);
      try {
        const cacheDir = await freshCache("cc");
        const ps = await loadProblems(
          "hf:deepmind/code_contests",
          { split: "valid", limit: 5 },
          { hubEndpoint: cc.url, cacheDir },
        );
        expect(ps).toHaveLength(5);
        expect(ps.every((p) => p.split === "valid")).toBe(true);
        expect(
          cc.requests.filter((r) => r.path.startsWith("/cdn/")).map((r) => r.path.split("/").pop()),
        ).toEqual(["valid-00000-of-00001-bbbb.parquet"]);
      } finally {
        await cc.close();
      }
    });
  },
);
