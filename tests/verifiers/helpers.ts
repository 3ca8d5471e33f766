import { createServer } from "node:net";
import { expect } from "vitest";
import { ModelError } from "../../src/models/index.js";
import type { VerifierInput } from "../../src/verifiers/index.js";

/** Code containing this marker is what the test servers score as likely correct. */
export const MARK = "# verified";

/** P(correct) the test servers give a text: high with the marker, low without. */
export function markerScore(text: string): number {
  return text.includes(MARK) ? 0.9 : 0.2;
}

export function inputsOf(codes: string[], prompt = "Add two numbers read from stdin."): VerifierInput[] {
  return codes.map((code) => ({ prompt, code, language: "python", publicTests: null }));
}

export async function failure(p: Promise<unknown>): Promise<ModelError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ModelError);
    return err as ModelError;
  }
  throw new Error("expected a failure");
}

/** A URL nothing listens on: a port bound, then released. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
