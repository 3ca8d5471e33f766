import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configDiff, loadSweep, planSweepText, sweepConfigJsonSchema } from "../../src/sweep/index.js";

const base = {
  benchmark: { source: "problems.jsonl" },
  model: "openai:http://127.0.0.1:9/v1#m",
};

function plan(sweep: Record<string, unknown>) {
  return planSweepText(JSON.stringify({ base, ...sweep }), { file: "s.json", baseDir: "." });
}

describe("sweep config: cells", () => {
  it("reasoning x instruction: ids in full or short, none, names, and cot on every turn by default", async () => {
    const p = await plan({
      name: "cot",
      grid: { reasoning: ["none", "restate"], instruction: ["instruction.double-check"], turns: [1, 3] },
    });
    expect(p.cells.map((c) => c.name)).toEqual([
      "r-none_i-double-check_t1",
      "r-none_i-double-check_t3",
      "r-restate_i-double-check_t1",
      "r-restate_i-double-check_t3",
    ]);
    expect(p.grid.reasoning).toEqual(["none", "reasoning.restate"]);
    const [a, b, c, d] = p.cells.map((x) => x.config.strategy);
    expect(a).toMatchObject({
      kind: "single-turn",
      maxTurns: 1,
      cot: [{ instruction: "instruction.double-check" }],
    });
    expect(b!.kind).toBe("multi-turn");
    expect(b!.cot).toEqual(Array(3).fill({ instruction: "instruction.double-check" }));
    expect(c!.cot).toEqual([{ reasoning: "reasoning.restate", instruction: "instruction.double-check" }]);
    expect(d!.cot).toHaveLength(3);
    expect(p.cells[3]!.axes).toEqual({
      reasoning: "reasoning.restate",
      instruction: "instruction.double-check",
      turns: 3,
    });
    expect(p.cells[3]!.config.name).toBe("cot/r-restate_i-double-check_t3");
  });

  it("applyPrompts: first-turn puts the prompts on turn 1 only; none on both axes means no cot", async () => {
    const p = await plan({
      applyPrompts: "first-turn",
      grid: { reasoning: ["none", "reasoning.explain-samples"], turns: [3] },
    });
    expect(p.cells.map((c) => c.config.strategy.cot)).toEqual([
      [],
      [{ reasoning: "reasoning.explain-samples" }],
    ]);
    // The sweep's name defaults to the file name.
    expect(p.name).toBe("s");
  });

  it("turns: 1 is single-turn, more turns make a single-turn base multi-turn, best-of-n keeps its kind", async () => {
    const single = await planSweepText(
      JSON.stringify({ base: { ...base, strategy: { kind: "single-turn" } }, grid: { turns: [1, 2] } }),
      { file: "s.json" },
    );
    expect(single.cells.map((c) => [c.config.strategy.kind, c.config.strategy.maxTurns])).toEqual([
      ["single-turn", 1],
      ["multi-turn", 2],
    ]);
    const bon = await planSweepText(
      JSON.stringify({
        base: { ...base, strategy: { kind: "best-of-n", candidatesPerTurn: 4 } },
        grid: { turns: [1, 3] },
      }),
      { file: "s.json" },
    );
    expect(
      bon.cells.map((c) => [
        c.config.strategy.kind,
        c.config.strategy.maxTurns,
        c.config.strategy.candidatesPerTurn,
      ]),
    ).toEqual([
      ["best-of-n", 1, 4],
      ["best-of-n", 3, 4],
    ]);
  });

  it("models get short names (m1, m2 when those clash); feedback keeps the base's truncation", async () => {
    const p = await planSweepText(
      JSON.stringify({
        base: { ...base, feedback: { kind: "binary", truncation: { maxTests: 2 } } },
        grid: { model: ["openai:http://a:1/v1#qwen-7b", "ollama:llama3.1"], feedback: ["trace"] },
      }),
      { file: "s.json" },
    );
    expect(p.cells.map((c) => c.name)).toEqual(["m-qwen-7b_f-trace", "m-llama3.1_f-trace"]);
    expect(p.cells[1]!.config.model).toBe("ollama:llama3.1");
    expect(p.cells[0]!.config.feedback).toMatchObject({ kind: "trace", truncation: { maxTests: 2 } });
    const clash = await plan({ grid: { model: ["openai:http://a:1/v1#m", "openai:http://b:1/v1#m"] } });
    expect(clash.cells.map((c) => c.name)).toEqual(["m1", "m2"]);
  });

  it("rejects a bad model reference on the model axis with its path", async () => {
    await expect(plan({ grid: { model: ["openai:http://a:1/v1#ok", "nonsense:"] } })).rejects.toThrow(
      /^s\.json: grid\.model\[1\]: .*\(line 1\)$/,
    );
  });
});

describe("sweep config: schema and diffs", () => {
  // Regenerate with `codeloop sweep --schema > schemas/sweep-config.schema.json && npx biome format --write schemas`.
  it("is the committed schemas/sweep-config.schema.json", () => {
    expect(JSON.parse(readFileSync("schemas/sweep-config.schema.json", "utf8"))).toEqual(
      sweepConfigJsonSchema(),
    );
  });

  it("configDiff names every changed field", () => {
    expect(configDiff({ a: 1, b: { c: [1, 2], d: "x" } }, { a: 1, b: { c: [1, 3] }, e: true })).toEqual([
      "b.c: [1,2] -> [1,3]",
      'b.d: "x" -> (unset)',
      "e: (unset) -> true",
    ]);
    expect(configDiff({ a: 1 }, { a: 1 })).toEqual([]);
  });
});

describe("examples/sweep.yaml", () => {
  it("plans the 4 x 3 single-turn reasoning x instruction grid on examples/run.yaml", async () => {
    const p = await loadSweep("examples/sweep.yaml");
    expect(p.name).toBe("humaneval-cot-grid");
    expect(p.cells).toHaveLength(12);
    expect(p.cells[0]!.name).toBe("r-none_i-none_t1");
    expect(p.cells[11]!.name).toBe("r-naive-then-improve_i-step-by-step_t1");
    for (const c of p.cells) {
      expect(c.config.strategy).toMatchObject({ kind: "single-turn", maxTurns: 1 });
      expect(c.config.benchmark.source).toBe("hf:evalplus/humanevalplus");
    }
    expect(p.cells[5]!.config.strategy.cot).toEqual([
      { reasoning: "reasoning.restate", instruction: "instruction.step-by-step" },
    ]);
  });
});
