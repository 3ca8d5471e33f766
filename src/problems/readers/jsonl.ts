import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { type PyValue, pyFromJsonText } from "../../judge/pyvalue.js";
import { ProblemLoadError, errorMessage } from "../errors.js";

export interface JsonlRecord {
  /** 1-based line number in the (decompressed) file. */
  line: number;
  value: Record<string, unknown>;
  /** The line as written, for parsers that must keep what JSON.parse loses (1.0 vs 1). */
  text: string;
}

/** Streams a .jsonl or .jsonl.gz file one object per line; blank lines are skipped. */
export async function* readJsonl(file: string): AsyncGenerator<JsonlRecord> {
  const raw = createReadStream(file);
  const stream = file.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  // Surface read/decompress errors (truncated gzip) with the file name.
  let streamError: unknown;
  raw.on("error", (e: unknown) => {
    streamError = e;
  });
  stream.on("error", (e: unknown) => {
    streamError = e;
  });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        value = parsePythonJson(text);
        if (value === undefined)
          throw new ProblemLoadError(file, `malformed JSON: ${errorMessage(err)}`, { line });
      }
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new ProblemLoadError(file, "expected a JSON object on each line", { line });
      }
      yield { line, value: value as Record<string, unknown>, text };
    }
  } catch (err) {
    if (err instanceof ProblemLoadError) throw err;
    throw new ProblemLoadError(file, `cannot read: ${errorMessage(err)}`, { line: line + 1 }, { cause: err });
  } finally {
    lines.close();
    raw.destroy();
  }
  if (streamError !== undefined) {
    throw new ProblemLoadError(file, `cannot read: ${errorMessage(streamError)}`, { line: line + 1 });
  }
}

/** First object of a JSONL file, for format detection. */
export async function peekJsonl(file: string): Promise<Record<string, unknown> | undefined> {
  for await (const rec of readJsonl(file)) return rec.value;
  return undefined;
}

/**
 * Python's json module writes NaN, Infinity and -Infinity (EvalPlus inputs contain them), which
 * JSON.parse rejects; pyFromJsonText accepts them. Undefined when the text is not even that.
 */
function parsePythonJson(text: string): unknown {
  let v: PyValue;
  try {
    v = pyFromJsonText(text);
  } catch {
    return undefined;
  }
  return toJs(v);
}

function toJs(v: PyValue): unknown {
  switch (v[0]) {
    case "N":
      return null;
    case "b":
    case "s":
      return v[1];
    case "i":
      return Number(v[1]);
    case "f":
      return v[1] === "nan"
        ? Number.NaN
        : v[1] === "inf"
          ? Number.POSITIVE_INFINITY
          : v[1] === "-inf"
            ? Number.NEGATIVE_INFINITY
            : v[1];
    case "l":
      return v[1].map(toJs);
    case "d":
      return Object.fromEntries(v[1].map(([k, x]) => [k[1], toJs(x)]));
    default:
      return undefined;
  }
}
