import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerSweep } from "../../src/cli/sweep.js";
import { RunStore } from "../../src/runs/index.js";
import { doubleProblem, userMessages, writeProblems, wrongThenRight } from "../e2e/fixtures.js";
import { type ChatServer, type ChatServerRequest, startChatServer } from "../helpers/chat-server.js";
import { captureCli } from "../helpers/cli-capture.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-sweep-"));
const source = join(tmp, "problems.jsonl");
let server: ChatServer;
let onRequest: (r: ChatServerRequest) => void = () => {};

const CELLS = ["f-binary_t1", "f-binary_t3", "f-failed-test_t1", "f-failed-test_t3"];
// Two problems are enough for every count below; each one more costs every cell its trajectories.
const PROBLEMS = 2;
const TRAJECTORIES = 3;

beforeAll(async () => {
  server = await startChatServer({
    respond: (r) => {
      onRequest(r);
      return wrongThenRight(r);
    },
  });
  await writeProblems(
    source,
    Array.from({ length: PROBLEMS }, (_, i) => doubleProblem(`p${i}`)),
  );
});
afterAll(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A base run config and a 2 feedback kinds x 2 turns sweep over it, with their own cache. */
function writeSweep(name: string): string {
  writeFileSync(
    join(tmp, `${name}-base.yaml`),
    [
      `benchmark: { source: ${source} }`,
      `model: openai:${server.url}#scripted`,
      `trajectoriesPerProblem: ${TRAJECTORIES}`,
      // Three trajectories in flight at most (2 x model + sandbox): a stop leaves some pending.
      "concurrency: { model: 1, sandbox: 1 }",
      "sandbox: { workers: 2 }",
      `cache: { enabled: true, dir: ${join(tmp, `cache-${name}`)} }`,
      "",
    ].join("\n"),
  );
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      `base: ${name}-base.yaml`,
      "grid:",
      "  feedback: [binary, failed-test]",
      "  turns: [1, 3]",
      "",
    ].join("\n"),
  );
  return file;
}

/** Runs the command in-process; stdout and stderr as text. */
async function sweep(...args: string[]): Promise<{ out: string; err: string }> {
  let err = "";
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    const out = await captureCli(registerSweep, "sweep", ...args);
    return { out, err };
  } finally {
    e.mockRestore();
  }
}

function cellLog(folder: string, cell: string): string {
  return readFileSync(join(folder, "cells", cell, "run.log"), "utf8");
}

interface JsonCell {
  name: string;
  axes: Record<string, unknown>;
  passAtK: { k: number; value: number }[];
  calls: number;
  trajectories: number;
}

describe("codeloop sweep", () => {
  const out = join(tmp, "out-a");
  let file: string;
  let result: { cells: JsonCell[]; csv: string; report: string | null };
  let requests: number;

  it("runs every cell of the grid as a run folder, sharing cached generations", async () => {
    file = writeSweep("fbt");
    const before = server.requests.length;
    const r = await sweep(file, "--out", out, "--json", "--resamples", "200");
    requests = server.requests.length - before;
    result = JSON.parse(r.out);
    expect(result.cells.map((c) => c.name)).toEqual(CELLS);
    // Progress names each cell with its axes.
    expect(r.err).toContain("cell 1/4 f-binary_t1 (feedback binary, turns 1): starting");
    expect(r.err).toContain("cell 4/4 f-failed-test_t3 (feedback failed-test, turns 3): starting");

    for (const cell of CELLS) {
      const store = RunStore.open(join(out, "cells", cell));
      const c = store.config;
      store.close();
      const [feedback, turns] = [
        cell.includes("binary") ? "binary" : "failed-test",
        cell.endsWith("t3") ? 3 : 1,
      ];
      expect(c.name).toBe(`fbt/${cell}`);
      expect(c.feedback.kind).toBe(feedback);
      expect(c.strategy).toMatchObject({ kind: turns === 1 ? "single-turn" : "multi-turn", maxTurns: turns });
      expect(c.trajectoriesPerProblem).toBe(TRAJECTORIES);
    }
    // The model is wrong first and right after feedback: single-turn cells solve nothing,
    // multi-turn cells everything, in two turns.
    const pass1 = Object.fromEntries(
      result.cells.map((c) => [c.name, c.passAtK.find((p) => p.k === 1)!.value]),
    );
    expect(pass1).toEqual({
      "f-binary_t1": 0,
      "f-binary_t3": 1,
      "f-failed-test_t1": 0,
      "f-failed-test_t3": 1,
    });
    const calls = Object.fromEntries(result.cells.map((c) => [c.name, c.calls]));
    const n = PROBLEMS * TRAJECTORIES;
    expect(calls).toEqual({
      "f-binary_t1": n,
      "f-binary_t3": 2 * n,
      "f-failed-test_t1": n,
      "f-failed-test_t3": 2 * n,
    });
    // 6n calls in all, but only the distinct requests reach the model: the first turn once for
    // every cell, the second turn once per feedback kind (its message differs).
    expect(requests).toBe(3 * n);
    expect(r.err).toContain(
      `cell 2/4 f-binary_t3: ${n}/${n} trajectories, ${n} accepted, ${PROBLEMS}/${PROBLEMS} problems solved, 0 failed; responses: ${n} from the cache, ${n} requested`,
    );
  });

  it("writes the manifest, sweep.csv and prints a comparison table", async () => {
    const manifest = JSON.parse(readFileSync(join(out, "sweep.json"), "utf8"));
    expect(manifest).toMatchObject({
      format: 1,
      name: "fbt",
      applyPrompts: "every-turn",
      grid: { feedback: ["binary", "failed-test"], turns: [1, 3] },
    });
    expect(
      manifest.cells.map((c: { name: string; folder: string; state: string }) => [c.name, c.folder, c.state]),
    ).toEqual(CELLS.map((c) => [c, join("cells", c), "finished"]));
    // The HTML report of every cell, with a heatmap over the two axes of the grid.
    expect(result.report).toBe(join(out, "report.html"));
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toMatch(/a heatmap of [^<]+ over (feedback × turns|turns × feedback)/);
    for (const cell of CELLS) expect(html).toContain(cell);
    const csv = readFileSync(join(out, "sweep.csv"), "utf8").trimEnd().split("\n");
    expect(csv[0]).toBe(
      "cell,feedback,turns,problems,trajectories,done,failed,pass@1,pass@1_low,pass@1_high,1@3,1@3_low,1@3_high,tokens,calls,folder",
    );
    expect(csv).toHaveLength(5);
    // Equal compute: 1@3 buys three single-turn trajectories, or one of three turns.
    const n = PROBLEMS * TRAJECTORIES;
    expect(csv[1]).toMatch(
      new RegExp(`^f-binary_t1,binary,1,${PROBLEMS},${n},${n},0,0,0,0,0,0,0,\\d+,${n},`),
    );
    expect(csv[2]).toMatch(
      new RegExp(`^f-binary_t3,binary,3,${PROBLEMS},${n},${n},0,1,1,1,1,1,1,\\d+,${2 * n},`),
    );

    // The same command again: every cell finished, nothing redone, the table on stdout.
    const before = server.requests.length;
    const again = await sweep(file, "--out", out, "--resamples", "200");
    expect(server.requests.length).toBe(before);
    for (const cell of CELLS) {
      expect(again.err).toContain(`${cell} (`);
      expect(cellLog(out, cell)).not.toContain("run resumed");
    }
    expect(again.err).toContain(
      `cell 1/4 f-binary_t1 (feedback binary, turns 1): finished earlier (finished (${n}/${n} trajectories)), skipped`,
    );
    const lines = again.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^cell\s+feedback\s+turns\s+problems\s+pass@1 \[95% CI\]\s+1@3\s+tokens\s+calls$/,
    );
    expect(lines[1]).toMatch(
      new RegExp(
        `^f-binary_t1\\s+binary\\s+1\\s+${PROBLEMS}\\s+0\\.0 \\[0\\.0, 0\\.0\\]\\s+0\\.0 \\[0\\.0, 0\\.0\\]\\s+\\S+\\s+${n}$`,
      ),
    );
    expect(lines[2]).toMatch(
      new RegExp(
        `^f-binary_t3\\s+binary\\s+3\\s+${PROBLEMS}\\s+100\\.0 \\[100\\.0, 100\\.0\\]\\s+100\\.0 \\[100\\.0, 100\\.0\\]\\s+\\S+\\s+${2 * n}$`,
      ),
    );
  });

  it("a sweep stopped in the middle resumes without redoing finished cells", async () => {
    const file2 = writeSweep("stopped");
    const out2 = join(tmp, "out-b");
    // Ctrl-C as soon as the second cell (f-binary_t3) sends its first feedback turn.
    let fired = false;
    onRequest = (r) => {
      if (!fired && userMessages(r).length > 1) {
        fired = true;
        process.emit("SIGINT");
      }
    };
    const before = server.requests.length;
    const first = await sweep(file2, "--out", out2, "--json");
    onRequest = () => {};
    expect(fired).toBe(true);
    expect(process.exitCode).toBe(130);
    process.exitCode = undefined;
    expect(first.out).toBe("");
    expect(first.err).toContain(`sweep stopped; continue with: codeloop sweep ${file2} --out ${out2}`);
    const manifest = JSON.parse(readFileSync(join(out2, "sweep.json"), "utf8"));
    expect(manifest.cells.map((c: { state: string }) => c.state)).toEqual([
      "finished",
      "partial",
      "new",
      "new",
    ]);
    expect(existsSync(join(out2, "cells", "f-failed-test_t1"))).toBe(false);

    const second = await sweep(file2, "--out", out2, "--resume", "--json", "--resamples", "200");
    expect(second.err).toContain("cell 1/4 f-binary_t1 (feedback binary, turns 1): finished earlier");
    expect(second.err).toMatch(
      new RegExp(
        `cell 2/4 f-binary_t3 \\(feedback binary, turns 3\\): resuming \\(partial \\(\\d/${PROBLEMS * TRAJECTORIES} trajectories\\)\\)`,
      ),
    );
    expect(cellLog(out2, "f-binary_t1")).not.toContain("run resumed");
    expect(cellLog(out2, "f-binary_t3")).toContain("run resumed");
    // The same results as the uninterrupted sweep, and no request paid twice.
    const res = JSON.parse(second.out);
    expect(res.cells.map((c: JsonCell) => [c.name, c.passAtK[0]!.value, c.calls])).toEqual(
      result.cells.map((c) => [c.name, c.passAtK[0]!.value, c.calls]),
    );
    expect(server.requests.length - before).toBe(requests);
  });

  it("refuses to resume when the sweep config changes cells that already ran, and names the change", async () => {
    const base = join(tmp, "fbt-base.yaml");
    const text = readFileSync(base, "utf8");
    writeFileSync(base, `${text}seed: 5\n`);
    try {
      await expect(sweep(file, "--out", out)).rejects.toThrow(
        /the sweep config changed cells that already ran in .*out-a.*\n {2}cell f-binary_t1: seed: 0 -> 5\n {2}cell f-binary_t3: seed: 0 -> 5/,
      );
    } finally {
      writeFileSync(base, text);
    }
    // Concurrency does not change results: allowed.
    writeFileSync(base, text.replace("concurrency: { model: 1, sandbox: 1 }", "concurrency: { model: 2 }"));
    try {
      const r = await sweep(file, "--out", out, "--dry-run");
      expect(r.out).toContain(
        `f-failed-test_t3  failed-test  3      finished (${PROBLEMS * TRAJECTORIES}/${PROBLEMS * TRAJECTORIES} trajectories)`,
      );
    } finally {
      writeFileSync(base, text);
    }
    // A grid that grows keeps the finished cells and adds new ones.
    const grown = join(tmp, "grown.yaml");
    writeFileSync(
      grown,
      readFileSync(file, "utf8")
        .replace("turns: [1, 3]", "turns: [1, 3, 2]")
        .replace(/base: /, `base: ${tmp}/`),
    );
    const r = await sweep(grown, "--out", out, "--dry-run");
    expect(r.out.split("\n").filter((l) => l.includes(" new "))).toHaveLength(2);
  });
});

describe("sweep config errors", () => {
  async function errorOf(text: string, name = "bad.yaml"): Promise<string> {
    const f = join(tmp, name);
    writeFileSync(f, text);
    try {
      await sweep(f, "--dry-run", "--out", join(tmp, "never"));
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error("no error");
  }

  it("names the file, the field path and the line", async () => {
    writeFileSync(
      join(tmp, "ok-base.yaml"),
      `benchmark: { source: ${source} }\nmodel: openai:${server.url}#m\n`,
    );
    expect(
      await errorOf(
        [
          "base: ok-base.yaml",
          "grid:",
          "  reasoning: [none, restate, x]",
          "  feedback: [binary, loud]",
          "  turns: [1, 0]",
          "",
        ].join("\n"),
      ),
    ).toBe(
      [
        'bad.yaml: grid.feedback[1]: expected one of "binary", "failed-test", "failed-tests", "all-tests", "trace", got "loud" (line 4)',
        "bad.yaml: grid.turns[1]: expected a positive integer, got 0 (line 5)",
      ].join("\n"),
    );
    const e = await errorOf(
      ["base: ok-base.yaml", "grid:", "  reasoning: [none, restate, x]", ""].join("\n"),
    );
    expect(e).toMatch(
      /^bad\.yaml: grid\.reasoning\[2\]: unknown reasoning prompt "x"; valid: none, reasoning\.restate, .* \(line 3\)$/,
    );
    expect(await errorOf(["base: ok-base.yaml", "grid:", "  turns: [3, 3]", ""].join("\n"))).toBe(
      "bad.yaml: grid.turns[1]: duplicate of grid.turns[0] (3) (line 3)",
    );
    expect(await errorOf(["base: ok-base.yaml", "grid: {}", ""].join("\n"))).toMatch(
      /^bad\.yaml: grid: expected at least one axis .* \(line 2\)$/,
    );
    expect(await errorOf(["base: ok-base.yaml", "grid: { turns: [1] }", "extra: 1", ""].join("\n"))).toBe(
      "bad.yaml: extra: unknown field (line 3)",
    );
    expect(await errorOf(["base: missing.yaml", "grid: { turns: [1] }", ""].join("\n"))).toMatch(
      /^bad\.yaml: base: cannot read the base run config .*missing\.yaml: ENOENT \(line 1\)$/,
    );
    expect(await errorOf("grid: [\n")).toMatch(/^bad\.yaml: YAML syntax error at line/);
  });

  it("reports base config errors in the base's own terms, and inline ones with sweep lines", async () => {
    writeFileSync(
      join(tmp, "bad-base.yaml"),
      `benchmark: { source: ${source} }\nmodel: openai:${server.url}#m\nstrategy: { kind: sideways }\n`,
    );
    expect(await errorOf("base: bad-base.yaml\ngrid: { turns: [1] }\n")).toMatch(
      /^bad-base\.yaml: strategy\.kind: expected one of .*got "sideways" \(line 3\)$/,
    );
    expect(
      await errorOf(
        [
          "base:",
          `  model: openai:${server.url}#m`,
          "  trajectoriesPerProblem: 0",
          "grid: { turns: [1] }",
          "",
        ].join("\n"),
      ),
    ).toBe(
      [
        "bad.yaml: base: benchmark: required (object) (line 2)",
        "bad.yaml: base: trajectoriesPerProblem: expected a positive integer, got 0 (line 3)",
      ].join("\n"),
    );
  });

  it("checks that every model answers before creating anything", async () => {
    const f = join(tmp, "unreachable.yaml");
    writeFileSync(
      f,
      [
        "base:",
        `  benchmark: { source: ${source} }`,
        `  model: openai:${server.url}#m`,
        "grid:",
        `  model: ["openai:${server.url}#m", "openai:http://127.0.0.1:59999/v1#gone"]`,
        "",
      ].join("\n"),
    );
    const dir = join(tmp, "unreachable");
    await expect(sweep(f, "--out", dir)).rejects.toThrow(
      /no model server reachable \(http:\/\/127\.0\.0\.1:59999\/v1: ECONNREFUSED\)/,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it("validates every cell's run config before anything runs", async () => {
    // cot-retry needs its per-turn cot to fit the turns: the 1-turn cell cannot have it.
    const msg = await errorOf(
      [
        "base:",
        `  benchmark: { source: ${source} }`,
        `  model: openai:${server.url}#m`,
        "  strategy: { kind: cot-retry, cot: [{}, {reasoning: reasoning.restate}, {}] }",
        "grid: { turns: [3, 2], feedback: [binary] }",
        "",
      ].join("\n"),
    );
    expect(msg).toBe(["bad.yaml: cell f-binary_t2: strategy.cot: 3 entries for at most 2 turns"].join("\n"));
    expect(existsSync(join(tmp, "never"))).toBe(false);
    const both = await errorOf(
      [
        "base:",
        `  benchmark: { source: ${source} }`,
        `  model: openai:${server.url}#m`,
        "  strategy: { cot: [{reasoning: reasoning.restate}] }",
        "grid: { reasoning: [none, restate] }",
        "",
      ].join("\n"),
    );
    expect(both).toMatch(/^bad\.yaml: grid\.reasoning: the base config sets strategy\.cot; .* \(line 5\)$/);
  });
});
