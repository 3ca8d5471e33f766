import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rmdir, stat, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, relative } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Agent } from "undici";
import { acquireFileLock } from "./file-lock.js";
import { ModelError } from "./types.js";

/** A file in a Hugging Face Hub model repository: `owner/repo/path/to/file.gguf[@revision]`. */
export interface HubFileRef {
  repo: string;
  file: string;
  revision: string;
}

export function parseHubFileRef(spec: string): HubFileRef {
  const at = spec.lastIndexOf("@");
  const [path, revision] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, "main"];
  const parts = path.split("/").filter((p) => p !== "");
  // Both end up in a cache path: no empty, "." or ".." segments that could step outside it.
  const badSegment = (p: string) => p === "" || p === "." || p === "..";
  if (parts.length < 3 || parts.some(badSegment) || revision.split("/").some(badSegment)) {
    throw new ModelError(
      "config",
      `bad Hub file reference "${spec}": expected owner/repo/file.gguf[@revision]`,
    );
  }
  return { repo: `${parts[0]}/${parts[1]}`, file: parts.slice(2).join("/"), revision };
}

/** Root of codeloop's caches: CODELOOP_CACHE_DIR, else ~/.cache/codeloop. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.CODELOOP_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "codeloop");
}

export interface DownloadOptions {
  /** Directory for downloaded models; default `<cache root>/models`. */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Attempts, each resuming where the last stopped; default 5. */
  maxAttempts?: number;
  onProgress?: (received: number, total: number | undefined) => void;
  /** Called once when another process is downloading the same file and this one waits. */
  onWait?: (holder: string) => void;
}

function hubUrl(ref: HubFileRef, env: NodeJS.ProcessEnv): string {
  const endpoint = (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, "");
  const file = ref.file.split("/").map(encodeURIComponent).join("/");
  return `${endpoint}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${file}`;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** Total size from a Content-Range header ("bytes a-b/total", or "bytes *\/total" on a 416). */
function rangeTotal(header: string | string[] | undefined): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  const m = v?.match(/\/(\d+)\s*$/);
  return m ? Number(m[1]) : undefined;
}

/** Where `ref` is (or will be) stored in the model cache. */
export function hubFilePath(ref: HubFileRef, options: Pick<DownloadOptions, "dir" | "env"> = {}): string {
  const dir = options.dir ?? join(cacheRoot(options.env ?? process.env), "models");
  return join(dir, "hf", ...ref.repo.split("/"), ref.revision, ...ref.file.split("/"));
}

/** Errors that mean the Hub was never reached (offline, no DNS, a proxy or firewall refusing). */
const UNREACHABLE = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

function errorCode(err: unknown): string | undefined {
  for (let e = err as { code?: string; cause?: unknown } | undefined, i = 0; e && i < 5; i++) {
    if (typeof e.code === "string" && UNREACHABLE.has(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** Connections give up after 10 s, so a blocked network fails in seconds, not minutes. */
let hubAgent: Agent | undefined;
/** undici, loaded on the first download (its import costs ~0.1 s every CLI start would pay). */
async function hubHttp(): Promise<{ agent: Agent; request: typeof import("undici").request }> {
  const undici = await import("undici");
  hubAgent ??= new undici.Agent({ connect: { timeout: 10_000 } });
  return { agent: hubAgent, request: undici.request };
}

/** Removes the folders `downloadHubFile` made for a file that never arrived, up to the cache root. */
async function removeEmptyDirs(from: string, root: string): Promise<void> {
  for (let d = from; relative(root, d) !== "" && !relative(root, d).startsWith(".."); d = dirname(d)) {
    const entries = await readdir(d).catch(() => undefined);
    if (!entries || entries.length > 0) return;
    await rmdir(d).catch(() => {});
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Downloads a Hub file once into the cache and returns its local path. Interrupted downloads
 * resume with an HTTP Range request; the result is checked against the size the server
 * announced, and against the sha256 the Hub announces for LFS files (X-Linked-Etag), before it
 * is moved into place. When the Hub cannot be reached at all the error is one line naming the
 * file, the address and the ways out, and nothing is left in the cache.
 */
export async function downloadHubFile(ref: HubFileRef, options: DownloadOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const target = hubFilePath(ref, options);
  const part = `${target}.part`;
  if ((await sizeOf(target)) !== undefined && (await sizeOf(part)) === undefined) return target;
  const root = options.dir ?? join(cacheRoot(env), "models");
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  // One process downloads a file at a time; the others wait, then find it in place.
  const release = await acquireFileLock(`${target}.lock`, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onWait ? { onWait: options.onWait } : {}),
  });
  try {
    return await downloadLocked(ref, options, target, root);
  } finally {
    await release();
    if ((await sizeOf(target)) === undefined && ((await sizeOf(part)) ?? 0) === 0) {
      await removeEmptyDirs(dirname(target), root);
    }
  }
}

async function downloadLocked(
  ref: HubFileRef,
  options: DownloadOptions,
  target: string,
  root: string,
): Promise<string> {
  const env = options.env ?? process.env;
  const part = `${target}.part`;
  // Another process may have finished it while this one waited for the lock.
  if ((await sizeOf(target)) !== undefined && (await sizeOf(part)) === undefined) return target;

  const url = hubUrl(ref, env);
  const maxAttempts = options.maxAttempts ?? 5;
  const announced: Announced = {};
  let lastError: unknown;
  const cleanUpIfEmpty = async () => {
    if (((await sizeOf(part)) ?? 0) === 0) {
      await unlink(part).catch(() => {});
      await removeEmptyDirs(dirname(target), root);
    }
  };
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (options.signal?.aborted) {
      await cleanUpIfEmpty();
      throw new ModelError("aborted", "download aborted");
    }
    try {
      const total = await fetchInto(url, part, env, options, announced);
      const size = await sizeOf(part);
      if (total !== undefined && size !== total) {
        throw new ModelError("bad_response", `${url}: got ${size} bytes, expected ${total}`);
      }
      if (announced.sha256 !== undefined) {
        const got = await sha256Of(part);
        if (got !== announced.sha256) {
          // A corrupt file is not resumable: start again from nothing.
          await unlink(part).catch(() => {});
          throw new ModelError(
            "bad_response",
            `${url}: sha256 ${got} differs from the Hub's ${announced.sha256}`,
          );
        }
      }
      await rename(part, target);
      return target;
    } catch (err) {
      lastError = err;
      const unreachable = errorCode(err);
      if (unreachable !== undefined && ((await sizeOf(part)) ?? 0) === 0) {
        await cleanUpIfEmpty();
        throw new ModelError(
          "config",
          `cannot download ${ref.repo}/${ref.file}@${ref.revision} from ${url} (${unreachable}: the Hub is not reachable from here); either download the file elsewhere and use model: llama:/path/to/${ref.file.split("/").pop()}, or use a model server (model: openai:http://127.0.0.1:8080/v1#name)`,
          { cause: err },
        );
      }
      if (err instanceof ModelError && (err.kind === "config" || err.kind === "aborted")) {
        await cleanUpIfEmpty();
        throw err;
      }
      if (err instanceof ModelError && err.kind === "http" && !err.retryable) {
        await cleanUpIfEmpty();
        throw err;
      }
      if (attempt < maxAttempts) await new Promise((r) => setTimeout(r, Math.min(4000, 250 * 2 ** attempt)));
    }
  }
  await cleanUpIfEmpty();
  const message = lastError instanceof Error ? lastError.message : String(lastError);
  throw new ModelError("connection", `download of ${url} failed after ${maxAttempts} attempts: ${message}`, {
    cause: lastError,
  });
}

/** What the Hub said about the file: its LFS sha256 (X-Linked-Etag) and size (X-Linked-Size). */
interface Announced {
  sha256?: string;
  size?: number;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** One download attempt, appending to `part`; returns the file's full size when known. */
async function fetchInto(
  url: string,
  part: string,
  env: NodeJS.ProcessEnv,
  options: DownloadOptions,
  announced: Announced,
): Promise<number | undefined> {
  const have = (await sizeOf(part)) ?? 0;
  const origin = new URL(url).origin;
  let current = url;
  for (let hop = 0; hop < 6; hop++) {
    const headers: Record<string, string> = { "user-agent": "codeloop" };
    // The token goes to the Hub only, never to the storage host a redirect points at.
    if (env.HF_TOKEN && new URL(current).origin === origin) headers.authorization = `Bearer ${env.HF_TOKEN}`;
    if (have > 0) headers.range = `bytes=${have}-`;
    const http = await hubHttp();
    const res = await http.request(current, {
      method: "GET",
      headers,
      signal: options.signal,
      dispatcher: http.agent,
    });
    if (new URL(current).origin === origin) {
      // The Hub's own answer (often the redirect to storage) names the LFS file's sha256 and size.
      const etag = header(res.headers["x-linked-etag"])?.replace(/^W\//, "").replace(/"/g, "");
      if (etag && /^[0-9a-f]{64}$/.test(etag)) announced.sha256 = etag;
      const linkedSize = Number(header(res.headers["x-linked-size"]));
      if (Number.isFinite(linkedSize) && linkedSize > 0) announced.size = linkedSize;
    }
    if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
      await res.body.dump();
      current = new URL(String(res.headers.location), current).toString();
      continue;
    }
    if (res.statusCode === 416) {
      // Nothing left to fetch: the partial file may already be whole.
      await res.body.dump();
      const total = rangeTotal(res.headers["content-range"]);
      if (total !== undefined && total === have) return total;
      await unlink(part).catch(() => {});
      throw new ModelError("bad_response", `${url}: range not satisfiable; restarting`);
    }
    if (res.statusCode === 401 || res.statusCode === 403 || res.statusCode === 404) {
      await res.body.dump();
      const hint = env.HF_TOKEN ? "" : " (set HF_TOKEN for gated or private repositories)";
      throw new ModelError("config", `${url}: HTTP ${res.statusCode}${hint}`, { status: res.statusCode });
    }
    if (res.statusCode !== 200 && res.statusCode !== 206) {
      await res.body.dump();
      throw new ModelError("http", `${url}: HTTP ${res.statusCode}`, { status: res.statusCode });
    }
    const length = Number(res.headers["content-length"]);
    let total: number | undefined;
    let flags = "a";
    if (res.statusCode === 206) {
      total = rangeTotal(res.headers["content-range"]);
    } else {
      // A 200 is the whole file: start over.
      flags = "w";
      total = Number.isFinite(length) ? length : undefined;
    }
    let received = res.statusCode === 206 ? have : 0;
    res.body.on("data", (chunk: Buffer) => {
      received += chunk.length;
      options.onProgress?.(received, total);
    });
    await pipeline(res.body, createWriteStream(part, { flags }));
    return total ?? announced.size;
  }
  throw new ModelError("bad_response", `${url}: too many redirects`);
}
