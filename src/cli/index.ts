#!/usr/bin/env node
import { Command } from "commander";
import { registerCompare } from "./compare.js";
import { registerConfig } from "./config.js";
import { registerDoctor } from "./doctor.js";
import { CliError } from "./errors.js";
import { registerExport } from "./export.js";
import { registerJudge } from "./judge.js";
import { registerModels } from "./models.js";
import { registerProblems } from "./problems.js";
import { registerRejudge } from "./rejudge.js";
import { registerReport } from "./report.js";
import { registerReselect } from "./reselect.js";
import { registerRun } from "./run.js";
import { registerRuns } from "./runs.js";
import { registerSandbox } from "./sandbox.js";
import { registerServe } from "./serve.js";
import { registerSweep } from "./sweep.js";
import { registerValidate } from "./validate.js";
import { registerVerifier } from "./verifier.js";
import { registerView } from "./view.js";
import { registerWorker } from "./worker.js";

// Run folders, caches and reports hold hidden tests, reference solutions and model answers:
// everything codeloop writes is private to its user (directories 0700, files 0600).
process.umask(0o077);

const program = new Command();
program
  .name("codeloop")
  .description("Multi-turn code generation with LLMs: sandboxed execution feedback, judging, metrics")
  .version("0.1.0")
  .showHelpAfterError();

// One line per command module; each module keeps its own options and output.
registerDoctor(program);
registerSandbox(program);
registerModels(program);
registerValidate(registerProblems(program));
registerJudge(program);
registerConfig(program);
registerRuns(program);
registerRun(program);
registerRejudge(program);
registerReselect(program);
registerReport(program);
registerCompare(program);
registerSweep(program);
registerExport(program);
registerVerifier(program);
registerWorker(program);
registerServe(program);
registerView(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CliError) {
    process.stderr.write(`codeloop: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`codeloop: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
