import type { Command } from "commander";
import { type IsolationRequest, Sandbox, type SandboxMode } from "../sandbox/index.js";
import { CliError } from "./errors.js";

export interface SandboxCliOptions {
  mode: string;
  isolation?: string;
  workers?: string;
  subprocesses?: boolean;
}

/** The sandbox flags shared by every command that runs programs. */
export function withSandboxOptions(cmd: Command, workers = false): Command {
  cmd
    .option("--mode <mode>", "forkserver or fresh", "forkserver")
    .option("--isolation <kind>", "auto, bwrap or none (default: $CODELOOP_SANDBOX or auto)")
    .option("--subprocesses", "let programs start processes (off: judges of contests allow none)");
  return workers ? cmd.option("--workers <n>", "sandbox workers (default: one per core)") : cmd;
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
export async function startSandbox(opts: SandboxCliOptions, fixedWorkers?: number): Promise<Sandbox> {
  if (opts.mode !== "forkserver" && opts.mode !== "fresh") {
    throw new CliError(`--mode must be forkserver or fresh, got '${opts.mode}'`);
  }
  if (opts.isolation && !["auto", "bwrap", "none"].includes(opts.isolation)) {
    throw new CliError(`--isolation must be auto, bwrap or none, got '${opts.isolation}'`);
  }
  const workers = fixedWorkers ?? positiveNumber("--workers", opts.workers, true);
  let sb: Sandbox;
  try {
    sb = await Sandbox.create({
      workers,
      mode: opts.mode as SandboxMode,
      isolation: opts.isolation as IsolationRequest | undefined,
      subprocesses: opts.subprocesses === true,
    });
  } catch (err) {
    throw new CliError(`cannot start the sandbox: ${(err as Error).message} (run 'codeloop doctor')`);
  }
  if (sb.isolation.warning) process.stderr.write(`codeloop: ${sb.isolation.warning}\n`);
  return sb;
}
