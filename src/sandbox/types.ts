import type { PyValue } from "../core/pyvalue.js";
import type { Verdict } from "../core/verdict.js";

/** Limits for each test. Time is CPU time; the wall clock is only a backstop. */
export interface SandboxLimits {
  /** CPU time per test, in milliseconds. */
  timeMs: number;
  /** Wall-clock backstop per test; default 3 x timeMs + 1 s. */
  wallMs?: number;
  /** Peak resident memory above which the verdict is memory_limit, in MiB. */
  memoryMb: number;
  /**
   * Address-space cap on top of memoryMb, in MiB: large enough for thread stacks and
   * allocator arenas (an address-space limit equal to the memory limit breaks them), small
   * enough that a memory bomb stops quickly.
   */
  addressSpaceHeadroomMb?: number;
  /** Stack size for the program (C++ main thread, Python's main thread up to ~128 MiB). */
  stackMb?: number;
  /** Processes and threads of the program (enforced when sandboxed code has its own uid). */
  processes: number;
  /** stdout (and stderr) size above which the verdict is output_limit, in KiB. */
  outputKb: number;
  /** How much stderr is kept for display (head and tail), in KiB. */
  stderrKeepKb?: number;
  openFiles: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  timeMs: 2000,
  memoryMb: 256,
  addressSpaceHeadroomMb: 1024,
  stackMb: 256,
  processes: 64,
  outputKb: 64 * 1024,
  stderrKeepKb: 64,
  openFiles: 256,
};

/** What running one test produced, before any comparison with an expected answer. */
export type RunVerdict = "ok" | Exclude<Verdict, "accepted" | "wrong_answer">;

export interface RunRecord {
  verdict: RunVerdict;
  cpuMs: number;
  wallMs: number;
  /** Peak resident set size of the program, KiB. */
  memoryKb: number;
  exitCode: number | null;
  signal: string | null;
  /** stdout as text, capped for display and storage (see stdoutBytes for the real size). */
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  stderrBytes: number;
  /** Human-readable reason for a non-ok verdict, e.g. "CPU time limit (2000 ms) exceeded". */
  detail?: string;
  /** Python: the type of the exception that ended the program, if any. */
  exception?: string;
  /** Function-call mode: the value the entry point returned. */
  returnValue?: PyValue;
  /**
   * Its repr, clipped: what the judge keeps once it has decided the test (the value itself
   * can be a program's 60 MB answer).
   */
  returnRepr?: string;
  /** Assert mode: an assertion of the test script failed (the checker said so). */
  assertionFailed?: boolean;
  /** The run needed a second attempt after a sandbox failure. */
  retried?: boolean;
  /** Line-level trace of the program, when the job asked for one (Python only). */
  trace?: SandboxTrace;
}

/** One executed line of the submitted program and the frame's locals after it ran (reprs). */
export interface SandboxTraceEvent {
  line: number;
  func: string;
  source: string;
  vars: Record<string, string>;
}

/** What the tracer collected: first and last events of the run, and how the run ended. */
export interface SandboxTrace {
  events: SandboxTraceEvent[];
  /** `count` events after `events[after - 1]` were dropped (only head and tail are kept). */
  omitted?: { after: number; count: number };
  outcome?: string;
}

export interface TraceOptions {
  /** Events kept from the start and from the end of the run. */
  headEvents?: number;
  tailEvents?: number;
  /** Longest repr kept for one variable. */
  maxValueChars?: number;
}

/**
 * A program ready to run: Python source; a compiled binary (kept in the sandbox's private
 * cache on the host and sent with each request, so no other program's binary is ever visible
 * inside); or a tool installed in the sandbox's file system (g++, by its path there).
 */
export type PreparedProgram =
  | {
      kind: "python";
      source: string;
      /** Modules the program imports (a multi-file validator's helpers), beside it in its cwd. */
      modules?: Record<string, string>;
    }
  | { kind: "binary"; path: string; argv?: string[]; language: string }
  | { kind: "exec"; path: string; argv?: string[]; language: string; env?: Record<string, string> };

/**
 * How a job's tests run. stdio: one process per test, stdin to stdout. function: the program
 * is loaded once per child and its entry point called per test (arguments in, return value
 * out). assert: per test, a checker process runs the test script and calls the entry point in
 * the program's process.
 */
export type JobMode = "stdio" | "function" | "assert";

export interface JobTest {
  stdin?: string | Buffer;
  /** Function-call mode: the arguments. */
  args?: PyValue[];
  kwargs?: [string, PyValue][];
  /** Assert mode: the test script, run by the checker. */
  script?: string;
  /** Files placed in the program's working directory. */
  files?: Record<string, string | Buffer>;
  /** Arguments for an exec'd program. */
  argv?: string[];
}

export interface Job {
  program: PreparedProgram;
  mode?: JobMode;
  entryPoint?: string;
  /** Assert mode: dataset code the checker runs before each script (imports, test setup). */
  setup?: string;
  /** Assert mode: dataset code defining helpers the scripts use (HumanEval's prompt). */
  context?: string;
  /**
   * Let the program start processes (compilers need to). Off for programs: judges of
   * competitive programming allow none, and with none allowed every limit covers all the
   * test did (see docs/sandbox.md).
   */
  subprocesses?: boolean;
  tests: JobTest[];
  limits: SandboxLimits;
  /** Files to bring back from the working directory after each test (e.g. a compiled binary). */
  collect?: string[];
  /** Record a line-level execution trace of each test (Python programs; slow, for feedback). */
  trace?: TraceOptions;
  /**
   * Called after each test in order; return false to skip the remaining tests (stop at the
   * first failure). The whole test set still travels to the sandbox in one request.
   */
  onResult?: (run: TestRun, index: number) => boolean;
}

export interface TestRun {
  record: RunRecord;
  /** The complete stdout (up to the output limit), for comparison. */
  stdout: Buffer;
  collected: Record<string, Buffer>;
}

/** A program ready to run, or the record of its failed compilation. */
export type PrepareResult =
  | {
      ok: true;
      program: PreparedProgram;
      /** Wall time of the compile that made it (ms); 0 when the binary was cached or none was needed. */
      compileMs: number;
    }
  | {
      ok: false;
      record: RunRecord;
      /** The compile ran out of time (rather than failing): SandboxFusion reports it apart. */
      timedOut: boolean;
    };

export interface PrepareOptions {
  /**
   * A limit on the whole compile (ms, wall clock and as much CPU time), under the sandbox's
   * own compile limits: SandboxFusion's per-request compile_timeout. A compile that runs into
   * it is not remembered (it may be the machine's load, not the source); one that ran into the
   * sandbox's own limits is, and answers every later request, whatever its limit.
   */
  compileTimeoutMs?: number;
}
