import { createHash } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A dataset repo served by the fake Hub: path -> file bytes, per revision. */
export interface FakeDataset {
  id: string;
  revisions: Record<string, Record<string, Buffer>>;
  /** Answer for /api/datasets/<id>/parquet: config -> split -> paths served under /cdn/. */
  parquet?: Record<string, Record<string, string[]>>;
  /** Requires `Authorization: Bearer <token>`. */
  token?: string;
}

/** A model repo served by the fake Hub at `/<id>/resolve/<revision>/<file>` (no `datasets/`). */
export interface FakeModelRepo {
  id: string;
  revisions: Record<string, Record<string, Buffer>>;
}

export interface HubServer {
  url: string;
  /** Every request path (with query), in order. */
  requests: { path: string; range?: string; auth?: string }[];
  /** Entries per page of tree listings (Link pagination). */
  pageSize: number;
  /** Bytes after which the next file download is cut off (once), to test resuming. */
  cutNextDownloadAfter?: number;
  /** When true, Range headers are ignored (200 with the whole file). */
  ignoreRange: boolean;
  close(): Promise<void>;
}

/**
 * A local node:http server imitating the Hugging Face Hub paths codeloop uses: the tree API
 * with Link pagination, `resolve` downloads that redirect to a CDN path and honour Range, and
 * the converted-parquet listing.
 */
export async function startHubServer(
  datasets: FakeDataset[],
  models: FakeModelRepo[] = [],
): Promise<HubServer> {
  const byId = new Map(datasets.map((d) => [d.id, d]));
  const modelsById = new Map(models.map((m) => [m.id, m]));
  const state: Omit<HubServer, "url" | "close"> = { requests: [], pageSize: 2, ignoreRange: false };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? "/", "http://x");
    state.requests.push({
      path: u.pathname + u.search,
      range: req.headers.range,
      auth: req.headers.authorization,
    });
    const send = (status: number, body: string | Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(status, headers);
      res.end(body);
    };
    const authorised = (d: FakeDataset) => !d.token || req.headers.authorization === `Bearer ${d.token}`;

    let m = /^\/api\/datasets\/([^/]+\/[^/]+)\/tree\/([^/]+)\/?(.*)$/.exec(u.pathname);
    if (m) {
      const d = byId.get(m[1]!);
      const files = d?.revisions[decodeURIComponent(m[2]!)];
      if (!d || !files) return send(404, JSON.stringify({ error: "Repository not found" }));
      if (!authorised(d)) return send(401, JSON.stringify({ error: "Unauthorized" }));
      const prefix = m[3] ? `${decodeURIComponent(m[3])}/` : "";
      const paths = Object.keys(files)
        .filter((p) => p.startsWith(prefix))
        .sort();
      const dirs = new Set<string>();
      for (const p of paths) {
        const parts = p.split("/");
        for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
      }
      const entries = [
        ...[...dirs].map((p) => ({ type: "directory", oid: "0", size: 0, path: p })),
        ...paths.map((p) => {
          const size = files[p]!.length;
          // Big files are LFS on the Hub: the listing's size is the pointer's, lfs.size the file's.
          return p.endsWith(".parquet")
            ? { type: "file", oid: "1", size: 134, path: p, lfs: { oid: "2", size, pointerSize: 134 } }
            : { type: "file", oid: "1", size, path: p };
        }),
      ];
      const cursor = Number(u.searchParams.get("cursor") ?? "0");
      const page = entries.slice(cursor, cursor + state.pageSize);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (cursor + state.pageSize < entries.length) {
        const next = new URL(u.toString());
        next.searchParams.set("cursor", String(cursor + state.pageSize));
        headers.link = `<${addressOf(server)}${next.pathname}${next.search}>; rel="next"`;
      }
      return send(200, JSON.stringify(page), headers);
    }

    m = /^\/datasets\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(u.pathname);
    if (m) {
      const d = byId.get(m[1]!);
      const rev = decodeURIComponent(m[2]!);
      const path = m[3]!.split("/").map(decodeURIComponent).join("/");
      if (!d || !d.revisions[rev]?.[path]) return send(404, "Entry not found");
      if (!authorised(d)) return send(401, "Unauthorized");
      // The Hub answers with a redirect to its CDN.
      return send(302, "", {
        location: `/cdn/${encodeURIComponent(d.id)}/${encodeURIComponent(rev)}/${m[3]}`,
      });
    }

    m = /^\/cdn\/([^/]+)\/([^/]+)\/(.+)$/.exec(u.pathname);
    if (m) {
      const d = byId.get(decodeURIComponent(m[1]!));
      const body =
        d?.revisions[decodeURIComponent(m[2]!)]?.[m[3]!.split("/").map(decodeURIComponent).join("/")];
      if (!body) return send(404, "not found");
      return sendBytes(req, res, body, state);
    }

    // A model file: as the Hub, a redirect to the CDN that announces the LFS file's sha256
    // (X-Linked-Etag) and size (X-Linked-Size).
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(u.pathname);
    if (m && modelsById.has(m[1]!)) {
      const rev = decodeURIComponent(m[2]!);
      const body = modelsById.get(m[1]!)!.revisions[rev]?.[
        m[3]!.split("/").map(decodeURIComponent).join("/")
      ];
      if (!body) return send(404, "Entry not found");
      return send(302, "", {
        location: `/cdn-models/${encodeURIComponent(m[1]!)}/${encodeURIComponent(rev)}/${m[3]}`,
        "x-linked-etag": `"${createHash("sha256").update(body).digest("hex")}"`,
        "x-linked-size": String(body.length),
      });
    }
    m = /^\/cdn-models\/([^/]+)\/([^/]+)\/(.+)$/.exec(u.pathname);
    if (m) {
      const body = modelsById.get(decodeURIComponent(m[1]!))?.revisions[decodeURIComponent(m[2]!)]?.[
        m[3]!.split("/").map(decodeURIComponent).join("/")
      ];
      if (!body) return send(404, "not found");
      return sendBytes(req, res, body, state);
    }

    m = /^\/api\/datasets\/([^/]+\/[^/]+)\/parquet$/.exec(u.pathname);
    if (m) {
      const d = byId.get(m[1]!);
      if (!d?.parquet) return send(404, JSON.stringify({ error: "no parquet" }));
      const body: Record<string, Record<string, string[]>> = {};
      for (const [config, splits] of Object.entries(d.parquet)) {
        body[config] = {};
        for (const [split, paths] of Object.entries(splits)) {
          body[config]![split] = paths.map(
            (p) => `${addressOf(server)}/cdn/${encodeURIComponent(d.id)}/refs%2Fconvert%2Fparquet/${p}`,
          );
        }
      }
      return send(200, JSON.stringify(body), { "content-type": "application/json" });
    }
    send(404, "not found");
  };

  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const hub = state as HubServer;
  hub.url = addressOf(server);
  hub.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return hub;
}

function addressOf(server: Server): string {
  const a = server.address() as AddressInfo;
  return `http://127.0.0.1:${a.port}`;
}

function sendBytes(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  state: Omit<HubServer, "url" | "close">,
): void {
  let start = 0;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  if (range && !state.ignoreRange) {
    start = Number(range[1]);
    if (start >= body.length) {
      res.writeHead(416, { "content-range": `bytes */${body.length}` });
      res.end();
      return;
    }
  }
  const slice = body.subarray(start);
  const headers: Record<string, string> = {
    "content-length": String(slice.length),
    "accept-ranges": "bytes",
  };
  if (start > 0) headers["content-range"] = `bytes ${start}-${body.length - 1}/${body.length}`;
  res.writeHead(start > 0 ? 206 : 200, headers);
  const cut = state.cutNextDownloadAfter;
  if (cut !== undefined && cut < slice.length) {
    state.cutNextDownloadAfter = undefined;
    // Send part of the body, stall, then drop the connection as a flaky network would. The
    // stall lets the client take in the bytes first: an error on a web stream discards chunks
    // still queued in it, which would make this test depend on scheduling.
    res.write(slice.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 300));
    return;
  }
  res.end(slice);
}
