import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Problem, loadProblems } from "../../src/problems/index.js";
import { type RunConfigInput, parseRunConfig, runRun, seedFor } from "../../src/runs/index.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import type { Verifier } from "../../src/strategies/index.js";
import type { ChatServer, ChatServerRequest } from "../helpers/chat-server.js";
import { dataPath } from "../problems/data.js";

/**
 * Real runs for the export tests: CodeContests sample problems whose gold solution passes every
 * test, answered by a scripted model that knows, from the request's seed, which problem,
 * trajectory, turn and candidate it is answering (seedFor is public and deterministic).
 */

export const SOURCE = dataPath("codecontests-sample");
/**
 * Four problems of the sample whose gold (first Python solution) is accepted on all tests.
 * 1286_B has a twin in the sample, 1287_D, with the same title and statement (Div. 1 and
 * Div. 2 of one round): the decontamination test uses it as the evaluation problem.
 */
export const IDS = [
  "1086_B. Minimum Diameter Tree",
  "110_E. Lucky Tree",
  "1143_C. Queen",
  "1286_B. Numbers on Tree",
];
export const TWIN = "1287_D. Numbers on Tree";
export const SEED = 5;
/** Fails every test: no expected output of the sample is this line. */
export const WRONG = 'print("codeloop: not an answer")\n';
export const WRONG2 = "print(-1)\n";
export const REASONING = "The samples show what is asked: read the input, compute, print.";

export const fence = (code: string) =>
  `Here is my solution.\n\n\`\`\`python\n${code.replace(/\s+$/, "")}\n\`\`\`\n`;

export function goldOf(p: Problem): string {
  const g = p.solutions.find((s) => s.language === "python" && s.verdict === "accepted")?.code;
  if (g === undefined) throw new Error(`${p.id} has no Python solution`);
  return g.replace(/\s+$/, "\n");
}

/** The gold with comments and blank lines added: the same program once normalised. */
export function whitespaceVariant(code: string): string {
  return `# a first attempt, kept tidy\n\n\n${code}\n\n# end\n`;
}

export interface Who {
  problem: Problem;
  trajectory: number;
  turn: number;
  candidate: number;
}

export type Script = (w: Who, r: ChatServerRequest) => string;

export class Runs {
  problems: Problem[] = [];
  /**
   * Per run (its name is the model name its config asks for), who each request seed is and the
   * script answering: runs share one test server and may be made at once, so a request is
   * matched by its model first.
   */
  private readonly byModel = new Map<
    string,
    { bySeed: Map<number, Omit<Who, "problem"> & { id: string }>; script: Script }
  >();
  readonly unmatched: string[] = [];

  constructor(
    private readonly tmp: string,
    private readonly sb: Sandbox,
    private readonly server: ChatServer,
  ) {}

  async load(): Promise<void> {
    this.problems = await loadProblems(SOURCE, { ids: IDS });
  }

  respond(r: ChatServerRequest): string {
    const run = this.byModel.get(String(r.body.model));
    const hit = run?.bySeed.get(r.body.seed);
    const p = hit && this.problems.find((q) => q.id === hit.id);
    if (!run || !hit || !p) {
      this.unmatched.push(`request ${r.index} (model ${r.body.model}, seed ${r.body.seed})`);
      return "I cannot tell which problem this is.";
    }
    return run.script({ problem: p, ...hit }, r);
  }

  /** A run of the problems with `script` answering; returns its folder. */
  async run(
    name: string,
    over: Partial<RunConfigInput>,
    script: Script,
    extra: { verifier?: Verifier } = {},
    seed = SEED,
  ): Promise<string> {
    const model = `openai:${this.server.url}#${name}`;
    const config = parseRunConfig({
      benchmark: { source: SOURCE, filters: { ids: IDS } },
      model,
      cache: { enabled: false },
      concurrency: { model: 4, sandbox: 2 },
      seed,
      ...over,
    });
    const bySeed = new Map<number, Omit<Who, "problem"> & { id: string }>();
    for (const p of this.problems)
      for (let t = 0; t < config.trajectoriesPerProblem; t++)
        for (let turn = 0; turn < config.strategy.maxTurns + 1; turn++)
          for (let c = 0; c <= config.strategy.candidatesPerTurn; c++)
            bySeed.set(seedFor(seed, p.id, t, turn, c), { id: p.id, trajectory: t, turn, candidate: c });
    this.byModel.set(name, { bySeed, script });
    const folder = join(this.tmp, name);
    if (extra.verifier) {
      // A verifier is a library hook until the CLI accepts verifier rules (issue 13).
      await runRun({ folder, config }, { sandbox: this.sb, ...extra });
      return folder;
    }
    // As users make runs: `codeloop run <config>` in its own process, against the test server.
    const file = join(this.tmp, `${name}.yaml`);
    writeFileSync(
      file,
      `${JSON.stringify({
        benchmark: { source: SOURCE, filters: { ids: IDS } },
        model,
        cache: { enabled: false },
        concurrency: { model: 4, sandbox: 2 },
        sandbox: { workers: 2 },
        seed,
        ...over,
      })}\n`,
    );
    const r = await cliRun(["run", file, "--out", folder]);
    if (r.code !== 0) throw new Error(`codeloop run ${name} exited ${r.code}:\n${r.stderr}`);
    return folder;
  }
}

/** The built CLI, which `npm test` builds first. */
export const CLI = resolve("dist/cli/index.js");
export const built = existsSync(CLI);

/** Runs the built CLI in a child process without blocking this one (the test server lives here). */
export function cliRun(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += String(d);
  });
  child.stderr.on("data", (d) => {
    stderr += String(d);
  });
  return new Promise((res) => child.once("close", (code) => res({ code, stdout, stderr })));
}
