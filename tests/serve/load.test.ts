import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RIGHT, WRONG } from "../e2e/fixtures.js";
import { type Json, type Running, startServer } from "./helpers.js";

let s: Running;
beforeAll(async () => {
  s = await startServer(62600, { queueLimit: 6 }, 2);
});
afterAll(async () => {
  await s?.close();
});

// Plain node:http with a bounded keep-alive pool: loopback only, at most `sockets` connections.
function postRaw(
  agent: Agent,
  url: string,
  body: unknown,
): Promise<{ status: number; body: Json; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode!,
            body: JSON.parse(text),
            retryAfter: res.headers["retry-after"] as string | undefined,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

describe("load", () => {
  it("many concurrent clients within the queue: every request answered, each correctly", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const n = 80;
    const t0 = performance.now();
    // 8 clients (the agent's sockets) keep 8 requests in flight: 2 running, 6 queued at most.
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        postRaw(agent, `${s.url}/v1/judge`, {
          problem: i % 2 ? "double-1" : "double-2",
          language: "python",
          code: i % 3 === 0 ? WRONG : RIGHT,
          tests_set: "public",
        }),
      ),
    );
    const seconds = (performance.now() - t0) / 1000;
    agent.destroy();
    expect(results.map((r) => r.status)).toEqual(Array(n).fill(200));
    results.forEach((r, i) => {
      expect(r.body.verdict, `request ${i}`).toBe(i % 3 === 0 ? "wrong_answer" : "accepted");
      expect(r.body.passed).toBe(i % 3 === 0 ? 1 : 3);
    });
    process.stderr.write(
      `serve load: ${n} judge requests (3 tests each) in ${seconds.toFixed(2)} s = ${(n / seconds).toFixed(1)} req/s with 2 workers\n`,
    );
    const cap = await (await fetch(`${s.url}/v1/capacity`)).json();
    expect(cap).toMatchObject({ in_flight: 0, queued: 0 });
  });

  it("overload beyond slots + queue gets 429 with Retry-After; the admitted ones all finish", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 40 });
    const slow = "import time\ntime.sleep(0.4)\nn = int(input())\nprint(2 * n)\n";
    const n = 40;
    const results = await Promise.all(
      Array.from({ length: n }, () =>
        postRaw(agent, `${s.url}/v1/judge`, {
          problem: null,
          tests: [{ input: "3\n", output: "6\n" }],
          language: "python",
          code: slow,
        }),
      ),
    );
    agent.destroy();
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    expect(ok.length + refused.length).toBe(n);
    // 2 running + 6 waiting are admitted while the rest arrive.
    expect(ok.length).toBeGreaterThanOrEqual(8);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of ok) expect(r.body.verdict).toBe("accepted");
    for (const r of refused) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body.error).toMatch(/^overloaded: \d+ jobs running and \d+ queued \(--queue-limit 6\)/);
    }
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`codeloop_requests_total\\{route="POST /v1/judge",status="429"\\} ${refused.length}\\b`),
    );
    // A batch is refused as a whole when the queue is full, and admitted otherwise.
    const batch = await postRaw(new Agent(), `${s.url}/v1/judge/batch`, {
      items: Array.from({ length: 12 }, () => ({ problem: "double-1", language: "python", code: RIGHT })),
    });
    expect(batch.status).toBe(200);
    expect(batch.body.results.map((r: Json) => r.verdict)).toEqual(Array(12).fill("accepted"));
  });
});
