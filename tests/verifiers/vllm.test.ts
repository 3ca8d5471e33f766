import { afterEach, describe, expect, it } from "vitest";
import { inputMessages, inputText, manageScorer } from "../../src/verifiers/index.js";
import type { Scorer, ScorerOptions } from "../../src/verifiers/index.js";
import { vllmClassifyKind, vllmPoolingKind } from "../../src/verifiers/vllm.js";
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
  kind: "vllm-classify" | "vllm-pooling",
  serverOptions: ScoringServerOptions = {},
  options: ScorerOptions = {},
  suffix = "",
) {
  server = await startScoringServer({ score: markerScore, models: ["rm"], ...serverOptions });
  const k = kind === "vllm-classify" ? vllmClassifyKind : vllmPoolingKind;
  scorer = k.create(`${kind}:${server.url}${suffix}#rm`, options, {});
  return { server, scorer };
}

const codes = ["print(1)", `print(2)  ${MARK}`, "print(3)"];

describe("vllm-classify", () => {
  it("scores a batch in one /classify request, in order, as P(last class)", async () => {
    const { server, scorer } = await setup("vllm-classify");
    const inputs = inputsOf(codes);
    const scores = await scorer.score(inputs);
    expect(scores).toEqual([0.2, 0.9, 0.2]);
    const posts = server.requests.filter((r) => r.method === "POST");
    expect(posts).toHaveLength(1);
    expect(posts[0]!.path).toBe("/classify");
    expect(posts[0]!.body).toEqual({ model: "rm", input: inputs.map(inputText) });
  });

  it("maps answers back by index when the server reorders them", async () => {
    const { server, scorer } = await setup("vllm-classify");
    server.enqueue({
      fault: "json",
      body: {
        object: "list",
        data: [
          { index: 1, label: "correct", probs: [0.3, 0.7], num_classes: 2 },
          { index: 0, label: "incorrect", probs: [0.6, 0.4], num_classes: 2 },
        ],
      },
    });
    expect(await scorer.score(inputsOf(["a", "b"]))).toEqual([0.4, 0.7]);
  });

  it("takes the label class by index or by the name vLLM reports", async () => {
    const byIndex = await setup("vllm-classify", {}, { label: 0 });
    expect(byIndex.scorer.id).toBe(`vllm-classify:${byIndex.server.url}#rm;label=0`);
    const scores = await byIndex.scorer.score(inputsOf(codes));
    expect(scores[0]).toBeCloseTo(0.8);
    expect(scores[1]).toBeCloseTo(0.1);
    await scorer!.close();
    await server!.close();

    const byName = await setup("vllm-classify", {}, { label: "incorrect" });
    const named = await byName.scorer.score(inputsOf(codes));
    expect(named[1]).toBeCloseTo(0.1);
  });

  it("refuses a label name no answer has named (vLLM names only the winning class)", async () => {
    const { scorer } = await setup("vllm-classify", {}, { label: "correct" });
    const error = await failure(scorer.score(inputsOf(["print(1)"])));
    expect(error.kind).toBe("config");
    expect(error.message).toContain('label "correct" has not been the predicted class');
    // Once an answer has named it, the name is known.
    expect(await scorer.score(inputsOf([`x ${MARK}`, "y"]))).toEqual([0.9, 0.2]);
  });

  it("strips /v1 from the URL and puts version and root in the id", async () => {
    const { server, scorer } = await setup("vllm-classify", {}, { version: "2" }, "/v1");
    expect(scorer.id).toBe(`vllm-classify:${server.url}#rm@2`);
    expect(await scorer.score(inputsOf(["x"]))).toEqual([0.2]);
    expect(server.requests[0]!.path).toBe("/classify");
  });

  it("check passes against a classification model", async () => {
    const { server, scorer } = await setup("vllm-classify");
    await scorer.check();
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /v1/models", "POST /classify"]);
  });

  it("check names the models served when the model is not one of them", async () => {
    const { server, scorer } = await setup("vllm-classify", { models: ["a", "b"] });
    const error = await failure(scorer.check());
    expect(error.kind).toBe("config");
    expect(error.message).toBe(`verifier vllm-classify: ${server.url} serves a, b, not rm`);
  });

  it("check says so when the model has no classification head (vLLM's 400)", async () => {
    const { server, scorer } = await setup("vllm-classify", { tasks: ["pooling"] });
    const error = await failure(scorer.check());
    expect(error.kind).toBe("config");
    expect(error.message).toBe(
      `verifier vllm-classify: the model at ${server.url} does not serve /classify (is it a sequence-classification model? started with --runner pooling?); the server said: HTTP 400 from ${server.url}/classify: The model does not support Classification API`,
    );
    expect(error.message).not.toContain("\n");
  });

  it("check says so when the server is unreachable", async () => {
    const url = await deadUrl();
    scorer = vllmClassifyKind.create(`vllm-classify:${url}#rm`, {}, {});
    const error = await failure(scorer.check());
    expect(error.kind).toBe("config");
    expect(error.message).toMatch(
      new RegExp(`^verifier vllm-classify: cannot reach ${url} \\(.*\\); start the server or fix the URL$`),
    );
  });

  it("retries a 429 through manageScorer, honouring Retry-After", async () => {
    const { server, scorer } = await setup("vllm-classify");
    server.enqueue({ fault: "status", status: 429, retryAfter: 0 });
    const managed = manageScorer(scorer, { ref: "x" }, { baseDelayMs: 1 });
    expect(await managed.score(inputsOf(codes))).toEqual([0.2, 0.9, 0.2]);
    expect(managed.stats.retries).toBe(1);
    expect(server.requests.filter((r) => r.method === "POST")).toHaveLength(2);
  });

  it("does not retry a 4xx refusal: the batch's inputs are scored one by one, one refused alone ranks last", async () => {
    const { server, scorer } = await setup("vllm-classify");
    const tooLong = {
      fault: "status" as const,
      status: 400,
      message: "This model's maximum context length is 4096 tokens",
    };
    // The batch, then its first input alone, are refused; the others are scored alone.
    server.enqueue(tooLong, tooLong);
    const managed = manageScorer(scorer, { ref: "x" }, { baseDelayMs: 1 });
    const scores = await managed.score(inputsOf(codes));
    expect(scores[0]).toBeNull();
    expect(scores.slice(1).every((s) => typeof s === "number")).toBe(true);
    expect(managed.stats).toMatchObject({ retries: 0, refused: 1 });
    expect(server.requests.filter((r) => r.method === "POST")).toHaveLength(1 + codes.length);

    // Every input refused by a service that never scored anything here: the setup is wrong.
    const fresh = await setup("vllm-classify");
    fresh.server.enqueue(...Array.from({ length: 1 + codes.length }, () => tooLong));
    const error = await failure(
      manageScorer(fresh.scorer, { ref: "x" }, { baseDelayMs: 1 }).score(inputsOf(codes)),
    );
    expect(error.kind).toBe("http");
    expect(error.status).toBe(400);
    expect(error.message).toContain("maximum context length");
    expect(error.attempts).toBe(1);
  });

  it("retries a dropped connection and a reset", async () => {
    const { server, scorer } = await setup("vllm-classify");
    server.enqueue({ fault: "drop" }, { fault: "reset" });
    const managed = manageScorer(scorer, { ref: "x" }, { baseDelayMs: 1 });
    expect(await managed.score(inputsOf(codes))).toEqual([0.2, 0.9, 0.2]);
    expect(managed.stats.retries).toBe(2);
  });

  it("calls a malformed body bad_response (retryable)", async () => {
    const { server, scorer } = await setup("vllm-classify");
    server.enqueue({ fault: "malformed" });
    const error = await failure(scorer.score(inputsOf(codes)));
    expect(error.kind).toBe("bad_response");
    expect(error.retryable).toBe(true);
    server.enqueue({ fault: "json", body: { data: [{ index: 0, probs: [0.5] }] } });
    const short = await failure(scorer.score(inputsOf(codes)));
    expect(short.kind).toBe("bad_response");
    expect(short.message).toContain("1 item(s) for 3 input(s)");
  });

  it("times out a hung request", async () => {
    server = await startScoringServer({ models: ["rm"], script: [{ fault: "hang" }] });
    scorer = vllmClassifyKind.create(`vllm-classify:${server.url}#rm`, { timeoutMs: 200 }, {});
    const error = await failure(scorer.score(inputsOf(["x"])));
    expect(error.kind).toBe("timeout");
  });

  it("needs a model name", () => {
    expect(() => vllmClassifyKind.create("vllm-classify:http://127.0.0.1:8000", {}, {})).toThrow(
      /needs a model name/,
    );
    expect(vllmClassifyKind.test("vllm-classify:http://h#m")).toBe(true);
    expect(vllmClassifyKind.test("vllm-pooling:http://h#m")).toBe(false);
  });
});

describe("vllm-pooling", () => {
  it("sends one chat-form request per input, concurrently, and reads a one-value vector", async () => {
    const { server, scorer } = await setup("vllm-pooling");
    const inputs = inputsOf(codes);
    expect(await scorer.score(inputs)).toEqual([0.2, 0.9, 0.2]);
    const posts = server.requests.filter((r) => r.method === "POST");
    expect(posts.map((r) => r.path)).toEqual(["/pooling", "/pooling", "/pooling"]);
    expect(
      posts.map((r) => r.body).sort((a, b) => a.messages[1].content.localeCompare(b.messages[1].content)),
    ).toEqual(inputs.map((i) => ({ model: "rm", messages: inputMessages(i) })));
  });

  it.each([
    ["number", {}, [0.2, 0.9]],
    ["tokens", {}, [0.2, 0.9]],
    ["classes", {}, [0.2, 0.9]],
    ["classes", { label: 0 }, [0.8, 0.1]],
    ["token-classes", {}, [0.2, 0.9]],
    ["token-classes", { label: "0" }, [0.8, 0.1]],
  ] as const)("reads a %s output (options %j)", async (shape, options, expected) => {
    const { scorer } = await setup("vllm-pooling", { pooling: shape }, options);
    const scores = await scorer.score(inputsOf(["x", `y ${MARK}`]));
    expect(scores[0]).toBeCloseTo(expected[0]);
    expect(scores[1]).toBeCloseTo(expected[1]);
  });

  it("refuses a label that is not a class index", () => {
    expect(() => vllmPoolingKind.create("vllm-pooling:http://127.0.0.1:1#rm", { label: "good" }, {})).toThrow(
      /must be a class index/,
    );
  });

  it("calls an output of another shape bad_response", async () => {
    const { server, scorer } = await setup("vllm-pooling");
    server.enqueue({ fault: "json", body: { data: [{ index: 0, object: "pooling", data: "AAAA" }] } });
    const error = await failure(scorer.score(inputsOf(["x"])));
    expect(error.kind).toBe("bad_response");
    expect(error.message).toContain("/pooling data is not a number");
  });

  it("check says so when the model has no pooling head", async () => {
    const { server, scorer } = await setup("vllm-pooling", { tasks: ["classify"] });
    const error = await failure(scorer.check());
    expect(error.message).toMatch(
      new RegExp(
        `^verifier vllm-pooling: the model at ${server.url} does not serve /pooling \\(is it a reward or pooling model\\? started with --runner pooling\\?\\); the server said: HTTP 400 .*Pooling API$`,
      ),
    );
  });

  it("check passes against a reward model", async () => {
    const { scorer } = await setup("vllm-pooling", { pooling: "tokens" });
    await scorer.check();
  });
});
