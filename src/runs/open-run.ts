/**
 * The one way a reader of finished or running runs (report, compare, export, sweep tables,
 * `runs show`) opens a run folder, so that every command gives the same clear message for the
 * same mistake: a path that does not exist, a folder that is not a run, a config.json that is
 * broken or no longer matches run.db, a database from a newer codeloop.
 */
import { existsSync, statSync } from "node:fs";
import { type RunConfig, RunConfigError } from "./config.js";
import { RUN_FILES, RunStore, RunStoreError } from "./store.js";

export interface OpenedRun {
  folder: string;
  store: RunStore;
  config: RunConfig;
}

export interface OpenRunOptions {
  /** Turns a message into the caller's error (its class, a prefix naming the run's role). */
  error?: (message: string) => Error;
}

/**
 * Opens an existing run folder for reading (it never creates one) and returns its store and
 * config; the caller closes the store. Every failure is one error made by `opts.error`.
 */
export function openRunFolder(folder: string, opts: OpenRunOptions = {}): OpenedRun {
  const fail = opts.error ?? ((message: string) => new RunStoreError(message));
  // Both phrasings: "no such folder" says what is wrong, "not a run folder" what was expected.
  if (!existsSync(folder)) throw fail(`${folder}: no such folder (${folder} is not a run folder)`);
  if (!statSync(folder).isDirectory() || !RunStore.isRunFolder(folder)) {
    throw fail(`${folder} is not a run folder (no ${RUN_FILES.config})`);
  }
  let store: RunStore;
  try {
    store = RunStore.open(folder);
  } catch (err) {
    if (err instanceof RunStoreError || err instanceof RunConfigError) throw fail(err.message);
    throw err;
  }
  return { folder, store, config: store.config };
}
