import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registerVerifier } from "../../src/cli/verifier.js";
import { ModelError } from "../../src/models/index.js";
import { loadProblems } from "../../src/problems/index.js";
import {
  codeOfAnswer,
  codeTokens,
  featureHash,
  featureSettings,
  featurise,
} from "../../src/verifiers/embedded-features.js";
import { heldOutProblems } from "../../src/verifiers/embedded-train.js";
import {
  EmbeddedVerifier,
  EmbeddedVerifierError,
  type VerifierFile,
  embeddedKind,
  serialiseVerifier,
  trainVerifier,
} from "../../src/verifiers/embedded.js";
import { codeAnswer } from "../../src/verifiers/text.js";
import { captureCli } from "../helpers/cli-capture.js";
import { dataPath, hasData } from "../problems/data.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-embedded-"));
afterAll(() => {
  if (!process.env.KEEP) rmSync(tmp, { recursive: true, force: true });
  console.log(tmp);
});

/** A small seeded generator so the synthetic data is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ["ans", "total", "res", "acc", "best", "cnt", "s", "out", "value", "result", "k", "m"];
const LOOPS = ["i", "j", "idx", "t", "p"];

/**
 * A synthetic problem's codes. Every code reads the input the same varied ways; the correct ones
 * accumulate over the input and print what they computed, the wrong ones print a constant
 * (with or without the loop). Identifiers, operators and statement order vary per code, so what
 * is shared is the construct, not any one text.
 */
function codes(next: () => number, correct: boolean): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const acc = pick(NAMES);
  const loop = pick(LOOPS);
  const read =
    next() < 0.5
      ? "import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\nxs = list(map(int, data[1:n + 1]))"
      : "n = int(input())\nxs = list(map(int, input().split()))";
  const op = pick(["+=", "-=", "^=", "|="]);
  const body = `${acc} = 0\nfor ${loop} in range(n):\n    ${acc} ${op} xs[${loop}] * ${pick(["1", "2", "3", loop])}`;
  if (correct) return `${read}\n${body}\nprint(${acc})\n`;
  const constant = pick(["print(0)", "print(-1)", 'print("NO")', "print(1)", 'print("0")']);
  return next() < 0.5 ? `${read}\n${constant}\n` : `${read}\n${body}\n${constant}\n`;
}

function prompt(i: number): string {
  return `Problem ${i}: given n numbers, print the answer of task ${i * 7919}.\n\nInput\nThe first line holds n.`;
}

const fenced = (code: string) => codeAnswer(code, "python");
const trl = (p: string, chosen: string, rejected: string) => ({
  prompt: [
    { role: "system", content: "You are a competitive programmer." },
    { role: "user", content: p },
  ],
  chosen: [{ role: "assistant", content: fenced(chosen) }],
  rejected: [{ role: "assistant", content: fenced(rejected) }],
});

/** A TRL pairs file of `problems` problems, 3 correct × 3 wrong codes, all 9 pairs each. */
function pairsFile(name: string, problems: number, seed: number, first = 0): string {
  const next = rng(seed);
  const rows: string[] = [];
  for (let i = first; i < first + problems; i++) {
    const good = [0, 1, 2].map(() => codes(next, true));
    const bad = [0, 1, 2].map(() => codes(next, false));
    for (const g of good) for (const b of bad) rows.push(JSON.stringify(trl(prompt(i), g, b)));
  }
  const path = join(tmp, name);
  writeFileSync(path, `${rows.join("\n")}\n`);
  return path;
}

function pointwiseFile(name: string, problems: number, seed: number): string {
  const next = rng(seed);
  const rows: string[] = [];
  for (let i = 0; i < problems; i++) {
    for (const label of [true, false, true, false, false]) {
      rows.push(
        JSON.stringify({
          prompt: [{ role: "user", content: prompt(i) }],
          completion: [{ role: "assistant", content: fenced(codes(next, label)) }],
          label,
        }),
      );
    }
  }
  const path = join(tmp, name);
  writeFileSync(path, `${rows.join("\n")}\n`);
  return path;
}

const PAIRS = pairsFile("pairs.jsonl", 60, 1);
/** Problems 1000.. : none of them is in PAIRS. */
const OTHER = pairsFile("other.jsonl", 20, 2, 1000);

async function expectError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(EmbeddedVerifierError);
  await expect(p).rejects.toThrow(pattern);
}

describe("featuriser", () => {
  it("tokenises code: comments dropped, long literals folded, language-aware comments", () => {
    expect(codeTokens('x = 1  # note\nprint("YES", 1000000007)\n', "python")).toEqual([
      "x",
      "=",
      "1",
      "<nl>",
      "print",
      "(",
      '"s:YES',
      ",",
      "<num>",
      ")",
    ]);
    // In C++ `#` starts a directive, `//` a comment; in Python `//` is floor division.
    expect(codeTokens("#include <cstdio>\nint a = b // c\n;", "cpp")).toEqual(
      expect.arrayContaining(["#", "include"]),
    );
    expect(codeTokens("#include <cstdio>\nint a = b // c\n;", "cpp")).not.toContain("c");
    expect(codeTokens("a = b // c", "python")).toEqual(["a", "=", "b", "//", "c"]);
    expect(codeTokens('s = "a much longer string"', "python")).toEqual(["s", "=", "<str>"]);
  });

  it("takes the fenced block's body and its language", () => {
    expect(codeOfAnswer(fenced("print(1)\n"))).toEqual({ code: "print(1)", language: "python" });
    expect(codeOfAnswer(codeAnswer("s = '```'\n", "cpp"))).toEqual({ code: "s = '```'", language: "cpp" });
    expect(codeOfAnswer("no fence")).toEqual({ code: "no fence", language: "" });
  });

  it("is FNV-1a then fmix32, deterministic, L2-normalised and sparse in 2^dimBits", () => {
    // FNV-1a of "" is its offset basis 0x811c9dc5; fmix32 of that, computed by hand here.
    let h = 0x811c9dc5;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    expect(featureHash("")).toBe(h >>> 0);
    expect(featureHash("a")).not.toBe(featureHash("b"));
    const s = featureSettings(10);
    const v = featurise("n = int(input())\nprint(n * 2)\n", "python", "", s);
    expect(v).toEqual(featurise("n = int(input())\nprint(n * 2)\n", "python", "", s));
    let norm = 0;
    for (const x of v.values) norm += x * x;
    expect(norm).toBeCloseTo(1, 12);
    for (let k = 0; k < v.indices.length; k++) {
      expect(v.indices[k]).toBeLessThan(1024);
      if (k > 0) expect(v.indices[k]).toBeGreaterThan(v.indices[k - 1]!);
    }
    // Comments do not change the vector; a changed construct does.
    const commented = featurise("# read n\nn = int(input())\nprint(n * 2)  # double\n", "python", "", s);
    expect(commented.indices).toEqual(v.indices);
    expect(featurise("n = int(input())\nprint(2)\n", "python", "", s)).not.toEqual(v);
  });

  it("splits by problem, by seed, independent of the other problems", () => {
    const ps = Array.from({ length: 50 }, (_, i) => prompt(i));
    const a = heldOutProblems(ps, 0.2, 0);
    expect(a.size).toBe(10);
    expect(heldOutProblems(ps, 0.2, 1)).not.toEqual(a);
    // Adding a problem does not move the others across the split by more than the cutoff shift.
    const more = heldOutProblems([...ps, prompt(999)], 0.2, 0);
    expect([...a].filter((i) => !more.has(i)).length).toBeLessThanOrEqual(1);
    expect(heldOutProblems(ps.slice(0, 1), 0.5, 0).size).toBe(0);
  });
});

describe("training", () => {
  let model: VerifierFile;

  it("learns the shared construct: held-out problems well above the 0.5 baseline", async () => {
    model = await trainVerifier(PAIRS, { seed: 0 });
    const m = model.metrics;
    console.log(
      `synthetic: train ${m.train.pairAccuracy} on ${m.train.pairs} pairs / ${m.train.problems} problems; held-out ${m.heldOut?.pairAccuracy} on ${m.heldOut?.pairs} pairs / ${m.heldOut?.problems} problems`,
    );
    expect(model.trainedOn).toMatchObject({ rows: 540, pairRows: 540, problems: 60, heldOutProblems: 12 });
    expect(m.heldOut!.problems).toBe(12);
    expect(m.heldOut!.pairs).toBe(108);
    expect(m.train.pairs).toBe(432);
    expect(m.baseline).toBe(0.5);
    expect(m.heldOut!.pairAccuracy).toBeGreaterThan(0.9);
    expect(m.train.pairAccuracy).toBeGreaterThan(0.9);
    expect(model.trainedOn.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(model.trainedOn.file).toBe(resolve(PAIRS));
  });

  it("does not learn from labels that carry no pattern: held-out near the coin", async () => {
    // The same codes with chosen and rejected swapped at random: nothing to learn.
    const next = rng(9);
    const rows = readFileSync(PAIRS, "utf8")
      .trim()
      .split("\n")
      .map((l) => {
        const r = JSON.parse(l);
        return JSON.stringify(next() < 0.5 ? r : { ...r, chosen: r.rejected, rejected: r.chosen });
      });
    const noise = join(tmp, "noise.jsonl");
    writeFileSync(noise, `${rows.join("\n")}\n`);
    const v = await trainVerifier(noise, { seed: 0 });
    console.log(
      `synthetic, random labels: held-out ${v.metrics.heldOut!.pairAccuracy} on ${v.metrics.heldOut!.pairs} pairs`,
    );
    expect(v.metrics.heldOut!.pairAccuracy).toBeGreaterThan(0.3);
    expect(v.metrics.heldOut!.pairAccuracy).toBeLessThan(0.7);
  });

  it("is deterministic: the same seed gives a byte-identical file, another seed another split", async () => {
    const again = await trainVerifier(PAIRS, { seed: 0 });
    expect(serialiseVerifier(again)).toBe(serialiseVerifier(model));
    const other = await trainVerifier(PAIRS, { seed: 3 });
    expect(serialiseVerifier(other)).not.toBe(serialiseVerifier(model));
  });

  it("trains on pointwise rows by logistic regression and on axolotl rows", async () => {
    const v = await trainVerifier(pointwiseFile("points.jsonl", 50, 4), { seed: 0 });
    expect(v.trainedOn.pointRows).toBe(250);
    const h = v.metrics.heldOut!;
    // 2 accepted × 3 rejected codes per problem give 6 pairs for the pair accuracy.
    expect(h.pairs).toBe(h.problems * 6);
    expect(h.pairAccuracy).toBeGreaterThan(0.9);
    expect(h.points!.majority).toBeCloseTo(0.6, 10);
    expect(h.points!.accuracy).toBeGreaterThan(0.8);
    expect(v.bias).not.toBe(0);

    const axolotl = join(tmp, "axolotl.jsonl");
    const rows = readFileSync(PAIRS, "utf8")
      .trim()
      .split("\n")
      .map((l) => {
        const r = JSON.parse(l);
        return JSON.stringify({
          system: r.prompt[0].content,
          input: r.prompt[1].content,
          chosen: r.chosen[0].content,
          rejected: r.rejected[0].content,
        });
      });
    writeFileSync(axolotl, `${rows.join("\n")}\n`);
    const a = await trainVerifier(axolotl, { seed: 0 });
    // The same problems, codes and split: the same weights as the TRL rows.
    expect(a.weights).toEqual(model.weights);
  });

  it("names the file, line and field of a bad row", async () => {
    const bad = (name: string, lines: string[]) => {
      const p = join(tmp, name);
      writeFileSync(p, `${lines.join("\n")}\n`);
      return p;
    };
    const good = JSON.stringify(trl(prompt(0), "print(x)\n", "print(0)\n"));
    let p = bad("notjson.jsonl", [good, "{nope"]);
    await expectError(trainVerifier(p), new RegExp(`${p.replace(/[.]/g, "\\.")}:2: not JSON`));
    p = bad("label.jsonl", [good, "", JSON.stringify({ prompt: "p", completion: "c", label: 1 })]);
    await expectError(trainVerifier(p), /label\.jsonl:3: "label" must be true or false/);
    p = bad("role.jsonl", [
      JSON.stringify({ ...trl("p", "a", "b"), chosen: [{ role: "user", content: "x" }] }),
    ]);
    await expectError(trainVerifier(p), /role\.jsonl:1: "chosen" must end with an assistant message/);
    p = bad("msg.jsonl", [JSON.stringify({ ...trl("p", "a", "b"), rejected: [{ role: "assistant" }] })]);
    await expectError(trainVerifier(p), /msg\.jsonl:1: "rejected\[0\]" must be \{role, content\}/);
    p = bad("not-a-row.jsonl", [JSON.stringify({ messages: [] })]);
    await expectError(trainVerifier(p), /not-a-row\.jsonl:1: not a verifier row/);
    p = bad("empty.jsonl", [""]);
    await expectError(trainVerifier(p), /empty\.jsonl: no rows to train on/);
    await expectError(trainVerifier(join(tmp, "absent.jsonl")), /absent\.jsonl: cannot read \(ENOENT\)/);
    await expectError(trainVerifier(tmp), /cannot read \(EISDIR\)/);
    await expectError(trainVerifier(PAIRS, { holdout: 1 }), /--holdout/);
    await expectError(trainVerifier(PAIRS, { dimBits: 30 }), /--dim-bits/);
  });
});

describe("model file and scorer", () => {
  let path: string;
  let text: string;

  it("scores a correct code above a wrong one through the ScorerKind, in-process", async () => {
    const v = await trainVerifier(PAIRS, { seed: 0 });
    text = serialiseVerifier(v);
    path = join(tmp, "v.json");
    writeFileSync(path, text);
    const ref = `embedded:${path}`;
    expect(embeddedKind.test(ref)).toBe(true);
    expect(embeddedKind.test("vllm:http://x")).toBe(false);
    const scorer = embeddedKind.create(ref, {}, {});
    await scorer.check();
    const sha = (await import("node:crypto")).createHash("sha256").update(text).digest("hex");
    expect(scorer.id).toBe(`embedded:${path}@${sha.slice(0, 16)}`);
    const next = rng(77);
    const inputs = [codes(next, true), codes(next, false), codes(next, true), codes(next, false)].map(
      (code) => ({
        prompt: prompt(5000),
        code,
        language: "python",
        publicTests: null,
      }),
    );
    const s = await scorer.score(inputs);
    expect(s).toHaveLength(4);
    expect(s[0]).toBeGreaterThan(s[1]!);
    expect(s[2]).toBeGreaterThan(s[3]!);
    expect(Math.min(s[0]!, s[2]!)).toBeGreaterThan(Math.max(s[1]!, s[3]!));
    // The loaded file scores as the trainer measured: its held-out accuracy is reproduced.
    const m = EmbeddedVerifier.load(path);
    const held = await m.evaluateFile(OTHER);
    expect(held.pairs).toBe(180);
    expect(held.pairAccuracy).toBeGreaterThan(0.9);
    await scorer.close();
  });

  it("a retrained file gets another id", async () => {
    const other = join(tmp, "v2.json");
    writeFileSync(other, serialiseVerifier(await trainVerifier(PAIRS, { seed: 1 })));
    const a = embeddedKind.create(`embedded:${path}`, {}, {}).id;
    writeFileSync(path, readFileSync(other));
    expect(embeddedKind.create(`embedded:${path}`, {}, {}).id).not.toBe(a);
    writeFileSync(path, text);
  });

  it("check() names a missing file and the command that makes it, as a config ModelError", async () => {
    const missing = join(tmp, "nope", "v.json");
    const scorer = embeddedKind.create(`embedded:${missing}`, {}, {});
    const err = await scorer.check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).kind).toBe("config");
    expect((err as ModelError).message).toContain(missing);
    expect((err as ModelError).message).toContain("codeloop verifier train");
    expect((err as ModelError).message).not.toContain("\n");
    await expect(scorer.score([])).rejects.toBeInstanceOf(ModelError);
  });

  it("refuses corrupt files, naming the file and the field", () => {
    const v = JSON.parse(text);
    const cases: [unknown, RegExp][] = [
      ["not json", /not a verifier file: not JSON/],
      [{ ...v, format: "something-else" }, /not a verifier file: "format" is "something-else"/],
      [{ ...v, version: 2 }, /"version" 2 is not one this codeloop reads/],
      [{ ...v, features: { ...v.features, hash: "md5" } }, /"features\.hash" "md5"/],
      [{ ...v, dim: 12 }, /"dim" must be 2\^features\.dimBits = 65536/],
      [
        { ...v, weights: { indices: [1, 2], values: [0.5] } },
        /"weights\.indices" and "weights\.values" differ/,
      ],
      [{ ...v, weights: { indices: [5, 3], values: [1, 1] } }, /"weights\.indices\[1\]"/],
      [{ ...v, weights: { indices: [1], values: ["x"] } }, /"weights\.values\[0\]" must be a finite number/],
      [{ ...v, weights: { indices: [70000], values: [1] } }, /"weights\.indices\[0\]"/],
      [{ ...v, weights: null }, /"weights" must be/],
    ];
    for (const [content, pattern] of cases) {
      const p = join(tmp, "bad-v.json");
      writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
      expect(() => EmbeddedVerifier.load(p)).toThrow(EmbeddedVerifierError);
      expect(() => EmbeddedVerifier.load(p)).toThrow(pattern);
      expect(() => EmbeddedVerifier.load(p)).toThrow(p);
      const s = embeddedKind.create(`embedded:${p}`, {}, {});
      expect(s.id).toMatch(/@unreadable$/);
    }
  });
});

describe("codeloop verifier", () => {
  it("train: prints rows, problems, both accuracies and the baseline; writes the file atomically", async () => {
    const out = join(tmp, "cli-v.json");
    const text = await captureCli(
      registerVerifier,
      "verifier",
      "train",
      PAIRS,
      "--out",
      out,
      "--epochs",
      "20",
    );
    expect(text).toContain("rows: 540 (540 pairs, 0 labelled), problems: 60 (12 held out, seed 0)");
    expect(text).toMatch(/held-out: 12 problems, 108 pairs, pair accuracy \d+\.\d%/);
    expect(text).toContain("baseline: 50.0% pair accuracy");
    expect(readFileSync(out, "utf8")).toBe(
      serialiseVerifier(await trainVerifier(PAIRS, { seed: 0, epochs: 20 })),
    );
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(tmp).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    const json = JSON.parse(
      await captureCli(
        registerVerifier,
        "verifier",
        "train",
        PAIRS,
        "--out",
        out,
        "--holdout",
        "0",
        "--json",
      ),
    );
    expect(json.metrics.heldOut).toBeNull();
    expect(json.weights).toBeUndefined();
    expect(json.nonZeroWeights).toBeGreaterThan(0);

    const scored = await captureCli(registerVerifier, "verifier", "score", out, OTHER);
    expect(scored).toMatch(/20 problems, 180 pairs, pair accuracy \d+\.\d%/);
    expect(scored).not.toContain("note:");
    expect(await captureCli(registerVerifier, "verifier", "score", out, PAIRS)).toContain(
      "note: the model was trained on this file",
    );
  });

  it("reports errors as one-line CliErrors", async () => {
    const out = join(tmp, "cli-bad.json");
    const fail = (...args: string[]) =>
      captureCli(registerVerifier, "verifier", ...args).catch((e: unknown) => e);
    const cases: [string[], RegExp][] = [
      [["train", PAIRS, "--out", out, "--holdout", "x"], /--holdout: expected a number, got "x"/],
      [["train", PAIRS, "--out", out, "--epochs", "0"], /--epochs: expected a positive integer/],
      [["train", join(tmp, "absent.jsonl"), "--out", out], /absent\.jsonl: cannot read/],
      [["train", PAIRS, "--out", join(tmp, "no-dir", "v.json")], /--out .*no-dir.*: cannot write \(ENOENT\)/],
      [["score", join(tmp, "absent.json"), PAIRS], /absent\.json: no such verifier file/],
    ];
    for (const [args, pattern] of cases) {
      const err = await fail(...args);
      expect((err as Error).constructor.name).toBe("CliError");
      expect((err as Error).message).toMatch(pattern);
      expect((err as Error).message).not.toContain("\n");
    }
  });
});

/**
 * Real code: the gold Python solutions of the CodeContests sample. The sample has no wrong
 * solutions, so the rejected side is made from golds, in two ways that say different things:
 * a gold with its output lines taken out (a construct a code-only model can learn), and the gold
 * of a problem from another half of the sample (real, working code for the wrong problem, which
 * no code-only model can tell apart: held-out accuracy must stay near the coin even though the
 * train accuracy is high, which is memorisation and the reason the split is by problem).
 */
describe.runIf(hasData("codecontests-sample"))("real gold solutions (codecontests-sample)", () => {
  const rowsOf = async () => {
    const ps = (await loadProblems(dataPath("codecontests-sample"))).filter((p) =>
      p.solutions.some((s) => s.language === "python" && s.verdict === "accepted"),
    );
    const gold = (p: (typeof ps)[number]) =>
      p.solutions.find((s) => s.language === "python" && s.verdict === "accepted")!.code;
    const row = (statement: string, chosen: string, rejected: string) =>
      JSON.stringify({
        prompt: [{ role: "user", content: statement }],
        chosen: [{ role: "assistant", content: fenced(chosen) }],
        rejected: [{ role: "assistant", content: fenced(rejected) }],
      });
    return { ps, gold, row };
  };

  it("gold vs the gold without its output lines: held-out well above the coin", async () => {
    const { ps, gold, row } = await rowsOf();
    const silent = (c: string) =>
      c
        .split("\n")
        .filter((l) => !/\bprint\s*\(|\.write\s*\(/.test(l))
        .join("\n");
    const file = join(tmp, "real-silent.jsonl");
    writeFileSync(file, `${ps.map((p) => row(p.statement, gold(p), silent(gold(p)))).join("\n")}\n`);
    const v = await trainVerifier(file, { seed: 0 });
    const m = v.metrics;
    console.log(
      `real, gold vs silent gold: ${v.trainedOn.problems} problems (${ps.length} in the sample: twins share a statement); train ${m.train.pairAccuracy} on ${m.train.pairs} pairs; held-out ${m.heldOut!.pairAccuracy} on ${m.heldOut!.pairs} pairs / ${m.heldOut!.problems} problems`,
    );
    expect(m.heldOut!.pairs).toBeGreaterThan(40);
    expect(m.heldOut!.pairAccuracy).toBeGreaterThan(0.9);
  });

  it("gold vs another problem's gold: memorised in training, near the coin held out", async () => {
    const { ps, gold, row } = await rowsOf();
    // Halves by a hash of the id, not the sample's order: the order groups contests, and a model
    // would learn the two halves' styles (a confound measured at 0.82-0.96 "accuracy").
    const h = (s: string) => featureHash(s);
    const shuffled = [...ps].sort((a, b) => h(a.id) - h(b.id) || (a.id < b.id ? -1 : 1));
    const half = Math.floor(shuffled.length / 2);
    const lines = shuffled.slice(0, half).map((p, i) => row(p.statement, gold(p), gold(shuffled[half + i]!)));
    const file = join(tmp, "real-mismatch.jsonl");
    writeFileSync(file, `${lines.join("\n")}\n`);
    for (const promptFeatures of [false, true]) {
      const v = await trainVerifier(file, { seed: 0, promptFeatures });
      const m = v.metrics;
      console.log(
        `real, gold vs other problem's gold (prompt features ${promptFeatures}): train ${m.train.pairAccuracy} on ${m.train.pairs} pairs; held-out ${m.heldOut!.pairAccuracy} on ${m.heldOut!.pairs} pairs / ${m.heldOut!.problems} problems`,
      );
      expect(m.train.pairAccuracy).toBeGreaterThan(0.9);
      expect(m.heldOut!.pairAccuracy).toBeGreaterThan(0.2);
      expect(m.heldOut!.pairAccuracy).toBeLessThan(0.8);
    }
  });
});
