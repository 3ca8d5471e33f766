// sandbox.python: auto (the default) runs Python on PyPy for a Kattis source when pypy3 is
// installed (Kattis calibrates its limits for PyPy) and on CPython otherwise; the run records the
// runtime (store.facts().python) and the report shows it. The submission below is accepted only
// when it really runs on PyPy, so the grade shows which interpreter judged it, not just the label.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerRun } from "../../src/cli/run.js";
import type { Problem } from "../../src/problems/types.js";
import { buildReportData, renderReportHtml } from "../../src/report/index.js";
import { type RunConfigInput, RunStore, parseRunConfig, pythonFor, runRun } from "../../src/runs/index.js";
import { pythonAvailable } from "../../src/sandbox/index.js";
import { type ChatServer, startChatServer } from "../helpers/chat-server.js";
import { captureCli } from "../helpers/cli-capture.js";
import { answer, writeProblems } from "./fixtures.js";
import { doublePackage, writeKattisPackage } from "./kattis-fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-e2e-python-"));
const kattis = join(tmp, "kattis");
const native = join(tmp, "native.jsonl");
/** Right on PyPy only. */
const PYPY_ONLY = 'import sys\nn = int(input())\nprint(2 * n if sys.implementation.name == "pypy" else -1)\n';
const havePypy = pythonAvailable("pypy");
if (!havePypy) console.log("skipping the PyPy cases: pypy3 is not installed (apt-get install pypy3)");
let server: ChatServer;
let folderNo = 0;

beforeAll(async () => {
  writeKattisPackage(kattis, doublePackage("double"));
  await writeProblems(native, [
    {
      id: "n1",
      benchmark: "native",
      split: "test",
      title: "Double",
      statement: "Read one integer n from standard input and print 2 * n.",
      judge: { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } },
      extraJudges: [],
      tests: { public: [{ kind: "stdio", input: "4\n", output: "8\n" }], private: [], generated: [] },
      limits: { timeLimitSec: 2, memoryLimitMb: 256, timeLimitOrigin: "dataset" },
      metadata: { difficulty: "easy", tags: [] },
      solutions: [],
      warnings: [],
      origin: { file: "native.jsonl" },
    } as Problem,
  ]);
  server = await startChatServer({ respond: () => answer(PYPY_ONLY) });
});
afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function configOf(source: string, over: Partial<RunConfigInput> = {}) {
  return parseRunConfig({
    benchmark: { source },
    model: `openai:${server.url}#scripted`,
    strategy: { kind: "single-turn" },
    cache: { enabled: false },
    sandbox: { workers: 1 },
    ...over,
  });
}

/** A run that starts its own sandbox from the config (no sandbox passed in). */
async function run(source: string, over: Partial<RunConfigInput> = {}) {
  const folder = join(tmp, `run${folderNo++}`);
  const lines: string[] = [];
  await runRun({ folder, config: configOf(source, over) }, { log: (m) => lines.push(m) });
  return { folder, lines, ...facts(folder) };
}

function facts(folder: string) {
  const store = RunStore.open(folder);
  try {
    const [t] = [...store.trajectories()];
    return { python: store.facts().python, verdict: store.trajectoryDetail(t!)!.grade?.verdict };
  } finally {
    store.close();
  }
}

async function html(folder: string): Promise<string> {
  return renderReportHtml(await buildReportData([folder], { bootstrap: { resamples: 50, seed: 1 } }));
}

/** Runs `fn` with $CODELOOP_PYPY pointing at no interpreter: PyPy is then "not installed". */
async function withoutPypy<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.CODELOOP_PYPY;
  process.env.CODELOOP_PYPY = join(tmp, "no-such-pypy3");
  try {
    return await fn();
  } finally {
    if (saved === undefined) Reflect.deleteProperty(process.env, "CODELOOP_PYPY");
    else process.env.CODELOOP_PYPY = saved;
  }
}

describe("sandbox.python: auto", () => {
  it.runIf(havePypy)("a Kattis source runs on PyPy; the run records it and the report shows it", async () => {
    const config = configOf(kattis);
    expect(config.sandbox.python).toBe("auto");
    expect(await pythonFor(config)).toBe("pypy");
    const r = await run(kattis);
    expect(r.python).toMatch(/^PyPy \d+\.\d+\.\d+ \(Python 3\.\d+\.\d+\)$/);
    expect(r.verdict).toBe("accepted");
    expect(r.lines.join("\n")).not.toMatch(/calibrated for PyPy/);
    expect(await html(r.folder)).toContain(`; Python on ${r.python}.`);
  });

  it.runIf(havePypy)("through `codeloop run`: the CLI picks PyPy for the Kattis folder too", async () => {
    const file = join(tmp, "kattis-run.yaml");
    writeFileSync(
      file,
      [
        `benchmark: { source: ${kattis} }`,
        `model: openai:${server.url}#scripted`,
        "strategy: { kind: single-turn }",
        "sandbox: { workers: 1 }",
        "cache: { enabled: false }",
        "",
      ].join("\n"),
    );
    const folder = join(tmp, `run${folderNo++}`);
    const out = await captureCli(registerRun, "run", file, "--out", folder, "--json");
    expect(JSON.parse(out)).toMatchObject({ folder, finished: 1, accepted: 1, solvedProblems: 1 });
    expect(facts(folder).python).toMatch(/^PyPy /);
  });

  it("a Kattis source without PyPy installed runs on CPython, with a warning", async () => {
    const r = await withoutPypy(async () => {
      expect(await pythonFor(configOf(kattis))).toBe("cpython");
      return run(kattis);
    });
    expect(r.python).toMatch(/^CPython 3\.\d+\.\d+$/);
    expect(r.verdict).toBe("wrong_answer");
    expect(r.lines.filter((l) => /Kattis time limits are calibrated for PyPy/.test(l))).toHaveLength(1);
    expect(await html(r.folder)).toContain(`; Python on ${r.python}.`);
  });

  it("a source that is not Kattis runs on CPython even when PyPy is installed", async () => {
    expect(await pythonFor(configOf(native))).toBe("cpython");
    const r = await run(native);
    expect(r.python).toMatch(/^CPython /);
    expect(r.verdict).toBe("wrong_answer");
    expect(r.lines.join("\n")).not.toMatch(/PyPy/);
  });

  it.runIf(havePypy)("sandbox.python: cpython overrides auto for a Kattis source", async () => {
    const r = await run(kattis, { sandbox: { workers: 1, python: "cpython" } });
    expect(r.python).toMatch(/^CPython /);
    expect(r.verdict).toBe("wrong_answer");
  });
});
