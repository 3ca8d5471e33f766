import type { Dialog } from "./dialog.js";
import { ExportError } from "./errors.js";

/**
 * The training formats (field names as ../shared/docs/formats.md gives them):
 * - `messages`: TRL conversational language modelling, `{"messages": [{role, content}]}`;
 * - `prompt-completion`: TRL prompt-completion, `{"prompt": [...], "completion": [...]}`; with
 *   `trainOn: all`, one example per assistant turn (its history as the prompt);
 * - `axolotl`: `type: chat_template` rows `{"messages": [{role, content, train?}]}`, where each
 *   assistant message carries `train` (true for the turns trained on);
 * - `sharegpt`: LLaMA-Factory, `{"conversations": [{from: "system"|"human"|"gpt", value}]}`.
 */
export const FORMATS = ["messages", "prompt-completion", "axolotl", "sharegpt"] as const;
export type ExportFormat = (typeof FORMATS)[number];

export type TrainOn = "last" | "all";

export interface RenderOptions {
  format: ExportFormat;
  /** Keep the run's system message. */
  system: boolean;
  trainOn: TrainOn;
}

export interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

/** One JSONL row and the characters of text it carries (for the approximate token count). */
export interface Rendered {
  row: Record<string, unknown>;
  chars: number;
}

export function parseFormat(value: string, flag = "--format"): ExportFormat {
  if ((FORMATS as readonly string[]).includes(value)) return value as ExportFormat;
  throw new ExportError(`${flag}: unknown format ${JSON.stringify(value)} (expected ${FORMATS.join(", ")})`);
}

export function messagesOf(d: Dialog, system: boolean): Message[] {
  const out: Message[] = [];
  if (system && d.system !== null) out.push({ role: "system", content: d.system });
  for (const e of d.exchanges) {
    out.push({ role: "user", content: e.user }, { role: "assistant", content: e.assistant });
  }
  return out;
}

const charsOf = (ms: readonly Message[]) => ms.reduce((n, m) => n + m.content.length, 0);

export const SHAREGPT_ROLE = { system: "system", user: "human", assistant: "gpt" } as const;

/** The rows of one dialog: one, or one per assistant turn for prompt-completion with trainOn all. */
export function renderDialog(d: Dialog, o: RenderOptions): Rendered[] {
  const ms = messagesOf(d, o.system);
  const chars = charsOf(ms);
  switch (o.format) {
    case "messages":
      return [{ row: { messages: ms }, chars }];
    case "prompt-completion": {
      const ends = ms.flatMap((m, i) => (m.role === "assistant" ? [i] : []));
      const picked = o.trainOn === "all" ? ends : ends.slice(-1);
      return picked.map((i) => {
        const prompt = ms.slice(0, i);
        const completion = [ms[i]!];
        return { row: { prompt, completion }, chars: charsOf(prompt) + charsOf(completion) };
      });
    }
    case "axolotl": {
      const last = ms.length - 1;
      const rows = ms.map((m, i) =>
        m.role === "assistant" ? { ...m, train: o.trainOn === "all" || i === last } : { ...m },
      );
      return [{ row: { messages: rows }, chars }];
    }
    case "sharegpt":
      return [
        {
          row: { conversations: ms.map((m) => ({ from: SHAREGPT_ROLE[m.role], value: m.content })) },
          chars,
        },
      ];
  }
}
