import { existsSync } from "node:fs";
import { basename, extname, join } from "node:path";
import type { Command } from "commander";
import {
  type ModelConfig,
  ModelError,
  apiKeyFor,
  downloadHubFile,
  parseHubFileRef,
  parseModelConfig,
  parseModelRef,
} from "../models/index.js";
import {
  RunAbortedError,
  type RunConfig,
  RunConfigError,
  type RunProgress,
  RunStore,
  RunStoreError,
  loadRunConfig,
  runRun,
  usesVerifier,
  verifierFor,
} from "../runs/index.js";
import { CliError, storeError } from "./errors.js";
import { type ProgressPrinter, progressPrinterFor } from "./progress.js";
import { queueError, queueJudgeFor, withQueueOptions } from "./worker.js";

const MODEL_WAYS =
  "provide a model in the run config's `model` field: `openai:http://host:port/v1#model` (vLLM, SGLang, llama.cpp server, any OpenAI-compatible server), `ollama:<model>` (Ollama on 127.0.0.1:11434 or $OLLAMA_HOST), `llama:./model.gguf` (a GGUF file run in-process), or `openai:<model>` with OPENAI_API_KEY set";

function modelConfigOf(config: RunConfig): ModelConfig {
  try {
    return typeof config.model === "string" ? parseModelRef(config.model) : parseModelConfig(config.model);
  } catch (err) {
    throw new CliError(`bad model reference: ${(err as Error).message}; ${MODEL_WAYS}`);
  }
}

/**
 * Fails fast, before any problem is loaded, when the model cannot be reached: a refused or
 * timed-out connection to every endpoint, a missing GGUF file, a Hub GGUF that cannot be
 * downloaded, or OpenAI without a key.
 */
export async function checkModelReachable(config: RunConfig, timeoutMs = 3000): Promise<void> {
  const mc = modelConfigOf(config);
  if (mc.provider === "llama") {
    if (mc.path !== undefined && !existsSync(mc.path)) {
      throw new CliError(`no model: the GGUF file ${mc.path} does not exist; ${MODEL_WAYS}`);
    }
    if (mc.hf !== undefined) await fetchHubModel(mc.hf);
    return;
  }
  const urls = mc.baseUrls ?? [mc.baseUrl!];
  if (urls.some((u) => u.includes("api.openai.com")) && apiKeyFor(mc, process.env) === undefined) {
    throw new CliError(`no model: OPENAI_API_KEY is not set for ${urls[0]}; ${MODEL_WAYS}`);
  }
  const reasons: string[] = [];
  for (const url of urls) {
    try {
      // Any HTTP answer (even 401 or 404) shows a server is listening; only no answer fails.
      await fetch(`${url.replace(/\/+$/, "")}/models`, { signal: AbortSignal.timeout(timeoutMs) });
      return;
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      reasons.push(`${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
  }
  throw new CliError(`no model server reachable (${reasons.join("; ")}); ${MODEL_WAYS}`);
}

/**
 * Downloads a `llama:hf:` model into the cache before the run starts (once; later runs find it
 * there), with progress on stderr, so that an unreachable Hub stops the command at once.
 */
async function fetchHubModel(spec: string): Promise<void> {
  const ref = parseHubFileRef(spec);
  const name = `${ref.repo}/${ref.file}`;
  const tty = process.stderr.isTTY === true;
  let lastAt = 0;
  let started = false;
  const mb = (n: number) => (n / 1024 ** 2).toFixed(1);
  const onProgress = (received: number, total: number | undefined) => {
    const now = Date.now();
    if (now - lastAt < (tty ? 200 : 5000) && received !== total) return;
    lastAt = now;
    started = true;
    const pct = total ? ` ${Math.floor((received / total) * 100)}%` : "";
    const line = `downloading ${name}${pct} (${mb(received)}${total ? `/${mb(total)}` : ""} MB)`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  try {
    await downloadHubFile(ref, {
      env: process.env,
      onProgress,
      onWait: (holder) =>
        process.stderr.write(
          `codeloop: waiting for another codeloop process (${holder}) that is downloading ${ref.repo}/${ref.file}\n`,
        ),
    });
  } catch (err) {
    if (started && tty) process.stderr.write("\n");
    throw new CliError(
      err instanceof ModelError ? err.message : `downloading ${name}: ${(err as Error).message}`,
    );
  }
  if (started && tty) process.stderr.write("\n");
}

/**
 * Fails fast, before a run folder exists, when the config's verifier cannot score: an unknown
 * kind, an unreachable service, a model it does not serve, a head that gives no score.
 */
export async function checkVerifierReady(config: RunConfig, timeoutMs = 15_000): Promise<void> {
  if (!usesVerifier(config)) return;
  let v: ReturnType<typeof verifierFor>;
  try {
    v = verifierFor(config);
  } catch (err) {
    throw new CliError(`strategy.verifier: ${(err as Error).message}`);
  }
  if (!v) return;
  try {
    await v.check(AbortSignal.timeout(timeoutMs));
  } catch (err) {
    throw new CliError(`strategy.verifier: ${(err as Error).message}`);
  } finally {
    await v.close();
  }
}

function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "--";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function tokens(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

/** One progress line; `bar` adds a text bar for terminals. */
export function progressLine(p: RunProgress, bar: boolean, now = Date.now()): string {
  const frac = p.total > 0 ? p.finished / p.total : 1;
  const elapsed = now - p.startedAt;
  const left = p.total - p.finished;
  const eta = p.finishedHere > 0 ? (elapsed / p.finishedHere) * left : Number.NaN;
  const width = 24;
  const filled = Math.round(frac * width);
  const head = bar ? `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ` : "";
  return `${head}${p.finished}/${p.total} trajectories (${Math.floor(frac * 100)}%) elapsed ${duration(elapsed)} ETA ${left === 0 ? "0s" : duration(eta)} | solved ${p.solvedProblems}/${p.problems} problems, ${p.accepted} accepted | tokens ${tokens(p.promptTokens)} in ${tokens(p.completionTokens)} out | errors ${p.modelErrors} model, ${p.failed} failed`;
}

/** The progress display of one run on stderr (a redrawn bar on a terminal, log lines otherwise). */
export function progressPrinter(): ProgressPrinter<RunProgress> {
  let lastPct = -1;
  return progressPrinterFor<RunProgress>({
    line: progressLine,
    finished: (p) => p.finished >= p.total,
    // Plain log lines: at most every 5 s or each 10 %, and always the last one (once).
    logNow: (p, now, lastAt) => {
      const pct = p.total > 0 ? Math.floor((p.finished / p.total) * 10) : 10;
      if (!(now - lastAt >= 5000 || pct !== lastPct || p.finished === p.total)) return false;
      if (p.finished === p.total && lastPct === 11) return false;
      lastPct = p.finished === p.total ? 11 : pct;
      return true;
    },
  });
}

/**
 * First Ctrl-C: aborts the signal, so no new trajectory starts and running ones store their
 * turns; a second one quits at once. `dispose` removes the handler.
 */
export function stopOnCtrlC(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onSigint = () => {
    if (ac.signal.aborted) process.exit(130);
    process.stderr.write("\ncodeloop: stopping after the running trajectories (Ctrl-C again to quit now)\n");
    ac.abort();
  };
  process.on("SIGINT", onSigint);
  return { signal: ac.signal, dispose: () => process.off("SIGINT", onSigint) };
}

/** `codeloop run`. */
export function registerRun(program: Command): void {
  withQueueOptions(program.command("run [config]"))
    .description("run a config (YAML/JSON) into a run folder, or continue a killed run with --resume")
    .option("--out <folder>", "run folder (default: runs/<config name>)")
    .option("--resume <folder>", "continue the run in this folder (no config argument)")
    .option("--retry-failed", "with --resume: also retry trajectories that failed")
    .option("--json", "print the final summary as JSON on stdout")
    .action(
      async (
        configPath: string | undefined,
        opts: {
          out?: string;
          resume?: string;
          retryFailed?: boolean;
          json?: boolean;
          queue?: string;
          queueCapacity?: string;
        },
      ) => {
        let folder: string;
        let config: RunConfig | undefined;
        if (opts.resume !== undefined) {
          if (configPath !== undefined)
            throw new CliError("give either a config or --resume <folder>, not both");
          folder = opts.resume;
          let store: RunStore;
          try {
            store = RunStore.open(folder);
          } catch (err) {
            storeError(err);
          }
          const cfg = store.config;
          store.close();
          await checkModelReachable(cfg);
          await checkVerifierReady(cfg);
        } else {
          if (configPath === undefined) throw new CliError("missing run config (or --resume <folder>)");
          try {
            config = await loadRunConfig(configPath);
          } catch (err) {
            storeError(err);
          }
          folder = opts.out ?? join("runs", config.name ?? basename(configPath, extname(configPath)));
          if (RunStore.isRunFolder(folder)) {
            throw new CliError(
              `${folder} already holds a run: continue it with --resume ${folder}, or pick --out`,
            );
          }
          await checkModelReachable(config);
          await checkVerifierReady(config);
        }
        process.stderr.write(
          `codeloop: run folder ${folder} (if stopped, continue with: codeloop run --resume ${folder})\n`,
        );
        const judge = await queueJudgeFor(opts);
        const printer = progressPrinter();
        const stop = stopOnCtrlC();
        try {
          const result = await runRun(config ? { folder, config } : { folder }, {
            ...(judge ? { judge } : {}),
            onProgress: printer.update,
            signal: stop.signal,
            ...(opts.retryFailed ? { retryFailed: true } : {}),
            log: (m) => process.stderr.write(`${m}\n`),
          });
          printer.end();
          const p = result.progress;
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ folder, ...p, wallMs: result.wallMs })}\n`);
          } else {
            process.stdout.write(
              `${folder}: ${p.finished}/${p.total} trajectories, ${p.accepted} accepted, ${p.solvedProblems}/${p.problems} problems solved, ${p.failed} failed, ${duration(result.wallMs)}\n`,
            );
          }
          if (stop.signal.aborted) {
            process.stderr.write(`codeloop: stopped; continue with: codeloop run --resume ${folder}\n`);
            process.exitCode = 130;
          }
        } catch (err) {
          printer.end();
          queueError(
            err,
            `continue when the queue is back with: codeloop run --resume ${folder} --queue ${opts.queue}`,
          );
          storeError(err);
        } finally {
          stop.dispose();
          await judge?.close();
        }
      },
    );
}
