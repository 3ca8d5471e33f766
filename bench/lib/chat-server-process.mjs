// Runs the chat-completions test server (tests/helpers/chat-server.ts) in its own process, so
// that a benchmark's client and the server each get a core. The server file is TypeScript with
// only node: imports; it is transpiled to plain JavaScript into `workDir` first.
import { fork } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Starts the server with `latencyMs` per answer; `answer`, when given, is the text of every
 * completion; `respondModule`, when given instead, is the path of a module whose export
 * `respond(request)` answers each request (a scripted model, in the server's process).
 * Resolves to the child process and the server's URL.
 */
export function startChatServerProcess(workDir, { latencyMs = 0, answer, respondModule } = {}) {
  const source = readFileSync(join(root, "tests/helpers/chat-server.ts"), "utf8");
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  writeFileSync(join(workDir, "chat-server.mjs"), js);
  const launcher = join(workDir, "server-main.mjs");
  const respond =
    respondModule !== undefined
      ? ", respond"
      : answer === undefined
        ? ""
        : `, respond: () => ${JSON.stringify(answer)}`;
  const respondImport =
    respondModule !== undefined
      ? `import { respond } from ${JSON.stringify(pathToFileURL(respondModule).href)};\n`
      : "";
  writeFileSync(
    launcher,
    `import { startChatServer } from "./chat-server.mjs";
${respondImport}const server = await startChatServer({ logLimit: 0, latencyMs: ${latencyMs}${respond} });
process.send({ url: server.url });
process.on("message", async (m) => {
  if (m === "stats") process.send({ stats: server.stats });
  if (m === "close") { await server.close(); process.exit(0); }
});
`,
  );
  const child = fork(launcher, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("message", (m) => resolve({ child, url: m.url }));
  });
}

/** The server's counters (requests received, answered, faulted, peak in flight). */
export function chatServerStats(child) {
  return new Promise((resolve) => {
    child.once("message", (m) => resolve(m.stats));
    child.send("stats");
  });
}
