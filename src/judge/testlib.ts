import type { RunRecord } from "../sandbox/types.js";

/**
 * testlib's exit codes as checkers built with a stock testlib.h use them (builds for ejudge or
 * Contester renumber them; datasets built from Codeforces/Polygon use these).
 */
export const TESTLIB_EXIT = {
  ok: 0,
  wrongAnswer: 1,
  presentationError: 2,
  fail: 3,
  /** `_dirt`: extra data after the answer, a presentation error. */
  dirt: 4,
  points: 7,
  unexpectedEof: 8,
} as const;

/** What one run of a testlib checker said about one output. */
export type CheckerOutcome =
  | { kind: "accepted" }
  /** The checker rejected the output: the program's wrong answer. */
  | { kind: "rejected"; message: string }
  /** Exit 3 (`quitf(_fail, ...)`): the checker says it, or the jury's data, is broken. */
  | { kind: "fail"; message: string }
  /** The checker crashed, was killed, ran out of time or exited with a code testlib never uses. */
  | { kind: "broken"; message: string }
  /** The sandbox could not run the checker at all (an infrastructure failure). */
  | { kind: "sandbox"; message: string };

/** Longest checker message a verdict keeps. */
const MESSAGE_CHARS = 300;

/**
 * The checker's own words: testlib writes its verdict line to stderr; some hand-written checkers
 * print to stdout instead. Clipped, so a checker that echoes a huge output cannot bloat a verdict.
 */
export function checkerMessage(rec: RunRecord): string {
  const text = (rec.stderr.trim() || rec.stdout.trim()).replace(/\s+/g, " ");
  return text.length > MESSAGE_CHARS ? `${text.slice(0, MESSAGE_CHARS - 3)}...` : text;
}

/**
 * The exit code of a checker that ended on its own (not killed, not over a limit); undefined
 * otherwise. A nonzero exit arrives as runtime_error, since the sandbox knows nothing of testlib.
 */
function normalExit(rec: RunRecord): number | undefined {
  if (rec.signal !== null || rec.exitCode === null) return undefined;
  if (rec.verdict === "ok" && rec.exitCode === 0) return 0;
  if (rec.verdict === "runtime_error" && rec.exitCode !== 0) return rec.exitCode;
  return undefined;
}

/** Reads one checker run by testlib's convention. */
export function testlibOutcome(rec: RunRecord): CheckerOutcome {
  if (rec.verdict === "sandbox_error") {
    return { kind: "sandbox", message: `the checker could not run: ${rec.detail ?? "sandbox error"}` };
  }
  const msg = checkerMessage(rec);
  const said = msg ? `: ${msg}` : "";
  const code = normalExit(rec);
  switch (code) {
    case TESTLIB_EXIT.ok:
      return { kind: "accepted" };
    case TESTLIB_EXIT.wrongAnswer:
      return { kind: "rejected", message: `checker: wrong answer${said}` };
    case TESTLIB_EXIT.presentationError:
      return { kind: "rejected", message: `checker: presentation error${said}` };
    case TESTLIB_EXIT.dirt:
      return { kind: "rejected", message: `checker: presentation error (extra output)${said}` };
    case TESTLIB_EXIT.unexpectedEof:
      return { kind: "rejected", message: `checker: presentation error (output ended early)${said}` };
    case TESTLIB_EXIT.points:
      // Partial credit is not a solved test: codeloop grades pass/fail.
      return { kind: "rejected", message: `checker: partial score, not accepted${said}` };
    case TESTLIB_EXIT.fail:
      return { kind: "fail", message: msg || "no message" };
    default: {
      const how = code !== undefined ? `exit code ${code}, not a testlib code` : (rec.detail ?? rec.verdict);
      return { kind: "broken", message: `${how}${said}` };
    }
  }
}
