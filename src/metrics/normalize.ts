import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";

/**
 * Python normalisation of model-written code: ast.parse + ast.unparse drops comments and
 * formatting. Parsing never executes the code, but it still runs in a separate isolated
 * interpreter (-I: no user site or environment; -S: no site module), one per batch, with JSON
 * over stdin/stdout. Code that does not parse (or breaks the parser) is kept as raw text.
 */
const NORMALISE_SCRIPT = `
import ast, json, sys
out = []
for src in json.load(sys.stdin):
    try:
        out.append(ast.unparse(ast.parse(src)))
    except BaseException:
        out.append(src)
json.dump(out, sys.stdout)
`;

/** The script run by the child, exported so tests can drive Python's difflib the same way. */
export function runPython(script: string, input: unknown, python = "python3"): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ["-I", "-S", "-c", script], { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new Error(`${python} exited with ${code}: ${Buffer.concat(err).toString().slice(0, 500)}`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString("utf8")));
      } catch (e) {
        reject(e);
      }
    });
    child.stdin.on("error", reject);
    child.stdin.end(JSON.stringify(input));
  });
}

export interface NormaliseOptions {
  python?: string;
  /** Child processes run at once (default: available cores); identical codes are parsed once. */
  processes?: number;
}

/** Normalised text of each code, in input order. */
export async function normalizePythonCodes(
  codes: readonly string[],
  opts: NormaliseOptions = {},
): Promise<string[]> {
  const unique = [...new Set(codes)];
  if (unique.length === 0) return [];
  const procs = Math.max(1, Math.min(opts.processes ?? availableParallelism(), unique.length));
  const size = Math.ceil(unique.length / procs);
  const batches: string[][] = [];
  for (let i = 0; i < unique.length; i += size) batches.push(unique.slice(i, i + size));
  const results = await Promise.all(batches.map((b) => runPython(NORMALISE_SCRIPT, b, opts.python)));
  const map = new Map<string, string>();
  results.forEach((r, bi) => {
    const batch = batches[bi]!;
    if (!Array.isArray(r) || r.length !== batch.length)
      throw new Error("normaliser returned a malformed batch");
    batch.forEach((src, i) => map.set(src, String(r[i])));
  });
  return codes.map((c) => map.get(c)!);
}
