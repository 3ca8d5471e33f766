import { join } from "node:path";
import type { Problem } from "../../src/problems/types.js";
import { parseRunConfig, runRun } from "../../src/runs/index.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { RIGHT, WRONG, answer, doubleProblem, userMessages, writeProblems } from "../e2e/fixtures.js";
import type { ChatServer, ChatServerRequest } from "../helpers/chat-server.js";

/** Text a hostile model might write: markup that must show as text, never run. */
export const HOSTILE = "<script>alert(1)</script> and </script><!-- <img src=x onerror=alert(2)>";
/** A hostile, still valid (and wrong) Python program. */
export const HOSTILE_CODE = `# </script><script>alert(3)</script><!--\n${WRONG}`;
export const HOSTILE_TITLE = "Double <img src=x onerror=alert(4)> & </script>";

/**
 * Three "double the number" problems: a (easy, tag math) is solved on turn 1 or 2; b (hard,
 * tags math + implementation) never; c (medium, no tags, hostile title) gets a hostile wrong
 * answer first, then the right one.
 */
export function reportProblems(): Problem[] {
  const a = doubleProblem("a");
  a.metadata = { difficulty: "easy", tags: ["math"] };
  const b = doubleProblem("b");
  b.metadata = { difficulty: "hard", tags: ["math", "implementation"] };
  const c = doubleProblem("c");
  c.metadata = { difficulty: "medium", tags: [] };
  c.title = HOSTILE_TITLE;
  for (const p of [a, b, c]) p.statement = `${p.statement} (Problem ${p.id}.)`;
  return [a, b, c];
}

/** The scripted model for reportProblems (the problem is recognised by its statement). */
export function reportModel(req: ChatServerRequest): string {
  const users = userMessages(req);
  const first = users[0] ?? "";
  const retry = users.length > 1;
  if (first.includes("(Problem c.)")) {
    return retry ? answer(RIGHT) : `${HOSTILE}\n\n\`\`\`python\n${HOSTILE_CODE}\`\`\`\n`;
  }
  if (first.includes("(Problem b.)")) return answer(WRONG);
  // Problem a: some trajectories right at once (by seed), the others after feedback.
  return answer(retry || (req.body.seed as number) % 3 === 0 ? RIGHT : WRONG);
}

export async function makeReportRun(
  dir: string,
  name: string,
  server: ChatServer,
  sandbox: Sandbox,
  over: Record<string, unknown> = {},
): Promise<string> {
  const source = join(dir, `${name}-problems.jsonl`);
  await writeProblems(source, reportProblems());
  const folder = join(dir, name);
  const config = parseRunConfig({
    name,
    benchmark: { source },
    model: `openai:${server.url}#scripted`,
    cache: { enabled: false },
    concurrency: { model: 4, sandbox: 2 },
    trajectoriesPerProblem: 4,
    strategy: { kind: "multi-turn", maxTurns: 3 },
    ...over,
  });
  await runRun({ folder, config }, { sandbox });
  return folder;
}
