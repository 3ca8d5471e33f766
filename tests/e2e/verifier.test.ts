// µCode's best-of-N loop end to end, as users run it: `codeloop run` (N = 5, T = 3) against the
// chat-completions test server, with a verifier served by a local vLLM-protocol scoring server
// that scores correct code higher; PT against PT+LV; `codeloop reselect` of stored candidates;
// the embedded verifier trained on an export of such a run and used in a second run; a run
// killed with SIGKILL and resumed; a verifier that cannot score stops the CLI before any folder.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Problem } from "../../src/problems/types.js";
import { RunStore, seedFor } from "../../src/runs/index.js";
import {
  type Answer,
  type ChatServer,
  type ChatServerRequest,
  startChatServer,
} from "../helpers/chat-server.js";
import { type ScoringServer, startScoringServer } from "../helpers/scoring-server.js";
import { RIGHT, WRONG, answer, doubleProblem, writeProblems } from "./fixtures.js";

const CLI = resolve("dist/cli/index.js");
const built = existsSync(CLI);
if (!built) console.warn("skipping the verifier end-to-end tests: run `npm run build` first (npm test does)");

/** Passes every public test (their answers are written in) and no hidden one. */
const OVERFIT = "n = int(input())\nprint({1111: 2222, 5555: 11110, 7777: 15554}.get(n, -1))\n";
const SEED = 11;
const N = 5;
// Two problems: still one to train on and one held out for the embedded verifier, and every
// count below scales with IDS (a third problem only added sandbox work).
const IDS = ["p0", "p1"];
const TRAJECTORIES = 2;
/** Trajectories in a run; with the script above, every one can be solved. */
const ALL = IDS.length * TRAJECTORIES;

const tmp = mkdtempSync(join(tmpdir(), "codeloop-e2e-verifier-"));
const source = join(tmp, "problems.jsonl");
let chat: ChatServer;
let scorer: ScoringServer;
const bySeed = new Map<number, { trajectory: number; turn: number; candidate: number }>();
const children: ChildProcess[] = [];

/**
 * The scripted model, by the request's seed: trajectory 0 samples [OVERFIT, WRONG, RIGHT,
 * WRONG, OVERFIT] on its first turn; trajectory 1 samples only WRONG first, then [OVERFIT,
 * RIGHT, WRONG, WRONG, WRONG] after the feedback. Public tests cannot tell OVERFIT from RIGHT.
 */
function code(r: ChatServerRequest): string | null {
  const who = bySeed.get(r.body.seed);
  if (!who) return null;
  if (who.trajectory === 0) return [OVERFIT, WRONG, RIGHT, WRONG, OVERFIT][who.candidate]!;
  if (who.turn === 0) return WRONG;
  return [OVERFIT, RIGHT, WRONG, WRONG, WRONG][who.candidate]!;
}
/** Answer latency of the run to be killed mid-way. */
const SLOW_MS = 60;
/** Slow answers only for the run to be killed (model name "slow"), so other runs go at full speed. */
function respond(r: ChatServerRequest): Answer {
  const c = code(r);
  return { text: c === null ? "no idea" : answer(c), delayMs: r.body.model === "slow" ? SLOW_MS : 0 };
}

beforeAll(async () => {
  if (!built) return;
  // Distinct statements, so a problem is a problem to the embedded verifier's held-out split.
  const problems: Problem[] = IDS.map((id, i) => ({
    ...doubleProblem(id),
    statement: `Read one integer n from standard input and print 2 * n. (Exercise ${i + 1} of the doubling set.)`,
  }));
  await writeProblems(source, problems);
  for (const id of IDS)
    for (let t = 0; t < TRAJECTORIES; t++)
      for (let turn = 0; turn < 4; turn++)
        for (let c = 0; c <= N; c++)
          bySeed.set(seedFor(SEED, id, t, turn, c), { trajectory: t, turn, candidate: c });
  chat = await startChatServer({ respond });
  scorer = await startScoringServer({
    models: ["rm"],
    labels: ["wrong", "correct"],
    score: (text) => (text.includes("print(2 * n)") ? 0.9 : 0.2),
  });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await chat?.close();
  await scorer?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function config(
  name: string,
  strategy: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(
    file,
    `${JSON.stringify({
      name,
      benchmark: { source },
      model: `openai:${chat.url}#scripted`,
      strategy: { kind: "best-of-n", candidatesPerTurn: N, maxTurns: 3, ...strategy },
      trajectoriesPerProblem: TRAJECTORIES,
      seed: SEED,
      grading: { gradeEveryTurn: true },
      concurrency: { model: 4, sandbox: 2 },
      sandbox: { workers: 2 },
      cache: { enabled: true, dir: join(tmp, `cache-${name}`) },
      ...extra,
    })}\n`,
  );
  return file;
}

function cli(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; out: string; err: string }>;
} {
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
  return { child, done: new Promise((res) => child.once("close", (code) => res({ code, out, err }))) };
}

async function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return cli(args).done;
}

/** What a run stored, minus times and cache flags. */
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
          selection: u.selection,
          parent: [u.parentTurn, u.parentCandidate],
          candidates: u.candidates.map((c) => [c.code, c.selected, c.verifierScore, c.publicTests?.passed]),
        })),
      };
    });
  } finally {
    store.close();
  }
}

const verifierRef = () => `vllm-classify:${scorer.url}#rm`;
const folders = { pt: "", ptlv: "" };

describe.runIf(built)("best-of-N with a learned verifier, end to end", () => {
  it("PT+LV solves at least as many problems as PT, with one verifier batch per turn and the rule stored per turn", async () => {
    folders.pt = join(tmp, "pt");
    folders.ptlv = join(tmp, "ptlv");
    // The two runs are independent (PT never asks the scorer), so they run side by side.
    const before = scorer.requests.length;
    const [pt, ptlv] = await Promise.all([
      run(["run", config("pt", { selection: "public-tests" }), "--out", folders.pt, "--json"]),
      run([
        "run",
        config("ptlv", { selection: "public-tests+verifier", verifier: verifierRef() }),
        "--out",
        folders.ptlv,
        "--json",
      ]),
    ]);
    expect(pt.code, pt.err).toBe(0);
    expect(ptlv.code, ptlv.err).toBe(0);
    const a = JSON.parse(pt.out) as { accepted: number; solvedProblems: number };
    const b = JSON.parse(ptlv.out) as { accepted: number; solvedProblems: number };
    // PT cannot tell OVERFIT from RIGHT and takes the first; the verifier can.
    expect(a).toMatchObject({ accepted: 0, solvedProblems: 0 });
    expect(b).toMatchObject({ accepted: ALL, solvedProblems: IDS.length });
    expect(b.solvedProblems).toBeGreaterThanOrEqual(a.solvedProblems);

    const turns = dump(folders.ptlv).flatMap((t) => t.turns);
    expect(turns.every((u) => u.selection === "public-tests+verifier")).toBe(true);
    // Every candidate with code has a score, correct code the higher one.
    const isRight = (code: unknown) => String(code).trim() === RIGHT.trim();
    // One RIGHT per trajectory (trajectory 0's first turn, trajectory 1's second).
    expect(turns.flatMap((u) => u.candidates).filter(([c]) => isRight(c))).toHaveLength(ALL);
    for (const u of turns)
      for (const [c, , score] of u.candidates) expect(score).toBe(isRight(c) ? 0.9 : 0.2);
    // One /classify batch per turn (trajectory 0 plays one turn, trajectory 1 two).
    const batches = scorer.requests.slice(before).filter((r) => r.path === "/classify");
    // At most one batch per turn, and each distinct (problem, code) scored once: the score
    // cache serves the codes a problem's other trajectory already had scored.
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.length).toBeLessThanOrEqual(turns.length);
    expect(batches.every((r) => r.body.input.length <= N)).toBe(true);
    // (The check's probe before the run is not a problem's code.)
    const inputs = batches.flatMap((r) => r.body.input as string[]).filter((t) => t.includes("Exercise"));
    expect(inputs).toHaveLength(new Set(inputs).size);
    expect(inputs).toHaveLength(IDS.length * 3);
    const store = RunStore.open(folders.ptlv);
    expect(store.facts().verifier).toBe(`vllm-classify:${scorer.url}#rm|input=prompt+code`);
    store.close();

    // The report's verifier metrics: the scores separate accepted from rejected codes exactly.
    const html = join(tmp, "ptlv.html");
    // report and compare only read the runs: side by side.
    const [rep, cmp] = await Promise.all([
      run(["report", folders.ptlv, "--out", html]),
      run(["compare", folders.pt, folders.ptlv]),
    ]);
    expect(rep.code, rep.err).toBe(0);
    const page = readFileSync(html, "utf8");
    expect(page).toContain('<section id="verifier"><h2>Verifier</h2>');
    expect(page).toMatch(
      /ROC AUC of verifier scores against the hidden verdict \(accepted = positive\): <b class="auc">1\.000<\/b>/,
    );
    // compare shows both runs' verifier figures.
    expect(cmp.code, cmp.err).toBe(0);
    expect(cmp.out).toMatch(/AUC/);
  }, 240_000);

  it("codeloop reselect re-applies a rule to the stored candidates without model calls", async () => {
    const calls = chat.requests.length;
    const out = join(tmp, "pt-as-ptlv");
    // Three independent reselects side by side (distinct output folders; the sources are read).
    const [r, back, wrongRule] = await Promise.all([
      run([
        "reselect",
        folders.pt,
        "--selection",
        "public-tests+verifier",
        "--verifier",
        verifierRef(),
        "--out",
        out,
        "--json",
      ]),
      run([
        "reselect",
        folders.ptlv,
        "--selection",
        "public-tests",
        "--out",
        join(tmp, "ptlv-as-pt"),
        "--json",
      ]),
      run(["reselect", folders.pt, "--selection", "best", "--out", join(tmp, "x")]),
    ]);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    // Every trajectory's pick changes at its last turn (OVERFIT -> RIGHT): it ends there.
    expect(s).toMatchObject({
      trajectories: ALL,
      accepted: ALL,
      sourceAccepted: 0,
      changedSubmissions: ALL,
      // The new pick passes the public tests: the trajectory ends there in the run too (exact).
      diverged: 0,
      graded: 0,
    });
    expect(back.code, back.err).toBe(0);
    expect(JSON.parse(back.out)).toMatchObject({ accepted: 0, sourceAccepted: ALL });
    expect(wrongRule.code).toBe(2);
    expect(wrongRule.err).toMatch(/--selection: unknown rule "best"/);
    // A second reselect into the same folder finds everything done.
    const again = await run([
      "reselect",
      folders.pt,
      "--selection",
      "public-tests+verifier",
      "--verifier",
      verifierRef(),
      "--out",
      out,
      "--json",
    ]);
    expect(JSON.parse(again.out)).toMatchObject({ resumed: ALL, accepted: ALL });
    expect(chat.requests.length).toBe(calls);
  }, 240_000);

  it("the embedded verifier trains on an export of the run and selects in a second run", async () => {
    const pairs = join(tmp, "pairs.jsonl");
    const ex = await run(["export", "verifier-pairs", folders.ptlv, "--out", pairs]);
    expect(ex.code, ex.err).toBe(0);
    const model = join(tmp, "v.json");
    const tr = await run(["verifier", "train", pairs, "--out", model, "--holdout", "0.34", "--json"]);
    expect(tr.code, tr.err).toBe(0);
    const folder = join(tmp, "embedded");
    const r = await run([
      "run",
      config("embedded", { selection: "public-tests+verifier", verifier: `embedded:${model}` }),
      "--out",
      folder,
      "--json",
    ]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ accepted: ALL, solvedProblems: IDS.length });
    const scored = dump(folder).flatMap((t) => t.turns.flatMap((u) => u.candidates));
    const of = (code: string) =>
      scored.filter(([c]) => String(c).trim() === code.trim()).map(([, , s]) => s as number);
    const right = of(RIGHT);
    const overfit = of(OVERFIT);
    expect(right.length).toBeGreaterThan(0);
    expect(overfit.length).toBeGreaterThan(0);
    expect(Math.min(...right)).toBeGreaterThan(Math.max(...overfit));
  }, 240_000);

  it("a PT+LV run killed with SIGKILL and resumed stores what an uninterrupted one does", async () => {
    const folder = join(tmp, "killed");
    // Slow answers (the "slow" model name; the stored dump does not hold the model), and the
    // kill as soon as the verifier has scored two turns of this run: mid-run, with turns stored
    // and trajectories still open (a two-problem run sends three batches, the score cache
    // serving the rest; at the kill, two of its four trajectories had not started).
    const cfg = config(
      "killed",
      { selection: "public-tests+verifier", verifier: verifierRef() },
      { model: `openai:${chat.url}#slow` },
    );
    const scoredTurns = () =>
      scorer.requests.filter((r) => r.path === "/classify" && JSON.stringify(r.body).includes("Exercise"))
        .length;
    const before = scoredTurns();
    const { child, done } = cli(["run", cfg, "--out", folder]);
    const poll = setInterval(() => {
      if (scoredTurns() - before >= 2) child.kill("SIGKILL");
    }, 20);
    const killed = await done;
    clearInterval(poll);
    expect(killed.code).toBeNull();
    const partial = RunStore.open(folder);
    const counts = partial.counts();
    partial.close();
    expect(counts.done).toBeLessThan(counts.total);
    const resumed = await run(["run", "--resume", folder]);
    expect(resumed.code, resumed.err).toBe(0);
    expect(dump(folder)).toEqual(dump(folders.ptlv));
  }, 240_000);

  it("a verifier that cannot score stops `codeloop run` with one line and no run folder", async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["down", { verifier: "vllm-classify:http://127.0.0.1:9#rm" }, /strategy\.verifier: .*127\.0\.0\.1:9/],
      [
        "model",
        { verifier: `vllm-classify:${scorer.url}#other` },
        /strategy\.verifier: .*serves rm, not other/,
      ],
      [
        "kind",
        { verifier: "magic:http://127.0.0.1:9" },
        /strategy\.verifier: .*unknown kind; expected one of vllm-classify:/,
      ],
      ["file", { verifier: `embedded:${join(tmp, "missing.json")}` }, /strategy\.verifier: .*missing\.json/],
    ];
    // Every CLI process here is independent and mostly start-up: all of them at once.
    const folder = (name: string) => join(tmp, `bad-${name}`);
    const [runs, ok, bad, r] = await Promise.all([
      Promise.all(
        cases.map(([name, v]) =>
          run([
            "run",
            config(`bad-${name}`, { selection: "public-tests+verifier", ...v }),
            "--out",
            folder(name),
          ]),
        ),
      ),
      // `codeloop verifier check` asks the same questions outside a run.
      run(["verifier", "check", verifierRef(), "--json"]),
      run(["verifier", "check", `vllm-classify:${scorer.url}#other`]),
      // The config itself refuses a verifier rule without a verifier, naming the field.
      run(["run", config("none", { selection: "verifier" }), "--out", join(tmp, "none")]),
    ]);
    cases.forEach(([name, , message], i) => {
      const r = runs[i]!;
      expect(r.code, r.err).toBe(2);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(message);
      expect(existsSync(folder(name))).toBe(false);
    });
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true, scores: [0.2, 0.2] });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/serves rm, not other/);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/strategy\.verifier.*selection "verifier" needs a verifier/);
    expect(readFileSync(join(tmp, "none.yaml"), "utf8")).toContain('"selection":"verifier"');
  }, 120_000);
});
