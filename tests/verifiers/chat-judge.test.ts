import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_JUDGE_PROMPT,
  chatJudgeKind,
  judgeQuestion,
  judgeScore,
  normaliseToken,
} from "../../src/verifiers/chat-judge.js";
import { codeAnswer, manageScorer } from "../../src/verifiers/index.js";
import type { Scorer, ScorerOptions } from "../../src/verifiers/index.js";
import {
  type Answer,
  type ChatServer,
  type ChatServerOptions,
  startChatServer,
} from "../helpers/chat-server.js";
import { MARK, deadUrl, failure, inputsOf } from "./helpers.js";

let server: ChatServer | undefined;
let scorer: Scorer | undefined;
afterEach(async () => {
  await scorer?.close();
  await server?.close();
  scorer = undefined;
  server = undefined;
});

/** A judge that says yes with probability 0.8 to marked code and 0.3 to the rest. */
function judging(body: { messages: { content: string }[] }): Answer {
  const p = body.messages[0]!.content.includes(MARK) ? 0.8 : 0.3;
  return {
    text: p > 0.5 ? "Yes" : "No",
    logprobs: [
      { token: p > 0.5 ? "Yes" : "No", logprob: Math.log(Math.max(p, 1 - p) * 0.9) },
      { token: p > 0.5 ? "No" : "Yes", logprob: Math.log(Math.min(p, 1 - p) * 0.9) },
      { token: "The", logprob: Math.log(0.1) },
    ],
  };
}

async function setup(serverOptions: ChatServerOptions = {}, options: ScorerOptions = {}) {
  server = await startChatServer({ models: ["judge"], respond: (r) => judging(r.body), ...serverOptions });
  scorer = chatJudgeKind.create(`chat-judge:openai:${server.url}#judge`, options, {});
  return { server, scorer };
}

describe("chat-judge", () => {
  it("asks each input once with temperature 0, one token and 20 top logprobs, and scores P(yes)", async () => {
    const { server, scorer } = await setup();
    const inputs = inputsOf(["print(1)", `print(2)  ${MARK}`]);
    const scores = await scorer.score(inputs);
    expect(scores[0]).toBeCloseTo(0.3);
    expect(scores[1]).toBeCloseTo(0.8);
    expect(server.requests).toHaveLength(2);
    const body = server.requests.find((r) => !r.body.messages[0].content.includes(MARK))!.body;
    expect(body).toEqual({
      model: "judge",
      messages: [{ role: "user", content: judgeQuestion(inputs[0]!, undefined) }],
      temperature: 0,
      max_tokens: 1,
      logprobs: true,
      top_logprobs: 20,
    });
    const question = body.messages[0].content as string;
    expect(question).toContain(inputs[0]!.prompt);
    expect(question).toContain(codeAnswer("print(1)", "python"));
    expect(question.endsWith("Is this solution correct? Answer with one word: yes or no.")).toBe(true);
  });

  it("computes 0.8 from logprobs ln 0.8 for yes and ln 0.2 for no, summing spellings", () => {
    const completion = (top: { token: string; logprob: number }[]) => ({
      text: top[0]!.token,
      logprobs: [{ token: top[0]!.token, logprob: top[0]!.logprob, top }],
    });
    expect(
      judgeScore(
        completion([
          { token: "yes", logprob: Math.log(0.8) },
          { token: "no", logprob: Math.log(0.2) },
        ]),
      ),
    ).toBeCloseTo(0.8);
    expect(
      judgeScore(
        completion([
          { token: "ĠYes", logprob: Math.log(0.5) },
          { token: "▁yes", logprob: Math.log(0.1) },
          { token: "NO.", logprob: Math.log(0.3) },
          { token: "maybe", logprob: Math.log(0.1) },
        ]),
      ),
    ).toBeCloseTo(0.6 / 0.9);
  });

  it("falls back to the answer text when neither word is among the alternatives", () => {
    const answer = (text: string) => ({
      text,
      logprobs: [{ token: text, logprob: 0, top: [{ token: text, logprob: 0 }] }],
    });
    expect(judgeScore(answer("Yes!"))).toBe(1);
    expect(judgeScore({ text: " no", logprobs: [] })).toBe(0);
    expect(judgeScore(answer("Maybe"))).toBe(0.5);
    expect(judgeScore({ text: "", logprobs: [] })).toBe(0.5);
  });

  it("normalises tokens: space markers, case and punctuation", () => {
    expect(["Ġyes", "▁Yes", " YES.", "yes\n", "**Yes**"].map(normaliseToken)).toEqual([
      "yes",
      "yes",
      "yes",
      "yes",
      "yes",
    ]);
    expect(normaliseToken("Ġno,")).toBe("no");
  });

  it("scores through the chat server's logprobs end to end (ln 0.8 yes / ln 0.2 no)", async () => {
    const { scorer } = await setup({
      respond: () => ({
        text: "yes",
        logprobs: [
          { token: "yes", logprob: Math.log(0.8) },
          { token: "no", logprob: Math.log(0.2) },
        ],
      }),
    });
    const [s] = await scorer.score(inputsOf(["x"]));
    expect(s).toBeCloseTo(0.8);
  });

  it("uses an overriding prompt and puts it in the id", async () => {
    const judgePrompt = "Problem: {prompt}\nCode:\n{code}\nCorrect? yes/no";
    const { server, scorer } = await setup({}, { judgePrompt, version: "3" });
    expect(scorer.id).toMatch(new RegExp(`^chat-judge:${server.url}#judge@3;prompt=[0-9a-f]{16}$`));
    const [input] = inputsOf(["print({code})"], "Echo {prompt}");
    await scorer.score([input!]);
    expect(server.requests[0]!.body.messages[0].content).toBe(
      `Problem: Echo {prompt}\nCode:\n${codeAnswer("print({code})", "python")}\nCorrect? yes/no`,
    );
  });

  it("leaves the problem out of the default question when shown the code alone", () => {
    const [input] = inputsOf(["print(1)"], "");
    const q = judgeQuestion(input!, undefined);
    expect(q).not.toContain("## Problem");
    expect(q).toContain(codeAnswer("print(1)", "python"));
    expect(DEFAULT_JUDGE_PROMPT).toContain("{prompt}");
  });

  it("retries 429 and a dropped connection through manageScorer; a 400 is not retried, the code ranks last", async () => {
    const { server, scorer } = await setup();
    server.enqueue({ fault: "status", status: 429, retryAfter: 0 }, { fault: "drop" });
    const managed = manageScorer(scorer, { ref: "x" }, { baseDelayMs: 1 });
    const [s] = await managed.score(inputsOf(["x"]));
    expect(s).toBeCloseTo(0.3);
    expect(managed.stats.retries).toBe(2);

    // The judge has answered before, so a 400 is this code's (too long for its context, say).
    const before = server.requests.length;
    server.enqueue({ fault: "status", status: 400 });
    expect(await managed.score(inputsOf(["another"]))).toEqual([null]);
    expect(server.requests.length - before).toBe(1);
    expect(managed.stats.refused).toBe(1);
  });

  it("check passes against a server that returns logprobs", async () => {
    const { server, scorer } = await setup();
    await scorer.check();
    expect(server.requests).toHaveLength(1);
  });

  it("check refuses a server that does not return logprobs", async () => {
    const { server, scorer } = await setup({ honourLogprobs: false, respond: () => "yes" });
    const error = await failure(scorer.check());
    expect(error.kind).toBe("config");
    expect(error.message).toBe(
      `verifier chat-judge: the server at ${server.url} does not return logprobs; use a server that answers logprobs and top_logprobs (vLLM, SGLang, llama.cpp server) or another verifier`,
    );
  });

  it("check names the models served, and an unreachable server", async () => {
    const { server, scorer } = await setup({ models: ["a", "b"] });
    const error = await failure(scorer.check());
    expect(error.message).toBe(`verifier chat-judge: ${server.url} serves a, b, not judge`);

    const url = `${await deadUrl()}/v1`;
    const dead = chatJudgeKind.create(`chat-judge:vllm:${url}#judge`, {}, {});
    const unreachable = await failure(dead.check());
    await dead.close();
    expect(unreachable.message).toMatch(
      new RegExp(`^verifier chat-judge: cannot reach ${url} \\(.*\\); start the server or fix the URL$`),
    );
  });

  it("refuses an embedded llama: model", () => {
    const error = (() => {
      try {
        chatJudgeKind.create("chat-judge:llama:./model.gguf", {}, {});
      } catch (e) {
        return e as Error & { kind?: string };
      }
      throw new Error("expected a failure");
    })();
    expect(error.kind).toBe("config");
    expect(error.message).toContain("needs an OpenAI-compatible server");
  });
});
