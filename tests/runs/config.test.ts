import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registerConfig } from "../../src/cli/config.js";
import { CliError } from "../../src/cli/errors.js";
import {
  RunConfigError,
  configSummary,
  loadRunConfig,
  parseRunConfig,
  problemFilters,
  runConfigJsonSchemaText,
} from "../../src/runs/index.js";
import { captureCli } from "../helpers/cli-capture.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-runs-config-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

async function errorOf(p: Promise<unknown>): Promise<RunConfigError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RunConfigError) return err;
    throw err;
  }
  throw new Error("expected a RunConfigError");
}

const MINIMAL = "benchmark:\n  source: data/cc.jsonl\nmodel: vllm:http://127.0.0.1:8000/v1#llama\n";

describe("run config", () => {
  it("fills every default into a minimal YAML config", async () => {
    const cfg = await loadRunConfig(file("min.yaml", MINIMAL));
    expect(cfg).toEqual({
      benchmark: { source: "data/cc.jsonl", filters: {}, exclude: ["unjudgeable"] },
      model: "vllm:http://127.0.0.1:8000/v1#llama",
      sampling: { temperature: 1, topP: 0.95, maxTokens: 4096 },
      strategy: {
        kind: "multi-turn",
        maxTurns: 3,
        candidatesPerTurn: 1,
        stopOnPublicPass: true,
        cot: [],
        selection: "public-tests",
      },
      feedback: {
        kind: "failed-test",
        truncation: {
          fieldChars: 1500,
          fieldLines: 40,
          maxTests: 5,
          headBlocks: 3,
          tailBlocks: 3,
          valueChars: 80,
          maxVars: 12,
          blockLines: 12,
        },
      },
      prompts: { overrides: {} },
      language: "python",
      trajectoriesPerProblem: 1,
      seed: 0,
      concurrency: { model: 8 },
      sandbox: { timeLimitScale: 1, mode: "forkserver", subprocesses: false, python: "auto" },
      grading: { tests: "all", gradeEveryTurn: false },
      cache: { enabled: true },
    });
    expect(configSummary(cfg)).toContain("multi-turn T=3");
  });

  it("derives turn and candidate defaults from the strategy kind", () => {
    const base = { benchmark: { source: "x" }, model: "ollama:qwen" };
    const single = parseRunConfig({ ...base, strategy: { kind: "single-turn" } });
    expect([single.strategy.maxTurns, single.strategy.candidatesPerTurn]).toEqual([1, 1]);
    const bon = parseRunConfig({ ...base, strategy: { kind: "best-of-n" } });
    expect([bon.strategy.maxTurns, bon.strategy.candidatesPerTurn]).toEqual([3, 5]);
    // The resolved config parses to itself (config.json is read back through the schema).
    expect(parseRunConfig(JSON.parse(JSON.stringify(bon)))).toEqual(bon);
  });

  it("reads JSON by extension and by content, with object model configs", async () => {
    const obj = {
      benchmark: {
        source: "hf:deepmind/code_contests",
        filters: { split: "test", from: "2021-01-01", limit: 5 },
      },
      model: { provider: "openai", baseUrl: "http://127.0.0.1:8000/v1", model: "m" },
      trajectoriesPerProblem: 200,
    };
    const a = await loadRunConfig(file("a.json", JSON.stringify(obj)));
    const b = await loadRunConfig(file("a.conf", JSON.stringify(obj)));
    expect(a).toEqual(b);
    expect(problemFilters(a)).toMatchObject({ split: "test", contestDateFrom: "2021-01-01", limit: 5 });
  });

  it("names the file, the field path, the expectation, the value and the line", async () => {
    const e = await errorOf(
      loadRunConfig(file("run.yaml", `${MINIMAL}strategy:\n  maxTurns: three\n  kind: multi\n`)),
    );
    expect(e.problems).toContain(
      'run.yaml: strategy.maxTurns: expected a positive integer, got "three" (line 5)',
    );
    expect(e.message).toContain(
      'run.yaml: strategy.kind: expected one of "single-turn", "multi-turn", "cot-retry", "best-of-n", "tree", got "multi" (line 6)',
    );
  });

  it("reports unknown fields, missing fields, bad model refs and cross-field rules", async () => {
    const e = await errorOf(
      loadRunConfig(
        file(
          "bad.yaml",
          "benchmark: {}\nmodel: nosuch:thing\nseeed: 3\nstrategy:\n  kind: cot-retry\nsampling:\n  topP: 1.5\n",
        ),
      ),
    );
    expect(e.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^bad\.yaml: benchmark\.source: required: a benchmark source/),
        expect.stringMatching(/^bad\.yaml: model: unknown model provider "nosuch"/),
        "bad.yaml: seeed: unknown field (line 3)",
        expect.stringMatching(/^bad\.yaml: strategy\.cot: cot-retry needs prompt ids/),
        "bad.yaml: sampling.topP: expected a number in (0, 1], got 1.5 (line 7)",
      ]),
    );
    const single = await errorOf(
      loadRunConfig(file("s.yaml", `${MINIMAL}strategy: {kind: single-turn, maxTurns: 2}\n`)),
    );
    expect(single.message).toMatch(/strategy\.maxTurns: single-turn means maxTurns 1/);
  });

  it("explains an object model config through its own schema", async () => {
    const e = await errorOf(
      loadRunConfig(file("m.yaml", "benchmark: {source: x}\nmodel:\n  provider: openai\n  model: 7\n")),
    );
    expect(e.problems.some((p) => p.startsWith("m.yaml: model.model: expected string, got 7"))).toBe(true);
    expect(e.problems.some((p) => p.includes("provider"))).toBe(false);
  });

  it("gives line and column for syntax errors", async () => {
    const y = await errorOf(loadRunConfig(file("syn.yaml", "benchmark:\n  source: [unclosed\nmodel: x\n")));
    expect(y.message).toMatch(/^syn\.yaml: YAML syntax error at line \d+, column \d+/);
    const j = await errorOf(loadRunConfig(file("syn.json", '{\n  "seed": 1,\n  oops\n}')));
    expect(j.message).toMatch(/^syn\.json: invalid JSON: .*\(line 3, column 3\)/);
    const top = await errorOf(loadRunConfig(file("list.yaml", "- 1\n- 2\n")));
    expect(top.message).toBe("list.yaml: (top level): expected a mapping of config fields, got [1,2]");
  });

  it("validates prompt ids through an injected catalogue check", () => {
    const known = new Set(["explain-io", "helper-functions"]);
    const validatePromptId = (id: string) => (known.has(id) ? undefined : `unknown prompt id "${id}"`);
    const value = {
      benchmark: { source: "x" },
      model: "ollama:q",
      strategy: { kind: "cot-retry", cot: [{}, { reasoning: "explain-io", instruction: "nope" }] },
      prompts: { overrides: { "helper-functions": "t", missing: "t" } },
    };
    expect(() => parseRunConfig(value, { validatePromptId: null })).not.toThrow();
    let err: unknown;
    try {
      parseRunConfig(value, { file: "r.yaml", validatePromptId });
    } catch (e) {
      err = e;
    }
    expect((err as RunConfigError).problems).toEqual([
      'r.yaml: strategy.cot.1.instruction: unknown prompt id "nope"',
      'r.yaml: prompts.overrides.missing: unknown prompt id "missing"',
    ]);
  });
});

describe("prompt ids against the prompts catalogue (the default check)", () => {
  const base = { benchmark: { source: "x" }, model: "ollama:q" };
  it("accepts catalogue ids and template overrides", () => {
    const cfg = parseRunConfig({
      ...base,
      strategy: {
        kind: "cot-retry",
        cot: [{}, { reasoning: "reasoning.restate", instruction: "instruction.helper-functions" }],
      },
      prompts: {
        overrides: { "reasoning.restate": "Say it again.", "feedback.binary": "Wrong. Try again." },
      },
    });
    expect(cfg.strategy.cot[1]!.reasoning).toBe("reasoning.restate");
  });

  it("rejects an instruction id used as reasoning and an unknown override", () => {
    let err: unknown;
    try {
      parseRunConfig(
        {
          ...base,
          strategy: { cot: [{ reasoning: "instruction.docstrings" }] },
          prompts: { overrides: { "no.such.template": "x" } },
        },
        { file: "c.yaml" },
      );
    } catch (e) {
      err = e;
    }
    const problems = (err as RunConfigError).problems;
    expect(problems[0]).toMatch(
      /^c\.yaml: strategy\.cot\.0\.reasoning: unknown reasoning prompt id 'instruction\.docstrings'/,
    );
    expect(problems[1]).toMatch(
      /^c\.yaml: prompts\.overrides\.no\.such\.template: prompt override for unknown template/,
    );
  });
});

describe("run config JSON Schema", () => {
  // Compared as data: Biome reformats the committed file. Regenerate with
  // `codeloop config schema > schemas/run-config.schema.json && npx biome format --write schemas`.
  it("is the committed schemas/run-config.schema.json", () => {
    expect(JSON.parse(readFileSync("schemas/run-config.schema.json", "utf8"))).toEqual(
      JSON.parse(runConfigJsonSchemaText()),
    );
  });

  it("describes defaults and strict objects", () => {
    const s = JSON.parse(runConfigJsonSchemaText());
    expect(s.required).toEqual(["benchmark", "model"]);
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.strategy.properties.kind.default).toBe("multi-turn");
    expect(s.properties.feedback.properties.kind.enum).toContain("trace");
  });
});

const cli = (...args: string[]): Promise<string> => captureCli(registerConfig, ...args);

describe("config CLI", () => {
  it("prints the schema and the resolved config", async () => {
    expect(await cli("config", "schema")).toBe(runConfigJsonSchemaText());
    const p = file("cli.yaml", MINIMAL);
    expect(JSON.parse(await cli("config", "check", p, "--json"))).toEqual(await loadRunConfig(p));
    expect(await cli("config", "check", p)).toMatch(/^ {2}maxTurns: 3$/m);
  });

  it("turns config errors into a one-line-per-problem user error", async () => {
    const p = file("cli-bad.yaml", `${MINIMAL}seed: -1\n`);
    await expect(cli("config", "check", p)).rejects.toThrow(CliError);
    await expect(cli("config", "check", p)).rejects.toThrow(
      "cli-bad.yaml: seed: expected a non-negative integer, got -1 (line 4)",
    );
  });
});
