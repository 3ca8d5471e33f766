import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import { registerModels } from "../../src/cli/models.js";
import { type ChatServer, type ChatServerOptions, startChatServer } from "../helpers/chat-server.js";

let server: ChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function run(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerModels(program);
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(["node", "codeloop", ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

async function serve(options: ChatServerOptions) {
  server = await startChatServer({ models: ["test-model", "other"], ...options });
  return server;
}

describe("codeloop models check", () => {
  it("reports a capable server as JSON", async () => {
    const s = await serve({});
    const report = JSON.parse(await run(["models", "check", `openai:${s.url}#test-model`, "--json"]));
    expect(report).toMatchObject({ ok: true, provider: "openai", model: "test-model" });
    const [e] = report.endpoints;
    expect(e).toMatchObject({
      endpoint: s.url,
      reachable: true,
      models: ["test-model", "other"],
      modelListed: true,
      n: "yes",
      seed: "yes",
      logprobs: "yes",
      errors: [],
    });
    expect(e.generation.ok).toBe(true);
    expect(e.generation.latencyMs).toBeGreaterThanOrEqual(0);
    expect(process.exitCode).toBeUndefined();
  });

  it("tells when n, seed and logprobs are ignored", async () => {
    const s = await serve({ honourN: false, honourSeed: false, honourLogprobs: false });
    const report = JSON.parse(await run(["models", "check", `vllm:${s.url}#missing`, "--json"]));
    const [e] = report.endpoints;
    expect(e).toMatchObject({ n: "no", seed: "no", logprobs: "no", modelListed: false });
  });

  it("prints a readable report and fails when the server is unreachable", async () => {
    const s = await serve({});
    const text = await run(["models", "check", `openai:${s.url}#test-model`]);
    expect(text).toMatch(/reachable\s+yes/);
    expect(text).toMatch(/generation\s+ok in \d+ ms/);
    const url = s.url;
    await s.close();
    server = undefined;
    const down = await run(["models", "check", `openai:${url}#test-model`, "--json", "--timeout", "2"]);
    const report = JSON.parse(down);
    expect(report.ok).toBe(false);
    expect(report.endpoints[0].reachable).toBe(false);
    expect(report.endpoints[0].errors.join(" ")).toMatch(/ECONNREFUSED|connect/i);
    expect(process.exitCode).toBe(1);
  });

  it("turns a bad reference into a user error", async () => {
    await expect(run(["models", "check", "nonsense"])).rejects.toBeInstanceOf(CliError);
    await expect(
      run(["models", "check", "openai:http://127.0.0.1:1/v1#m", "--timeout", "-1"]),
    ).rejects.toThrow(/--timeout/);
  });
});
