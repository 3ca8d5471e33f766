import { COMPILE_LIMITS, DEFAULT_LIMITS, type RunRecord, type SandboxLimits } from "../sandbox/index.js";
import type { ServeContext } from "./context.js";
import { HttpError, badField, optNumber, str, typeName } from "./http.js";

/**
 * SandboxFusion's `POST /run_code`, as verl's sandbox_fusion reward calls it (once per test,
 * comparing stdout itself). The program runs in codeloop's sandbox like any other.
 */

/** SandboxFusion language names codeloop runs, and the sandbox language each maps to. */
const LANGUAGE_MAP: Record<string, "python" | "cpp"> = { python: "python", python3: "python", cpp: "cpp" };
const MAX_TIMEOUT_SEC = 300;
const MAX_FILE_NAME = 255;

export interface RunCodeRequest {
  code: string;
  language: "python" | "cpp";
  stdin: string;
  runTimeoutSec: number;
  /** C++: seconds the compile may take (wall clock), SandboxFusion's compile_timeout. */
  compileTimeoutSec: number;
  memoryMb: number;
  files: Record<string, Buffer>;
  fetchFiles: string[];
}

function fileName(name: string, field: string): string {
  if (
    !name ||
    name.length > MAX_FILE_NAME ||
    name.includes("/") ||
    name.startsWith(".") ||
    name.includes("\0")
  ) {
    throw badField(
      field,
      `file name ${JSON.stringify(name)} not accepted: a plain name in the program's working directory (no '/', not starting with '.')`,
    );
  }
  return name;
}

/** Checks a /run_code body. Unknown fields are ignored (SandboxFusion clients send more than codeloop reads). */
export function parseRunCode(b: Record<string, unknown>): RunCodeRequest {
  const code = str(b, "code");
  const langName = str(b, "language");
  const language = LANGUAGE_MAP[langName];
  if (!language) {
    throw new HttpError(400, `language: codeloop's sandbox runs "python" and "cpp", not "${langName}"`);
  }
  const stdin = b.stdin === undefined || b.stdin === null ? "" : str(b, "stdin");
  const runTimeoutSec = optNumber(b, "run_timeout", { min: 0.05, max: MAX_TIMEOUT_SEC }) ?? 10;
  const compileTimeoutSec = optNumber(b, "compile_timeout", { min: 0.05, max: MAX_TIMEOUT_SEC }) ?? 10;
  const mem = b.memory_limit_MB;
  const memoryMb =
    mem === undefined || mem === null || mem === -1
      ? DEFAULT_LIMITS.memoryMb
      : (optNumber(b, "memory_limit_MB", { min: 16, max: 8192, integer: true }) as number);
  const files: Record<string, Buffer> = {};
  if (b.files !== undefined && b.files !== null) {
    if (typeof b.files !== "object" || Array.isArray(b.files)) {
      throw badField("files", `must be an object {name: base64 content}, got ${typeName(b.files)}`);
    }
    for (const [name, content] of Object.entries(b.files as Record<string, unknown>)) {
      const field = `files[${JSON.stringify(name)}]`;
      fileName(name, field);
      if (typeof content !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(content.replace(/\s+/g, ""))) {
        throw badField(field, "must be base64 text");
      }
      files[name] = Buffer.from(content, "base64");
    }
  }
  const fetchFiles: string[] = [];
  if (b.fetch_files !== undefined && b.fetch_files !== null) {
    if (!Array.isArray(b.fetch_files))
      throw badField("fetch_files", `must be an array of file names, got ${typeName(b.fetch_files)}`);
    b.fetch_files.forEach((n: unknown, i: number) => {
      if (typeof n !== "string") throw badField(`fetch_files[${i}]`, `must be a string, got ${typeName(n)}`);
      fetchFiles.push(fileName(n, `fetch_files[${i}]`));
    });
  }
  return { code, language, stdin, runTimeoutSec, compileTimeoutSec, memoryMb, files, fetchFiles };
}

interface CommandResult {
  status: "Finished" | "Error" | "TimeLimitExceeded";
  execution_time: number;
  return_code: number | null;
  stdout: string;
  stderr: string;
}

function commandResult(rec: RunRecord, stdout: string): CommandResult {
  const status =
    rec.verdict === "time_limit"
      ? "TimeLimitExceeded"
      : rec.verdict === "ok" || rec.verdict === "runtime_error" || rec.verdict === "compile_error"
        ? "Finished"
        : "Error";
  return {
    status,
    execution_time: Math.round(rec.wallMs) / 1000,
    return_code: rec.exitCode ?? signalCode(rec),
    stdout,
    stderr:
      rec.stderr +
      (rec.verdict !== "ok" && rec.detail && status === "Error"
        ? `${rec.stderr ? "\n" : ""}${rec.detail}`
        : ""),
  };
}

/** A shell's exit code for a program killed by a signal (128 + its number). */
function signalCode(rec: RunRecord): number | null {
  return rec.signal ? 128 + (SIGNALS[rec.signal] ?? 0) : null;
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGABRT: 6,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGXCPU: 24,
  SIGXFSZ: 25,
};

/** Runs the program in a sandbox slot and answers in SandboxFusion's shape. */
export async function runCode(ctx: ServeContext, r: RunCodeRequest): Promise<Record<string, unknown>> {
  const limits: SandboxLimits = {
    ...DEFAULT_LIMITS,
    timeMs: Math.round(r.runTimeoutSec * 1000),
    // SandboxFusion's run_timeout is wall-clock time: a sleeping program is stopped too.
    wallMs: Math.round(r.runTimeoutSec * 1000) + 200,
    memoryMb: r.memoryMb,
  };
  return ctx.limiter.run(async () => {
    let prepared: Awaited<ReturnType<typeof ctx.executor.prepare>>;
    const compileTimeoutMs = Math.round(r.compileTimeoutSec * 1000);
    try {
      // compile_timeout is SandboxFusion's wall-clock limit on the compile step (and as much
      // CPU time); the executor keeps binaries and compile errors by source hash, so verl's one
      // call per test compiles once.
      prepared = await ctx.executor.prepare(r.language, r.code, {}, { compileTimeoutMs });
    } catch (err) {
      return sandboxError(`could not prepare the program: ${(err as Error).message}`);
    }
    const compileResult: CommandResult | null =
      r.language === "cpp" && prepared.ok
        ? {
            status: "Finished",
            execution_time: Math.round(prepared.compileMs) / 1000,
            return_code: 0,
            stdout: "",
            stderr: "",
          }
        : null;
    if (!prepared.ok) {
      ctx.metrics.judged("compile_error", 0);
      const rec = prepared.record;
      const compiled: CommandResult = {
        ...commandResult(rec, rec.stdout),
        // A compile that ran out of time has no exit code of its own (SandboxFusion: null).
        status: prepared.timedOut ? "TimeLimitExceeded" : "Finished",
        return_code: prepared.timedOut ? null : (rec.exitCode ?? signalCode(rec) ?? 1),
      };
      return {
        status: "Failed",
        // Above the sandbox's own compile limits, those stopped it, and its detail says which.
        message:
          prepared.timedOut && compileTimeoutMs < COMPILE_LIMITS.timeMs
            ? `compilation took longer than compile_timeout (${r.compileTimeoutSec} s)`
            : (rec.detail ?? "compilation failed"),
        compile_result: compiled,
        run_result: null,
        executor_pod_name: null,
        files: {},
      };
    }
    let runs: Awaited<ReturnType<typeof ctx.executor.run>>;
    try {
      runs = await ctx.executor.run({
        program: prepared.program,
        tests: [{ stdin: r.stdin, ...(Object.keys(r.files).length ? { files: r.files } : {}) }],
        limits,
        ...(r.fetchFiles.length ? { collect: r.fetchFiles } : {}),
      });
    } catch (err) {
      return sandboxError(`the sandbox could not run the program: ${(err as Error).message}`);
    }
    const run = runs[0];
    if (!run) return sandboxError("the sandbox returned no result");
    const rec = run.record;
    ctx.metrics.judged(rec.verdict === "ok" ? "ok" : rec.verdict, 1);
    if (rec.verdict === "sandbox_error") return sandboxError(rec.detail ?? "the sandbox failed");
    const stdout = run.stdout.length > 0 ? run.stdout.toString("utf8") : rec.stdout;
    const runResult = commandResult(rec, stdout);
    const files: Record<string, string> = {};
    for (const name of r.fetchFiles) {
      const f = run.collected[name];
      if (f) files[name] = f.toString("base64");
    }
    const ok = rec.verdict === "ok" && rec.exitCode === 0;
    return {
      status: ok ? "Success" : "Failed",
      message: ok ? "" : (rec.detail ?? `exit code ${runResult.return_code}`),
      compile_result: compileResult,
      run_result: runResult,
      executor_pod_name: null,
      files,
    };
  });
}

function sandboxError(message: string): Record<string, unknown> {
  return {
    status: "SandboxError",
    message,
    compile_result: null,
    run_result: null,
    executor_pod_name: null,
    files: {},
  };
}
