import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RIGHT } from "../e2e/fixtures.js";
import { type Running, get, post, startServer } from "./helpers.js";

const TOKEN = "s3cret-token-for-tests";
const auth = { authorization: `Bearer ${TOKEN}` };

let s: Running;
beforeAll(async () => {
  s = await startServer(62560, { token: TOKEN, maxBodyBytes: 64 * 1024 }, 1);
});
afterAll(async () => {
  await s?.close();
});

describe("auth", () => {
  it("every route but /healthz needs the bearer token", async () => {
    expect((await get(`${s.url}/healthz`)).status).toBe(200);
    const judge = { problem: "double-1", language: "python", code: RIGHT };
    for (const [what, headers] of [
      ["none", {}],
      ["wrong token", { authorization: "Bearer s3cret-token-for-test" }],
      ["longer token", { authorization: `Bearer ${TOKEN}x` }],
      ["not bearer", { authorization: `Basic ${TOKEN}` }],
    ] as const) {
      const r = await post(`${s.url}/v1/judge`, judge, headers);
      expect(r.status, what).toBe(401);
      expect(r.body.error).toMatch(/bearer token/);
      expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect((await get(`${s.url}/metrics`, headers)).status, what).toBe(401);
      expect((await get(`${s.url}/v1/capacity`, headers)).status, what).toBe(401);
      expect(
        (await post(`${s.url}/run_code`, { code: "print(1)", language: "python" }, headers)).status,
      ).toBe(401);
      expect((await post(`${s.url}/v1/episodes`, { problem: "double-1" }, headers)).status).toBe(401);
    }
    const ok = await post(`${s.url}/v1/judge`, judge, auth);
    expect(ok.status).toBe(200);
    expect(ok.body.verdict).toBe("accepted");
    expect((await get(`${s.url}/v1/capacity`, auth)).status).toBe(200);
  });
});

describe("request size", () => {
  it("a body over --max-body gets 413 with a JSON error", async () => {
    const big = { problem: "double-1", language: "python", code: `# ${"x".repeat(100 * 1024)}\n${RIGHT}` };
    const r = await post(`${s.url}/v1/judge`, big, auth);
    expect(r.status).toBe(413);
    expect(r.body.error).toMatch(/larger than the limit of 65536 bytes \(--max-body\)/);
    // Chunked (no content-length): cut while reading.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${s.url}/run_code`,
        { method: "POST", headers: { ...auth, "transfer-encoding": "chunked" } },
        (res) => {
          let body = "";
          res.on("data", (c) => {
            body += c;
          });
          res.on("end", () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on("error", reject);
      for (let i = 0; i < 20; i++) req.write("x".repeat(8 * 1024));
      req.end();
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).error).toMatch(/--max-body/);
    // Just under the limit is fine.
    const small = await post(
      `${s.url}/run_code`,
      { code: `# ${"x".repeat(60 * 1024)}\nprint(7)`, language: "python" },
      auth,
    );
    expect(small.status).toBe(200);
    expect(small.body.run_result.stdout).toBe("7\n");
  });
});
