import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { type FeatureSettings, type Sparse, dot, featureSettings, featurise } from "./embedded-features.js";
import { EmbeddedVerifierError, type TrainingRow, fileSha256, readRows, sidecarOf } from "./embedded-rows.js";

/**
 * Training the embedded verifier: a Bradley-Terry ranker score(x) = w·φ(x) fitted by SGD on
 * −log σ(w·(φ(chosen) − φ(rejected))) + (λ/2)‖w‖², and pointwise rows by logistic regression
 * on their label (score + bias). Problems (rows grouped by prompt text) are split into train and
 * held-out before training, so the held-out accuracy is measured on problems the model never saw.
 */

export const FORMAT = "codeloop-embedded-verifier";
export const VERSION = 1;

export interface TrainOptions {
  /** Share of problems held out (0 to <1). */
  holdout: number;
  seed: number;
  epochs: number;
  dimBits: number;
  /** λ of the L2 penalty (λ/2)‖w‖² per example. */
  l2: number;
  /** η0 of the step size η_t = η0 / (1 + η0 λ t). */
  learningRate: number;
  /** Prompt-code overlap features (see embedded-features.ts). */
  promptFeatures: boolean;
}

export const DEFAULT_TRAIN: TrainOptions = {
  holdout: 0.2,
  seed: 0,
  epochs: 30,
  dimBits: 16,
  l2: 1e-5,
  learningRate: 1,
  promptFeatures: false,
};

/** Accuracy of one part of the data: pairs ranked right (ties count half), and the problems. */
export interface SplitMetrics {
  problems: number;
  pairs: number;
  /** null when the part has no pairs. */
  pairAccuracy: number | null;
  /** Pointwise rows only: rows, label accuracy of σ(score) > 0.5, and the majority label's share. */
  points?: { rows: number; accuracy: number | null; majority: number | null };
}

export interface Metrics {
  train: SplitMetrics;
  /** null with --holdout 0. */
  heldOut: SplitMetrics | null;
  /** What a coin (or any constant score) gets on pairs. */
  baseline: 0.5;
  /** Mean training loss of the final weights. */
  trainLoss: number;
}

export interface VerifierFile {
  format: typeof FORMAT;
  version: typeof VERSION;
  dim: number;
  features: FeatureSettings;
  training: { optimizer: "sgd"; epochs: number; l2: number; learningRate: number; holdout: number };
  seed: number;
  /** Added to every score; learnt only from pointwise rows (pairs cannot see it). */
  bias: number;
  weights: { indices: number[]; values: number[] };
  trainedOn: {
    file: string;
    sha256: string;
    rows: number;
    pairRows: number;
    pointRows: number;
    problems: number;
    heldOutProblems: number;
    /** The export's sidecar (provenance of the runs), when it was beside the file. */
    sidecar: { file: string; sha256: string } | null;
  };
  metrics: Metrics;
}

type Example =
  | { kind: "pair"; problem: number; chosen: Sparse; rejected: Sparse }
  | { kind: "point"; problem: number; x: Sparse; label: boolean };

export interface Dataset {
  /** Prompt texts, one per problem, in order of first appearance. */
  problems: string[];
  examples: Example[];
  pairRows: number;
  pointRows: number;
}

/** Reads and featurises a pairs file; a code met again reuses its vector. */
export async function readDataset(file: string, settings: FeatureSettings): Promise<Dataset> {
  const problemIds = new Map<string, number>();
  const problems: string[] = [];
  const cache = new Map<string, Sparse>();
  const examples: Example[] = [];
  let pairRows = 0;
  let pointRows = 0;
  const vector = (code: string, language: string, prompt: string): Sparse => {
    const key = settings.prompt ? JSON.stringify([code, language, prompt]) : JSON.stringify([code, language]);
    let v = cache.get(key);
    if (!v) {
      v = featurise(code, language, prompt, settings);
      cache.set(key, v);
    }
    return v;
  };
  const problemOf = (prompt: string): number => {
    let id = problemIds.get(prompt);
    if (id === undefined) {
      id = problems.length;
      problemIds.set(prompt, id);
      problems.push(prompt);
    }
    return id;
  };
  for await (const row of readRows(file)) examples.push(example(row));
  function example(row: TrainingRow): Example {
    const problem = problemOf(row.prompt);
    if (row.kind === "pair") {
      pairRows++;
      return {
        kind: "pair",
        problem,
        chosen: vector(row.chosen.code, row.chosen.language, row.prompt),
        rejected: vector(row.rejected.code, row.rejected.language, row.prompt),
      };
    }
    pointRows++;
    return {
      kind: "point",
      problem,
      x: vector(row.completion.code, row.completion.language, row.prompt),
      label: row.label,
    };
  }
  return { problems, examples, pairRows, pointRows };
}

/**
 * The held-out problems: ranked by sha256(seed, prompt) and the first round(holdout × n) taken
 * (at least one when holdout > 0, and never all of them). A problem's side depends only on the
 * seed and its own text, not on the file's order or on which other problems are in it.
 */
export function heldOutProblems(problems: readonly string[], holdout: number, seed: number): Set<number> {
  if (holdout <= 0 || problems.length < 2) return new Set();
  const k = Math.min(problems.length - 1, Math.max(1, Math.round(holdout * problems.length)));
  const ranked = problems
    .map((p, i) => ({ i, key: createHash("sha256").update(`${seed}\u0000${p}`).digest("hex") }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
  return new Set(ranked.slice(0, k).map((r) => r.i));
}

/** A small seeded generator (mulberry32) for the epoch shuffles: the same seed, the same order. */
function rng(seed: number): () => number {
  let a =
    (createHash("sha256").update(`codeloop-embedded-verifier\u0000${seed}`).digest().readUInt32LE(0) | 0) >>>
    0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
/** log(1 + e^z) without overflow. */
const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/**
 * SGD over seeded shuffled epochs. The L2 shrink of every step is applied lazily, w = s·v, so a
 * step costs the example's non-zeros rather than the dimension (Bottou's SGD trick).
 */
export function fit(
  dim: number,
  examples: readonly Example[],
  options: Pick<TrainOptions, "epochs" | "l2" | "learningRate" | "seed">,
): { w: Float64Array; bias: number } {
  const v = new Float64Array(dim);
  let s = 1;
  let bias = 0;
  const { l2, learningRate: eta0 } = options;
  const next = rng(options.seed);
  const order = examples.map((_, i) => i);
  const add = (x: Sparse, c: number) => {
    for (let k = 0; k < x.indices.length; k++) v[x.indices[k]!]! += (c * x.values[k]!) / s;
  };
  let t = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const i of order) {
      const ex = examples[i]!;
      const eta = eta0 / (1 + eta0 * l2 * t++);
      if (ex.kind === "pair") {
        const margin = s * (dot(v, ex.chosen) - dot(v, ex.rejected));
        // d/dmargin of −log σ(margin) is −σ(−margin).
        const g = -sigmoid(-margin);
        s *= 1 - eta * l2;
        add(ex.chosen, -eta * g);
        add(ex.rejected, eta * g);
      } else {
        const z = s * dot(v, ex.x) + bias;
        const g = sigmoid(z) - (ex.label ? 1 : 0);
        s *= 1 - eta * l2;
        add(ex.x, -eta * g);
        bias -= eta * g;
      }
      if (s < 1e-9) {
        for (let k = 0; k < dim; k++) v[k]! *= s;
        s = 1;
      }
    }
  }
  for (let k = 0; k < dim; k++) v[k]! *= s;
  return { w: v, bias };
}

/** The metrics of one part of the examples under the weights. */
export function evaluate(
  w: Float64Array,
  bias: number,
  examples: readonly Example[],
  include: (problem: number) => boolean,
): SplitMetrics {
  const problems = new Set<number>();
  let pairs = 0;
  let right = 0;
  // Pointwise rows: scores per problem, then every (accepted, rejected) pair within a problem.
  const points = new Map<number, { pos: number[]; neg: number[] }>();
  let rows = 0;
  let labelRight = 0;
  let positives = 0;
  for (const ex of examples) {
    if (!include(ex.problem)) continue;
    problems.add(ex.problem);
    if (ex.kind === "pair") {
      const d = dot(w, ex.chosen) - dot(w, ex.rejected);
      pairs++;
      right += d > 0 ? 1 : d === 0 ? 0.5 : 0;
    } else {
      const z = dot(w, ex.x) + bias;
      rows++;
      if (ex.label) positives++;
      if (z > 0 === ex.label) labelRight++;
      const p = points.get(ex.problem) ?? { pos: [], neg: [] };
      points.set(ex.problem, p);
      (ex.label ? p.pos : p.neg).push(z);
    }
  }
  for (const { pos, neg } of points.values()) {
    for (const a of pos) {
      for (const b of neg) {
        pairs++;
        right += a > b ? 1 : a === b ? 0.5 : 0;
      }
    }
  }
  const out: SplitMetrics = {
    problems: problems.size,
    pairs,
    pairAccuracy: pairs > 0 ? right / pairs : null,
  };
  if (rows > 0) {
    out.points = {
      rows,
      accuracy: labelRight / rows,
      majority: Math.max(positives, rows - positives) / rows,
    };
  }
  return out;
}

function meanLoss(
  w: Float64Array,
  bias: number,
  examples: readonly Example[],
  train: (p: number) => boolean,
) {
  let sum = 0;
  let n = 0;
  for (const ex of examples) {
    if (!train(ex.problem)) continue;
    n++;
    if (ex.kind === "pair") sum += softplus(-(dot(w, ex.chosen) - dot(w, ex.rejected)));
    else sum += softplus(ex.label ? -(dot(w, ex.x) + bias) : dot(w, ex.x) + bias);
  }
  return n > 0 ? sum / n : 0;
}

/** Weights as stored: 8 significant digits, zeros dropped; the metrics are measured on these. */
function rounded(w: Float64Array): { dense: Float64Array; indices: number[]; values: number[] } {
  const dense = new Float64Array(w.length);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < w.length; i++) {
    if (w[i] === 0) continue;
    const r = Number(w[i]!.toPrecision(8));
    if (r === 0) continue;
    dense[i] = r;
    indices.push(i);
    values.push(r);
  }
  return { dense, indices, values };
}

export function checkTrainOptions(o: TrainOptions): void {
  const fail = (m: string) => {
    throw new EmbeddedVerifierError(m);
  };
  if (!(o.holdout >= 0 && o.holdout < 1))
    fail(`--holdout: expected a share from 0 to below 1, got ${o.holdout}`);
  if (!Number.isInteger(o.seed)) fail(`--seed: expected an integer, got ${o.seed}`);
  if (!Number.isInteger(o.epochs) || o.epochs < 1)
    fail(`--epochs: expected a positive integer, got ${o.epochs}`);
  if (!Number.isInteger(o.dimBits) || o.dimBits < 8 || o.dimBits > 24)
    fail(`--dim-bits: expected an integer from 8 to 24, got ${o.dimBits}`);
  if (!(o.l2 >= 0)) fail(`--l2: expected a number >= 0, got ${o.l2}`);
  if (!(o.learningRate > 0)) fail(`--learning-rate: expected a number > 0, got ${o.learningRate}`);
  if (!(o.learningRate * o.l2 < 1))
    fail("--learning-rate × --l2 must be below 1 (each step shrinks w by 1 − η·λ)");
}

/** Reads a pairs file, splits its problems, trains and measures: the model file's content. */
export async function trainVerifier(
  file: string,
  options: Partial<TrainOptions> = {},
): Promise<VerifierFile> {
  const o = { ...DEFAULT_TRAIN, ...options };
  checkTrainOptions(o);
  const settings = featureSettings(o.dimBits, o.promptFeatures);
  const [data, sha256, sidecar] = await Promise.all([
    readDataset(file, settings),
    fileSha256(file),
    sidecarOf(file),
  ]);
  if (data.examples.length === 0) throw new EmbeddedVerifierError(`${file}: no rows to train on`);
  const held = heldOutProblems(data.problems, o.holdout, o.seed);
  const isTrain = (p: number) => !held.has(p);
  const dim = 2 ** o.dimBits;
  const { w, bias: rawBias } = fit(
    dim,
    data.examples.filter((e) => isTrain(e.problem)),
    o,
  );
  const r = rounded(w);
  const bias = Number(rawBias.toPrecision(8));
  return {
    format: FORMAT,
    version: VERSION,
    dim,
    features: settings,
    training: {
      optimizer: "sgd",
      epochs: o.epochs,
      l2: o.l2,
      learningRate: o.learningRate,
      holdout: o.holdout,
    },
    seed: o.seed,
    bias,
    weights: { indices: r.indices, values: r.values },
    trainedOn: {
      file: resolve(file),
      sha256,
      rows: data.examples.length,
      pairRows: data.pairRows,
      pointRows: data.pointRows,
      problems: data.problems.length,
      heldOutProblems: held.size,
      sidecar,
    },
    metrics: {
      train: evaluate(r.dense, bias, data.examples, isTrain),
      heldOut: held.size > 0 ? evaluate(r.dense, bias, data.examples, (p) => held.has(p)) : null,
      baseline: 0.5,
      trainLoss: Number(meanLoss(r.dense, bias, data.examples, isTrain).toPrecision(8)),
    },
  };
}

/** The model file's text: one JSON document (weights on one line each), newline-terminated. */
export function serialiseVerifier(v: VerifierFile): string {
  return `${JSON.stringify(v)}\n`;
}
