// The scripted model and programs of `bench/run.mjs --strategy tree`. Every answer is a Python
// program of one of three levels, marked in its first line (`# level=L v=V`):
//   0: print(2 * n + 1)                    passes neither public test (n = 1, n = 2)
//   1: print(2 * n if n < 2 else 2 * n + 1) passes the first (h = 0.5)
//   2: print(2 * n)                          right: passes both, and the hidden test
// A root is level 2 with probability 0.1, level 1 with 0.3, else 0. A refinement (a request
// whose dialog holds an answer: the parent's) returns the parent's answer unchanged with
// probability 0.2 (a duplicate, as models often do), improves it one level with 0.35, and is
// otherwise a new program of the parent's level. Draws come from the request's seed (which the
// run derives from its seed, the trajectory and the node), so a run is reproducible.
// `respond` runs in the chat server's process; `runScripted` stands in for the sandbox in the
// client's (it computes what the real sandbox prints for these programs).
import { mulberry32 } from "./mulberry32.mjs";

const EXPR = ["2 * n + 1", "2 * n if n < 2 else 2 * n + 1", "2 * n"];
export const PUBLIC_INPUTS = [1, 2];

export function program(level, variant) {
  return `# level=${level} v=${variant}\nn = int(input())\nprint(${EXPR[level]})\n`;
}

const MARK = /# level=(\d) v=(\w+)/;

/** The chat server's answer to one request (see the top of this file). */
export function respond(request) {
  const messages = request.body?.messages ?? [];
  const r = mulberry32(Number(request.body?.seed ?? request.index) ^ 0x9e3779b9);
  let parent;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === "assistant") {
      parent = messages[i].content;
      break;
    }
  }
  const variant = Math.floor(r() * 2 ** 32).toString(36);
  let level;
  const m = parent === undefined ? null : MARK.exec(parent);
  if (!m) {
    const u = r();
    level = u < 0.1 ? 2 : u < 0.4 ? 1 : 0;
  } else {
    const u = r();
    if (u < 0.2) return parent;
    const from = Number(m[1]);
    level = u < 0.55 ? Math.min(2, from + 1) : from;
  }
  return `Here is my program.\n\n\`\`\`python\n${program(level, variant)}\`\`\`\n`;
}

/** What the program prints for stdin `input`, as the real sandbox would run it. */
export function runScripted(source, input) {
  const m = MARK.exec(source);
  if (!m) throw new Error(`not a bench program: ${source.slice(0, 60)}`);
  const n = Number.parseInt(String(input), 10);
  const level = Number(m[1]);
  const out = level === 2 ? 2 * n : level === 1 ? (n < 2 ? 2 * n : 2 * n + 1) : 2 * n + 1;
  return `${out}\n`;
}

/**
 * Replaces `sandbox.run` with an in-process run of the bench's programs (no Python process),
 * so that the run is bound by the model and the measurement is the scheduler's and the tree
 * search's own cost. Counts jobs and tests in `sandbox.stats` as the real one does.
 */
export function scriptSandbox(sandbox) {
  sandbox.run = async (job) => {
    sandbox.stats.requests++;
    if (job.program.kind !== "python") throw new Error("the scripted sandbox runs Python only");
    const out = [];
    for (const [i, t] of job.tests.entries()) {
      sandbox.stats.tests++;
      const stdout = runScripted(job.program.source, t.stdin);
      const run = {
        record: {
          verdict: "ok",
          cpuMs: 1,
          wallMs: 1,
          memoryKb: 8192,
          exitCode: 0,
          signal: null,
          stdout,
          stderr: "",
          stdoutBytes: Buffer.byteLength(stdout),
          stderrBytes: 0,
        },
        stdout: Buffer.from(stdout),
        collected: {},
      };
      out.push(run);
      if (job.onResult && job.onResult(run, i) === false) break;
    }
    return out;
  };
  return sandbox;
}
