import type { IsolationInfo } from "./isolation.js";
import type { PythonInfo } from "./python.js";
import type { Job, PrepareOptions, PrepareResult, SandboxLimits, TestRun } from "./types.js";

/**
 * Whatever runs untrusted programs: prepare (compile) a program, run a job of tests with early
 * exit (the job's onResult says whether to go on), capacity, close. `Sandbox` is the local
 * implementation; the judge, runs, validate and `codeloop judge` type against this.
 */
export interface Executor {
  /** Jobs it runs at once. */
  readonly size: number;
  /** The Python runtime programs run on. */
  readonly python: PythonInfo;
  readonly isolation: IsolationInfo;
  /** How it runs programs, for reports (the sandbox's forkserver or fresh). */
  readonly mode: string;
  prepare(
    language: string,
    source: string,
    extraFiles?: Record<string, string>,
    options?: PrepareOptions,
  ): Promise<PrepareResult>;
  /** One TestRun per test that ran, in order (fewer when onResult stopped the job). */
  run(job: Job): Promise<TestRun[]>;
  /** One program on one input. */
  runOnce(language: string, source: string, stdin: string | Buffer, limits: SandboxLimits): Promise<TestRun>;
  close(): Promise<void>;
}
