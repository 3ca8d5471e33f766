import type { Command } from "commander";
import { type ReselectResult, SELECTION_RULES, type SelectionRule, reselectRun } from "../runs/index.js";
import { CliError, storeError } from "./errors.js";

/** `codeloop reselect`: another selection rule over a best-of-N run's stored candidates. */
export function registerReselect(program: Command): void {
  program
    .command("reselect <run-folder>")
    .description(
      "apply another selection rule to a best-of-N run's stored candidates, without model calls, into a derived run (see docs/run.md)",
    )
    .requiredOption("--selection <rule>", `the rule: ${SELECTION_RULES.join(", ")}`)
    .requiredOption("--out <folder>", "the derived run folder (an interrupted reselect continues there)")
    .option("--verifier <ref>", "score the candidates with this verifier instead of the stored scores")
    .option("--json", "print the summary as JSON")
    .action(
      async (folder: string, opts: { selection: string; out: string; verifier?: string; json?: boolean }) => {
        if (!(SELECTION_RULES as readonly string[]).includes(opts.selection)) {
          throw new CliError(
            `--selection: unknown rule "${opts.selection}" (expected ${SELECTION_RULES.join(", ")})`,
          );
        }
        let r: ReselectResult;
        try {
          r = await reselectRun(folder, opts.out, {
            selection: opts.selection as SelectionRule,
            ...(opts.verifier !== undefined ? { verifier: opts.verifier } : {}),
            log: (m) => process.stderr.write(`codeloop: ${m}\n`),
          });
        } catch (err) {
          if (err instanceof Error && err.name === "ModelError")
            throw new CliError(`--verifier: ${err.message}`);
          storeError(err);
        }
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(r)}\n`
            : `${r.folder}: ${r.selection} over ${r.trajectories} trajectories of ${r.source}: ${r.accepted} accepted (the run: ${r.sourceAccepted}); ${r.changedSubmissions} submissions changed, ${r.diverged} trajectories ended where the pick diverged, ${r.graded} submissions graded now${r.rescored ? `, ${r.rescored} candidates scored` : ""}${r.unfinished ? `, ${r.unfinished} unfinished in the run (left pending)` : ""}\n`,
        );
      },
    );
}
