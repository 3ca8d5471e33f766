// Tree search end to end, as users run it: `codeloop run` with strategy.kind tree against the
// chat-completions test server; a run killed with SIGKILL mid-search and resumed stores exactly
// the trees an uninterrupted run stores (the replay of stored decisions, and an expansion cut
// short finished); a run whose model goes away fails resumably and --retry-failed finishes it;
// `runs show` and `report` read the tree run.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStore } from "../../src/runs/index.js";
import {
  type ChatServer,
  type ChatServerRequest,
  type Reply,
  startChatServer,
} from "../helpers/chat-server.js";
import { RIGHT, WRONG, answer, doubleProblem, writeProblems } from "./fixtures.js";

const CLI = resolve("dist/cli/index.js");
const built = existsSync(CLI);
if (!built)
  console.warn("skipping the tree search end-to-end tests: run `npm run build` first (npm test does)");

const HALF = "n = int(input())\nprint(2 * n if n != 7777 else 0)\n";
const tmp = mkdtempSync(join(tmpdir(), "codeloop-e2e-tree-"));
const source = join(tmp, "problems.jsonl");
let chat: ChatServer;
let delayMs = 0;
let down = false;
const children: ChildProcess[] = [];

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * By seed: roots are WRONG, HALF or (rarely) RIGHT; a refinement of HALF is RIGHT half the
 * time, one of WRONG is a different WRONG-ish program or HALF. Every answer depends only on
 * the request, so two runs of one config get the same answers.
 */
function respond(r: ChatServerRequest): Reply {
  if (down) return { fault: "status", status: 400, body: '{"error":{"message":"model is loading"}}' };
  const msgs = r.body.messages as { role: string; content: string }[];
  const last = msgs.filter((m) => m.role === "assistant").at(-1)?.content;
  const h = hash(String(r.body.seed));
  let code: string;
  if (last === undefined) code = [WRONG, HALF, WRONG, WRONG, RIGHT, HALF][h % 6]!;
  else if (last.includes(HALF)) code = h % 2 === 0 ? RIGHT : HALF.replace("0)", `${h % 7})`);
  else code = h % 3 === 0 ? HALF : WRONG.replace("+ 1", `+ ${1 + (h % 5)}`);
  return { text: answer(code), delayMs };
}

beforeAll(async () => {
  chat = await startChatServer({ respond });
  // Two problems x two trajectories: four trees of seven calls each, enough for several roots,
  // an accepted tree and a kill with trees half grown, at half the sandbox work of 4 x 3.
  await writeProblems(
    source,
    ["q0", "q1"].map((id) => doubleProblem(id)),
  );
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await chat?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function config(name: string, extra: Record<string, unknown> = {}): string {
  const file = join(tmp, `${name}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({
      name,
      benchmark: { source },
      model: `openai:${chat.url}#scripted`,
      // No stop at a public pass: every tree spends its whole budget, so a kill lands mid-tree.
      strategy: { kind: "tree", maxTurns: 3, branching: 2, budget: { calls: 7 }, stopOnPublicPass: false },
      trajectoriesPerProblem: 2,
      seed: 23,
      concurrency: { model: 4, sandbox: 2 },
      sandbox: { workers: 2 },
      cache: { enabled: false },
      ...extra,
    })}\n`,
  );
  return file;
}

function cli(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => {
    out += String(d);
  });
  child.stderr!.on("data", (d) => {
    err += String(d);
  });
  return {
    child,
    done: new Promise<{ code: number | null; out: string; err: string }>((res) =>
      child.once("close", (code) => res({ code, out, err })),
    ),
  };
}

function dump(folder: string) {
  const store = RunStore.open(folder);
  try {
    return [...store.trajectories()].map((t) => {
      const d = store.trajectoryDetail(t)!;
      return {
        key: `${d.problemId}#${d.trajectory}`,
        status: d.status,
        submitted: [d.submittedTurn, d.submittedCandidate],
        grade: d.grade?.verdict,
        turns: d.turns.map((u) => ({
          parent: [u.parentTurn, u.parentCandidate],
          messages: u.messages,
          candidates: u.candidates.map((c) => [c.seed, c.code, c.selected, c.publicTests?.passed]),
        })),
      };
    });
  } finally {
    store.close();
  }
}

let reference = "";

describe.runIf(built)("tree search, end to end", () => {
  it("an uninterrupted tree run stores trees within budget, and runs show and report read it", async () => {
    reference = join(tmp, "whole");
    const r = await cli(["run", config("whole"), "--out", reference, "--json"]).done;
    expect(r.code, r.err).toBe(0);
    const trees = dump(reference);
    expect(trees).toHaveLength(4);
    for (const t of trees) {
      expect(t.status).toBe("done");
      expect(t.turns.filter((u) => u.candidates[0]![2]).length).toBe(7);
    }
    expect(trees.some((t) => t.turns.filter((u) => u.parent[0] === null).length > 1)).toBe(true);
    expect(trees.some((t) => t.grade === "accepted")).toBe(true);
    // Both only read the run: one after the other would just add a CLI start-up.
    const html = join(tmp, "whole.html");
    const [show, rep] = await Promise.all([
      cli(["runs", "show", reference]).done,
      cli(["report", reference, "--out", html]).done,
    ]);
    expect(show.code, show.err).toBe(0);
    expect(show.out).toMatch(/tree depth=3 b=2 budget=7 calls/);
    expect(rep.code, rep.err).toBe(0);
    expect(readFileSync(html, "utf8").length).toBeGreaterThan(1000);
  }, 180_000);

  it("a tree run killed with SIGKILL and resumed stores what the uninterrupted run stores", async () => {
    const folder = join(tmp, "killed");
    delayMs = 40;
    try {
      const before = chat.requests.length;
      const { child, done } = cli(["run", config("killed"), "--out", folder]);
      // 28 requests in all, the trees grown mostly one after another: kill at 12, after the
      // first tree's seven calls and with the second half grown.
      const poll = setInterval(() => {
        if (chat.requests.length - before >= 12) child.kill("SIGKILL");
      }, 5);
      const killed = await done;
      clearInterval(poll);
      expect(killed.code).toBeNull();
      const partial = RunStore.open(folder);
      const counts = partial.counts();
      partial.close();
      expect(counts.done).toBeLessThan(counts.total);
      const resumed = await cli(["run", "--resume", folder]).done;
      expect(resumed.code, resumed.err).toBe(0);
    } finally {
      delayMs = 0;
    }
    expect(dump(folder)).toEqual(dump(reference));
  }, 180_000);

  it("a model that goes away fails the trees resumably; --retry-failed finishes them", async () => {
    const folder = join(tmp, "down");
    down = true;
    let r: { code: number | null; out: string; err: string };
    try {
      r = await cli(["run", config("down", { trajectoriesPerProblem: 1 }), "--out", folder]).done;
    } finally {
      down = false;
    }
    expect(r.err).toMatch(/failed/);
    const store = RunStore.open(folder);
    const failed = [...store.trajectories()].filter((t) => t.status === "failed").length;
    store.close();
    expect(failed).toBeGreaterThan(0);
    const again = await cli(["run", "--resume", folder, "--retry-failed"]).done;
    expect(again.code, again.err).toBe(0);
    for (const t of dump(folder)) {
      expect(t.status).toBe("done");
      // The failed expansions stay stored; the retried search spent its whole budget after them.
      expect(t.turns.filter((u) => u.candidates[0]![2]).length).toBe(7);
    }
  }, 180_000);
});
