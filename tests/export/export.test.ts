// End-to-end exports: real runs (multi-turn with feedback, CoT, best-of-n) on CodeContests
// sample problems, made by the built `codeloop run` against the chat-completions test server,
// exported by the real `codeloop export` command wiring.
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerExport } from "../../src/cli/export.js";
import { type ExportMeta, metaPath } from "../../src/export/index.js";
import { JUDGE_VERSION } from "../../src/judge/index.js";
import { loadProblems, writeNativeJsonl } from "../../src/problems/index.js";
import { renderPromptTemplate } from "../../src/prompts/index.js";
import { RunStore, rejudgeRun } from "../../src/runs/index.js";
import { Database } from "../../src/runs/store-sql.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { type ChatServer, startChatServer } from "../helpers/chat-server.js";
import { captureCli } from "../helpers/cli-capture.js";
import { hasData } from "../problems/data.js";
import {
  IDS,
  REASONING,
  Runs,
  SOURCE,
  TWIN,
  WRONG,
  WRONG2,
  built,
  cliRun,
  fence,
  goldOf,
  whitespaceVariant,
} from "./fixtures.js";

const have = hasData("codecontests-sample") && built;
if (!built) console.warn("skipping export tests: run `npm run build` first (npm test does)");
const tmp = mkdtempSync(join(tmpdir(), "codeloop-export-"));
const SYSTEM = "You are a careful competitive programmer.";
const PROSE_ONLY = "Answer in prose only for now; do not write any code yet.";
let sb: Sandbox;
let server: ChatServer;
let runs: Runs;
let multi = "";
let cot = "";
let bon = "";
/** The verifier-ranked best-of-3 run, made alongside the others (only its relabel test reads it). */
let verified: Promise<string>;

type Msg = { role: string; content: string; train?: boolean };
// biome-ignore lint/suspicious/noExplicitAny: rows are whatever the JSONL holds
type Row = any;

let fileNo = 0;
/** Runs `codeloop export ...args --out <new file>`; returns the rows, the meta and the file. */
async function exportRows(
  ...args: string[]
): Promise<{ rows: Row[]; meta: ExportMeta; file: string; stdout: string }> {
  const file = join(tmp, `out${fileNo++}.jsonl`);
  const stdout = await captureCli(registerExport, "export", ...args, "--out", file);
  return { ...readExport(file), stdout };
}

/**
 * Several `codeloop export` commands at once through the same commander wiring (each export
 * waits on its own Python normaliser, so they overlap); captureCli's stdout spy is not
 * re-entrant, so one spy silences them all and no per-export stdout is returned: use
 * exportRows where the summary is asserted.
 */
async function exportAll(...argLists: string[][]): Promise<Export[]> {
  const files = argLists.map(() => join(tmp, `out${fileNo++}.jsonl`));
  const o = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    await Promise.all(
      argLists.map((args, i) => {
        const program = new Command().exitOverride();
        registerExport(program);
        return program.parseAsync(["node", "codeloop", "export", ...args, "--out", files[i]!]);
      }),
    );
  } finally {
    o.mockRestore();
  }
  return files.map(readExport);
}

type Export = { rows: Row[]; meta: ExportMeta; file: string };

function readExport(file: string): Export {
  const text = readFileSync(file, "utf8");
  const rows =
    text === ""
      ? []
      : text
          .trimEnd()
          .split("\n")
          .map((l) => JSON.parse(l));
  const meta = JSON.parse(readFileSync(metaPath(file), "utf8")) as ExportMeta;
  return { rows, meta, file };
}

function addsUp(meta: ExportMeta): void {
  const t = meta.trajectories;
  expect(t.kept + Object.values(t.dropped).reduce((a, b) => a + b, 0)).toBe(t.read);
}

const text = (id: string) => renderPromptTemplate(id, { language: "Python 3" });
const lastUser = (r: { body: Row }) =>
  (r.body.messages as Msg[]).filter((m) => m.role === "user").at(-1)!.content;

beforeAll(async () => {
  if (!have) return;
  sb = await Sandbox.create({ workers: 2, uidBase: 62300 });
  server = await startChatServer({ respond: (r) => runs.respond(r) });
  runs = new Runs(tmp, sb, server);
  await runs.load();
  // The runs are independent (each its own model name on the test server), so they are made at
  // once: each CLI run spends much of its time starting up and waiting on its sandbox.
  // Multi-turn with failed-test feedback: t0 wrong then gold; t1 wrong then the gold with
  // comments and blank lines (a duplicate once normalised); t2 wrong twice; t3 solved on turn 1
  // with an extra assignment (a near-duplicate of the gold).
  const multiRun = runs.run(
    "multi",
    { strategy: { kind: "multi-turn", maxTurns: 2 }, trajectoriesPerProblem: 4, prompts: { system: SYSTEM } },
    (w) => {
      const gold = goldOf(w.problem);
      if (w.trajectory === 3) return fence(`CODELOOP_T3 = 1\n${gold}`);
      if (w.turn === 0) return fence(WRONG);
      return fence(w.trajectory === 0 ? gold : w.trajectory === 1 ? whitespaceVariant(gold) : WRONG2);
    },
  );
  // CoT: a two-step reasoning turn, then an instruction prompt on turn 2.
  const cotRun = runs.run(
    "cot",
    {
      strategy: {
        kind: "cot-retry",
        maxTurns: 2,
        cot: [{ reasoning: "reasoning.explain-samples" }, { instruction: "instruction.naive-then-improve" }],
      },
    },
    (w, r) =>
      lastUser(r).endsWith(PROSE_ONLY) ? REASONING : fence(w.turn === 0 ? WRONG : goldOf(w.problem)),
  );
  // Best-of-3 with a single-step reasoning prompt; every candidate graded.
  const bonRun = runs.run(
    "bon",
    {
      strategy: {
        kind: "best-of-n",
        candidatesPerTurn: 3,
        maxTurns: 1,
        cot: [{ reasoning: "reasoning.explain-samples" }],
      },
      trajectoriesPerProblem: 2,
      grading: { gradeEveryTurn: true },
    },
    (w) => fence([WRONG, goldOf(w.problem), WRONG2][w.candidate]!),
  );
  verified = verifiedRun();
  // Awaited by its test; this only keeps an early failure from being an unhandled rejection.
  verified.catch(() => {});
  [multi, cot, bon] = await Promise.all([multiRun, cotRun, bonRun]);
}, 300_000);

/**
 * Best-of-3 ranked by public tests then a verifier that prefers the marked gold; trajectory 1
 * has only wrong candidates, so it is relabelled with the best-scored accepted code.
 */
function verifiedRun(): Promise<string> {
  const verifier = {
    score: async (inputs: readonly { code: string }[]) =>
      inputs.map((i) => (i.code.includes("CODELOOP_V") ? 0.9 : 0.1)),
  };
  return runs.run(
    "verified",
    {
      strategy: {
        kind: "best-of-n",
        candidatesPerTurn: 3,
        maxTurns: 1,
        selection: "public-tests+verifier",
        verifier: `openai:${server.url}#rm`,
      },
      trajectoriesPerProblem: 2,
      grading: { gradeEveryTurn: true },
    },
    (w) => {
      const gold = goldOf(w.problem);
      const t0 = [gold, `CODELOOP_V = 1\n${gold}`, WRONG];
      return fence((w.trajectory === 0 ? t0 : [WRONG, WRONG2, WRONG])[w.candidate]!);
    },
    { verifier },
  );
}

afterAll(async () => {
  // A filtered run (-t) may not have awaited it: let it finish before its sandbox closes.
  await verified?.catch(() => {});
  await server?.close();
  await sb?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe.runIf(have)("codeloop export on real runs", () => {
  it("the runs are what the exports assume", () => {
    expect(runs.unmatched).toEqual([]);
    const s = RunStore.open(multi);
    const verdicts = [...s.trajectories()].map((t) => `${t.trajectory}:${t.grade?.verdict}`);
    s.close();
    expect(verdicts).toEqual(IDS.flatMap(() => ["0:accepted", "1:accepted", "2:wrong_answer", "3:accepted"]));
  });

  it("rft keeps accepted trajectories, removes the normalised duplicate and counts everything", async () => {
    const { rows, meta, stdout } = await exportRows("rft", multi, "--dedup-threshold", "1");
    addsUp(meta);
    // Per problem: t2 failed, t1 duplicates t0 (the same program once normalised), t3 differs.
    expect(meta.trajectories).toEqual({
      read: 16,
      kept: 8,
      dropped: { failed: 4, duplicate: 4, overCap: 0, contaminated: 0 },
    });
    expect(meta.examples).toBe(8);
    expect(rows).toHaveLength(8);
    expect(meta.approxTokens).toBe(
      Math.ceil(rows.flatMap((r) => r.messages as Msg[]).reduce((n, m) => n + m.content.length, 0) / 4),
    );
    expect(meta.runs[0]!.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.gradeVersionsUsed).toEqual([1]);
    expect(stdout).toContain("16 read, 8 kept");
    // The whitespace variant and the gold are one program: exactly one of them stays per problem.
    for (const id of IDS) {
      const problem = runs.problems.find((p) => p.id === id)!;
      const gold = goldOf(problem);
      const finals = rows
        .filter((r) => (r.messages as Msg[])[1]!.content.includes(problem.statement.slice(0, 200)))
        .map((r) => (r.messages as Msg[]).at(-1)!.content);
      expect(finals).toHaveLength(2);
      // t3 (its own program) and one of t0 / t1 (the gold, or the gold with comments).
      expect(finals.filter((f) => f.includes("CODELOOP_T3 = 1\n"))).toHaveLength(1);
      const other = finals.find((f) => !f.includes("CODELOOP_T3"))!;
      expect([fence(gold), fence(whitespaceVariant(gold))]).toContain(other);
    }
  });

  it("rft caps per problem with a seeded choice, and the same seed gives a byte-identical file", async () => {
    const capped = (seed: number) => [
      "rft",
      multi,
      "--dedup-threshold",
      "1",
      "--max-per-problem",
      "1",
      "--seed",
      String(seed),
    ];
    // Seed 3 twice, and seeds 0..4: all at once.
    const [a, b, ...bySeed] = await exportAll(capped(3), capped(3), ...[0, 1, 2, 3, 4].map(capped));
    addsUp(a!.meta);
    expect(a!.meta.trajectories.dropped).toMatchObject({ failed: 4, duplicate: 4, overCap: 4 });
    expect(a!.rows).toHaveLength(4);
    expect(readFileSync(a!.file)).toEqual(readFileSync(b!.file));
    // Seeds choose differently somewhere across seeds 0..4 (a choice, not always the first).
    const picks = new Set(bySeed.map((r) => readFileSync(r.file, "utf8")));
    expect(picks.size).toBeGreaterThan(1);
  });

  it("rft --single-turn-only keeps only trajectories solved on their first turn", async () => {
    const { rows, meta } = await exportRows("rft", multi, "--single-turn-only", "--dedup-threshold", "1");
    addsUp(meta);
    expect(meta.trajectories).toMatchObject({ kept: 4, dropped: { failed: 4, multiTurn: 8 } });
    for (const r of rows)
      expect((r.messages as Msg[]).map((m) => m.role)).toEqual(["system", "user", "assistant"]);
  });

  it("the formats have the documented field names and roles", async () => {
    const rft = (...more: string[]) => ["rft", multi, "--dedup-threshold", "1", ...more];
    // Every format's export at once; each is checked below.
    const [conv, pc, pcAll, ax, axAll, sg, withSystem] = (await exportAll(
      rft(),
      rft("--format", "prompt-completion"),
      rft("--format", "prompt-completion", "--train-on", "all"),
      rft("--format", "axolotl"),
      rft("--format", "axolotl", "--train-on", "all"),
      rft("--format", "sharegpt", "--no-system"),
      rft("--format", "sharegpt"),
    )) as [Export, Export, Export, Export, Export, Export, Export];
    const two = conv.rows.find((r) => r.messages.length === 5)!;
    expect(Object.keys(two)).toEqual(["messages"]);
    expect((two.messages as Msg[]).map((m) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "user",
      "assistant",
    ]);
    expect(two.messages[0].content).toBe(SYSTEM);
    // The feedback message is kept: the failing public test's input is in the second user turn.
    expect(two.messages[3].content).not.toBe(two.messages[1].content);
    expect(two.messages[2].content).toContain(WRONG.trim());

    for (const r of pc.rows) {
      expect(Object.keys(r)).toEqual(["prompt", "completion"]);
      expect((r.completion as Msg[]).map((m) => m.role)).toEqual(["assistant"]);
      expect((r.prompt as Msg[]).at(-1)!.role).toBe("user");
    }
    // One row per assistant turn: four two-turn and four one-turn trajectories.
    expect(pcAll.rows).toHaveLength(12);
    expect(pcAll.meta.trajectories.kept).toBe(8);

    const axTwo = ax.rows.find((r) => r.messages.length === 5)!;
    expect((axTwo.messages as Msg[]).map((m) => m.train)).toEqual([
      undefined,
      undefined,
      false,
      undefined,
      true,
    ]);
    expect((axAll.rows.find((r) => r.messages.length === 5)!.messages as Msg[]).map((m) => m.train)).toEqual([
      undefined,
      undefined,
      true,
      undefined,
      true,
    ]);

    const sgTwo = sg.rows.find((r) => r.conversations.length === 4)!;
    expect(Object.keys(sgTwo)).toEqual(["conversations"]);
    expect((sgTwo.conversations as { from: string; value: string }[]).map((m) => m.from)).toEqual([
      "human",
      "gpt",
      "human",
      "gpt",
    ]);
    for (const m of sgTwo.conversations) expect(Object.keys(m)).toEqual(["from", "value"]);
    expect(withSystem.rows[0].conversations[0]).toEqual({ from: "system", value: SYSTEM });
  });

  it("strips the chain-of-thought prompts and folds the reasoning step into the assistant turn", async () => {
    const store = RunStore.open(cot);
    const stored = store.trajectoryDetail({ problemId: IDS[0]!, trajectory: 0 })!;
    store.close();
    // What the run sent: turn 1 = reasoning request, its answer, the code request.
    expect(stored.turns[0]!.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    const { rows, meta } = await exportRows("rft", cot);
    addsUp(meta);
    expect(rows).toHaveLength(4);
    const statement = runs.problems.find((p) => p.id === IDS[0])!.statement.slice(0, 200);
    const row = rows.find((r) => (r.messages as Msg[])[1]!.content.includes(statement))!;
    const ms = row.messages as Msg[];
    expect(ms.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "assistant"]);
    const all = ms.map((m) => m.content).join("\n");
    for (const t of [
      text("reasoning.explain-samples"),
      text("instruction.naive-then-improve"),
      PROSE_ONLY,
      text("chain.code"),
    ]) {
      expect(all).not.toContain(t);
    }
    // The stripped user message is the stored one without the appended prompts.
    expect(stored.turns[0]!.messages[1]!.content.startsWith(ms[1]!.content)).toBe(true);
    expect(ms[2]!.content).toBe(`${REASONING}\n\n${fence(WRONG)}`);
    expect(stored.turns[1]!.messages[0]!.content.startsWith(ms[3]!.content)).toBe(true);
    expect(ms[4]!.content).toBe(fence(goldOf(runs.problems.find((p) => p.id === IDS[0])!)));
  });

  it("verifier-pairs: chosen accepted, rejected not, no pair repeated; pointwise labels", async () => {
    const { rows, meta } = await exportRows("verifier-pairs", bon);
    addsUp(meta);
    // Per problem 3 distinct graded codes (gold, WRONG, WRONG2): 1 x 2 pairs.
    expect(rows).toHaveLength(8);
    expect(meta.codes).toMatchObject({ graded: 24, ungraded: 0, accepted: 4, rejected: 8 });
    const seen = new Set<string>();
    for (const r of rows) {
      expect(Object.keys(r)).toEqual(["prompt", "chosen", "rejected"]);
      expect((r.prompt as Msg[]).map((m) => m.role)).toEqual(["system", "user"]);
      expect(r.prompt[1].content).not.toContain(text("reasoning.explain-samples"));
      expect(r.prompt[1].content).not.toContain("Write this analysis first");
      expect(r.chosen[0].role).toBe("assistant");
      expect(r.chosen[0].content).not.toContain("codeloop: not an answer");
      expect([WRONG, WRONG2].map((c) => `\`\`\`python\n${c.trim()}\n\`\`\``)).toContain(
        r.rejected[0].content,
      );
      const key = JSON.stringify(r);
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
    const one = await exportRows("verifier-pairs", bon, "--pairs-per-problem", "1");
    expect(one.rows).toHaveLength(4);
    const pw = await exportRows("verifier-pairs", bon, "--pointwise");
    expect(pw.rows).toHaveLength(12);
    for (const r of pw.rows) {
      expect(Object.keys(r)).toEqual(["prompt", "completion", "label"]);
      const wrong = [WRONG, WRONG2].map((c) => `\`\`\`python\n${c.trim()}\n\`\`\``);
      expect(r.label).toBe(!wrong.includes(r.completion[0].content));
    }
    // The same pairs for axolotl's reward models (bradley_terry.chat_template reads system,
    // input, chosen and rejected as strings) and LLaMA-Factory's ranking datasets.
    const ax = await exportRows("verifier-pairs", bon, "--format", "axolotl");
    expect(ax.rows).toHaveLength(rows.length);
    ax.rows.forEach((a, i) => {
      expect(Object.keys(a)).toEqual(["system", "input", "chosen", "rejected"]);
      expect(a).toEqual({
        system: rows[i].prompt[0].content,
        input: rows[i].prompt[1].content,
        chosen: rows[i].chosen[0].content,
        rejected: rows[i].rejected[0].content,
      });
    });
    const noSystem = await exportRows("verifier-pairs", bon, "--format", "axolotl", "--no-system");
    expect(noSystem.rows.every((r) => r.system === "")).toBe(true);
    const lf = await exportRows("verifier-pairs", bon, "--format", "sharegpt");
    expect(lf.meta.format).toBe("pairs-sharegpt");
    lf.rows.forEach((a, i) => {
      expect(a).toEqual({
        conversations: [
          { from: "system", value: rows[i].prompt[0].content },
          { from: "human", value: rows[i].prompt[1].content },
        ],
        chosen: { from: "gpt", value: rows[i].chosen[0].content },
        rejected: { from: "gpt", value: rows[i].rejected[0].content },
      });
    });
    await expect(
      captureCli(
        registerExport,
        "export",
        "verifier-pairs",
        bon,
        "--out",
        join(tmp, "pw.jsonl"),
        "--pointwise",
        "--format",
        "axolotl",
      ),
    ).rejects.toThrow(/--pointwise writes TRL's unpaired rows .* not axolotl/);
  });

  it("relabel pairs the best code with every history prefix of the failed trajectories", async () => {
    const { rows, meta } = await exportRows("relabel", multi, "--format", "prompt-completion");
    addsUp(meta);
    // One failed two-turn trajectory per problem: two prefixes each.
    expect(meta.trajectories).toMatchObject({ read: 16, kept: 4, dropped: { accepted: 12 } });
    expect(rows).toHaveLength(8);
    for (const id of IDS) {
      const p = runs.problems.find((q) => q.id === id)!;
      const mine = rows.filter((r) => (r.prompt as Msg[])[1]!.content.includes(p.statement.slice(0, 200)));
      expect(mine.map((r) => (r.prompt as Msg[]).map((m) => m.role))).toEqual([
        ["system", "user"],
        ["system", "user", "assistant", "user"],
      ]);
      // The expert is t0's gold (no verifier scores: first by trajectory, turn, candidate).
      for (const r of mine)
        expect(r.completion).toEqual([
          { role: "assistant", content: `\`\`\`python\n${goldOf(p).trim()}\n\`\`\`` },
        ]);
    }
  });

  it("relabel breaks ties between accepted codes by the verifier score", async () => {
    // The run is made in beforeAll (see verifiedRun).
    const folder = await verified;
    expect(runs.unmatched).toEqual([]);
    const { rows, meta } = await exportRows(
      "relabel",
      folder,
      "--format",
      "prompt-completion",
      "--no-system",
    );
    addsUp(meta);
    expect(meta.trajectories).toMatchObject({ read: 8, kept: 4, dropped: { accepted: 4 } });
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect((r.prompt as Msg[]).map((m) => m.role)).toEqual(["user"]);
      expect(r.completion[0].content).toMatch(/^```python\nCODELOOP_V = 1\n/);
    }
  });

  it("decontamination drops problems whose title or statement an evaluation set shares, and reports each match", async () => {
    const [twin, lucky] = await loadProblems(SOURCE, { ids: [TWIN, IDS[1]!] }).then((ps) => [
      ps.find((p) => p.id === TWIN)!,
      ps.find((p) => p.id === IDS[1])!,
    ]);
    const evalFile = join(tmp, "eval.jsonl");
    // The twin has the run's 1286_B title and statement; "eval-lucky" copies 110_E's statement only.
    await writeNativeJsonl([twin!, { ...lucky!, id: "eval-lucky", title: "A renamed problem" }], evalFile);
    const { meta, stdout } = await exportRows(
      "rft",
      multi,
      "--dedup-threshold",
      "1",
      "--decontaminate",
      evalFile,
    );
    addsUp(meta);
    expect(meta.problems.contaminated).toBe(2);
    expect(meta.trajectories.dropped.contaminated).toBe(8);
    expect(meta.contamination.map((m) => [m.problemId, m.evalId, m.reason])).toEqual([
      [IDS[1], "eval-lucky", "statement"],
      [IDS[3], TWIN, "title"],
    ]);
    expect(stdout).toContain(`contaminated: ${IDS[3]} matches ${evalFile} ${TWIN} by title`);
  });

  it("several runs export together; a folder that is not a run, an unknown kind or format are clear errors", async () => {
    const both = await exportRows("rft", multi, cot, "--dedup-threshold", "1");
    addsUp(both.meta);
    expect(both.meta.trajectories.read).toBe(20);
    expect(both.meta.runs.map((r) => r.folder)).toEqual([multi, cot]);

    const notRun = mkdtempSync(join(tmp, "empty-"));
    const out = join(tmp, "err.jsonl");
    writeFileSync(out, "previous\n");
    await expect(captureCli(registerExport, "export", "rft", notRun, "--out", out)).rejects.toThrow(
      `${notRun} is not a run folder`,
    );
    await expect(captureCli(registerExport, "export", "sft", multi, "--out", out)).rejects.toThrow(
      /unknown export kind "sft"/,
    );
    await expect(
      captureCli(registerExport, "export", "rft", multi, "--out", out, "--format", "alpaca"),
    ).rejects.toThrow(/--format: unknown format "alpaca"/);
    await expect(
      captureCli(
        registerExport,
        "export",
        "verifier-pairs",
        multi,
        "--out",
        out,
        "--format",
        "prompt-completion",
      ),
    ).rejects.toThrow(/--format prompt-completion: verifier-pairs writes messages, axolotl, sharegpt/);
    await expect(
      captureCli(registerExport, "export", "rft", multi, "--out", out, "--train-on", "first"),
    ).rejects.toThrow(/--train-on: expected last or all/);
    await expect(
      captureCli(registerExport, "export", "rft", multi, "--out", out, "--dedup-threshold", "0"),
    ).rejects.toThrow(/--dedup-threshold: expected a number in \(0, 1\]/);
    await expect(
      captureCli(
        registerExport,
        "export",
        "rft",
        multi,
        "--out",
        out,
        "--decontaminate",
        join(tmp, "missing.jsonl"),
      ),
    ).rejects.toThrow(/--decontaminate .*missing\.jsonl/);
    // Failed exports leave the previous file as it was and no temporary file behind.
    expect(readFileSync(out, "utf8")).toBe("previous\n");
    expect(readdirSync(tmp).filter((f) => f.includes(".tmp"))).toEqual([]);
    expect(existsSync(metaPath(out))).toBe(false);
  });

  it("verifier-pairs says how many codes had no grade and how to grade them; after rejudge --all they count", async () => {
    const before = await exportRows("verifier-pairs", multi);
    // Turn-1 codes of the multi-turn trajectories were not graded (no gradeEveryTurn).
    expect(before.meta.codes).toMatchObject({ ungraded: 12 });
    expect(before.stdout).toMatch(
      /12 codes were skipped for lack of a hidden grade.*grading\.gradeEveryTurn.*codeloop rejudge <folder> --all/,
    );
    await rejudgeRun(multi, { sandbox: sb, all: true });
    const after = await exportRows("verifier-pairs", multi);
    expect(after.meta.codes).toMatchObject({ ungraded: 0 });
    expect(after.meta.gradeVersionsUsed).toEqual([2]);
    expect(after.rows.length).toBeGreaterThan(before.rows.length);
  });

  it("refuses grades an older judge made and names the rejudge; after `codeloop rejudge --all` they export", async () => {
    // The cot run as a later codeloop, whose judge has changed, would see it: its grades were
    // made by an older judge (written into the copy's database as a judge version 0).
    const old = join(tmp, "cot-old-judge");
    cpSync(cot, old, { recursive: true });
    const db = new Database(join(old, "run.db"));
    db.prepare("UPDATE grade_versions SET judge_version = 'codeloop-judge/0'").run();
    db.close();
    const out = join(tmp, "stale.jsonl");
    await expect(captureCli(registerExport, "export", "rft", old, "--out", out)).rejects.toThrow(
      new RegExp(
        `${old}: 4 code\\(s\\) have grades older than this codeloop's judge \\(${JUDGE_VERSION}\\): version 1 by codeloop-judge/0\\. Grade them again with \`codeloop rejudge ${old} --all\``,
      ),
    );
    expect(existsSync(out)).toBe(false);
    // Allowed on request, and said so in the sidecar.
    const anyway = await exportRows("rft", old, "--allow-stale-grades");
    expect(anyway.meta.notes.join("\n")).toMatch(/exported 4 code\(s\) with grades of another judge/);
    expect(anyway.meta.runs[0]!.staleGrades).toEqual([
      { version: 1, judgeVersion: "codeloop-judge/0", codes: 4 },
    ]);
    // `runs show` says it too.
    const shown = await cliRun(["runs", "show", old]);
    expect(shown.stdout).toMatch(/grade versions: 1 \(run, codeloop-judge\/0\)/);
    expect(shown.stdout).toMatch(/4 code\(s\) have grades by another judge.*codeloop rejudge .* --all/);
    // The command the error names fixes it.
    const rejudged = await cliRun(["rejudge", old, "--all"]);
    expect(rejudged.code, rejudged.stderr).toBe(0);
    const fixed = await exportRows("rft", old);
    expect(fixed.meta.judgeVersion).toBe(JUDGE_VERSION);
    expect(fixed.meta.gradeVersionsUsed).toEqual([2]);
    expect(fixed.meta.runs[0]!.gradeVersions.map((g) => g.judgeVersion)).toEqual([
      "codeloop-judge/0",
      JUDGE_VERSION,
    ]);
    expect(fixed.meta.runs[0]!.staleGrades).toEqual([]);
    expect(fixed.rows).toEqual(anyway.rows);
  });
});
