import { describe, expect, it } from "vitest";
import { ModelError } from "../../src/models/index.js";
import { chatJudgeKind } from "../../src/verifiers/chat-judge.js";
import { teiKind, teiRerankKind } from "../../src/verifiers/tei.js";
import type { ScorerKind, ScorerOptions } from "../../src/verifiers/types.js";
import { vllmClassifyKind, vllmPoolingKind } from "../../src/verifiers/vllm.js";

const KINDS: ScorerKind[] = [vllmClassifyKind, vllmPoolingKind, teiKind, teiRerankKind, chatJudgeKind];

const REFS: Record<string, string> = {
  "vllm-classify": "vllm-classify:http://127.0.0.1:8000#rm",
  "vllm-pooling": "vllm-pooling:http://127.0.0.1:8000/v1#rm",
  tei: "tei:http://127.0.0.1:8080",
  "tei-rerank": "tei-rerank:http://127.0.0.1:8080#BAAI/bge-reranker-base",
  "chat-judge": "chat-judge:vllm:http://127.0.0.1:8000/v1#qwen",
};

describe("HTTP scorer kinds", () => {
  it("each recognises its own references and no other kind's", () => {
    for (const kind of KINDS) {
      for (const [name, ref] of Object.entries(REFS))
        expect(kind.test(ref), `${kind.kind} on ${name}`).toBe(name === kind.kind);
      expect(kind.syntax.startsWith(`${kind.kind}:`)).toBe(true);
    }
  });

  it.each([
    ["vllm-classify", {}, "vllm-classify:http://127.0.0.1:8000#rm"],
    ["vllm-pooling", { version: "7" }, "vllm-pooling:http://127.0.0.1:8000#rm@7"],
    ["vllm-pooling", { label: 1, version: "7" }, "vllm-pooling:http://127.0.0.1:8000#rm@7;label=1"],
    ["tei", {}, "tei:http://127.0.0.1:8080"],
    ["tei", { label: "LABEL_1" }, 'tei:http://127.0.0.1:8080;label="LABEL_1"'],
    ["tei-rerank", { version: "a" }, "tei-rerank:http://127.0.0.1:8080#BAAI/bge-reranker-base@a"],
    ["chat-judge", {}, "chat-judge:http://127.0.0.1:8000/v1#qwen"],
  ] as [string, ScorerOptions, string][])("%s with %j has id %s", async (name, options, id) => {
    const kind = KINDS.find((k) => k.kind === name)!;
    const scorer = kind.create(REFS[name]!, options, {});
    expect(scorer.id).toBe(id);
    await scorer.close();
  });

  it("the timeout option is not part of the id (it does not change scores)", async () => {
    const a = vllmClassifyKind.create(REFS["vllm-classify"]!, { timeoutMs: 5 }, {});
    expect(a.id).toBe("vllm-classify:http://127.0.0.1:8000#rm");
    await a.close();
  });

  it.each(["vllm-classify:localhost:8000#rm", "tei:ftp://host", "tei-rerank:#m", "vllm-pooling:http://h:1#"])(
    "refuses %s with a config error",
    (ref) => {
      const kind = KINDS.find((k) => k.test(ref))!;
      let error: unknown;
      try {
        kind.create(ref, {}, {});
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).kind).toBe("config");
      expect((error as ModelError).message).not.toContain("\n");
    },
  );
});
