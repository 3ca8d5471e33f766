import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  codesOf,
  consecutiveSimilarities,
  normalizePythonCodes,
  seededRng,
  sequenceRatio,
  similarityByFeedback,
  summarise,
} from "../../src/metrics/index.js";
import type { ProblemRecord } from "../../src/metrics/index.js";
import { runPython } from "../../src/metrics/normalize.js";

const DIFFLIB = `
import difflib, json, sys
json.dump([difflib.SequenceMatcher(None, a, b).ratio() for a, b in json.load(sys.stdin)], sys.stdout)
`;

function randomCode(rng: () => number, lines: number): string {
  const words = [
    "x",
    "y",
    "total",
    "for",
    "in",
    "range",
    "(",
    ")",
    ":",
    "+=",
    "print",
    "if",
    "==",
    "0",
    "1",
    "n",
  ];
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const len = 2 + Math.floor(rng() * 8);
    const indent = " ".repeat(4 * Math.floor(rng() * 3));
    out.push(indent + Array.from({ length: len }, () => words[Math.floor(rng() * words.length)]).join(" "));
  }
  return out.join("\n");
}

function mutate(rng: () => number, s: string): string {
  const chars = [...s];
  const edits = 1 + Math.floor(rng() * 20);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rng() * (chars.length + 1));
    const r = rng();
    if (r < 0.4) chars.splice(at, 1);
    else if (r < 0.8) chars.splice(at, 0, "abcé😀\n "[Math.floor(rng() * 8)]!);
    else chars.splice(at, 3, ..."zz");
  }
  return chars.join("");
}

describe("sequenceRatio", () => {
  it("agrees with python3 difflib.SequenceMatcher(None, a, b).ratio()", async () => {
    const rng = seededRng(2024);
    const pairs: [string, string][] = [
      ["", ""],
      ["", "abc"],
      ["abcd", "bcde"],
      ["private Thread currentThread;", "private volatile Thread currentThread;"],
      ["qabxcd", "abycdf"],
      ["😀a😀b", "a😀b😀"],
    ];
    // Short and long (autojunk applies from 200 characters of b), similar and unrelated pairs.
    for (let i = 0; i < 40; i++) {
      const a = randomCode(rng, 1 + Math.floor(rng() * 40));
      pairs.push([a, mutate(rng, a)]);
      pairs.push([a, randomCode(rng, 1 + Math.floor(rng() * 40))]);
    }
    const expected = (await runPython(DIFFLIB, pairs)) as number[];
    expect(pairs.some(([, b]) => [...b].length >= 200)).toBe(true);
    pairs.forEach(([a, b], i) => {
      expect(sequenceRatio(a, b)).toBeCloseTo(expected[i]!, 12);
    });
  });
});

describe("normalizePythonCodes", () => {
  it("drops comments and formatting, keeps unparsable text, runs nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metrics-norm-"));
    const marker = join(dir, "ran");
    const codes = [
      "x  =  1   # set x\n\n\ny=(x+\n 2)\n",
      "x = 1\ny = x + 2",
      "def f(:\n  pass  # broken",
      `open(${JSON.stringify(marker)}, "w").write("executed")`,
      "x = 1\ny = x + 2",
    ];
    const out = await normalizePythonCodes(codes, { processes: 2 });
    expect(out[0]).toBe("x = 1\ny = x + 2");
    expect(out[1]).toBe(out[0]);
    expect(out[2]).toBe(codes[2]);
    expect(out[3]).toContain("open(");
    expect(out[4]).toBe(out[0]);
    expect(existsSync(marker)).toBe(false);
  });
});

describe("normalisation cache", () => {
  it("stores results, reuses them, and survives a torn line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metrics-cache-"));
    const file = join(dir, "norm.jsonl");
    const first = await normalizePythonCodes(["a  =  1 # c", "b=2"], { cacheFile: file });
    expect(first).toEqual(["a = 1", "b = 2"]);
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines).toHaveLength(2);
    // Tamper with the stored value: a cache hit must return it instead of re-parsing.
    const entry = JSON.parse(lines[0]!) as { k: string; v: string };
    writeFileSync(file, `${JSON.stringify({ k: entry.k, v: "from cache" })}\n${lines[1]}\n`);
    appendFileSync(file, '{"k": "torn');
    const second = await normalizePythonCodes(["a  =  1 # c", "b=2", "c=3"], { cacheFile: file });
    expect(entry.v).toBe("a = 1");
    expect(second).toEqual(["from cache", "b = 2", "c = 3"]);
    // The entry written after the torn line is readable again.
    const cached = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.startsWith('{"k":"'))
      .map((l) => JSON.parse(l).v);
    expect(cached).toEqual(["from cache", "b = 2", "c = 3"]);
  });
});

describe("consecutive similarities", () => {
  it("pairs consecutive codes of a trajectory, skipping turns without code", () => {
    const turn = (code: string | null) => ({
      code,
      publicPass: false,
      hiddenPass: null,
      llmCalls: 1,
      tokens: 1,
    });
    const p: ProblemRecord = {
      id: "p",
      difficulty: null,
      tags: [],
      trajectories: [
        {
          turns: [turn("abcd"), turn(null), turn("abcd"), turn("wxyz")],
          submittedTurn: 3,
          hiddenPass: false,
        },
        { turns: [turn("ab")], submittedTurn: 0, hiddenPass: false },
      ],
    };
    // A one-code trajectory has no pair: its code needs no normalisation.
    expect(codesOf([p])).toEqual(["abcd", "abcd", "wxyz"]);
    const sims = consecutiveSimilarities([p], (c) => c);
    expect(sims).toEqual([1, 0]);
    const s = summarise(sims);
    expect(s.count).toBe(2);
    expect(s.mean).toBe(0.5);
    expect(s.histogram[0]).toBe(1);
    expect(s.histogram[9]).toBe(1);
  });
});

describe("similarityByFeedback", () => {
  it("pools runs by feedback kind", () => {
    const turn = (code: string) => ({ code, publicPass: false, hiddenPass: null, llmCalls: 1, tokens: 1 });
    const run = (kind: string, codes: string[]) => ({
      feedbackKind: kind,
      maxTurns: 3,
      problems: [
        {
          id: "p",
          difficulty: null,
          tags: [],
          trajectories: [{ turns: codes.map(turn), submittedTurn: codes.length - 1, hiddenPass: false }],
        },
      ],
    });
    const out = similarityByFeedback(
      [run("binary", ["ab", "ab"]), run("failed-test", ["ab", "cd"]), run("binary", ["abcd", "ab"])],
      (c) => c,
    );
    expect(Object.keys(out).sort()).toEqual(["binary", "failed-test"]);
    expect(out.binary!.count).toBe(2);
    expect(out.binary!.mean).toBeCloseTo((1 + 2 / 3) / 2, 12);
    expect(out["failed-test"]!.mean).toBe(0);
  });
});
