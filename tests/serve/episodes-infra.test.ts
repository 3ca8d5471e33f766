// An episode answer the sandbox fails to judge (an infrastructure failure) is never a reward or
// a feedback message: the server judges it once more, then answers 503 with Retry-After and
// leaves the episode as it was. The judge service is the real Judge over a real sandbox, with
// chosen calls turned into infrastructure failures (tests/helpers/failing-judge.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Judge } from "../../src/judge/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { JudgeServer } from "../../src/serve/index.js";
import { RIGHT, WRONG, answer } from "../e2e/fixtures.js";
import { failingJudge } from "../helpers/failing-judge.js";
import { post, problemFile } from "./helpers.js";

let sb: Sandbox;
let server: JudgeServer;
let url: string;
/** Judge calls still to fail, and calls made. */
let failNext = 0;
let calls = 0;

beforeAll(async () => {
  sb = await Sandbox.create({ workers: 2, uidBase: 62700 });
  const judge = failingJudge(
    new Judge(sb),
    () => {
      calls++;
      const fail = failNext > 0;
      if (fail) failNext--;
      return fail;
    },
    "the sandbox supervisor could not start",
  );
  server = new JudgeServer({ judge, executor: sb, problems: (await problemFile()).problems });
  url = `http://127.0.0.1:${(await server.listen(0, "127.0.0.1")).port}`;
}, 30_000);
afterAll(async () => {
  await server?.close();
  await sb?.close();
});

describe("episodes when the sandbox fails", () => {
  it("one failed judging is tried again and the answer is judged as if nothing happened", async () => {
    const id = (await post(`${url}/v1/episodes`, { problem: "double-1", max_turns: 3 })).body.episode_id;
    failNext = 1;
    const before = calls;
    const r = await post(`${url}/v1/episodes/${id}/answer`, { answer: answer(WRONG) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ turn: 1, done: false, public: { verdict: "wrong_answer" } });
    expect(r.body.feedback).toMatch(/5555/);
    expect(calls - before).toBe(2);
  });

  it("twice on the public tests: 503 with Retry-After, the turn not spent, the same answer judged on resend", async () => {
    const id = (await post(`${url}/v1/episodes`, { problem: "double-1", max_turns: 2 })).body.episode_id;
    failNext = 2;
    const r = await post(`${url}/v1/episodes/${id}/answer`, { answer: answer(WRONG) });
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("5");
    expect(r.body.error).toMatch(/infrastructure failure, not the program's verdict/);
    expect(r.body).not.toHaveProperty("reward");
    const again = await post(`${url}/v1/episodes/${id}/answer`, { answer: answer(WRONG) });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      turn: 1,
      done: false,
      reward: 0,
      public: { verdict: "wrong_answer" },
    });
  });

  it("twice on the hidden tests of the final answer: 503, the episode not done, then reward 1 on resend", async () => {
    const id = (await post(`${url}/v1/episodes`, { problem: "double-1", max_turns: 3 })).body.episode_id;
    // The public tests pass (first call), then the hidden grade fails twice.
    const skipFirst = calls;
    failNext = 0;
    const start = post(`${url}/v1/episodes/${id}/answer`, { answer: answer(RIGHT) });
    // Arm the failures for the hidden grade only: wait until the public call has been made.
    while (calls === skipFirst) await new Promise((r) => setTimeout(r, 1));
    failNext = 2;
    const r = await start;
    // One public call, two hidden ones.
    expect(calls - skipFirst).toBe(3);
    expect(r.status).toBe(503);
    const again = await post(`${url}/v1/episodes/${id}/answer`, { answer: answer(RIGHT) });
    expect(again.body).toMatchObject({ done: true, reward: 1, turn: 1, hidden: { verdict: "accepted" } });
  });

  it("failing on three answers in a row closes the episode without a reward (422), so a problem the sandbox cannot judge does not loop", async () => {
    const id = (await post(`${url}/v1/episodes`, { problem: "double-1", max_turns: 3 })).body.episode_id;
    failNext = 6;
    const codes = [];
    for (let i = 0; i < 3; i++) {
      codes.push((await post(`${url}/v1/episodes/${id}/answer`, { answer: answer(WRONG) })).status);
    }
    expect(codes).toEqual([503, 503, 422]);
    const last = await post(`${url}/v1/episodes/${id}/answer`, { answer: answer(WRONG) });
    expect(last.status).toBe(404);
    failNext = 0;
  });

  it("a success in between resets the count", async () => {
    const id = (await post(`${url}/v1/episodes`, { problem: "double-1", max_turns: 5 })).body.episode_id;
    const statuses = [];
    for (const fail of [2, 2, 0, 2, 2]) {
      failNext = fail;
      statuses.push((await post(`${url}/v1/episodes/${id}/answer`, { answer: answer(WRONG) })).status);
    }
    expect(statuses).toEqual([503, 503, 200, 503, 503]);
    failNext = 0;
  });
});
