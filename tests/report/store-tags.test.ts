import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type LibsqlDatabase from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { RUN_FILES, RunStore, parseRunConfig } from "../../src/runs/index.js";

const Database = createRequire(import.meta.url)("libsql") as typeof LibsqlDatabase;

const tmp = mkdtempSync(join(tmpdir(), "codeloop-report-tags-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = parseRunConfig({
  benchmark: { source: "x.jsonl" },
  model: "ollama:m",
  trajectoriesPerProblem: 2,
});

describe("problem tags in the run store", () => {
  it("stores tags at plan time and returns them in the summaries ([] when none)", () => {
    const dir = join(tmp, "new");
    const s = RunStore.create(dir, config);
    s.planProblems([
      { id: "a", tags: ["dp", "greedy"] },
      { id: "b", difficulty: "hard" },
      { id: "c", tags: [] },
    ]);
    expect(s.problemSummaries().map((p) => [p.problemId, p.tags])).toEqual([
      ["a", ["dp", "greedy"]],
      ["b", []],
      ["c", []],
    ]);
    s.close();
    const again = RunStore.open(dir);
    expect([...again.iterateProblemSummaries({ pageSize: 1 })].map((p) => p.tags)).toEqual([
      ["dp", "greedy"],
      [],
      [],
    ]);
    again.close();
  });

  it("opens a store written before the tags column existed, adds the column, and a re-plan fills tags in", () => {
    const dir = join(tmp, "old");
    const s = RunStore.create(dir, config);
    s.planProblems([{ id: "a", title: "A" }, { id: "b" }]);
    s.close();
    // Make it look like an older store: the problems table without the column.
    const db = new Database(join(dir, RUN_FILES.db));
    db.exec("ALTER TABLE problems DROP COLUMN tags");
    const cols = (db.prepare("PRAGMA table_info(problems)").all() as { name: string }[]).map((c) => c.name);
    expect(cols).not.toContain("tags");
    db.close();

    const reopened = RunStore.open(dir);
    expect(reopened.problemSummaries().map((p) => [p.problemId, p.title, p.tags, p.total])).toEqual([
      ["a", "A", [], 2],
      ["b", null, [], 2],
    ]);
    // A resumed run plans the same problems again, now with tags: they are filled in once.
    reopened.planProblems([{ id: "a", title: "A", tags: ["math"] }, { id: "b" }]);
    reopened.planProblems([{ id: "a", title: "A", tags: ["other"] }]);
    expect(reopened.problemSummaries().map((p) => [p.problemId, p.tags, p.ordinal])).toEqual([
      ["a", ["math"], 0],
      ["b", [], 1],
    ]);
    reopened.close();
  });
});
