import type { Command } from "commander";
import { rejudgeRun } from "../runs/index.js";
import { storeError } from "./errors.js";

export function registerRejudge(program: Command): void {
  program
    .command("rejudge <folder>")
    .description("grade a run's stored code again with the current judge (a new grade version)")
    .option("--all", "every turn's code, not only the submissions")
    .option("--note <text>", "note stored with the grade version", "rejudge")
    .option("--json", "print the summary as JSON")
    .action(async (folder: string, opts: { all?: boolean; note: string; json?: boolean }) => {
      let r: Awaited<ReturnType<typeof rejudgeRun>>;
      try {
        r = await rejudgeRun(folder, {
          all: opts.all ?? false,
          note: opts.note,
          log: (m) => process.stderr.write(`codeloop: ${m}\n`),
        });
      } catch (err) {
        storeError(err);
      }
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(r)}\n`
          : `${folder}: grade version ${r.version}: ${r.graded} graded, ${r.accepted} accepted, ${r.changed} changed verdict\n`,
      );
    });
}
