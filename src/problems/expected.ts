import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PYVALUE_ENCODING_VERSION, type PyValue } from "../core/pyvalue.js";
import type { TestCase } from "../core/verdict.js";
import { ProblemLoadError, errorMessage } from "./errors.js";
import type { ComputeExpected, Problem } from "./types.js";

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

interface CacheEntry {
  taskId: string;
  /** Digest of code and arguments: a changed input rebuild must not reuse stale outputs. */
  inputsDigest: string;
  /** null: the canonical solution failed on that input, which is then left out. */
  private: (PyValue | null)[];
  generated: (PyValue | null)[];
}

function inputsDigest(p: Problem): string {
  const pe = p.pendingExpected!;
  return createHash("sha256")
    .update(
      JSON.stringify([
        PYVALUE_ENCODING_VERSION,
        pe.canonicalCode,
        pe.entryPoint,
        pe.privateArgs,
        pe.generatedArgs,
      ]),
    )
    .digest("hex");
}

function cacheFile(cacheDir: string, p: Problem): string {
  return join(cacheDir, "expected", p.pendingExpected!.datasetHash, `${encodeURIComponent(p.id)}.json`);
}

/**
 * Fills HumanEval+/MBPP+ function tests by running the canonical solution through `compute`
 * (the sandbox), once per dataset file and task: results are cached on disk under
 * `<cacheDir>/expected/<sha256 of the dataset file>/<task id>.json`.
 */
export async function computeExpectedOutputs(
  problems: Problem[],
  compute: ComputeExpected,
  cacheDir: string,
  options: ComputeExpectedOptions = {},
): Promise<void> {
  const pending = problems.filter((p) => p.pendingExpected);
  let done = 0;
  const fill = async (p: Problem): Promise<void> => {
    const pe = p.pendingExpected!;
    const file = cacheFile(cacheDir, p);
    const digest = inputsDigest(p);
    let entry: CacheEntry | undefined;
    try {
      const cached = JSON.parse(await readFile(file, "utf8")) as CacheEntry;
      if (cached.taskId === p.id && cached.inputsDigest === digest) entry = cached;
    } catch {
      entry = undefined;
    }
    if (!entry) {
      const argsList = [...pe.privateArgs, ...pe.generatedArgs];
      let outputs: (PyValue | null)[];
      try {
        outputs = await compute(p, pe.canonicalCode, argsList);
      } catch (err) {
        throw new ProblemLoadError(p.origin.file, `computing expected outputs failed: ${errorMessage(err)}`, {
          line: p.origin.row,
          field: p.id,
        });
      }
      if (outputs.length !== argsList.length) {
        throw new ProblemLoadError(
          p.origin.file,
          `computeExpected returned ${outputs.length} outputs for ${argsList.length} inputs`,
          { field: p.id },
        );
      }
      entry = {
        taskId: p.id,
        inputsDigest: digest,
        private: outputs.slice(0, pe.privateArgs.length),
        generated: outputs.slice(pe.privateArgs.length),
      };
      await mkdir(join(file, ".."), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(entry), { mode: 0o600 });
      await rename(tmp, file);
    }
    let dropped = 0;
    const toTests = (args: PyValue[][], expected: (PyValue | null)[], prefix: string): TestCase[] =>
      args.flatMap((a, i): TestCase[] => {
        const want = expected[i];
        if (want === null || want === undefined) {
          dropped++;
          return [];
        }
        return [{ kind: "function", name: `${prefix}-${i}`, args: a, expected: want }];
      });
    p.tests.private.push(...toTests(pe.privateArgs, entry.private, "base"));
    p.tests.generated.push(...toTests(pe.generatedArgs, entry.generated, "plus"));
    if (dropped) {
      p.warnings.push(
        `${dropped} of ${pe.privateArgs.length + pe.generatedArgs.length} base/plus inputs left out: the canonical solution failed on them`,
      );
    }
    p.pendingExpected = undefined;
    p.warnings = p.warnings.filter((w) => !w.startsWith(PENDING_WARNING));
    options.onProgress?.(++done, pending.length);
  };
  // Several problems at once, so every sandbox worker has work; results keep problem order
  // because each problem fills only its own tests.
  let next = 0;
  const lanes = Array.from({ length: Math.min(options.concurrency ?? 4, pending.length) }, async () => {
    while (next < pending.length) await fill(pending[next++]!);
  });
  await Promise.all(lanes);
}

export interface ComputeExpectedOptions {
  /** Problems computed at once (default 4). */
  concurrency?: number;
  /** Called after each problem's outputs are known (computed or from the cache). */
  onProgress?: (done: number, total: number) => void;
}

export const PENDING_WARNING = "function tests pending:";

export function pendingWarning(nPrivate: number, nGenerated: number): string {
  return `${PENDING_WARNING} ${nPrivate} base and ${nGenerated} plus inputs need expected outputs from the canonical solution (computeExpected)`;
}
