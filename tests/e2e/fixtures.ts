import { writeNativeJsonl } from "../../src/problems/index.js";
import type { Problem } from "../../src/problems/types.js";
import type { ChatServerRequest } from "../helpers/chat-server.js";

/**
 * A "double the number" problem: three public tests and hidden ones. WRONG passes only the
 * first public test (and no hidden one); RIGHT passes everything.
 */
export function doubleProblem(id: string): Problem {
  const t = (n: number) => ({ kind: "stdio" as const, input: `${n}\n`, output: `${2 * n}\n` });
  return {
    id,
    benchmark: "native",
    split: "test",
    title: `Double ${id}`,
    statement: "Read one integer n from standard input and print 2 * n.",
    judge: { kind: "stdio", compare: { caseSensitive: true, spaceChangeSensitive: false } },
    extraJudges: [],
    tests: { public: [t(1111), t(5555), t(7777)], private: [t(123), t(9)], generated: [t(40)] },
    limits: { timeLimitSec: 2, memoryLimitMb: 256, timeLimitOrigin: "dataset" },
    metadata: { difficulty: "easy", tags: [] },
    solutions: [],
    warnings: [],
    origin: { file: "e2e.jsonl", row: 1 },
  } as Problem;
}

export const WRONG = "n = int(input())\nprint(2 * n if n == 1111 else 2 * n + 1)\n";
export const RIGHT = "n = int(input())\nprint(2 * n)\n";

export const answer = (code: string) => `Here is my solution.\n\n\`\`\`python\n${code}\`\`\`\n`;

// biome-ignore lint/suspicious/noExplicitAny: request bodies are whatever the client sent
export function userMessages(req: { body: any }): string[] {
  return (req.body.messages as { role: string; content: string }[])
    .filter((m) => m.role === "user")
    .map((m) => m.content);
}

/** The scripted model: wrong on the first user message, right once feedback has been given. */
export function wrongThenRight(req: ChatServerRequest): string {
  return answer(userMessages(req).length > 1 ? RIGHT : WRONG);
}

export async function writeProblems(file: string, problems: Problem[]): Promise<void> {
  await writeNativeJsonl(problems, file);
}
