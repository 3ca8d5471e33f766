import { describe, expect, it } from "vitest";
import type { NodeLlamaCpp } from "../../src/models/llama-api.js";

// codeloop writes out the part of node-llama-cpp it uses (src/models/llama-api.ts) so that it
// builds without the optional package. `npm run typecheck` checks the assignment below against
// the installed package's own types; the test checks the same names exist at run time.
describe("node-llama-cpp's API as codeloop uses it", () => {
  it("the installed package fits the written-out shape", async () => {
    const real = await import("node-llama-cpp");
    const surface: NodeLlamaCpp<import("node-llama-cpp").LlamaContextSequence> = real;
    expect(typeof surface.getLlama).toBe("function");
    expect(typeof surface.LlamaChat).toBe("function");
    expect(surface.LlamaLogLevel.error).toBeDefined();
    expect(typeof real.LlamaChat.prototype.generateResponse).toBe("function");
    expect(typeof real.LlamaChat.prototype.dispose).toBe("function");
  });
});
