import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
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
  /**
   * A JSON-lines file of earlier normalisations, read first and appended to: CPython's
   * parse + unparse costs a few hundred microseconds per program, so a repeated report should
   * not pay it again. Entries are keyed by the interpreter's version and the code's sha256.
   */
  cacheFile?: string;
}

function cacheKey(version: string, code: string): string {
  return createHash("sha256").update(version).update("\0").update(code).digest("hex");
}

function readCache(file: string): Map<string, string> {
  const map = new Map<string, string>();
  if (!existsSync(file)) return map;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      const e = JSON.parse(line) as { k?: unknown; v?: unknown };
      if (typeof e.k === "string" && typeof e.v === "string") map.set(e.k, e.v);
    } catch {
      // A torn last line from an interrupted append: skip it, the entry is recomputed.
    }
  }
  return map;
}

/** Normalised text of each code, in input order. */
export async function normalizePythonCodes(
  codes: readonly string[],
  opts: NormaliseOptions = {},
): Promise<string[]> {
  const distinct = [...new Set(codes)];
  const map = new Map<string, string>();
  let version = "";
  let cache: Map<string, string> | undefined;
  if (opts.cacheFile !== undefined && distinct.length > 0) {
    version = String(
      await runPython("import json, sys\njson.dump(sys.version, sys.stdout)", null, opts.python),
    );
    cache = readCache(opts.cacheFile);
    for (const c of distinct) {
      const hit = cache.get(cacheKey(version, c));
      if (hit !== undefined) map.set(c, hit);
    }
  }
  const todo = distinct.filter((c) => !map.has(c));
  if (todo.length > 0) {
    const procs = Math.max(1, Math.min(opts.processes ?? availableParallelism(), todo.length));
    const size = Math.ceil(todo.length / procs);
    const batches: string[][] = [];
    for (let i = 0; i < todo.length; i += size) batches.push(todo.slice(i, i + size));
    const results = await Promise.all(batches.map((b) => runPython(NORMALISE_SCRIPT, b, opts.python)));
    const fresh: string[] = [];
    results.forEach((r, bi) => {
      const batch = batches[bi]!;
      if (!Array.isArray(r) || r.length !== batch.length)
        throw new Error("normaliser returned a malformed batch");
      batch.forEach((src, i) => {
        const v = String(r[i]);
        map.set(src, v);
        if (cache) fresh.push(`${JSON.stringify({ k: cacheKey(version, src), v })}\n`);
      });
    });
    if (opts.cacheFile !== undefined && fresh.length > 0) {
      // Leading newline: an interrupted earlier append may have left a torn line without one.
      appendFileSync(opts.cacheFile, `\n${fresh.join("")}`);
    }
  }
  return codes.map((c) => map.get(c)!);
}
