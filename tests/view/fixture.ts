// Real run folders for the viewer's tests: three runs made by `runRun` against the
// chat-completions test server over the real sandbox (multi-turn, best-of-n with a verifier,
// tree search) on the same problems, one of them with a hostile id and title, and a model whose
// answers carry hostile text (markup, template syntax) in prose and in code comments.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Problem } from "../../src/problems/types.js";
import { type RunConfigInput, parseRunConfig, runRun } from "../../src/runs/index.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { RIGHT, WRONG, answer, doubleProblem, writeProblems } from "../e2e/fixtures.js";
import { type ChatServer, type ChatServerRequest, startChatServer } from "../helpers/chat-server.js";

export const HOSTILE = "</script><img src=x onerror=alert(1)>";
export const TEMPLATE = "{{constructor}}";
export const HOSTILE_ID = `h${TEMPLATE}`;
/** Passes two of the three public tests. */
export const HALF = "n = int(input())\nprint(2 * n if n != 7777 else 0)\n";
/** A hostile answer: markup in prose and in a code comment, around HALF. */
export const HOSTILE_ANSWER = `${HOSTILE} ${TEMPLATE} <!-- here:\n\n\`\`\`python\n# ${HOSTILE} ${TEMPLATE}\n${HALF}\`\`\`\n`;

export interface ViewRuns {
  tmp: string;
  multi: string;
  best: string;
  tree: string;
  problemIds: string[];
  close(): Promise<void>;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

type Msg = { role: string; content: string };

/** Roots draw by seed among WRONG, HALF (hostile) and RIGHT; a refinement of HALF is RIGHT. */
function respond(r: ChatServerRequest): string {
  const msgs = r.body.messages as Msg[];
  const last = msgs.filter((m) => m.role === "assistant").at(-1)?.content;
  if (last === undefined) {
    const pool = [WRONG, "half", RIGHT, WRONG, "half"];
    const c = pool[hash(String(r.body.seed)) % pool.length]!;
    return c === "half" ? HOSTILE_ANSWER : answer(c);
  }
  if (last.includes(HOSTILE)) return answer(RIGHT);
  return hash(String(r.body.seed)) % 2 ? HOSTILE_ANSWER : answer(WRONG);
}

export async function makeViewRuns(uidBase: number): Promise<ViewRuns> {
  const tmp = mkdtempSync(join(tmpdir(), "codeloop-view-"));
  const source = join(tmp, "problems.jsonl");
  const problems: Problem[] = ["p0", "p1", "p2", HOSTILE_ID].map((id) => {
    const p = doubleProblem(id);
    return id === HOSTILE_ID
      ? ({
          ...p,
          title: `${HOSTILE} ${TEMPLATE}`,
          metadata: { difficulty: "hard", tags: ["math", HOSTILE] },
        } as Problem)
      : ({ ...p, metadata: { difficulty: id === "p0" ? "easy" : "medium", tags: ["math"] } } as Problem);
  });
  await writeProblems(source, problems);
  const sb = await Sandbox.create({ workers: 2, uidBase });
  const server: ChatServer = await startChatServer({ respond });
  const config = (over: Partial<RunConfigInput>) =>
    parseRunConfig({
      benchmark: { source },
      model: `openai:${server.url}#scripted`,
      cache: { enabled: false },
      concurrency: { model: 4, sandbox: 2 },
      seed: 11,
      trajectoriesPerProblem: 3,
      ...over,
    } as RunConfigInput);
  const multi = join(tmp, "multi");
  const best = join(tmp, "best");
  const tree = join(tmp, "tree");
  try {
    await runRun(
      { folder: multi, config: config({ name: "multi", strategy: { kind: "multi-turn", maxTurns: 3 } }) },
      { sandbox: sb },
    );
    const verifier = {
      score: async (inputs: readonly { code: string }[]) => inputs.map((i) => 1 / (1 + i.code.length)),
    };
    await runRun(
      {
        folder: best,
        config: config({
          name: "best",
          strategy: {
            kind: "best-of-n",
            candidatesPerTurn: 3,
            maxTurns: 1,
            selection: "public-tests+verifier",
            verifier: "embedded:/view/never-built.json",
          },
          grading: { gradeEveryTurn: true },
          trajectoriesPerProblem: 2,
        } as Partial<RunConfigInput>),
      },
      { sandbox: sb, verifier },
    );
    await runRun(
      {
        folder: tree,
        config: config({
          name: "tree",
          strategy: {
            kind: "tree",
            maxTurns: 3,
            branching: 2,
            budget: { calls: 4 },
            stopOnPublicPass: false,
          },
          trajectoriesPerProblem: 2,
        } as Partial<RunConfigInput>),
      },
      { sandbox: sb },
    );
  } finally {
    await server.close();
    await sb.close();
  }
  return {
    tmp,
    multi,
    best,
    tree,
    problemIds: problems.map((p) => p.id),
    close: async () => rmSync(tmp, { recursive: true, force: true }),
  };
}

/** Builds the viewer's app from web/ into `outDir` (what `npm run build` puts in dist/web). */
export async function buildApp(outDir: string): Promise<string> {
  const { spawnSync } = await import("node:child_process");
  const vite = join(process.cwd(), "node_modules", "vite", "bin", "vite.js");
  const r = spawnSync(
    process.execPath,
    [vite, "build", "--config", "web/vite.config.ts", "--outDir", outDir, "--emptyOutDir"],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`vite build failed: ${r.stderr}${r.stdout}`);
  return outDir;
}
