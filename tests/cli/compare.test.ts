import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerCompare } from "../../src/cli/compare.js";
import { CliError } from "../../src/cli/errors.js";
import {
  type MetricsInput,
  compareInputs,
  meanPassAtK,
  metricsInputFromStore,
} from "../../src/metrics/index.js";
import { type RunConfigInput, RunStore, parseRunConfig, runRun } from "../../src/runs/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { RIGHT, WRONG, answer, doubleProblem, userMessages, writeProblems } from "../e2e/fixtures.js";
import { type ChatServer, startChatServer } from "../helpers/chat-server.js";
import { captureCli } from "../helpers/cli-capture.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-compare-"));
const source = join(tmp, "problems.jsonl");
let sb: Sandbox;
let server: ChatServer;
const ids = Array.from({ length: 7 }, (_, i) => `p${i}`);

// Right on the first try for about a third of the seeds, always right after feedback: a
// single-turn run solves some trajectories, a multi-turn run all of them.
const respond = (r: { body: { seed: number } }) =>
  answer(userMessages(r as never).length > 1 || r.body.seed % 3 === 0 ? RIGHT : WRONG);

async function run(name: string, over: Partial<RunConfigInput>): Promise<string> {
  const folder = join(tmp, name);
  const config = parseRunConfig({
    benchmark: { source },
    model: `openai:${server.url}#scripted`,
    cache: { enabled: false },
    concurrency: { model: 4, sandbox: 2 },
    trajectoriesPerProblem: 3,
    ...over,
  });
  await runRun({ folder, config }, { sandbox: sb });
  return folder;
}

function input(folder: string): MetricsInput {
  const store = RunStore.open(folder);
  try {
    return metricsInputFromStore(store);
  } finally {
    store.close();
  }
}

let single: string;
let multi: string;
let multiBinary: string;
let other: string;

beforeAll(async () => {
  sb = await Sandbox.create({ workers: 2, uidBase: 64700 });
  server = await startChatServer({ respond });
  await writeProblems(source, [...ids, "q0"].map(doubleProblem));
  single = await run("single", {
    strategy: { kind: "single-turn" },
    benchmark: { source, filters: { ids: ids.slice(0, 6) } },
  });
  multi = await run("multi", { benchmark: { source, filters: { ids } } });
  multiBinary = await run("multi-binary", {
    benchmark: { source, filters: { ids } },
    feedback: { kind: "binary" },
  });
  other = await run("other", { benchmark: { source, filters: { ids: ["q0"] } } });
}, 60_000);
afterAll(async () => {
  await server.close();
  await sb.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("codeloop compare", () => {
  it("pairs the runs by problem id and tests each metric (JSON)", async () => {
    const out = await captureCli(registerCompare, "compare", single, multi, "--json", "--resamples", "2000");
    const r = JSON.parse(out);
    expect(r).toMatchObject({ common: 6, onlyA: [], onlyB: ["p6"], resamples: 2000, seed: 0 });
    const byName = Object.fromEntries(r.metrics.map((m: { metric: string }) => [m.metric, m]));
    // Three trajectories per problem: pass@1 both; 1@3 buys three single-turn trajectories
    // or one three-turn trajectory. pass@10 and larger budgets are not affordable.
    expect(Object.keys(byName)).toEqual(["pass@1", "pass 1@3"]);
    const a = input(single);
    const common = input(multi);
    common.problems = common.problems.filter((p) => p.id !== "p6");
    expect(byName["pass@1"].a).toBeCloseTo(meanPassAtK(a.problems, 1)!, 12);
    expect(byName["pass@1"].a).toBeGreaterThan(0);
    expect(byName["pass@1"].a).toBeLessThan(1);
    expect(byName["pass@1"].b).toBe(1);
    expect(byName["pass@1"].problems).toBe(6);
    expect(byName["pass@1"].diff).toBeCloseTo(1 - byName["pass@1"].a, 12);
    expect(byName["pass@1"].low).toBeGreaterThan(0);
    expect(byName["pass@1"].p).toBeLessThan(0.01);
    expect(byName["pass 1@3"].b).toBe(1);
    expect(byName["pass 1@3"].a).toBeGreaterThan(byName["pass@1"].a);
  });

  it("prints an aligned table with A, B, the difference, its interval and p", async () => {
    const out = await captureCli(registerCompare, "compare", multi, multiBinary, "--resamples", "1000");
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toBe(`A: ${multi} (${configLine(multi)})`);
    expect(out).toContain("problems in both: 7; only in A: 0; only in B: 0");
    const header = lines.find((l) => l.startsWith("metric"))!;
    expect(header).toMatch(/^metric\s+problems\s+A\s+B\s+B-A\s+95% CI\s+p$/);
    const row = lines.find((l) => l.startsWith("pass@1 "))!;
    expect(row).toMatch(/^pass@1\s+7\s+100\.0\s+100\.0\s+\+0\.0\s+\[\+0\.0, \+0\.0\]\s+1\.000$/);
    // Columns line up: every row as long as the header's "p" column end.
    const table = lines.slice(lines.indexOf(header));
    for (const l of table) expect(l.length).toBe(header.length);
    // Both runs are multi-turn: the similarity of consecutive codes is compared too.
    expect(table.some((l) => l.startsWith("similarity"))).toBe(true);
  });

  it("similarity is only compared when both runs have several turns", async () => {
    const r = JSON.parse(
      await captureCli(registerCompare, "compare", multi, single, "--json", "--resamples", "100"),
    );
    expect(r.metrics.map((m: { metric: string }) => m.metric)).not.toContain("similarity");
  });

  it("is reproducible under --seed and honours --confidence", async () => {
    const args = ["compare", single, multi, "--json", "--resamples", "500", "--no-similarity"];
    const r1 = JSON.parse(await captureCli(registerCompare, ...args, "--seed", "7"));
    const r2 = JSON.parse(await captureCli(registerCompare, ...args, "--seed", "7"));
    const r3 = JSON.parse(await captureCli(registerCompare, ...args, "--confidence", "0.5"));
    expect(r2).toEqual(r1);
    const w = (r: { metrics: { low: number; high: number }[] }) => r.metrics[0]!.high - r.metrics[0]!.low;
    expect(w(r3)).toBeLessThan(w(r1));
    // The library call gives the same numbers as the command.
    const lib = compareInputs(input(single), input(multi), { resamples: 500, seed: 7 });
    expect(lib.metrics.map((m) => [m.low, m.high, m.p])).toEqual(
      r1.metrics.map((m: { low: number; high: number; p: number }) => [m.low, m.high, m.p]),
    );
  });

  it("clear errors: not a run folder, no common problems, bad flags", async () => {
    const empty = join(tmp, "empty");
    mkdirSync(empty, { recursive: true });
    await expect(captureCli(registerCompare, "compare", empty, multi)).rejects.toThrow(
      new CliError(`run A: ${empty} is not a run folder (no config.json)`),
    );
    await expect(captureCli(registerCompare, "compare", multi, join(tmp, "nope"))).rejects.toThrow(
      /run B: .*nope is not a run folder/,
    );
    await expect(captureCli(registerCompare, "compare", multi, other)).rejects.toThrow(
      /have no problems in common \(A: 7 problems, B: 1\)/,
    );
    await expect(captureCli(registerCompare, "compare", multi, single, "--resamples", "0")).rejects.toThrow(
      '--resamples: expected a positive integer, got "0"',
    );
    await expect(captureCli(registerCompare, "compare", multi, single, "--confidence", "95")).rejects.toThrow(
      "--confidence: expected a number between 0 and 1",
    );
  });
});

function configLine(folder: string): string {
  const store = RunStore.open(folder);
  try {
    return `${store.config.benchmark.source} | openai:${server.url}#scripted | multi-turn T=3 | feedback=failed-test | 3/problem | seed=0`;
  } finally {
    store.close();
  }
}
