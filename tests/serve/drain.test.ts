import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type Json, get, post, problemFile } from "./helpers.js";

// The built CLI in a child process, as it runs in production (and receives SIGTERM).
const CLI = "dist/cli/index.js";
const built = existsSync(CLI) && existsSync("dist/serve/index.js");
if (!built) console.warn("skipping codeloop serve CLI tests: run `npm run build` first (npm test does)");

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function startCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ url: string; stderr: () => string; exit: Promise<number | null> }> {
  const c = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  child = c;
  let err = "";
  const exit = new Promise<number | null>((resolve) => c.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 30_000);
    c.stderr!.on("data", (d) => {
      err += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, stderr: () => err, exit });
      }
    });
    c.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening: ${err}`));
    });
  });
}

describe.skipIf(!built)("codeloop serve (CLI)", () => {
  it("SIGTERM: the slow request in flight completes, new work gets 503, the process exits 0", async () => {
    const { file } = await problemFile();
    const s = await startCli(["--benchmark", file, "--workers", "1"], { CODELOOP_SERVE_TOKEN: "tok" });
    const auth = { authorization: "Bearer tok" };
    expect((await get(`${s.url}/healthz`)).status).toBe(200);
    expect(
      (await post(`${s.url}/v1/judge`, { problem: "double-1", language: "python", code: "print(1)" })).status,
    ).toBe(401);
    const slow = post(
      `${s.url}/run_code`,
      { code: "import time\ntime.sleep(2.5)\nprint('finished')", language: "python", run_timeout: 10 },
      auth,
    );
    // Wait until the slow program is running.
    for (let i = 0; i < 100; i++) {
      const c = await get(`${s.url}/v1/capacity`, auth);
      if ((c.body as Json).in_flight === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child!.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    const late = await post(`${s.url}/run_code`, { code: "print(1)", language: "python" }, auth).catch(
      (e: Error) => ({
        status: -1,
        body: { error: e.message },
      }),
    );
    // Draining: refused with 503 (a connection refused would also leave no work lost).
    expect(late.status).toBe(503);
    expect(late.body.error).toMatch(/shutting down/);
    const health = await get(`${s.url}/healthz`);
    expect(health).toMatchObject({ status: 503, body: { status: "draining" } });
    const done = await slow;
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: "Success", run_result: { stdout: "finished\n" } });
    expect(await s.exit).toBe(0);
    expect(s.stderr()).toMatch(/SIGTERM: draining/);
    expect(s.stderr()).toMatch(/drained, exiting/);
  });

  it("bad flags are refused with a message naming the flag", async () => {
    for (const [args, msg] of [
      [["--max-body", "lots"], /--max-body: not a size: 'lots'/],
      [["--feedback", "hints"], /--feedback must be one of binary/],
      [["--queue-limit", "-1"], /--queue-limit must be a non-negative integer/],
      [["--port", "99999"], /--port must be an integer 0\.\.65535/],
    ] as const) {
      const c = spawn(process.execPath, [CLI, "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let err = "";
      c.stderr.on("data", (d) => {
        err += d;
      });
      const code = await new Promise<number | null>((r) => c.on("exit", r));
      expect(code, args.join(" ")).not.toBe(0);
      expect(err).toMatch(msg);
    }
  });
});
