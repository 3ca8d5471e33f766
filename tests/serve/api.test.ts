import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JUDGE_VERSION } from "../../src/judge/index.js";
import { RIGHT, WRONG, answer } from "../e2e/fixtures.js";
import { type Running, b64, get, post, startServer } from "./helpers.js";

const CPP_RIGHT =
  '#include <cstdio>\nint main(){long long n; std::scanf("%lld",&n); std::printf("%lld\\n", 2*n);}\n';

let s: Running;
beforeAll(async () => {
  s = await startServer(62500, { episodeTimeoutMs: 60_000 });
});
afterAll(async () => {
  await s?.close();
});

describe("health, capacity, metrics", () => {
  it("answers /healthz and /v1/capacity", async () => {
    expect(await get(`${s.url}/healthz`)).toMatchObject({ status: 200, body: { status: "ok" } });
    const c = await get(`${s.url}/v1/capacity`);
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ slots: 2, in_flight: 0, queued: 0, queue_limit: 8, draining: false });
  });

  it("unknown routes and wrong methods are 404 and 405 with a JSON error", async () => {
    const r = await get(`${s.url}/nope`);
    expect(r.status).toBe(404);
    expect(r.body.error).toMatch(/no route GET \/nope/);
    const m = await get(`${s.url}/v1/judge`);
    expect(m.status).toBe(405);
    expect(m.headers.get("allow")).toBe("POST");
  });
});

describe("POST /v1/judge", () => {
  it("judges a loaded problem on all tests, public or hidden", async () => {
    const right = await post(`${s.url}/v1/judge`, { problem: "double-1", language: "python", code: RIGHT });
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({
      verdict: "accepted",
      passed: 6,
      total: 6,
      judge_version: JUDGE_VERSION,
      infrastructure_failure: false,
    });
    expect(right.body.tests).toHaveLength(6);
    expect(right.body.tests[0]).toEqual({
      index: 0,
      verdict: "accepted",
      cpu_ms: expect.any(Number),
      wall_ms: expect.any(Number),
    });
    const pub = await post(`${s.url}/v1/judge`, {
      problem: "double-1",
      language: "python",
      code: WRONG,
      tests_set: "public",
    });
    expect(pub.body).toMatchObject({ verdict: "wrong_answer", passed: 1, total: 3 });
    // Every public test is run unless asked to stop; the failure says why.
    expect(pub.body.tests.map((t: { verdict: string }) => t.verdict)).toEqual([
      "accepted",
      "wrong_answer",
      "wrong_answer",
    ]);
    expect(pub.body.tests[1].message).toMatch(/11110/);
    const hidden = await post(`${s.url}/v1/judge`, {
      problem: "double-1",
      language: "python",
      code: WRONG,
      tests_set: "hidden",
      stop_on_first_failure: true,
    });
    expect(hidden.body).toMatchObject({ verdict: "wrong_answer", passed: 0, total: 3 });
    expect(hidden.body.tests).toHaveLength(1);
    // A hidden test's message quotes its expected output: it is not sent.
    expect(hidden.body.tests[0].message).toBeUndefined();
  });

  it("judges inline tests, C++, and compile errors", async () => {
    const tests = [
      { input: "2\n", output: "4\n" },
      { input: "21\n", output: "42" },
    ];
    const py = await post(`${s.url}/v1/judge`, { problem: null, tests, language: "python", code: RIGHT });
    expect(py.body).toMatchObject({ verdict: "accepted", passed: 2, total: 2 });
    const cpp = await post(`${s.url}/v1/judge`, { tests, language: "cpp", code: CPP_RIGHT });
    expect(cpp.body).toMatchObject({ verdict: "accepted", passed: 2, total: 2 });
    const bad = await post(`${s.url}/v1/judge`, { tests, language: "cpp", code: "int main( {" });
    expect(bad.status).toBe(200);
    expect(bad.body).toMatchObject({ verdict: "compile_error", passed: 0, total: 2, tests: [] });
    expect(bad.body.compile_message).toMatch(/error/);
  });

  it("judges a function-call problem by calling the entry point", async () => {
    const ok = await post(`${s.url}/v1/judge`, {
      problem: "add",
      language: "python",
      code: "def add(a, b):\n    return a + b\n",
    });
    expect(ok.body).toMatchObject({ verdict: "accepted", passed: 3, total: 3 });
    const bad = await post(`${s.url}/v1/judge`, {
      problem: "add",
      language: "python",
      code: "def add(a, b):\n    return a - b\n",
      tests_set: "public",
    });
    expect(bad.body).toMatchObject({ verdict: "wrong_answer", passed: 0, total: 2 });
    expect(bad.body.tests[0].message).toMatch(/expected 5, got -1/);
    const cpp = await post(`${s.url}/v1/judge`, {
      problem: "add",
      language: "cpp",
      code: "int add(int a,int b){return a+b;}",
    });
    expect(cpp.status).toBe(400);
    expect(cpp.body.error).toMatch(/^language: problem 'add' is judged by calling a function: Python only/);
  });

  it("rejects bad requests with a 400 naming the field", async () => {
    const cases: [unknown, RegExp][] = [
      [{ problem: "double-1", language: "rust", code: "x" }, /^language: must be one of "python", "cpp"/],
      [{ problem: "double-1", language: "python" }, /^code: required/],
      [{ problem: 7, language: "python", code: "x" }, /^problem: must be a problem id/],
      [{ problem: null, language: "python", code: "x" }, /^tests: required without a problem/],
      [{ tests: [{ input: "1" }], language: "python", code: "x" }, /^tests\[0\]\.output: required/],
      [
        { problem: "double-1", language: "python", code: "x", tests_set: "secret" },
        /^tests_set: must be one of/,
      ],
      [
        { problem: "double-1", language: "python", code: "x", stop_on_first_fail: true },
        /^stop_on_first_fail: unknown field/,
      ],
      [
        { problem: "double-1", language: "python", code: "x", time_limit_sec: 0 },
        /^time_limit_sec: must be between/,
      ],
    ];
    for (const [body, msg] of cases) {
      const r = await post(`${s.url}/v1/judge`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toMatch(msg);
    }
    const notJson = await post(`${s.url}/v1/judge`, "{nope");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/not valid JSON/);
    const unknown = await post(`${s.url}/v1/judge`, { problem: "double-9", language: "python", code: RIGHT });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no problem 'double-9' in the loaded benchmark/);
  });

  it("batch: results in order, per-item errors in place", async () => {
    const r = await post(`${s.url}/v1/judge/batch`, {
      items: [
        { problem: "double-1", language: "python", code: RIGHT },
        { problem: "double-2", language: "python", code: WRONG, tests_set: "public" },
        { problem: "double-1", language: "cobol", code: "x" },
        { problem: "missing", language: "python", code: RIGHT },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.results).toHaveLength(4);
    expect(r.body.results[0]).toMatchObject({ verdict: "accepted", passed: 6 });
    expect(r.body.results[1]).toMatchObject({ verdict: "wrong_answer", passed: 1, total: 3 });
    expect(r.body.results[2]).toEqual({
      status: 400,
      error: expect.stringMatching(/^items\[2\]\.language: must be one of/),
    });
    expect(r.body.results[3]).toMatchObject({
      status: 404,
      error: expect.stringMatching(/no problem 'missing'/),
    });
    const bad = await post(`${s.url}/v1/judge/batch`, { item: [] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^items: required/);
  });
});

describe("POST /run_code (SandboxFusion)", () => {
  it("runs Python with stdin and answers in SandboxFusion's shape", async () => {
    const r = await post(`${s.url}/run_code`, {
      code: "import sys\nprint(int(sys.stdin.read()) * 3)",
      language: "python",
      stdin: "14\n",
      compile_timeout: 10,
      run_timeout: 10,
      files: {},
      fetch_files: [],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: "Success",
      compile_result: null,
      run_result: { status: "Finished", return_code: 0, stdout: "42\n", stderr: "" },
      files: {},
    });
    expect(r.body.run_result.execution_time).toBeGreaterThan(0);
  });

  it("C++, compile errors, exit codes, files in and out, unsupported languages", async () => {
    const cpp = await post(`${s.url}/run_code`, { code: CPP_RIGHT, language: "cpp", stdin: "50" });
    expect(cpp.body).toMatchObject({ status: "Success", run_result: { stdout: "100\n", return_code: 0 } });
    expect(cpp.body.compile_result).toMatchObject({ status: "Finished", return_code: 0 });
    const ce = await post(`${s.url}/run_code`, { code: "int main( {", language: "cpp" });
    expect(ce.body.status).toBe("Failed");
    expect(ce.body.run_result).toBeNull();
    expect(ce.body.compile_result.return_code).not.toBe(0);
    expect(ce.body.compile_result.stderr).toMatch(/error/);
    const exit3 = await post(`${s.url}/run_code`, {
      code: "import sys\nprint('x')\nsys.exit(3)",
      language: "python",
    });
    expect(exit3.body).toMatchObject({
      status: "Failed",
      run_result: { status: "Finished", return_code: 3, stdout: "x\n" },
    });
    const files = await post(`${s.url}/run_code`, {
      code: "data = open('in.txt').read()\nopen('out.txt', 'w').write(data.upper())\nprint(len(data))",
      language: "python",
      files: { "in.txt": b64("hello") },
      fetch_files: ["out.txt"],
    });
    expect(files.body).toMatchObject({ status: "Success", run_result: { stdout: "5\n" } });
    expect(Buffer.from(files.body.files["out.txt"], "base64").toString()).toBe("HELLO");
    const rust = await post(`${s.url}/run_code`, { code: "fn main(){}", language: "rust" });
    expect(rust.status).toBe(400);
    expect(rust.body.error).toMatch(/^language: codeloop's sandbox runs "python" and "cpp", not "rust"/);
    const badFile = await post(`${s.url}/run_code`, {
      code: "1",
      language: "python",
      files: { "../x": b64("a") },
    });
    expect(badFile.status).toBe(400);
    expect(badFile.body.error).toMatch(/^files\["\.\.\/x"\]: file name/);
    const badTimeout = await post(`${s.url}/run_code`, { code: "1", language: "python", run_timeout: "ten" });
    expect(badTimeout.body.error).toMatch(/^run_timeout: must be a number/);
  });

  it("run_timeout bounds a sleeping program by the wall clock", async () => {
    const t0 = Date.now();
    const r = await post(`${s.url}/run_code`, {
      code: "import time\ntime.sleep(30)",
      language: "python",
      run_timeout: 1,
    });
    expect(r.body).toMatchObject({ status: "Failed", run_result: { status: "TimeLimitExceeded" } });
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe("episodes (RL environment)", () => {
  it("plays wrong, then right: feedback, public result, reward on the final answer", async () => {
    const start = await post(`${s.url}/v1/episodes`, { problem: "double-1", max_turns: 3 });
    expect(start.status).toBe(200);
    expect(start.body.max_turns).toBe(3);
    expect(start.body.prompt).toMatch(/print 2 \* n/);
    const id = start.body.episode_id;
    const noCode = await post(`${s.url}/v1/episodes/${id}/answer`, { answer: "I am not sure." });
    expect(noCode.body).toMatchObject({ done: false, reward: 0, public: { verdict: "no_code" }, turn: 1 });
    const wrong = await post(`${s.url}/v1/episodes/${id}/answer`, { answer: answer(WRONG) });
    expect(wrong.body).toMatchObject({
      done: false,
      reward: 0,
      public: { verdict: "wrong_answer", passed: 1, total: 3 },
    });
    // failed-test feedback shows the first failing public test (input 5555, expected 11110).
    expect(wrong.body.feedback).toMatch(/5555/);
    expect(wrong.body.feedback).toMatch(/11110/);
    expect(wrong.body.feedback).not.toMatch(/\b123\b|\b246\b/);
    const right = await post(`${s.url}/v1/episodes/${id}/answer`, { answer: answer(RIGHT) });
    expect(right.body).toMatchObject({
      done: true,
      reward: 1,
      public: { verdict: "accepted", passed: 3 },
      turn: 3,
    });
    const again = await post(`${s.url}/v1/episodes/${id}/answer`, { answer: answer(RIGHT) });
    expect(again.status).toBe(409);
    const del = await fetch(`${s.url}/v1/episodes/${id}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    const gone = await post(`${s.url}/v1/episodes/${id}/answer`, { answer: "x" });
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatch(/no episode/);
  });

  it("the last turn ends the episode with reward 0 when the answer fails the hidden tests", async () => {
    const start = await post(`${s.url}/v1/episodes`, {
      problem: "double-2",
      max_turns: 1,
      feedback: "binary",
    });
    const r = await post(`${s.url}/v1/episodes/${start.body.episode_id}/answer`, { answer: answer(WRONG) });
    expect(r.body).toMatchObject({
      done: true,
      reward: 0,
      public: { verdict: "wrong_answer" },
      hidden: { verdict: "wrong_answer" },
    });
  });

  it("trace feedback shows the failing public test's execution", async () => {
    const start = await post(`${s.url}/v1/episodes`, { problem: "double-1", feedback: "trace" });
    expect(start.body.feedback).toBe("trace");
    const r = await post(`${s.url}/v1/episodes/${start.body.episode_id}/answer`, { answer: answer(WRONG) });
    expect(r.body).toMatchObject({ done: false, public: { verdict: "wrong_answer" } });
    // The traced lines of the program, with the values it saw on input 5555.
    expect(r.body.feedback).toMatch(/print\(2 \* n if n == 1111 else 2 \* n \+ 1\)/);
    expect(r.body.feedback).toMatch(/n = 5555/);
  });

  it("rejects bad episode requests", async () => {
    const unknown = await post(`${s.url}/v1/episodes`, { problem: "nope" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/^problem: no problem 'nope'/);
    const fb = await post(`${s.url}/v1/episodes`, { problem: "double-1", feedback: "hints" });
    expect(fb.status).toBe(400);
    expect(fb.body.error).toMatch(/^feedback: must be one of "binary"/);
    const ans = await post(`${s.url}/v1/episodes`, { problem: "double-1" });
    const noAnswer = await post(`${s.url}/v1/episodes/${ans.body.episode_id}/answer`, { text: "x" });
    expect(noAnswer.status).toBe(400);
    expect(noAnswer.body.error).toMatch(/^text: unknown field/);
  });

  it("an idle episode expires with a clear 404", async () => {
    const short = await startServer(62540, { episodeTimeoutMs: 300 }, 1, s.problems);
    try {
      const start = await post(`${short.url}/v1/episodes`, { problem: "double-1" });
      await new Promise((r) => setTimeout(r, 700));
      const r = await post(`${short.url}/v1/episodes/${start.body.episode_id}/answer`, {
        answer: answer(RIGHT),
      });
      expect(r.status).toBe(404);
      expect(r.body.error).toMatch(/expired after 0 s without a request \(--episode-timeout\)/);
    } finally {
      await short.close();
    }
  });
});

describe("metrics after traffic", () => {
  it("exposes requests, tests, verdicts, queue depth and a latency histogram", async () => {
    const m = await get(`${s.url}/metrics`);
    expect(m.status).toBe(200);
    expect(m.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = m.body as string;
    expect(text).toMatch(/codeloop_requests_total\{route="POST \/v1\/judge",status="200"\} \d+/);
    expect(text).toMatch(/codeloop_requests_total\{route="POST \/v1\/judge",status="400"\} 10/);
    expect(text).toMatch(/codeloop_verdicts_total\{verdict="accepted"\} \d+/);
    expect(text).toMatch(/codeloop_verdicts_total\{verdict="wrong_answer"\} \d+/);
    const tests = Number(/codeloop_tests_run_total (\d+)/.exec(text)![1]);
    expect(tests).toBeGreaterThan(20);
    expect(text).toMatch(/codeloop_queue_depth 0/);
    expect(text).toMatch(
      /codeloop_request_duration_seconds_bucket\{route="POST \/run_code",le="\+Inf"\} \d+/,
    );
    expect(text).toMatch(
      /codeloop_request_duration_seconds_count\{route="POST \/v1\/episodes\/:id\/answer"\} \d+/,
    );
  });
});
