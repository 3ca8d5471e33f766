import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Candidate, type Turn, requestMessages, seedFor } from "../../src/runs/trajectory.js";
import { bundleForNode } from "./bundle.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-runs-traj-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("seedFor", () => {
  it("matches the documented formula (values computed independently with Python's hashlib)", () => {
    expect(seedFor(0, "1575/A", 0, 0, 0)).toBe(2081417546);
    expect(seedFor(42, "HumanEval/0", 199, 2, 4)).toBe(1747333587);
    expect(seedFor(7, 'prob"é', 1, 0, 3)).toBe(2133467296);
  });

  it("gives distinct 31-bit seeds for neighbouring coordinates", () => {
    const seen = new Set<number>();
    for (let t = 0; t < 20; t++)
      for (let turn = 0; turn < 3; turn++)
        for (let c = 0; c < 5; c++) {
          const s = seedFor(1, "p", t, turn, c);
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThan(2 ** 31);
          seen.add(s);
        }
    expect(seen.size).toBe(300);
    // Ids that would collide under naive concatenation stay apart.
    expect(seedFor(1, "a1", 2, 0, 0)).not.toBe(seedFor(1, "a", 12, 0, 0));
  });

  it("rejects coordinates that are not non-negative integers", () => {
    expect(() => seedFor(-1, "p", 0, 0, 0)).toThrow(/runSeed/);
    expect(() => seedFor(0, "p", 0.5, 0, 0)).toThrow(/trajectory/);
  });

  it("is the same in a separate node process", async () => {
    const entry = join(tmp, "seed-child.ts");
    writeFileSync(
      entry,
      `import { seedFor } from ${JSON.stringify(resolve("src/runs/trajectory.ts"))};
const out = [];
for (let t = 0; t < 10; t++) out.push(seedFor(3, "CC/" + t, t, t % 3, t % 5));
process.stdout.write(JSON.stringify(out));`,
    );
    const file = await bundleForNode(entry, tmp, "seed-child");
    const r = spawnSync(process.execPath, [file], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const here = Array.from({ length: 10 }, (_, t) => seedFor(3, `CC/${t}`, t, t % 3, t % 5));
    expect(JSON.parse(r.stdout)).toEqual(here);
  });
});

function cand(index: number, rawAnswer: string): Candidate {
  return {
    index,
    rawAnswer,
    code: null,
    extraction: "none",
    finishReason: "stop",
    promptTokens: 1,
    completionTokens: 1,
    tokensApproximate: false,
    latencyMs: 1,
    cached: false,
    modelError: null,
    seed: 0,
    publicTests: null,
    selected: false,
    verifierScore: null,
  };
}

function turn(index: number, parent: [number, number] | null, text: string, answers: string[]): Turn {
  return {
    index,
    parentTurn: parent?.[0] ?? null,
    parentCandidate: parent?.[1] ?? null,
    messages: [{ role: "user", content: text }],
    history: "append",
    candidates: answers.map((a, i) => cand(i, a)),
    startedAt: "",
    finishedAt: "",
  };
}

describe("requestMessages", () => {
  it("rebuilds a linear dialog and a branch of a tree from per-turn messages", () => {
    const turns = [
      turn(0, null, "solve", ["a0", "a1"]),
      turn(1, [0, 1], "fb1", ["b0"]),
      turn(2, [1, 0], "fb2", ["c0"]),
      // A sibling branch from candidate 0 of the root.
      turn(3, [0, 0], "fb-alt", ["d0"]),
    ];
    expect(requestMessages(turns, 2)).toEqual([
      { role: "user", content: "solve" },
      { role: "assistant", content: "a1" },
      { role: "user", content: "fb1" },
      { role: "assistant", content: "b0" },
      { role: "user", content: "fb2" },
    ]);
    expect(requestMessages(turns, 3).map((m) => m.content)).toEqual(["solve", "a0", "fb-alt"]);
  });

  it("starts from a turn that replaces the history, and reports broken links", () => {
    const replaced = { ...turn(1, [0, 0], "whole request", []), history: "replace" as const };
    expect(requestMessages([turn(0, null, "x", ["y"]), replaced], 1)).toEqual([
      { role: "user", content: "whole request" },
    ]);
    expect(() => requestMessages([turn(1, [0, 0], "x", [])], 1)).toThrow(/parent turn 0 is missing/);
    expect(() => requestMessages([turn(0, null, "x", ["y"]), turn(1, [0, 3], "z", [])], 1)).toThrow(
      /parent candidate 3/,
    );
  });
});
