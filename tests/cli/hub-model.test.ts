import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

// `codeloop run` with a llama:hf: model downloads it before the run starts, and stops at once,
// in one line, when the Hub cannot be reached. Driven through the built CLI.
const CLI = join(__dirname, "..", "..", "dist", "cli", "index.js");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "codeloop-hubcli-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(): Promise<string> {
  const path = join(dir, "run.yaml");
  await writeFile(
    path,
    [
      "name: hub-model",
      "benchmark: { source: hf:evalplus/humanevalplus, filters: { limit: 1 } }",
      "model: llama:hf:org/coder-GGUF/coder-q4_k_m.gguf",
      "strategy: { kind: single-turn }",
      "trajectoriesPerProblem: 1",
      "",
    ].join("\n"),
  );
  return path;
}

function cli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("codeloop run with a llama:hf: model", () => {
  it("stops at once with one line naming the file, the address and the ways out when the Hub is unreachable", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const config = await writeConfig();
    const cache = join(dir, "cache");
    const r = cli(["run", config], { HF_ENDPOINT: `http://127.0.0.1:${port}`, CODELOOP_CACHE_DIR: cache });
    expect(r.status).not.toBe(0);
    const lines = r.stderr.trim().split("\n");
    const line = lines.find((l) => l.includes("cannot download")) ?? "";
    expect(line).toContain("org/coder-GGUF/coder-q4_k_m.gguf@main");
    expect(line).toContain(`http://127.0.0.1:${port}/org/coder-GGUF/resolve/main/coder-q4_k_m.gguf`);
    expect(line).toMatch(/llama:\/path\/to\/coder-q4_k_m\.gguf/);
    expect(line).toMatch(/model server/);
    // No run folder, and nothing half-written in the model cache.
    expect(existsSync(join(dir, "runs", "hub-model"))).toBe(false);
    const models = join(cache, "models");
    expect(existsSync(models) ? await readdir(models) : []).toEqual([]);
  });

  it("downloads the model into the cache before the run, with progress on stderr", async () => {
    const payload = Buffer.alloc(200_000, 7);
    const hub = createServer((req, res) => {
      if (req.url === "/org/coder-GGUF/resolve/main/coder-q4_k_m.gguf") {
        res.writeHead(200, { "content-length": payload.length });
        res.end(payload);
        return;
      }
      // The dataset is not served: the run stops after the model is in place.
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((r) => hub.listen(0, "127.0.0.1", r));
    try {
      const port = (hub.address() as AddressInfo).port;
      const config = await writeConfig();
      const cache = join(dir, "cache");
      const r = await new Promise<{ stderr: string }>((resolve) => {
        // Asynchronous: the test's own server must keep answering while the CLI runs.
        const child = spawn(process.execPath, [CLI, "run", config], {
          cwd: dir,
          env: { ...process.env, HF_ENDPOINT: `http://127.0.0.1:${port}`, CODELOOP_CACHE_DIR: cache },
        });
        let stderr = "";
        child.stderr.on("data", (d) => {
          stderr += String(d);
        });
        child.on("close", () => resolve({ stderr }));
      });
      expect(r.stderr).toMatch(/downloading org\/coder-GGUF\/coder-q4_k_m\.gguf 100% \(0\.2\/0\.2 MB\)/);
      const file = join(cache, "models", "hf", "org", "coder-GGUF", "main", "coder-q4_k_m.gguf");
      expect((await readFile(file)).equals(payload)).toBe(true);
    } finally {
      await new Promise<void>((r) => hub.close(() => r()));
    }
  });
});
