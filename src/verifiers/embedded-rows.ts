import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { codeOfAnswer } from "./embedded-features.js";

/**
 * Reading verifier training rows, streamed line by line. Accepted rows (see docs/export.md):
 * - TRL preference `{prompt, chosen, rejected}` with message lists (or strings), and TRL's
 *   implicit-prompt form where chosen and rejected are whole conversations sharing their start;
 * - TRL unpaired `{prompt, completion, label}` (pointwise);
 * - axolotl `bradley_terry.chat_template` `{system, input, chosen, rejected}`, strings.
 * The problem a row belongs to is its user prompt text (the system message left out, so the same
 * problem exported with and without one is one problem).
 */

/** An error in a pairs or model file the user must fix; the message names the file and place. */
export class EmbeddedVerifierError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmbeddedVerifierError";
  }
}

export interface CodeText {
  code: string;
  /** The fence's language tag, "" when the answer had none. */
  language: string;
}

export type TrainingRow =
  | { kind: "pair"; prompt: string; chosen: CodeText; rejected: CodeText }
  | { kind: "point"; prompt: string; completion: CodeText; label: boolean };

interface Message {
  role: string;
  content: string;
}

function messages(v: unknown, field: string, where: string): Message[] {
  if (typeof v === "string") return [{ role: field === "prompt" ? "user" : "assistant", content: v }];
  if (!Array.isArray(v) || v.length === 0)
    throw new EmbeddedVerifierError(`${where}: "${field}" must be a non-empty list of messages or a string`);
  return v.map((m, i) => {
    const o = m as { role?: unknown; content?: unknown } | null;
    if (typeof o !== "object" || o === null || typeof o.role !== "string" || typeof o.content !== "string")
      throw new EmbeddedVerifierError(`${where}: "${field}[${i}]" must be {role, content} with strings`);
    return { role: o.role, content: o.content };
  });
}

/** The user turns of a prompt, joined: what identifies the problem and what the verifier reads. */
function promptText(ms: Message[], field: string, where: string): string {
  const users = ms.filter((m) => m.role === "user");
  if (users.length === 0) throw new EmbeddedVerifierError(`${where}: "${field}" has no user message`);
  return users.map((m) => m.content).join("\n\n");
}

function answer(ms: Message[], field: string, where: string): CodeText {
  const last = ms[ms.length - 1]!;
  if (last.role !== "assistant")
    throw new EmbeddedVerifierError(`${where}: "${field}" must end with an assistant message`);
  return codeOfAnswer(last.content);
}

function str(o: Record<string, unknown>, field: string, where: string): string {
  const v = o[field];
  if (typeof v !== "string") throw new EmbeddedVerifierError(`${where}: "${field}" must be a string`);
  return v;
}

/** One parsed line as a training row; `where` is `file:line` for messages. */
export function parseRow(value: unknown, where: string): TrainingRow {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new EmbeddedVerifierError(`${where}: a row must be a JSON object`);
  const o = value as Record<string, unknown>;
  if ("input" in o && typeof o.chosen === "string") {
    // axolotl bradley_terry: strings, the first user turn in `input`.
    return {
      kind: "pair",
      prompt: str(o, "input", where),
      chosen: codeOfAnswer(str(o, "chosen", where)),
      rejected: codeOfAnswer(str(o, "rejected", where)),
    };
  }
  if ("completion" in o || "label" in o) {
    if (typeof o.label !== "boolean")
      throw new EmbeddedVerifierError(`${where}: "label" must be true or false`);
    if (!("prompt" in o)) throw new EmbeddedVerifierError(`${where}: pointwise row has no "prompt"`);
    const prompt = promptText(messages(o.prompt, "prompt", where), "prompt", where);
    return {
      kind: "point",
      prompt,
      completion: answer(messages(o.completion, "completion", where), "completion", where),
      label: o.label,
    };
  }
  if ("chosen" in o || "rejected" in o) {
    const chosen = messages(o.chosen, "chosen", where);
    const rejected = messages(o.rejected, "rejected", where);
    let prompt: string;
    if ("prompt" in o) prompt = promptText(messages(o.prompt, "prompt", where), "prompt", where);
    else {
      // Implicit prompt: everything before each side's last message, which must agree.
      const head = (ms: Message[]) => JSON.stringify(ms.slice(0, -1));
      if (head(chosen) !== head(rejected))
        throw new EmbeddedVerifierError(
          `${where}: without "prompt", "chosen" and "rejected" must share every message but the last`,
        );
      prompt = promptText(chosen.slice(0, -1), "chosen", where);
    }
    return {
      kind: "pair",
      prompt,
      chosen: answer(chosen, "chosen", where),
      rejected: answer(rejected, "rejected", where),
    };
  }
  throw new EmbeddedVerifierError(
    `${where}: not a verifier row: expected {prompt, chosen, rejected}, {prompt, completion, label} or {system, input, chosen, rejected}`,
  );
}

/** Streams the rows of a JSONL file (blank lines skipped); errors name file:line. */
export async function* readRows(file: string): AsyncGenerator<TrainingRow> {
  const stream = createReadStream(file, { encoding: "utf8" });
  const opened = new Promise<void>((ok, fail) => {
    stream.once("open", () => ok());
    stream.once("error", (e) => fail(e));
  });
  try {
    await opened;
  } catch (err) {
    throw new EmbeddedVerifierError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        throw new EmbeddedVerifierError(`${file}:${n}: not JSON (${(err as Error).message})`);
      }
      yield parseRow(value, `${file}:${n}`);
    }
  } catch (err) {
    if (err instanceof EmbeddedVerifierError) throw err;
    // A read failing after the open (a folder, an I/O error) is the user's to fix too.
    throw new EmbeddedVerifierError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** sha256 of a file's bytes, streamed. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (err) {
    throw new EmbeddedVerifierError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  return hash.digest("hex");
}

/** The export's provenance sidecar beside a pairs file, when there is one. */
export async function sidecarOf(file: string): Promise<{ file: string; sha256: string } | null> {
  const path = `${resolve(file)}.meta.json`;
  try {
    return { file: path, sha256: await fileSha256(path) };
  } catch {
    return null;
  }
}
