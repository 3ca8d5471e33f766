import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ModelError } from "../models/index.js";
import {
  type FeatureSettings,
  HASH,
  MAX_DIM_BITS,
  MIN_DIM_BITS,
  TOKENIZER,
  codeOfAnswer,
  dot,
  featurise,
} from "./embedded-features.js";
import { EmbeddedVerifierError } from "./embedded-rows.js";
import { type Dataset, FORMAT, type SplitMetrics, VERSION, evaluate, readDataset } from "./embedded-train.js";
import { codeAnswer } from "./text.js";
import type { Scorer, ScorerKind, VerifierInput } from "./types.js";

/**
 * The embedded baseline verifier: a model file written by `codeloop verifier train`, scored in
 * process as w·φ(code) + bias (pure arithmetic over the code's text: the code is never run).
 * A baseline to compare learned verifiers against, not a claim that it selects well.
 */

export { EmbeddedVerifierError } from "./embedded-rows.js";
export {
  DEFAULT_TRAIN,
  type TrainOptions,
  type VerifierFile,
  serialiseVerifier,
  trainVerifier,
} from "./embedded-train.js";

/** A loaded model file. */
export class EmbeddedVerifier {
  private constructor(
    readonly path: string,
    /** sha256 of the file's bytes. */
    readonly sha256: string,
    readonly features: FeatureSettings,
    readonly bias: number,
    private readonly w: Float64Array,
    /** The file's own metrics and provenance, as written. */
    readonly file: Record<string, unknown>,
  ) {}

  /** Parses and validates a model file's text; errors name the file and the field. */
  static parse(path: string, text: string | Buffer): EmbeddedVerifier {
    const sha256 = createHash("sha256").update(text).digest("hex");
    const fail = (m: string): never => {
      throw new EmbeddedVerifierError(`${path}: ${m}`);
    };
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(typeof text === "string" ? text : text.toString("utf8"));
    } catch (err) {
      return fail(`not a verifier file: not JSON (${(err as Error).message})`);
    }
    if (typeof v !== "object" || v === null || Array.isArray(v))
      return fail("not a verifier file: not a JSON object");
    if (v.format !== FORMAT)
      fail(`not a verifier file: "format" is ${JSON.stringify(v.format)}, expected "${FORMAT}"`);
    if (v.version !== VERSION)
      fail(`"version" ${JSON.stringify(v.version)} is not one this codeloop reads (${VERSION}); retrain it`);
    const f = v.features as Record<string, unknown> | undefined;
    if (typeof f !== "object" || f === null) return fail(`"features" must be an object`);
    if (f.tokenizer !== TOKENIZER)
      fail(
        `"features.tokenizer" ${JSON.stringify(f.tokenizer)} is not one this codeloop computes (${TOKENIZER})`,
      );
    if (f.hash !== HASH)
      fail(`"features.hash" ${JSON.stringify(f.hash)} is not one this codeloop computes (${HASH})`);
    const bits = f.dimBits;
    if (typeof bits !== "number" || !Number.isInteger(bits) || bits < MIN_DIM_BITS || bits > MAX_DIM_BITS)
      fail(`"features.dimBits" must be an integer from ${MIN_DIM_BITS} to ${MAX_DIM_BITS}`);
    if (typeof f.prompt !== "boolean") fail(`"features.prompt" must be true or false`);
    const dim = 2 ** (bits as number);
    if (v.dim !== dim) fail(`"dim" must be 2^features.dimBits = ${dim}, got ${JSON.stringify(v.dim)}`);
    const bias = v.bias ?? 0;
    if (typeof bias !== "number" || !Number.isFinite(bias)) fail(`"bias" must be a finite number`);
    const weights = v.weights as { indices?: unknown; values?: unknown } | undefined;
    if (
      typeof weights !== "object" ||
      weights === null ||
      !Array.isArray(weights.indices) ||
      !Array.isArray(weights.values)
    )
      return fail(`"weights" must be {indices: [...], values: [...]}`);
    if (weights.indices.length !== weights.values.length)
      fail(
        `"weights.indices" and "weights.values" differ in length (${weights.indices.length}, ${weights.values.length})`,
      );
    const w = new Float64Array(dim);
    let last = -1;
    for (let k = 0; k < weights.indices.length; k++) {
      const i = weights.indices[k];
      const x = weights.values[k];
      if (typeof i !== "number" || !Number.isInteger(i) || i <= last || i >= dim)
        fail(`"weights.indices[${k}]" must be an integer above the one before it and below ${dim}`);
      if (typeof x !== "number" || !Number.isFinite(x))
        fail(`"weights.values[${k}]" must be a finite number`);
      w[i as number] = x as number;
      last = i as number;
    }
    const features: FeatureSettings = {
      tokenizer: TOKENIZER,
      hash: HASH,
      dimBits: bits as number,
      prompt: f.prompt as boolean,
    };
    return new EmbeddedVerifier(path, sha256, features, bias as number, w, v);
  }

  /** Reads a model file (synchronously: a scorer's id needs its hash when it is made). */
  static load(path: string): EmbeddedVerifier {
    let text: Buffer;
    try {
      text = readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new EmbeddedVerifierError(
        code === "ENOENT"
          ? `${path}: no such verifier file; make one with \`codeloop verifier train <pairs.jsonl> --out ${path}\``
          : `${path}: cannot read (${code ?? err})`,
      );
    }
    return EmbeddedVerifier.parse(path, text);
  }

  /**
   * The score of one code: the code is put in the fenced form verifier-pairs exports and taken
   * out again, so it is featurised exactly as the training rows were.
   */
  score(code: string, language: string, prompt: string): number {
    const body = codeOfAnswer(codeAnswer(code, language));
    return this.scoreBody(body.code, body.language, prompt);
  }

  /** The score of a fence's body (as a pairs file holds it). */
  scoreBody(code: string, language: string, prompt: string): number {
    return dot(this.w, featurise(code, language, prompt, this.features)) + this.bias;
  }

  /** Pair accuracy of this model on a pairs file (every problem of it). */
  async evaluateFile(file: string): Promise<SplitMetrics & { rows: number }> {
    const data: Dataset = await readDataset(file, this.features);
    return { rows: data.examples.length, ...evaluate(this.w, this.bias, data.examples, () => true) };
  }
}

const PREFIX = "embedded:";

/** References `embedded:<path to v.json>`; the path is relative to the working directory. */
export const embeddedKind: ScorerKind = {
  kind: "embedded",
  syntax: "embedded:<path to v.json> (from `codeloop verifier train`)",
  test: (ref) => ref.startsWith(PREFIX),
  create(ref) {
    const path = resolve(ref.slice(PREFIX.length));
    let model: EmbeddedVerifier | undefined;
    let error: ModelError | undefined;
    if (ref.length === PREFIX.length) {
      error = new ModelError("config", `verifier "${ref}": expected embedded:<path to v.json>`);
    } else {
      try {
        model = EmbeddedVerifier.load(path);
      } catch (err) {
        if (!(err instanceof EmbeddedVerifierError)) throw err;
        error = new ModelError("config", err.message);
      }
    }
    // The file's hash is part of the id, so a retrained file never reuses cached scores.
    const id = `embedded:${path}@${model ? model.sha256.slice(0, 16) : "unreadable"}`;
    const ready = (): EmbeddedVerifier => {
      if (!model) throw error!;
      return model;
    };
    const scorer: Scorer = {
      id,
      async score(inputs: readonly VerifierInput[], signal?: AbortSignal) {
        if (signal?.aborted) throw new ModelError("aborted", "request aborted");
        const m = ready();
        return inputs.map((x) => m.score(x.code, x.language, x.prompt));
      },
      async check() {
        ready();
      },
      async close() {},
    };
    return scorer;
  },
};
