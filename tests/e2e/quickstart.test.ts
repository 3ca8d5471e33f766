import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { RunStore } from "../../src/runs/index.js";
import { type HubServer, startHubServer } from "../helpers/hub-server.js";
import { tinyLlamaGguf } from "../models/tiny-gguf.js";
import { dataPath, hasData } from "../problems/data.js";

// The README's main job, `codeloop run examples/run.yaml`, end to end: the quick-start config as
// shipped, against a local server at the Hugging Face Hub's paths serving the HumanEval+ release
// file (from ../shared/data) and, as the quick start's GGUF, the tests' tiny random model. The
// model is downloaded once with progress, checked against the announced sha256, run in-process,
// and a second run finds it in the cache without asking the Hub.
const CLI = resolve("dist/cli/index.js");
const EXAMPLE = resolve("examples/run.yaml");
const HE_FILE = "HumanEvalPlus-v0.1.10.jsonl.gz";

function hasLlama(): boolean {
  try {
    createRequire(import.meta.url).resolve("node-llama-cpp");
    return true;
  } catch {
    console.log("skipping: the optional package node-llama-cpp is not installed");
    return false;
  }
}

const quickstart = parse(readFileSync(EXAMPLE, "utf8"));
const [repoOwner, repoName, ...fileParts] = String(quickstart.model.hf).split("/");
const modelRepo = `${repoOwner}/${repoName}`;
const modelFile = fileParts.join("/");

describe.skipIf(!hasData("humaneval-plus", HE_FILE) || !hasLlama())("the quick start", () => {
  let tmp: string;
  let hub: HubServer;
  let config: string;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "codeloop-quickstart-"));
    hub = await startHubServer(
      [
        {
          id: "evalplus/humanevalplus",
          revisions: { main: { [HE_FILE]: readFileSync(dataPath("humaneval-plus", HE_FILE)) } },
        },
      ],
      [{ id: modelRepo, revisions: { main: { [modelFile]: tinyLlamaGguf() } } }],
    );
    // The shipped config with two changes for a test suite on two cores: one llama.cpp thread
    // (its threads spin: 1,400 tokens/s with one, 60 with two on the tiny model), and answers cut
    // at 48 tokens (a random model rarely stops, and 60 answers of 1,024 tokens take minutes).
    const copy = structuredClone(quickstart);
    copy.model.threads = 1;
    copy.sampling.maxTokens = 48;
    config = join(tmp, "run.yaml");
    writeFileSync(config, stringify(copy));
    // A second config, one problem and one trajectory, to show the cached model is used.
    const small = structuredClone(copy);
    small.benchmark.filters.limit = 1;
    small.trajectoriesPerProblem = 1;
    writeFileSync(join(tmp, "small.yaml"), stringify(small));
  });
  afterAll(async () => {
    await hub?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((done) => {
      // Asynchronous: the test's own Hub must keep answering while the CLI runs.
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: tmp,
        env: {
          ...process.env,
          HF_ENDPOINT: hub.url,
          HF_TOKEN: "",
          CODELOOP_CACHE_DIR: join(tmp, "cache"),
          CODELOOP_NO_CACHE: "1",
        },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => {
        stdout += String(d);
      });
      child.stderr.on("data", (d) => {
        stderr += String(d);
        if (process.env.QS_DEBUG) process.stderr.write(d);
      });
      child.on("close", (code) => done({ code, stdout, stderr }));
    });
  }

  it("is the shape the README promises: 10 problems x 2 trajectories x up to 3 turns, in-process, from the Hub", () => {
    expect(quickstart.benchmark).toEqual({ source: "hf:evalplus/humanevalplus", filters: { limit: 10 } });
    expect(quickstart.model.provider).toBe("llama");
    expect(quickstart.model.hf).toMatch(/^[^/]+\/[^/]+-GGUF\/[^/]+\.gguf$/);
    expect(quickstart.trajectoriesPerProblem).toBe(2);
    expect(quickstart.strategy).toEqual({ kind: "multi-turn", maxTurns: 3 });
  });

  it("downloads the model once, runs every trajectory and stores every turn", async () => {
    const out = join(tmp, "first");
    const r = await run(["run", config, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`downloading ${modelRepo}/${modelFile.replace(/\./g, "\\.")} 100%`));
    const cached = join(tmp, "cache", "models", "hf", repoOwner!, repoName!, "main", modelFile);
    expect(readFileSync(cached).equals(tinyLlamaGguf())).toBe(true);
    // Nothing half-written left beside it.
    expect(readdirSync(join(cached, "..")).filter((f) => f !== modelFile)).toEqual([]);

    const store = RunStore.open(out);
    try {
      const details = [...store.trajectories()].map((t) => store.trajectoryDetail(t)!);
      expect(details).toHaveLength(20);
      expect(new Set(details.map((d) => d.problemId)).size).toBe(10);
      for (const d of details) {
        expect(d.status).toBe("done");
        // A random model never passes the public tests, so every trajectory uses its 3 turns,
        // each later one prompted with feedback.
        expect(d.turns).toHaveLength(3);
        for (const turn of d.turns) expect(turn.candidates[0]!.completionTokens).toBeGreaterThan(0);
        for (const turn of d.turns.slice(1)) {
          expect(turn.messages.some((m) => m.role === "user" && m.content.length > 0)).toBe(true);
        }
      }
    } finally {
      store.close();
    }

    // A second run uses the cached file: the Hub is asked for the dataset listing, never the model.
    const before = hub.requests.length;
    const again = await run(["run", join(tmp, "small.yaml"), "--out", join(tmp, "second")]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/downloading/);
    expect(hub.requests.slice(before).filter((q) => q.path.includes(modelFile))).toEqual([]);
    expect(existsSync(join(tmp, "second", "run.db"))).toBe(true);
  }, 240_000);
});
