// The run store split by role (folder, writer, reader, one keyset pager): a run built through the
// writer reads back whole through every reader path, and every paged read returns each row once,
// in order, whatever the page size (1, 2, an exact multiple of the row count, larger, empty run).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type Candidate,
  RunStore,
  RunStoreError,
  STORE_SCHEMA_VERSION,
  type TestSummary,
  type Turn,
  openRunFolder,
  parseRunConfig,
} from "../../src/runs/index.js";
import { keysetPages } from "../../src/runs/store-pager.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-store-split-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(tmp, `run-${n++}`);

const T = 3;
const config = parseRunConfig({
  benchmark: { source: "x.jsonl" },
  model: "ollama:m",
  trajectoriesPerProblem: T,
});

// Ids out of alphabetical order: run order (ordinal) and id order differ, as in real benchmarks.
const IDS = ["p-d", "p-a", "p-c", "p-b"];

const grade = (ok: boolean): TestSummary => ({
  verdict: ok ? "accepted" : "wrong_answer",
  passed: ok ? 2 : 1,
  total: 2,
  tests: [{ index: 0, verdict: ok ? "accepted" : "wrong_answer", message: "m" }],
  infrastructureFailure: false,
});

function cand(index: number, code: string | null): Candidate {
  return {
    index,
    rawAnswer: `answer ${index}`,
    code,
    extraction: code === null ? "none" : "fenced-language",
    finishReason: "stop",
    promptTokens: 7,
    completionTokens: 11 + index,
    tokensApproximate: false,
    latencyMs: 3,
    cached: false,
    modelError: null,
    seed: 100 + index,
    publicTests: code === null ? null : grade(index === 0),
    selected: index === 0,
    verifierScore: code === null ? null : 0.5,
  };
}

function turn(index: number, codes: (string | null)[]): Turn {
  return {
    index,
    parentTurn: index === 0 ? null : index - 1,
    parentCandidate: index === 0 ? null : 0,
    messages: [{ role: "user", content: `turn ${index}` }],
    history: "append",
    candidates: codes.map((c, i) => cand(i, c)),
    startedAt: "2025-01-01T00:00:00.000Z",
    finishedAt: "2025-01-01T00:00:01.000Z",
  };
}

/**
 * Problem i, trajectory t has (i + t) % 3 + 1 turns of two candidates (the second without code
 * on odd turns). Trajectory 0 of p-c stays pending, trajectory 1 of p-c is left running, p-b#2
 * fails; the rest are done with a grade of their last turn's first code.
 */
function buildRun(dir: string) {
  const store = RunStore.create(dir, config);
  store.planProblems(
    IDS.map((id, i) => ({ id, title: `T ${id}`, difficulty: i % 2 ? "hard" : "easy", tags: [id] })),
  );
  store.recordExcluded([{ id: "p-x", reasons: ["flag: broken"] }]);
  store.setFact("python", "cpython 3.12");
  const turns = new Map<string, Turn[]>();
  IDS.forEach((id, i) => {
    for (let t = 0; t < T; t++) {
      const key = { problemId: id, trajectory: t };
      if (id === "p-c" && t === 0) continue;
      const list: Turn[] = [];
      for (let u = 0; u < ((i + t) % 3) + 1; u++) {
        const tu = turn(u, [`print(${i}${t}${u})`, u % 2 ? null : `pass # ${i}${t}${u}`]);
        expect(store.writeTurn(key, tu)).toBe(true);
        list.push(tu);
      }
      turns.set(`${id}#${t}`, list);
      if (id === "p-c" && t === 1) continue;
      const last = list.length - 1;
      if (id === "p-b" && t === 2)
        store.finishTrajectory(key, { status: "failed", submitted: null, error: "boom" });
      else
        store.finishTrajectory(key, {
          status: "done",
          submitted: { turn: last, candidate: 0 },
          grade: grade((i + t) % 2 === 0),
          gradedAt: "2025-01-02T00:00:00.000Z",
        });
    }
  });
  // A rejudge of one code: its newer grade is the one every reader must see.
  const v = store.beginGradeVersion("rejudge");
  expect(
    store.writeGrade({ problemId: "p-d", trajectory: 1 }, 1, 0, grade(true), v, "2025-01-03T00:00:00.000Z"),
  ).toBe(true);
  return { store, turns, version: v };
}

/** Run order: problems by ordinal, then trajectory. */
const RUN_ORDER = IDS.flatMap((id) => [0, 1, 2].map((t) => `${id}#${t}`));
const key = (x: { problemId: string; trajectory: number }) => `${x.problemId}#${x.trajectory}`;

// Page sizes: 1, 2, exact multiples of the 12 trajectories (3, 4, 6, 12), others, and one page.
const SIZES = [1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 500];

describe("the split store, through every reader path", () => {
  const dir = fresh();
  const { store, turns, version } = buildRun(dir);
  afterAll(() => store.close());

  it("counts and summarises what the writer stored", () => {
    expect(store.counts()).toEqual({ total: 12, pending: 1, running: 1, done: 9, failed: 1 });
    const s = store.problemSummaries();
    expect(s.map((x) => [x.ordinal, x.problemId, x.title, x.difficulty, x.tags])).toEqual(
      IDS.map((id, i) => [i, id, `T ${id}`, i % 2 ? "hard" : "easy", [id]]),
    );
    expect(s.map((x) => x.graded)).toEqual([3, 3, 1, 2]);
    expect(store.excludedProblems()).toEqual([{ id: "p-x", reasons: ["flag: broken"] }]);
    expect(store.facts()).toEqual({ python: "cpython 3.12" });
    expect(store.gradeVersions().map((g) => [g.version, g.note])).toEqual([
      [1, "run"],
      [version, "rejudge"],
    ]);
  });

  it("pages problem summaries: every problem once, in run order, for every page size", () => {
    for (const pageSize of [1, 2, 3, 4, 5]) {
      expect(
        [...store.iterateProblemSummaries({ pageSize })].map((s) => s.problemId),
        `pageSize ${pageSize}`,
      ).toEqual(IDS);
    }
    expect(store.problemSummaries({ after: 1, limit: 2 }).map((s) => s.problemId)).toEqual(["p-c", "p-b"]);
  });

  it("pages trajectories, filtered or not, every row once in order", () => {
    for (const pageSize of SIZES) {
      expect([...store.trajectories({ pageSize })].map(key), `pageSize ${pageSize}`).toEqual(RUN_ORDER);
      expect([...store.trajectories({ pageSize, problemId: "p-c" })].map(key)).toEqual([
        "p-c#0",
        "p-c#1",
        "p-c#2",
      ]);
      expect([...store.trajectories({ pageSize, status: "failed" })].map(key)).toEqual(["p-b#2"]);
      expect([...store.trajectories({ pageSize, status: "done" })].map(key)).toEqual(
        RUN_ORDER.filter((k) => !["p-c#0", "p-c#1", "p-b#2"].includes(k)),
      );
    }
    const t = [...store.trajectories({ problemId: "p-d" })][1]!;
    expect(t).toMatchObject({ status: "done", submittedTurn: 1, submittedCandidate: 0, turnCount: 2 });
    expect(t.submittedCode).toBe("print(011)");
    expect(t.grade).toMatchObject({ version, verdict: "accepted" });
  });

  it("pages resume points: the unfinished trajectories, with their stored turns", () => {
    for (const pageSize of SIZES) {
      expect([...store.resumePoints({ pageSize })].map((r) => [key(r), r.status, r.turns])).toEqual([
        ["p-c#0", "pending", 0],
        ["p-c#1", "running", ((2 + 1) % 3) + 1],
      ]);
      expect([...store.resumePoints({ pageSize, retryFailed: true })].map(key)).toEqual([
        "p-c#0",
        "p-c#1",
        "p-b#2",
      ]);
    }
  });

  it("pages stored codes over a four-column key, every code once in order", () => {
    const expected: string[] = [];
    for (const k of RUN_ORDER) {
      for (const u of turns.get(k) ?? []) {
        for (const c of u.candidates) if (c.code !== null) expected.push(`${k}/${u.index}/${c.index}`);
      }
    }
    expect(expected.length).toBeGreaterThan(20);
    const submissions = [...store.storedCodes()].map((c) => `${key(c)}/${c.turn}/${c.candidate}`);
    expect(submissions).toHaveLength(9);
    // Page sizes of one and two, every size the code count is an exact multiple of, and more.
    const divisors = expected.map((_, i) => i + 1).filter((d) => expected.length % d === 0);
    expect(divisors.length).toBeGreaterThan(2);
    for (const pageSize of [1, 2, ...divisors, expected.length + 1]) {
      const all = [...store.storedCodes({ all: true, pageSize })];
      expect(
        all.map((c) => `${key(c)}/${c.turn}/${c.candidate}`),
        `pageSize ${pageSize}`,
      ).toEqual(expected);
      expect([...store.storedCodes({ pageSize })].map((c) => `${key(c)}/${c.turn}/${c.candidate}`)).toEqual(
        submissions,
      );
    }
    const rejudged = [...store.storedCodes()].find((c) => key(c) === "p-d#1")!;
    expect(rejudged).toMatchObject({
      submitted: true,
      code: "print(011)",
      grade: { version, verdict: "accepted" },
    });
  });

  it("reads trajectory facts and details back as written", () => {
    const facts = [...store.trajectoryFacts()];
    expect(facts.map(key)).toEqual([...RUN_ORDER].sort());
    for (const f of facts) {
      const written = turns.get(key(f)) ?? [];
      expect(f.candidates.map((c) => [c.turn, c.candidate, c.code])).toEqual(
        written.flatMap((u) => u.candidates.map((c) => [u.index, c.index, c.code])),
      );
      const d = store.trajectoryDetail(f)!;
      expect(d.turns).toEqual(written);
      expect(d.status).toBe(f.status);
    }
    const pd1 = facts.find((f) => key(f) === "p-d#1")!;
    expect(pd1.candidates.find((c) => c.turn === 1 && c.candidate === 0)?.hiddenVerdict).toBe("accepted");
    expect(store.trajectoryDetail({ problemId: "p-d", trajectory: 1 })!.turnGrades).toEqual([
      { turn: 1, candidate: 0, grade: expect.objectContaining({ version, verdict: "accepted" }) },
    ]);
    expect(store.trajectoryDetail({ problemId: "p-z", trajectory: 0 })).toBeUndefined();
  });

  it("reopens through the shared opener with the same reads and the same on-disk layout", () => {
    const again = openRunFolder(dir);
    try {
      expect(again.config).toEqual(store.config);
      expect(again.store.run).toEqual(store.run);
      expect([...again.store.trajectories({ pageSize: 5 })]).toEqual([...store.trajectories()]);
    } finally {
      again.store.close();
    }
    const Database = createRequire(import.meta.url)("libsql");
    const db = new Database(join(dir, "run.db"), { readonly: true });
    try {
      expect(db.prepare("PRAGMA user_version").get().user_version).toBe(STORE_SCHEMA_VERSION);
      expect(
        db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
          .all()
          .map((r: { name: string }) => r.name),
      ).toEqual([
        "candidates",
        "excluded_problems",
        "facts",
        "grade_versions",
        "grades",
        "problems",
        "run",
        "trajectories",
        "turns",
      ]);
    } finally {
      db.close();
    }
  });
});

describe("paged reads of an empty run", () => {
  it("return nothing, for every page size", () => {
    const store = RunStore.create(fresh(), config);
    try {
      for (const pageSize of [1, 2, 500]) {
        expect([...store.trajectories({ pageSize })]).toEqual([]);
        expect([...store.resumePoints({ pageSize })]).toEqual([]);
        expect([...store.storedCodes({ pageSize, all: true })]).toEqual([]);
        expect([...store.iterateProblemSummaries({ pageSize })]).toEqual([]);
      }
      expect([...store.trajectoryFacts()]).toEqual([]);
      expect(store.counts()).toEqual({ total: 0, pending: 0, running: 0, done: 0, failed: 0 });
    } finally {
      store.close();
    }
  });
});

describe("keysetPages", () => {
  const rows = Array.from({ length: 12 }, (_, i) => ({ k: i * 10 }));
  function pages(source: { k: number }[], pageSize: number) {
    const calls: number[] = [];
    const out = [
      ...keysetPages<readonly [number], { k: number }>(
        ([after], limit) => {
          calls.push(after);
          return source.filter((r) => r.k > after).slice(0, limit);
        },
        (r) => [r.k],
        [-1],
        pageSize,
      ),
    ];
    return { out, calls };
  }

  it("yields every row once, in order, and stops after the first short page", () => {
    for (const pageSize of [1, 2, 3, 4, 5, 6, 12, 13]) {
      const { out, calls } = pages(rows, pageSize);
      expect(out).toEqual(rows);
      // An exact multiple needs one more (empty) page to know it is done.
      expect(calls).toHaveLength(Math.floor(rows.length / pageSize) + 1);
      expect(calls[0]).toBe(-1);
      if (pageSize < rows.length) expect(calls[1]).toBe(rows[pageSize - 1]!.k);
    }
    expect(pages([], 1)).toEqual({ out: [], calls: [-1] });
  });

  it("refuses a page size that would never advance", () => {
    expect(() => pages(rows, 0)).toThrow(RangeError);
    expect(() => pages(rows, 1.5)).toThrow(RangeError);
  });
});

describe("openRunFolder", () => {
  it("names each mistake, in the caller's error class", () => {
    const missing = join(tmp, "nope");
    expect(() => openRunFolder(missing)).toThrow(
      new RunStoreError(`${missing}: no such folder (${missing} is not a run folder)`),
    );
    const empty = join(tmp, "empty");
    mkdirSync(empty);
    class MyError extends Error {}
    expect(() => openRunFolder(empty, { error: (m) => new MyError(`run A: ${m}`) })).toThrow(
      new MyError(`run A: ${empty} is not a run folder (no config.json)`),
    );
    expect(() => openRunFolder(empty, { error: (m) => new MyError(m) })).toThrow(MyError);
  });
});
