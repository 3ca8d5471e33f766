import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { defaultCacheDir } from "./cache.js";
import { HubError, errorMessage } from "./errors.js";
import { lcbVersionOfFile, lcbVersions } from "./formats/livecodebench.js";
import type { LoadOptions, ProblemFilters } from "./types.js";

export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";

/** Folders that hold the data of datasets whose repos also carry other files. */
const DATA_FOLDERS: Record<string, string> = {
  "deepmind/code_contests": "data/",
  "BAAI/TACO": "ALL/",
};

const DATA_FILE = /\.(parquet|jsonl|jsonl\.gz)$/;

/**
 * Datasets whose configs are folders of one repository, by the files each config reads. The
 * first config is the default. CodeContests+ keeps its default config at the root and 1x..5x
 * (more generated tests per problem, 46 to 200+ GB each) in ccplus_<N>x/.
 */
const CONFIG_FILES: Record<string, Record<string, RegExp>> = {
  "ByteDance-Seed/Code-Contests-Plus": {
    default: /^part-\d+-of-\d+\.parquet$/,
    "1x": /^ccplus_1x\/part-\d+-of-\d+\.parquet$/,
    "2x": /^ccplus_2x\/part-\d+-of-\d+\.parquet$/,
    "3x": /^ccplus_3x\/part-\d+-of-\d+\.parquet$/,
    "4x": /^ccplus_4x\/part-\d+-of-\d+\.parquet$/,
    "5x": /^ccplus_5x\/part-\d+-of-\d+\.parquet$/,
  },
};

/** Headers a dataset ships for its checkers (testlib.h), fetched with its data files. */
const HEADER_FILE = /(^|\/)testlib\.h$/;

export function isHubSource(source: string): boolean {
  return source.startsWith("hf:");
}

export interface HubSource {
  dataset: string;
  revision: string;
  /** A config of the dataset (`hf:ByteDance-Seed/Code-Contests-Plus:1x`); each dataset's default when absent. */
  config?: string;
}

/** `hf:owner/name[:config][@revision]`; the revision defaults to main. */
export function parseHubSource(source: string): HubSource {
  const m = /^hf:([\w.-]+\/[\w.-]+)(?::([\w.-]+))?(?:@(.+))?$/.exec(source);
  if (!m)
    throw new HubError(
      `bad Hub source ${JSON.stringify(source)}: expected hf:<owner>/<dataset>[:config][@revision]`,
    );
  return { dataset: m[1]!, revision: m[3] ?? "main", ...(m[2] !== undefined ? { config: m[2] } : {}) };
}

interface TreeEntry {
  type: string;
  path: string;
  size?: number;
  lfs?: { size?: number };
}

interface Listing {
  /** Files to fetch: path inside the snapshot folder, URL, expected size when the Hub told it. */
  files: { path: string; url: string; size?: number }[];
}

function hubContext(options: LoadOptions) {
  const endpoint = (options.hubEndpoint ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_ENDPOINT).replace(
    /\/+$/,
    "",
  );
  const token = options.hubToken ?? process.env.HF_TOKEN ?? process.env.HUGGING_FACE_HUB_TOKEN;
  const offline =
    options.offline ?? ["1", "true", "yes"].includes((process.env.HF_HUB_OFFLINE ?? "").toLowerCase());
  const headers: Record<string, string> = { "user-agent": "codeloop" };
  if (token) headers.authorization = `Bearer ${token}`;
  return { endpoint, headers, offline };
}

class NetworkError extends HubError {}

async function hubFetch(url: string, headers: Record<string, string>): Promise<Response> {
  try {
    return await fetch(url, { headers, redirect: "follow" });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new NetworkError(
      `cannot reach ${new URL(url).origin} (${cause?.code ?? cause?.message ?? errorMessage(err)})`,
      {
        cause: err,
      },
    );
  }
}

function statusError(res: Response, what: string): HubError {
  const hint =
    res.status === 401 || res.status === 403
      ? ": the dataset is gated or private, set HF_TOKEN to a token that has access"
      : res.status === 404
        ? ": no such dataset, revision or file"
        : "";
  return new HubError(`${what}: HTTP ${res.status} ${res.statusText}${hint}`);
}

function nextLink(res: Response): string | undefined {
  const link = res.headers.get("link");
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1];
  }
  return undefined;
}

async function listTree(
  src: HubSource,
  endpoint: string,
  headers: Record<string, string>,
): Promise<TreeEntry[]> {
  const rev = encodeURIComponent(src.revision);
  let url: string | undefined = `${endpoint}/api/datasets/${src.dataset}/tree/${rev}?recursive=true`;
  const out: TreeEntry[] = [];
  while (url) {
    const res = await hubFetch(url, headers);
    if (!res.ok) throw statusError(res, `listing ${src.dataset}@${src.revision}`);
    const page = (await res.json()) as unknown;
    if (!Array.isArray(page)) throw new HubError(`listing ${src.dataset}: expected a JSON list from ${url}`);
    out.push(...(page as TreeEntry[]));
    const next = nextLink(res);
    url = next ? new URL(next, url).toString() : undefined;
  }
  return out;
}

function splitOf(path: string): string | undefined {
  const base = path.split("/").pop()!;
  return /^(train|valid|validation|test|dev)(?=[-_.\d])/.exec(base)?.[1];
}

/**
 * The files of one config: by the dataset's table, else the repo folder named like the config.
 * Undefined when the dataset has no table and no config was asked for.
 */
function configFiles<T extends { path: string }>(
  dataset: string,
  files: T[],
  config?: string,
): T[] | undefined {
  const table = CONFIG_FILES[dataset];
  if (table) {
    const name = config ?? Object.keys(table)[0]!;
    const re = table[name];
    if (!re) {
      throw new HubError(
        `${dataset} has no config ${JSON.stringify(name)}: use one of ${Object.keys(table).join(", ")}`,
      );
    }
    return files.filter((f) => re.test(f.path));
  }
  if (config === undefined) return undefined;
  // None there: the Hub's converted parquet listing, which names every config, is asked next.
  return files.filter((f) => f.path.startsWith(`${config}/`));
}

/**
 * Which repo files a load needs: data files, of the config, in the dataset's data folder, of
 * the wanted split/release; and testlib.h headers beside them (checkers include them).
 */
export function selectHubFiles(
  dataset: string,
  entries: { path: string; size?: number }[],
  filters: ProblemFilters,
  release?: string,
  config?: string,
): { path: string; size?: number }[] {
  const headers = entries.filter((e) => HEADER_FILE.test(e.path) && e.path.split("/").length <= 2);
  let files = entries.filter((e) => DATA_FILE.test(e.path));
  const ofConfig = configFiles(dataset, files, config);
  if (ofConfig) files = ofConfig;
  const folder = DATA_FOLDERS[dataset];
  if (folder && files.some((f) => f.path.startsWith(folder)))
    files = files.filter((f) => f.path.startsWith(folder));
  if (filters.split !== undefined) {
    files = files.filter((f) => {
      const s = splitOf(f.path);
      return s === undefined || s === filters.split;
    });
  }
  const lcb = files.filter((f) => !f.path.includes("/") && lcbVersionOfFile(f.path) !== undefined);
  if (release !== undefined && lcb.length > 0) {
    const wanted = lcbVersions(
      release,
      lcb.map((f) => lcbVersionOfFile(f.path)!),
    );
    files = lcb.filter((f) => wanted.includes(lcbVersionOfFile(f.path)!));
  }
  return files.length > 0 ? [...files, ...headers] : files;
}

async function parquetListing(
  src: HubSource,
  endpoint: string,
  headers: Record<string, string>,
  filters: ProblemFilters,
): Promise<Listing> {
  const res = await hubFetch(`${endpoint}/api/datasets/${src.dataset}/parquet`, headers);
  if (!res.ok) throw statusError(res, `listing converted parquet of ${src.dataset}`);
  const body = (await res.json()) as Record<string, Record<string, string[]>>;
  const configs = Object.keys(body);
  const config = src.config ?? (configs.includes("default") ? "default" : configs[0]);
  if (config === undefined) throw new HubError(`${src.dataset} has no data files and no converted parquet`);
  if (!body[config]) {
    throw new HubError(
      `${src.dataset} has no config ${JSON.stringify(config)}: use one of ${configs.join(", ")}`,
    );
  }
  const files: Listing["files"] = [];
  for (const [split, urls] of Object.entries(body[config]!)) {
    if (filters.split !== undefined && split !== filters.split) continue;
    urls.forEach((url, i) => {
      files.push({ path: `parquet/${config}/${split}-${String(i).padStart(5, "0")}.parquet`, url });
    });
  }
  return { files };
}

function safeJoin(root: string, path: string): string {
  const full = resolve(root, path);
  if (!full.startsWith(resolve(root) + sep))
    throw new HubError(`refusing a file path outside the cache: ${path}`);
  return full;
}

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then(
    (s) => s.size,
    () => undefined,
  );
}

/**
 * Downloads `url` to `dest` through `dest.part`, resuming a partial download with an HTTP Range
 * request, and checks the final size against the Hub's listing (or Content-Length).
 */
export async function downloadFile(
  url: string,
  dest: string,
  listedSize: number | undefined,
  headers: Record<string, string>,
  log?: (m: string) => void,
): Promise<void> {
  let expectedSize = listedSize;
  const have = await sizeOf(dest);
  if (have !== undefined && (expectedSize === undefined || have === expectedSize)) return;
  await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
  const part = `${dest}.part`;
  let start = (await sizeOf(part)) ?? 0;
  if (expectedSize !== undefined && start > expectedSize) {
    await rm(part, { force: true });
    start = 0;
  }
  if (expectedSize === undefined || start < expectedSize) {
    const res = await hubFetch(url, start > 0 ? { ...headers, range: `bytes=${start}-` } : headers);
    if (res.status === 416 && start > 0 && start === expectedSize) {
      await res.body?.cancel();
    } else {
      if (!(res.status === 200 || (res.status === 206 && start > 0))) {
        await res.body?.cancel();
        throw statusError(res, `downloading ${url}`);
      }
      // A server that ignores Range sends the whole file again: start over.
      const append = res.status === 206;
      if (!append) start = 0;
      const length = Number(res.headers.get("content-length") ?? Number.NaN);
      if (expectedSize === undefined && Number.isFinite(length)) expectedSize = start + length;
      log?.(`downloading ${url}${append ? ` (resuming at ${start} bytes)` : ""}`);
      if (!res.body) throw new HubError(`downloading ${url}: empty response`);
      // Each chunk is written (awaited) as it arrives, so when the connection breaks every
      // byte received so far is in the .part file for the next attempt to resume from; a
      // stream pipeline would discard its queued writes on error.
      const file = await open(part, append ? "a" : "w");
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) await file.write(chunk);
      } catch (err) {
        throw new HubError(
          `downloading ${url} stopped after ${(await sizeOf(part)) ?? 0} bytes (${errorMessage(err)}); run again to resume`,
          {
            cause: err,
          },
        );
      } finally {
        await file.close();
      }
    }
  }
  const got = (await sizeOf(part)) ?? 0;
  if (expectedSize !== undefined && got !== expectedSize) {
    if (got > expectedSize) await rm(part, { force: true });
    throw new HubError(
      `downloading ${url}: got ${got} bytes, expected ${expectedSize}${got < expectedSize ? "; run again to resume" : ""}`,
    );
  }
  await rename(part, dest);
}

/** The cached listing of a selection; configs share the snapshot folder but not their listing. */
function listingFile(config: string | undefined): string {
  return config === undefined ? ".codeloop-listing.json" : `.codeloop-listing-${config}.json`;
}

/**
 * Makes the files a load needs available locally and returns the snapshot folder:
 * `<cacheDir>/hf/<owner>/<name>/<revision>/`. Offline (or when the Hub cannot be reached), the
 * cached listing and files are used; without them the error says so.
 */
export async function resolveHubSource(
  source: string,
  filters: ProblemFilters,
  options: LoadOptions,
): Promise<string> {
  return (await resolveHubFiles(source, filters, options)).root;
}

/**
 * As resolveHubSource, with the local paths of the files the selection listed: what a load
 * reads, so files of other configs or splits cached in the same snapshot stay unread.
 */
export async function resolveHubFiles(
  source: string,
  filters: ProblemFilters,
  options: LoadOptions,
): Promise<{ root: string; files: string[] }> {
  const src = parseHubSource(source);
  const { endpoint, headers, offline } = hubContext(options);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const root = join(cacheDir, "hf", ...src.dataset.split("/"), encodeURIComponent(src.revision));
  const listingPath = join(root, listingFile(src.config));

  let listing: Listing | undefined;
  let networkProblem: string | undefined;
  if (!offline) {
    try {
      const entries = (await listTree(src, endpoint, headers)).filter((e) => e.type === "file");
      const files = selectHubFiles(
        src.dataset,
        entries.map((e) => ({ path: e.path, size: e.lfs?.size ?? e.size })),
        filters,
        options.release,
        src.config,
      );
      const rev = encodeURIComponent(src.revision);
      listing = {
        files: files.map((f) => ({
          path: f.path,
          size: f.size,
          url: `${endpoint}/datasets/${src.dataset}/resolve/${rev}/${f.path.split("/").map(encodeURIComponent).join("/")}`,
        })),
      };
      if (listing.files.length === 0) listing = await parquetListing(src, endpoint, headers, filters);
      await mkdir(root, { recursive: true, mode: 0o700 });
      await writeFile(listingPath, JSON.stringify(listing), { mode: 0o600 });
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      networkProblem = err.message;
    }
  }
  if (!listing) {
    const cached = await readFile(listingPath, "utf8").catch(() => undefined);
    if (cached === undefined) {
      throw new HubError(
        `${networkProblem ?? "offline (HF_HUB_OFFLINE or --offline)"} and no cached copy of ${src.dataset}@${src.revision} in ${root}. Run once with network access (set HF_ENDPOINT for a mirror), or point at a local copy of the files.`,
      );
    }
    options.log?.(
      `using the cached copy of ${src.dataset}@${src.revision}${networkProblem ? ` (${networkProblem})` : ""}`,
    );
    listing = JSON.parse(cached) as Listing;
    for (const f of listing.files) {
      const have = await sizeOf(safeJoin(root, f.path));
      if (have === undefined || (f.size !== undefined && have !== f.size)) {
        throw new HubError(
          `${f.path} of ${src.dataset}@${src.revision} is not in the cache (${root}) and the Hub cannot be reached`,
        );
      }
    }
    return { root, files: listing.files.map((f) => safeJoin(root, f.path)) };
  }
  if (listing.files.length === 0)
    throw new HubError(`${src.dataset}@${src.revision} has no data files for this selection`);
  for (const f of listing.files) {
    await downloadFile(f.url, safeJoin(root, f.path), f.size, headers, options.log);
  }
  return { root, files: listing.files.map((f) => safeJoin(root, f.path)) };
}
