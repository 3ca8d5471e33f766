// The scripted model and the stored-run reader of the pinned strategy runs
// (tests/strategies/golden): the pinned files were made with this model, so every test that
// compares with them (golden.test.ts, tests/queue/run.test.ts) uses this one copy.
import { RunStore } from "../../src/runs/index.js";
import { RIGHT, WRONG, answer } from "../e2e/fixtures.js";
import type { ChatServerRequest } from "../helpers/chat-server.js";

/** No fence: an answer without code. */
export const PROSE = "I would read n and print twice its value.";
export const OVERFIT = "n = int(input())\nprint({1111: 2222, 5555: 11110, 7777: 15554}.get(n, -1))\n";

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * The scripted model: a function of the request alone (its seed and messages), so every run
 * of a config gets the same answers. Prose-only requests (reasoning steps) get prose; code
 * requests get one of five answers, drawn by the seed, with later turns likelier right.
 */
export function respond(r: ChatServerRequest): string {
  const msgs = r.body.messages as { role: string; content: string }[];
  const last = msgs.filter((m) => m.role === "user").at(-1)?.content ?? "";
  if (/do not write any code/i.test(last)) return `Reasoning ${hash(last) % 97}: the samples double n.`;
  // First answers are mostly wrong (an eighth right, an eighth overfit), later ones mostly right.
  const later = msgs.some((m) => m.role === "assistant");
  const first = [WRONG, PROSE, WRONG, OVERFIT, RIGHT, WRONG, PROSE, WRONG];
  const after = [WRONG, RIGHT, RIGHT, OVERFIT, PROSE, RIGHT];
  const pool = later ? after : first;
  const code = pool[hash(`${r.body.seed}|${msgs.length}`) % pool.length]!;
  return code === PROSE ? PROSE : answer(code);
}

/** What a run stored, minus what legitimately differs between runs (times, latency, cache). */
export function stored(folder: string) {
  const store = RunStore.open(folder);
  try {
    return [...store.trajectories()].map((t) => {
      const d = store.trajectoryDetail(t)!;
      return {
        key: `${d.problemId}#${d.trajectory}`,
        status: d.status,
        error: d.error,
        submitted: [d.submittedTurn, d.submittedCandidate],
        grade: d.grade && [d.grade.verdict, d.grade.passed, d.grade.total],
        turnGrades: d.turnGrades.map((g) => [g.turn, g.candidate, g.grade.verdict, g.grade.passed]),
        turns: d.turns.map((u) => ({
          index: u.index,
          parent: [u.parentTurn, u.parentCandidate],
          history: u.history,
          selection: u.selection ?? null,
          messages: u.messages,
          candidates: u.candidates.map((c) => ({
            index: c.index,
            raw: c.rawAnswer,
            code: c.code,
            extraction: c.extraction,
            finish: c.finishReason,
            tokens: [c.promptTokens, c.completionTokens],
            seed: c.seed,
            error: c.modelError,
            public: c.publicTests && [c.publicTests.verdict, c.publicTests.passed, c.publicTests.total],
            selected: c.selected,
            score: c.verifierScore,
          })),
        })),
      };
    });
  } finally {
    store.close();
  }
}
