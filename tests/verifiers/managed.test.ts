import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ModelError } from "../../src/models/index.js";
import {
  type Scorer,
  type VerifierInput,
  createScorer,
  manageScorer,
  scorerKindOf,
  scorerKinds,
} from "../../src/verifiers/index.js";

// The managed layer over any scorer: what it is shown, retries, the score cache. The scorer
// here is our own object (the layer's contract is the Scorer interface, not a protocol); the
// kinds themselves are tested against servers speaking their protocols in the other files.

const tmp = mkdtempSync(join(tmpdir(), "codeloop-verifier-managed-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function recording(fail: ModelError[] = []): Scorer & { seen: VerifierInput[][] } {
  const seen: VerifierInput[][] = [];
  return {
    id: "test:scorer",
    seen,
    async score(inputs) {
      seen.push([...inputs]);
      const e = fail.shift();
      if (e) throw e;
      return inputs.map((i) => i.code.length + (i.prompt === "" ? 0 : 1000));
    },
    async check() {},
    async close() {},
  };
}

const input = (code: string): VerifierInput => ({ prompt: "P", code, language: "python", publicTests: null });

describe("verifier registry", () => {
  it("knows every kind by its prefix and names them all for an unknown one", () => {
    expect(scorerKinds().map((k) => k.kind)).toEqual([
      "vllm-classify",
      "vllm-pooling",
      "tei",
      "tei-rerank",
      "chat-judge",
      "embedded",
    ]);
    expect(scorerKindOf("tei-rerank:http://127.0.0.1:1").kind).toBe("tei-rerank");
    expect(scorerKindOf("tei:http://127.0.0.1:1").kind).toBe("tei");
    expect(scorerKindOf("embedded:./v.json").kind).toBe("embedded");
    expect(() => createScorer("openai:http://127.0.0.1:1/v1#m")).toThrow(
      /verifier "openai:http:\/\/127\.0\.0\.1:1\/v1#m": unknown kind; expected one of vllm-classify:/,
    );
  });
});

describe("manageScorer", () => {
  it("scores only what the cache lacks, in one batch, and keys the cache by scorer and input kind", async () => {
    const dir = join(tmp, "cache");
    const s = recording();
    const v = manageScorer(s, { ref: "x" }, { cacheDir: dir });
    expect(await v.score([input("a"), input("bb")])).toEqual([1001, 1002]);
    expect(await v.score([input("bb"), input("ccc")])).toEqual([1002, 1003]);
    expect(s.seen.map((b) => b.map((i) => i.code))).toEqual([["a", "bb"], ["ccc"]]);
    expect(v.stats).toMatchObject({ batches: 2, scored: 3, cacheHits: 1 });
    expect(readdirSync(dir).length).toBeGreaterThan(0);
    // The code-only input is a different verifier: no score of the prompt+code one is reused.
    const codeOnly = manageScorer(recording(), { ref: "x", input: "code" }, { cacheDir: dir });
    expect(await codeOnly.score([input("a")])).toEqual([1]);
    expect(codeOnly.stats.cacheHits).toBe(0);
  });

  it("scores a code asked for twice in one batch, or by two batches at once, once", async () => {
    const s = recording();
    const v = manageScorer(s, { ref: "x" });
    const [a, b] = await Promise.all([
      v.score([input("a"), input("bb"), input("a")]),
      v.score([input("bb"), input("ccc")]),
    ]);
    expect(a).toEqual([1001, 1002, 1001]);
    expect(b).toEqual([1002, 1003]);
    expect(
      s.seen
        .flat()
        .map((i) => i.code)
        .sort(),
    ).toEqual(["a", "bb", "ccc"]);
  });

  it("retries what model calls retry, not configuration errors, and says how many attempts it made", async () => {
    const flaky = recording([
      new ModelError("http", "HTTP 429", { status: 429, retryAfterMs: 1 }),
      new ModelError("connection", "reset"),
    ]);
    const v = manageScorer(flaky, { ref: "x" }, { baseDelayMs: 1 });
    expect(await v.score([input("a")])).toEqual([1001]);
    expect(v.stats.retries).toBe(2);

    const wrong = recording([new ModelError("http", "HTTP 400: bad head", { status: 400 })]);
    await expect(manageScorer(wrong, { ref: "x" }, { baseDelayMs: 1 }).score([input("a")])).rejects.toThrow(
      /HTTP 400: bad head$/,
    );
    expect(wrong.seen).toHaveLength(1);

    const down = recording(Array.from({ length: 3 }, () => new ModelError("connection", "refused")));
    await expect(
      manageScorer(down, { ref: "x" }, { baseDelayMs: 1, maxAttempts: 3 }).score([input("a")]),
    ).rejects.toThrow(/refused \(gave up after 3 attempts\)/);
  });

  it("refuses a scorer that returns the wrong number of scores or a non-finite one", async () => {
    const bad: Scorer = {
      id: "bad",
      score: async (inputs) => inputs.map(() => Number.NaN),
      check: async () => {},
      close: async () => {},
    };
    await expect(manageScorer(bad, { ref: "x" }, { maxAttempts: 1 }).score([input("a")])).rejects.toThrow(
      /not a finite number/,
    );
  });
});
