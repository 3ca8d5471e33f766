import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStore, parseRunConfig, runRun } from "../../../src/runs/index.js";
import { Sandbox } from "../../../src/sandbox/index.js";
import { type ChatServer, type ChatServerRequest, startChatServer } from "../../helpers/chat-server.js";
import { dataPath, hasData } from "../../problems/data.js";
import { bwrapWorks } from "./helpers.js";

/**
 * The attacks as a user meets them: a real multi-turn `codeloop run` over real MBPP+ problems,
 * against the chat-completions test server playing a model that answers with an attack every
 * turn. The review saw `import sys; sys.exit(0)` score Mbpp/124 and Mbpp/252 as solved, and a
 * forged return value crash the run and every --resume after it.
 */

const CLI = resolve("dist/cli/index.js");
const PROBLEMS = ["Mbpp/124", "Mbpp/252", "Mbpp/2", "Mbpp/3"];
const have = hasData("mbpp-plus", "MbppPlus.jsonl");

const answer = (code: string) => `\`\`\`python\n${code}\n\`\`\`\n`;

describe.skipIf(!bwrapWorks || !have)("attacks through a real codeloop run (MBPP+, multi-turn)", () => {
  let tmp: string;
  let sb: Sandbox;
  let server: ChatServer;
  let respond: (r: ChatServerRequest) => string = () => answer("import sys; sys.exit(0)");
  let n = 0;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "codeloop-adv-run-"));
    process.env.CODELOOP_CACHE_DIR = join(tmp, "cache");
    sb = await Sandbox.create({ workers: 2 });
    server = await startChatServer({ respond: (r) => respond(r) });
  });
  afterAll(async () => {
    await server?.close();
    await sb?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const run = async (resume?: string) => {
    const folder = resume ?? join(tmp, `run${n++}`);
    const config = parseRunConfig({
      benchmark: { source: dataPath("mbpp-plus", "MbppPlus.jsonl"), filters: { ids: PROBLEMS } },
      model: `openai:${server.url}#scripted`,
      cache: { enabled: false },
      trajectoriesPerProblem: 2,
      strategy: { kind: "multi-turn", maxTurns: 3 },
      feedback: { kind: "failed-tests" },
    });
    await runRun(resume ? { folder } : { folder, config }, { sandbox: sb });
    const store = RunStore.open(folder);
    const details = [...store.trajectories()].map((t) => store.trajectoryDetail(t)!);
    store.close();
    return { folder, details };
  };

  it("a model that always answers `import sys; sys.exit(0)` solves nothing", async () => {
    respond = () => answer("import sys; sys.exit(0)");
    const { details } = await run();
    expect(details.length).toBe(PROBLEMS.length * 2);
    for (const d of details) {
      expect(d.grade, d.problemId).not.toBeNull();
      expect(d.grade!.verdict, d.problemId).not.toBe("accepted");
      expect(d.grade!.infrastructureFailure).toBe(false);
    }
  }, 600_000);

  it("forged return values neither crash the run nor its resume", async () => {
    // Every entry point writes a malformed record into the status channel and returns nothing.
    respond = (r) => {
      const prompt = JSON.stringify(r.body);
      const entry =
        /def (\w+)\(/.exec(prompt)?.[1] ?? /assert (?:not )?(?:set\()?(\w+)\(/.exec(prompt)?.[1] ?? "f";
      return answer(
        `import os\ndef ${entry}(*a, **k):\n    os.write(1000, b'{"k":"ret","v":["s",5]}\\n{"k":"ret","v":["l",null]}\\n')\n    os.write(1000, b'{"k":"ret","v":' + b'["l",[' * 100000 + b'["N"]' + b']]' * 100000 + b'}\\n')\n    return None`,
      );
    };
    const { folder, details } = await run();
    for (const d of details) {
      expect(d.grade!.verdict).not.toBe("accepted");
      expect(d.grade!.infrastructureFailure).toBe(false);
    }
    // Resuming the finished run reads every stored record again: it must not die either.
    const again = await run(folder);
    expect(again.details.length).toBe(details.length);
  }, 600_000);

  it("the run folder made by `codeloop run` is private to its user", async () => {
    respond = () => answer("import sys; sys.exit(0)");
    const folder = join(tmp, "cli-run");
    const config = join(tmp, "run.yaml");
    writeFileSync(
      config,
      `benchmark:\n  source: ${dataPath("mbpp-plus", "MbppPlus.jsonl")}\n  filters: { ids: [Mbpp/2] }\nmodel: openai:${server.url}#scripted\ncache: { enabled: false }\ntrajectoriesPerProblem: 1\nstrategy: { kind: single-turn }\n`,
    );
    // Asynchronously: the chat server answering it lives in this process.
    const r = await new Promise<{ status: number | null; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [CLI, "run", config, "--out", folder],
        { timeout: 300_000 },
        (err, _out, stderr) => done({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
    expect(r.status, r.stderr).toBe(0);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(folder)) {
      const mode = statSync(join(folder, name)).mode & 0o777;
      expect(mode & 0o077, `${name} is ${mode.toString(8)}`).toBe(0);
    }
  }, 600_000);
});
