/**
 * The viewer's HTTP server (node:http): GET/HEAD only, the JSON API under /api/, and the built
 * single-page app (dist/web) for everything else. Listens on 127.0.0.1 unless told otherwise,
 * refuses requests whose Host header names another host (a web page elsewhere cannot reach it by
 * DNS rebinding), and sends a Content-Security-Policy that allows only its own scripts and styles,
 * so text a model wrote cannot run even if it ever reached the page as markup.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { ApiError, ViewApi } from "./api.js";
import { type ReadOnlyRun, ViewError, openRunReadOnly } from "./open.js";

export interface ViewServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port (the URL says which). */
  port?: number;
  /** The built app (index.html and assets/); default dist/web beside this module's dist/. */
  staticDir?: string;
  /** Text-index folder (default `<cache root>/view`); false: the text filter always scans. */
  textIndexDir?: string | false;
  /** Delay before text indexes are built (ms); default 1000. */
  textIndexDelayMs?: number;
  log?: (line: string) => void;
}

export interface ViewServer {
  url: string;
  port: number;
  runs: readonly ReadOnlyRun[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
};

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Where `npm run build` puts the app: dist/web, whether this module runs from dist/ or src/. */
export function defaultStaticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, "../web"), resolve(here, "../../dist/web")];
  return candidates.find((d) => existsSync(join(d, "index.html"))) ?? candidates[0]!;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean): void {
  res.writeHead(status, {
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
  });
  res.end(head ? undefined : body);
}

const json = (res: ServerResponse, status: number, value: unknown, head: boolean) =>
  send(res, status, "application/json; charset=utf-8", JSON.stringify(value), head);

function allowedHosts(host: string, port: number): Set<string> | null {
  // Bound to every interface: any Host may be legitimate (the user chose to expose it).
  if (host === "0.0.0.0" || host === "::") return null;
  const names = new Set(["127.0.0.1", "localhost", "[::1]", host.includes(":") ? `[${host}]` : host]);
  return new Set([...names].map((n) => `${n}:${port}`));
}

export async function startViewServer(
  folders: readonly string[],
  opts: ViewServerOptions = {},
): Promise<ViewServer> {
  if (folders.length === 0) throw new ViewError("no run folders given");
  const runs: ReadOnlyRun[] = [];
  try {
    for (const f of folders) {
      runs.push(
        openRunReadOnly(f, {
          ...(opts.textIndexDir !== undefined ? { textIndexDir: opts.textIndexDir } : {}),
          ...(opts.textIndexDelayMs !== undefined ? { textIndexDelayMs: opts.textIndexDelayMs } : {}),
          ...(opts.log ? { log: opts.log } : {}),
        }),
      );
    }
  } catch (err) {
    for (const r of runs) r.close();
    throw err;
  }
  const api = new ViewApi(runs);
  const staticDir = resolve(opts.staticDir ?? defaultStaticDir());
  if (!existsSync(join(staticDir, "index.html"))) {
    for (const r of runs) r.close();
    throw new ViewError(`${staticDir}/index.html is missing: build the viewer with \`npm run build\``);
  }
  const host = opts.host ?? "127.0.0.1";
  let hosts: Set<string> | null = null;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const head = req.method === "HEAD";
    if (req.method !== "GET" && !head) {
      res.setHeader("Allow", "GET, HEAD");
      return json(res, 405, { error: `method ${req.method} not allowed: the viewer only reads` }, false);
    }
    if (hosts && !hosts.has(String(req.headers.host ?? "").toLowerCase())) {
      return json(res, 403, { error: "unexpected Host header" }, head);
    }
    const url = new URL(req.url ?? "/", "http://viewer.invalid");
    const path = url.pathname;
    if (path.startsWith("/api/")) {
      try {
        const parts = path.slice(5).split("/").map(decodeURIComponent);
        let out: unknown;
        if (parts.length === 1 && parts[0] === "runs") out = api.runList();
        else if (parts.length === 3 && parts[0] === "runs") {
          const [, run, what] = parts as [string, string, string];
          if (what === "facets") out = api.facets(run);
          else if (what === "problems") out = api.problems(run, url.searchParams);
          else if (what === "trajectories") out = api.trajectories(run, url.searchParams);
          else if (what === "trajectory") out = api.trajectory(run, url.searchParams);
          else throw new ApiError(404, `no endpoint ${path}`);
        } else throw new ApiError(404, `no endpoint ${path}`);
        return json(res, 200, out, head);
      } catch (err) {
        if (err instanceof ApiError) return json(res, err.status, { error: err.message }, head);
        if (err instanceof RangeError || err instanceof URIError) {
          return json(res, 400, { error: err.message }, head);
        }
        return json(res, 500, { error: (err as Error).message }, head);
      }
    }
    // No icon: answered empty rather than 404 (a browser asks for it on every page).
    if (path === "/favicon.ico") {
      res.writeHead(204, { "Cache-Control": "max-age=86400" });
      return res.end();
    }
    // Static files: only names inside staticDir; anything else is the app's page.
    let file = join(staticDir, "index.html");
    if (path !== "/" && path !== "/index.html") {
      let rel: string;
      try {
        rel = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, "");
      } catch {
        return json(res, 400, { error: "bad path" }, head);
      }
      const candidate = resolve(staticDir, rel);
      if (!candidate.startsWith(staticDir + sep) || !existsSync(candidate) || !statSync(candidate).isFile()) {
        return json(res, 404, { error: `no file ${path}` }, head);
      }
      file = candidate;
    }
    return send(res, 200, TYPES[extname(file)] ?? "application/octet-stream", readFileSync(file), head);
  };

  const server: Server = createServer(handle);
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", fail);
      ok();
    });
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(host, port);
  const shown = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    runs,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => {
          for (const r of runs) r.close();
          ok();
        });
      }),
  };
}
