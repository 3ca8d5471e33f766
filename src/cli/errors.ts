import { RunAbortedError, RunConfigError, RunStoreError } from "../runs/index.js";

/** An error meant for the user: printed as one line, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** Errors of run folders and configs are the user's to fix: one line, no stack. */
export function storeError(err: unknown): never {
  if (err instanceof RunStoreError || err instanceof RunConfigError || err instanceof RunAbortedError)
    throw new CliError(err.message);
  throw err;
}
