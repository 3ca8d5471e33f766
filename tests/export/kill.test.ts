// A killed export leaves no half file: `codeloop export` (from its TypeScript sources, in a
// child process) is SIGKILLed while it writes; the previous file stays whole, no sidecar of the
// killed export appears, and the next export removes the dead one's temporary file.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registerExport } from "../../src/cli/export.js";
import { metaPath } from "../../src/export/index.js";
import { RunStore, parseRunConfig } from "../../src/runs/index.js";
import { captureCli } from "../helpers/cli-capture.js";

const VITE_NODE = resolve("node_modules/vite-node/vite-node.mjs");
const CLI_SRC = resolve("src/cli/index.ts");
const tmp = mkdtempSync(join(tmpdir(), "codeloop-export-kill-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const grade = (ok: boolean) => ({
  verdict: ok ? ("accepted" as const) : ("wrong_answer" as const),
  passed: ok ? 3 : 0,
  total: 3,
  tests: [],
  infrastructureFailure: false,
});

/** A run written through the store: 40 problems x 40 two-turn trajectories, one in three solved. */
function syntheticRun(folder: string): void {
  const config = parseRunConfig({
    benchmark: { source: "synthetic.jsonl" },
    model: "ollama:synthetic",
    trajectoriesPerProblem: 40,
    strategy: { kind: "multi-turn", maxTurns: 2 },
  });
  const store = RunStore.create(folder, config);
  store.planProblems(Array.from({ length: 40 }, (_, p) => ({ id: `p${p}`, title: `Problem ${p}` })));
  const now = new Date().toISOString();
  for (let p = 0; p < 40; p++) {
    for (let t = 0; t < 40; t++) {
      const key = { problemId: `p${p}`, trajectory: t };
      for (let u = 0; u < 2; u++) {
        const code = `n = int(input())\nprint(n * ${p} + ${t * 2 + u})`;
        store.writeTurn(key, {
          index: u,
          parentTurn: u === 0 ? null : 0,
          parentCandidate: u === 0 ? null : 0,
          messages: [
            {
              role: "user",
              content: u === 0 ? `Problem ${p}: ${"words ".repeat(300)}` : "Wrong answer on test 1.",
            },
          ],
          history: "append",
          candidates: [
            {
              index: 0,
              rawAnswer: `\`\`\`python\n${code}\n\`\`\``,
              code,
              extraction: "fenced-language",
              finishReason: "stop",
              promptTokens: 10,
              completionTokens: 10,
              tokensApproximate: false,
              latencyMs: 1,
              cached: false,
              modelError: null,
              seed: 0,
              publicTests: null,
              selected: true,
              verifierScore: null,
            },
          ],
          startedAt: now,
          finishedAt: now,
        });
      }
      store.finishTrajectory(key, {
        status: "done",
        submitted: { turn: 1, candidate: 0 },
        grade: grade(t % 3 === 0),
      });
    }
  }
  store.close();
}

describe("a killed export", () => {
  it("leaves the previous file whole and no sidecar; the next export cleans up and completes", async () => {
    const folder = join(tmp, "run");
    syntheticRun(folder);
    const out = join(tmp, "relabel.jsonl");
    writeFileSync(out, "previous\n");
    const child = spawn(process.execPath, [VITE_NODE, CLI_SRC, "export", "relabel", folder, "--out", out], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const temp = `.relabel.jsonl.${child.pid}.tmp`;
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_code, signal) => r(signal)));
    // Kill as soon as the export has started writing its temporary file.
    const deadline = Date.now() + 60_000;
    while (!readdirSync(tmp).includes(temp) && child.exitCode === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill("SIGKILL");
    expect(await exited, stderr).toBe("SIGKILL");
    expect(readFileSync(out, "utf8")).toBe("previous\n");
    expect(existsSync(metaPath(out))).toBe(false);
    expect(readdirSync(tmp)).toContain(temp);

    await captureCli(registerExport, "export", "relabel", folder, "--out", out);
    expect(readdirSync(tmp).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const rows = readFileSync(out, "utf8").trimEnd().split("\n");
    // 40 problems x 26 failed trajectories (t % 3 != 0) x 2 prefixes.
    expect(rows).toHaveLength(40 * 26 * 2);
    expect(JSON.parse(readFileSync(metaPath(out), "utf8")).examples).toBe(rows.length);
  }, 120_000);
});
