import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { fileSha256 } from "../verifiers/embedded-rows.js";
import type { SplitMetrics } from "../verifiers/embedded-train.js";
import {
  DEFAULT_TRAIN,
  EmbeddedVerifier,
  EmbeddedVerifierError,
  type VerifierFile,
  serialiseVerifier,
  trainVerifier,
} from "../verifiers/embedded.js";
import { createVerifier } from "../verifiers/index.js";
import { CliError } from "./errors.js";

interface TrainFlags {
  out: string;
  holdout: string;
  seed: string;
  epochs: string;
  dimBits: string;
  l2: string;
  learningRate: string;
  promptFeatures?: boolean;
  json?: boolean;
}

function number(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new CliError(`${flag}: expected a number, got "${v}"`);
  return n;
}

const pct = (x: number | null) => (x === null ? "n/a" : `${(100 * x).toFixed(1)}%`);

function part(name: string, m: SplitMetrics): string {
  let line = `${name}: ${m.problems} problems, ${m.pairs} pairs, pair accuracy ${pct(m.pairAccuracy)}`;
  if (m.points)
    line += `; ${m.points.rows} labelled rows, label accuracy ${pct(m.points.accuracy)} (majority label ${pct(m.points.majority)})`;
  return line;
}

function trainSummary(v: VerifierFile, out: string): string {
  const t = v.trainedOn;
  const lines = [
    `embedded verifier -> ${out}`,
    `rows: ${t.rows} (${t.pairRows} pairs, ${t.pointRows} labelled), problems: ${t.problems} (${t.heldOutProblems} held out, seed ${v.seed})`,
    part("train", v.metrics.train),
    v.metrics.heldOut
      ? part("held-out", v.metrics.heldOut)
      : "held-out: none (--holdout 0): the train accuracy says nothing about new problems",
    `baseline: ${pct(v.metrics.baseline)} pair accuracy (a coin or any constant score)`,
    `weights: ${v.weights.indices.length} non-zero of ${v.dim}; train loss ${v.metrics.trainLoss}`,
  ];
  return `${lines.join("\n")}\n`;
}

/** Writes a file whole or not at all: a temporary file beside it, then a rename. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new CliError(`--out ${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
}

export function registerVerifier(program: Command): void {
  const verifier = program
    .command("verifier")
    .description(
      "learned verifiers: check a scorer, train and evaluate the embedded baseline (see docs/verifiers.md)",
    );
  verifier
    .command("check <ref>")
    .description(
      "can this verifier score? (reachable, serves the model, a head that gives a score), then the scores of a right and a wrong toy code",
    )
    .option("--json", "print the result as JSON")
    .action(async (ref: string, f: { json?: boolean }) => {
      let v: ReturnType<typeof createVerifier>;
      try {
        v = createVerifier({ ref });
      } catch (err) {
        throw new CliError(`${ref}: ${(err as Error).message}`);
      }
      try {
        const t0 = performance.now();
        await v.check(AbortSignal.timeout(30_000));
        // Two codes for one toy problem: a learned verifier should rank the first higher.
        const prompt = "Read two integers a and b from standard input and print their sum.";
        const codes = ["a, b = map(int, input().split())\nprint(a + b)\n", "print(0)\n"];
        const scores = await v.score(
          codes.map((code) => ({ prompt, code, language: "python", publicTests: null })),
        );
        const ms = Math.round(performance.now() - t0);
        if (f.json) process.stdout.write(`${JSON.stringify({ ref, id: v.id, ok: true, scores, ms })}\n`);
        else
          process.stdout.write(
            `${v.id}: ok (${ms} ms); toy scores: right ${scores[0]}, wrong ${scores[1]}${scores[0]! > scores[1]! ? "" : " (the wrong code scored at least as high: a weak or inverted head? see the label option)"}\n`,
          );
      } catch (err) {
        throw new CliError(`${ref}: ${(err as Error).message}`);
      } finally {
        await v.close();
      }
    });
  const d = DEFAULT_TRAIN;
  verifier
    .command("train <pairs.jsonl>")
    .description("train the embedded Bradley-Terry verifier on a verifier-pairs export")
    .requiredOption("--out <v.json>", "the model file to write (use it as embedded:<v.json>)")
    .option(
      "--holdout <share>",
      "share of problems held out to measure accuracy on unseen problems",
      String(d.holdout),
    )
    .option("--seed <n>", "seed of the held-out split and the epoch shuffles", String(d.seed))
    .option("--epochs <n>", "passes over the training rows", String(d.epochs))
    .option("--dim-bits <n>", "feature dimension 2^n (8 to 24)", String(d.dimBits))
    .option("--l2 <lambda>", "L2 penalty per example", String(d.l2))
    .option("--learning-rate <eta>", "initial SGD step size", String(d.learningRate))
    .option("--prompt-features", "add prompt-code overlap features")
    .option("--json", "print the model's metadata (everything but the weights) as JSON")
    .action(async (pairs: string, f: TrainFlags) => {
      let v: VerifierFile;
      try {
        v = await trainVerifier(pairs, {
          holdout: number("--holdout", f.holdout),
          seed: number("--seed", f.seed),
          epochs: number("--epochs", f.epochs),
          dimBits: number("--dim-bits", f.dimBits),
          l2: number("--l2", f.l2),
          learningRate: number("--learning-rate", f.learningRate),
          promptFeatures: f.promptFeatures ?? false,
        });
      } catch (err) {
        if (err instanceof EmbeddedVerifierError) throw new CliError(err.message);
        throw err;
      }
      await writeAtomically(f.out, serialiseVerifier(v));
      if (f.json) {
        const { weights, ...meta } = v;
        process.stdout.write(
          `${JSON.stringify({ out: f.out, nonZeroWeights: weights.indices.length, ...meta })}\n`,
        );
      } else process.stdout.write(trainSummary(v, f.out));
    });
  verifier
    .command("score <v.json> <pairs.jsonl>")
    .description("pair accuracy of a trained embedded verifier on another export (every problem of it)")
    .option("--json", "print the metrics as JSON")
    .action(async (model: string, pairs: string, f: { json?: boolean }) => {
      try {
        const m = EmbeddedVerifier.load(model);
        const r = await m.evaluateFile(pairs);
        // Scoring the file the model was trained on measures memory, not selection: say so.
        const trainedOn = (m.file.trainedOn as { sha256?: unknown } | undefined)?.sha256;
        const sameData = trainedOn === (await fileSha256(pairs));
        const note = sameData
          ? "the model was trained on this file: its train problems are in this accuracy; see its held-out figure instead"
          : null;
        if (f.json)
          process.stdout.write(`${JSON.stringify({ model, file: pairs, ...r, baseline: 0.5, note })}\n`);
        else
          process.stdout.write(
            `${part(`${pairs} (${r.rows} rows)`, r)}\nbaseline: 50.0% pair accuracy (a coin or any constant score)\n${note ? `note: ${note}\n` : ""}`,
          );
      } catch (err) {
        if (err instanceof EmbeddedVerifierError) throw new CliError(err.message);
        throw err;
      }
    });
}
