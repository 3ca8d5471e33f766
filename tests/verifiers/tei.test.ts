import { afterEach, describe, expect, it } from "vitest";
import { codeAnswer, inputText, manageScorer } from "../../src/verifiers/index.js";
import type { Scorer, ScorerOptions } from "../../src/verifiers/index.js";
import { CODE_ONLY_QUERY, teiKind, teiRerankKind } from "../../src/verifiers/tei.js";
import {
  type ScoringServer,
  type ScoringServerOptions,
  startScoringServer,
} from "../helpers/scoring-server.js";
import { MARK, deadUrl, failure, inputsOf, markerScore } from "./helpers.js";

let server: ScoringServer | undefined;
let scorer: Scorer | undefined;
afterEach(async () => {
  await scorer?.close();
  await server?.close();
  scorer = undefined;
  server = undefined;
});

async function setup(
  kind: "tei" | "tei-rerank",
  serverOptions: ScoringServerOptions = {},
  options: ScorerOptions = {},
  model = "",
) {
  server = await startScoringServer({
    score: markerScore,
    ...serverOptions,
    tei: { head: kind === "tei" ? "classifier" : "reranker", ...serverOptions.tei },
  });
  const k = kind === "tei" ? teiKind : teiRerankKind;
  scorer = k.create(`${kind}:${server.url}${model ? `#${model}` : ""}`, options, {});
  return { server, scorer };
}

const codes = ["print(1)", `print(2)  ${MARK}`, "print(3)"];
const posts = (s: ScoringServer) => s.requests.filter((r) => r.method === "POST");

describe("tei", () => {
  it("scores a batch of single sequences in one /predict, in order, as P(last id2label class)", async () => {
    const { server, scorer } = await setup("tei");
    const inputs = inputsOf(codes);
    const scores = await scorer.score(inputs);
    expect(scores[0]).toBeCloseTo(0.2);
    expect(scores[1]).toBeCloseTo(0.9);
    expect(scores[2]).toBeCloseTo(0.2);
    expect(posts(server)).toHaveLength(1);
    expect(posts(server)[0]!.body).toEqual({
      inputs: inputs.map((i) => [inputText(i)]),
      raw_scores: false,
      truncate: true,
    });
    await scorer.score(inputs);
    // /info is read once, for id2label and the batch limit.
    expect(server.requests.filter((r) => r.path === "/info")).toHaveLength(1);
  });

  it.each([
    [{ label: 0 }, 0.4],
    [{ label: "0" }, 0.4],
    [{ label: "incorrect" }, 0.4],
    [{ label: "correct" }, 0.2],
    [{ label: 2 }, 0.2],
    [{}, 0.2],
  ] as const)("takes the class %j (a name or an id2label index)", async (options, expected) => {
    // Three classes: P(correct) = 0.2 for an unmarked code, 0.4 for each of the others.
    const { scorer } = await setup("tei", { labels: ["incorrect", "maybe", "correct"] }, options);
    const [s] = await scorer.score(inputsOf(["x"]));
    expect(s).toBeCloseTo(expected);
  });

  it("refuses a label the model does not have, naming its classes", async () => {
    const { scorer } = await setup("tei", {}, { label: "good" });
    expect(scorer.id).toContain(';label="good"');
    const error = await failure(scorer.check());
    expect(error.kind).toBe("config");
    expect(error.message).toContain(
      'label "good" is not one of the model\'s classes (0=incorrect, 1=correct)',
    );
  });

  it("splits a batch larger than max_client_batch_size", async () => {
    const { server, scorer } = await setup("tei", { tei: { maxBatch: 2 } });
    const many = [...codes, `x ${MARK}`, "y"];
    const scores = await scorer.score(inputsOf(many));
    expect(scores.map((s) => Math.round(s * 10) / 10)).toEqual([0.2, 0.9, 0.2, 0.9, 0.2]);
    expect(posts(server).map((r) => r.body.inputs.length)).toEqual([2, 2, 1]);
  });

  it("check passes, and names the model served when #model differs", async () => {
    const ok = await setup("tei", {}, {}, "org/verifier");
    await ok.scorer.check();
    await scorer!.close();
    await server!.close();
    const { server: s2, scorer: bad } = await setup("tei", {}, {}, "other/model");
    const error = await failure(bad.check());
    expect(error.message).toBe(`verifier tei: ${s2.url} serves org/verifier, not other/model`);
  });

  it("check refuses an embedding model", async () => {
    const { server, scorer } = await setup("tei", { tei: { head: "embedding" } });
    const error = await failure(scorer.check());
    expect(error.kind).toBe("config");
    expect(error.message).toBe(
      `verifier tei: ${server.url} serves org/verifier as an embedding, not a classifier; start TEI with a sequence-classification model`,
    );
  });

  it("check says so when the server is unreachable or is not TEI", async () => {
    const url = await deadUrl();
    scorer = teiKind.create(`tei:${url}`, {}, {});
    const error = await failure(scorer.check());
    expect(error.message).toMatch(
      new RegExp(`^verifier tei: cannot reach ${url} \\(.*\\); start the server or fix the URL$`),
    );
    await scorer.close();

    server = await startScoringServer({
      fault: (r) =>
        r.path === "/info" ? { fault: "status", status: 404, body: '{"detail":"Not Found"}' } : undefined,
    });
    scorer = teiKind.create(`tei:${server.url}`, {}, {});
    const notTei = await failure(scorer.check());
    expect(notTei.message).toBe(
      `verifier tei: ${server.url}/info did not describe a model (HTTP 404 from ${server.url}/info: Not Found); is ${server.url} a text-embeddings-inference server?`,
    );
  });

  it("surfaces TEI's error message and retries its 429 (overloaded)", async () => {
    const { server, scorer } = await setup("tei");
    server.enqueue({ fault: "status", status: 429, retryAfter: 0, message: "Model is overloaded" });
    const direct = await failure(scorer.score(inputsOf(codes)));
    expect(direct.message).toBe(`HTTP 429 from ${server.url}/predict: Model is overloaded`);
    expect(direct.retryable).toBe(true);

    server.enqueue({ fault: "status", status: 429, message: "Model is overloaded" });
    const managed = manageScorer(scorer, { ref: "x" }, { baseDelayMs: 1 });
    expect((await managed.score(inputsOf(codes))).map((s) => Math.round(s! * 10) / 10)).toEqual([
      0.2, 0.9, 0.2,
    ]);
    expect(managed.stats.retries).toBe(1);
  });

  it("does not retry a tokenizer error (422)", async () => {
    const { server, scorer } = await setup("tei");
    server.enqueue({
      fault: "status",
      status: 422,
      body: JSON.stringify({
        error: "Input validation error: inputs must have less than 512 tokens",
        error_type: "Validation",
      }),
    });
    // A single code refused, by a service that never scored anything here: the error stands.
    const managed = manageScorer(scorer, { ref: "x" }, { baseDelayMs: 1 });
    const error = await failure(managed.score(inputsOf(codes.slice(0, 1))));
    expect(error.status).toBe(422);
    expect(error.message).toContain("inputs must have less than 512 tokens");
    expect(error.attempts).toBe(1);
    expect(posts(server)).toHaveLength(1);
  });

  it("retries a failed /info and a dropped /predict", async () => {
    let infoFaults = 1;
    const { server, scorer } = await setup("tei", {
      fault: (r) => (r.path === "/info" && infoFaults-- > 0 ? { fault: "reset" } : undefined),
    });
    server.enqueue({ fault: "drop" });
    const managed = manageScorer(scorer, { ref: "x" }, { baseDelayMs: 1 });
    expect(await managed.score(inputsOf(["x"]))).toHaveLength(1);
    expect(managed.stats.retries).toBe(2);
  });

  it("calls a prediction list of the wrong length bad_response", async () => {
    const { server, scorer } = await setup("tei");
    server.enqueue({ fault: "json", body: [[{ score: 0.5, label: "correct" }]] });
    const error = await failure(scorer.score(inputsOf(codes)));
    expect(error.kind).toBe("bad_response");
    server.enqueue({ fault: "malformed" });
    expect((await failure(scorer.score(inputsOf(codes)))).kind).toBe("bad_response");
  });
});

describe("tei-rerank", () => {
  it("ranks each prompt's codes in one /rerank and maps the sorted ranks back by index", async () => {
    const { server, scorer } = await setup("tei-rerank");
    const a = inputsOf(codes, "Problem A");
    const b = inputsOf([`z ${MARK}`], "Problem B");
    const inputs = [a[0]!, b[0]!, a[1]!, a[2]!];
    expect(await scorer.score(inputs)).toEqual([0.2, 0.9, 0.9, 0.2]);
    const bodies = posts(server)
      .map((r) => r.body)
      .sort((x, y) => x.query.localeCompare(y.query));
    expect(bodies).toEqual([
      {
        query: "Problem A",
        texts: codes.map((c) => codeAnswer(c, "python")),
        raw_scores: false,
        truncate: true,
      },
      { query: "Problem B", texts: [codeAnswer(`z ${MARK}`, "python")], raw_scores: false, truncate: true },
    ]);
  });

  it("asks a fixed query when shown the code alone", async () => {
    const { server, scorer } = await setup("tei-rerank");
    const managed = manageScorer(scorer, { ref: "x", input: "code" });
    await managed.score(inputsOf(codes));
    expect(posts(server)[0]!.body.query).toBe(CODE_ONLY_QUERY);
  });

  it("check refuses a classifier, and label does not apply", async () => {
    const { server, scorer } = await setup("tei-rerank", { tei: { head: "classifier" } });
    const error = await failure(scorer.check());
    expect(error.message).toBe(
      `verifier tei-rerank: ${server.url} serves org/verifier as a classifier, not a reranker; start TEI with a reranker (a one-class cross-encoder)`,
    );
    expect(() => teiRerankKind.create(`tei-rerank:${server.url}`, { label: 1 }, {})).toThrow(
      /label does not apply/,
    );
  });

  it("check passes against a reranker", async () => {
    const { scorer } = await setup("tei-rerank", {}, {}, "org/verifier");
    await scorer.check();
    expect(teiKind.test("tei-rerank:http://h")).toBe(false);
    expect(teiRerankKind.test("tei-rerank:http://h")).toBe(true);
  });

  it("calls a rank outside the texts bad_response", async () => {
    const { server, scorer } = await setup("tei-rerank");
    server.enqueue({ fault: "json", body: [{ index: 5, score: 0.5 }] });
    expect((await failure(scorer.score(inputsOf(["x"])))).kind).toBe("bad_response");
  });
});
