import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PyValue } from "../../src/core/pyvalue.js";
import { Judge } from "../../src/judge/judge.js";
import { loadProblems } from "../../src/problems/index.js";
import type { Problem } from "../../src/problems/types.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { JudgeServer, type ServeOptions } from "../../src/serve/index.js";
import { doubleProblem, writeProblems } from "../e2e/fixtures.js";

export interface Running {
  server: JudgeServer;
  sandbox: Sandbox;
  url: string;
  problems: Problem[];
  close(): Promise<void>;
}

/** A function-call problem: `add(a, b)`, judged by calling it (Python only). */
export function addProblem(): Problem {
  const t = (a: number, b: number) => ({
    kind: "function" as const,
    args: [
      ["i", String(a)],
      ["i", String(b)],
    ] as PyValue[],
    expected: ["i", String(a + b)] as PyValue,
  });
  const p = doubleProblem("add");
  p.statement = "Write add(a, b) returning a + b.";
  p.judge = { kind: "function", entryPoint: "add" };
  p.tests = { public: [t(2, 3), t(-1, 1)], private: [t(100, 23)], generated: [] };
  return p;
}

/** A problem file on disk, loaded back as the CLI loads it. */
export async function problemFile(
  problems: Problem[] = [doubleProblem("double-1"), doubleProblem("double-2"), addProblem()],
) {
  const dir = mkdtempSync(join(tmpdir(), "codeloop-serve-"));
  const file = join(dir, "problems.jsonl");
  await writeProblems(file, problems);
  return { file, problems: await loadProblems(file, {}, {}) };
}

/** The real server on a free loopback port over a real sandbox. */
export async function startServer(
  uidBase: number,
  options: Partial<ServeOptions> = {},
  workers = 2,
  problems?: Problem[],
): Promise<Running> {
  const sandbox = await Sandbox.create({ workers, uidBase });
  const loaded = problems ?? (await problemFile()).problems;
  const server = new JudgeServer({
    judge: new Judge(sandbox),
    executor: sandbox,
    problems: loaded,
    ...options,
  });
  const addr = await server.listen(0, "127.0.0.1");
  return {
    server,
    sandbox,
    url: `http://127.0.0.1:${addr.port}`,
    problems: loaded,
    async close() {
      await server.close();
      await sandbox.close();
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
export type Json = any;

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
}

export async function get(url: string, headers: Record<string, string> = {}) {
  const r = await fetch(url, { headers });
  const text = await r.text();
  const type = r.headers.get("content-type") ?? "";
  return { status: r.status, body: type.includes("json") ? JSON.parse(text) : text, headers: r.headers };
}

export const b64 = (s: string) => Buffer.from(s).toString("base64");
