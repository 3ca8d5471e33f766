import type { Command } from "commander";
import { pythonForFormat } from "../runs/index.js";
import {
  type IsolationRequest,
  PYTHON_RUNTIMES,
  type PythonRuntime,
  Sandbox,
  type SandboxMode,
} from "../sandbox/index.js";
import { CliError } from "./errors.js";

export interface SandboxCliOptions {
  mode: string;
  isolation?: string;
  workers?: string;
  subprocesses?: boolean;
  python?: string;
}

/** The sandbox flags shared by every command that runs programs. */
export function withSandboxOptions(cmd: Command, workers = false): Command {
  cmd
    .option("--mode <mode>", "forkserver or fresh", "forkserver")
    .option("--isolation <kind>", "auto, bwrap or none (default: $CODELOOP_SANDBOX or auto)")
    .option("--subprocesses", "let programs start processes (off: judges of contests allow none)")
    .option(
      "--python <runtime>",
      "Python runtime for programs: cpython or pypy (default: pypy for Kattis packages when installed, else cpython)",
    );
  return workers ? cmd.option("--workers <n>", "sandbox workers (default: one per core)") : cmd;
}

/** The --python flag, checked: a runtime name (paths go through CODELOOP_PYTHON / CODELOOP_PYPY). */
export function pythonRuntimeFlag(value: string | undefined): PythonRuntime | undefined {
  if (value === undefined) return undefined;
  if (!(PYTHON_RUNTIMES as readonly string[]).includes(value)) {
    throw new CliError(`--python must be cpython or pypy, got '${value}'`);
  }
  return value as PythonRuntime;
}

/** The default runtime for a format (runs' pythonForFormat), unless --python names one. */
export function defaultPythonFor(
  format: string | undefined,
  flag: string | undefined,
  warn: (message: string) => void = (m) => process.stderr.write(`codeloop: ${m}\n`),
): PythonRuntime | undefined {
  return flag !== undefined ? undefined : pythonForFormat(format, warn);
}

/** A number flag that must be positive (and, with `integer`, whole). */
export function positiveNumber(flag: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new CliError(`${flag} must be a positive ${integer ? "integer" : "number"}, got '${value}'`);
  }
  return n;
}

/**
 * Starts a sandbox from the shared flags, printing the loud warning when isolation is weaker
 * than bubblewrap. Start-up failures become one clear line pointing at `codeloop doctor`.
 */
export async function startSandbox(
  opts: SandboxCliOptions,
  fixedWorkers?: number,
  defaultPython?: PythonRuntime,
): Promise<Sandbox> {
  if (opts.mode !== "forkserver" && opts.mode !== "fresh") {
    throw new CliError(`--mode must be forkserver or fresh, got '${opts.mode}'`);
  }
  if (opts.isolation && !["auto", "bwrap", "none"].includes(opts.isolation)) {
    throw new CliError(`--isolation must be auto, bwrap or none, got '${opts.isolation}'`);
  }
  const python = pythonRuntimeFlag(opts.python) ?? defaultPython;
  const workers = fixedWorkers ?? positiveNumber("--workers", opts.workers, true);
  let sb: Sandbox;
  try {
    sb = await Sandbox.create({
      workers,
      mode: opts.mode as SandboxMode,
      isolation: opts.isolation as IsolationRequest | undefined,
      subprocesses: opts.subprocesses === true,
      ...(python ? { python } : {}),
    });
  } catch (err) {
    throw new CliError(`cannot start the sandbox: ${(err as Error).message} (run 'codeloop doctor')`);
  }
  if (sb.isolation.warning) process.stderr.write(`codeloop: ${sb.isolation.warning}\n`);
  return sb;
}
