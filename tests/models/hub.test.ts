import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireFileLock } from "../../src/models/file-lock.js";
import {
  ModelError,
  createModel,
  downloadHubFile,
  hubFilePath,
  parseHubFileRef,
  parseModelRef,
} from "../../src/models/index.js";
import { tinyLlamaGguf } from "./tiny-gguf.js";

interface Seen {
  url: string;
  range?: string;
  authorization?: string;
}

/** A stand-in for the Hub's resolve endpoint, with Range support and scripted misbehaviour. */
async function fakeHub(
  files: Record<string, Buffer>,
  behaviour: { dropFirstAfter?: number; redirectTo?: string; shortFirst?: boolean; etag?: string } = {},
) {
  const seen: Seen[] = [];
  let served = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "";
    seen.push({
      url,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    const linked: Record<string, string> = behaviour.etag ? { "x-linked-etag": `"${behaviour.etag}"` } : {};
    if (behaviour.redirectTo && url.includes("/resolve/")) {
      res.writeHead(302, { location: `${behaviour.redirectTo}${url}`, ...linked });
      res.end();
      return;
    }
    const key = decodeURIComponent(url.replace(/^\/+/, ""));
    const data = files[key];
    if (!data) {
      res.writeHead(404);
      res.end("not found");
      return;
    }
    const first = served++ === 0;
    const m = req.headers.range?.match(/^bytes=(\d+)-$/);
    const from = m ? Number(m[1]) : 0;
    if (from >= data.length) {
      res.writeHead(416, { "content-range": `bytes */${data.length}` });
      res.end();
      return;
    }
    const body = data.subarray(from);
    const headers: Record<string, string | number> = { "content-length": body.length, ...linked };
    if (m) headers["content-range"] = `bytes ${from}-${data.length - 1}/${data.length}`;
    res.writeHead(m ? 206 : 200, headers);
    if (first && behaviour.dropFirstAfter !== undefined) {
      res.write(body.subarray(0, behaviour.dropFirstAfter), () =>
        setTimeout(() => res.socket?.destroy(), 20),
      );
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let dir: string;
const closers: (() => Promise<void>)[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "codeloop-hub-"));
});
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await rm(dir, { recursive: true, force: true });
});

const payload = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) & 0xff));

describe("Hub file references", () => {
  it("parses owner/repo/path[@revision]", () => {
    expect(parseHubFileRef("org/repo/sub/m.gguf@v1")).toEqual({
      repo: "org/repo",
      file: "sub/m.gguf",
      revision: "v1",
    });
    expect(parseHubFileRef("org/repo/m.gguf")).toEqual({
      repo: "org/repo",
      file: "m.gguf",
      revision: "main",
    });
    expect(() => parseHubFileRef("org/m.gguf")).toThrow(ModelError);
    expect(() => parseHubFileRef("org/repo/../x.gguf")).toThrow(ModelError);
    expect(() => parseHubFileRef("org/repo/x.gguf@../../etc")).toThrow(ModelError);
    expect(() => parseHubFileRef("org/repo/x.gguf@")).toThrow(ModelError);
    expect(parseHubFileRef("org/repo/x.gguf@refs/pr/1").revision).toBe("refs/pr/1");
  });
});

describe("downloadHubFile", () => {
  it("downloads once into the cache, sending HF_TOKEN", async () => {
    const hub = await fakeHub({ "org/repo/resolve/main/m.gguf": payload });
    closers.push(hub.close);
    const env = { HF_ENDPOINT: hub.url, HF_TOKEN: "hf_secret", CODELOOP_CACHE_DIR: dir };
    const ref = parseHubFileRef("org/repo/m.gguf");
    const path = await downloadHubFile(ref, { env });
    expect(path).toBe(join(dir, "models", "hf", "org", "repo", "main", "m.gguf"));
    expect(path).toBe(hubFilePath(ref, { env }));
    expect((await readFile(path)).equals(payload)).toBe(true);
    expect(hub.seen).toEqual([{ url: "/org/repo/resolve/main/m.gguf", authorization: "Bearer hf_secret" }]);
    await downloadHubFile(ref, { env });
    expect(hub.seen).toHaveLength(1);
  });

  it("lets one of two concurrent downloads of a file fetch it while the other waits, then finds it", async () => {
    const hub = await fakeHub({ "org/repo/resolve/main/m.gguf": payload });
    closers.push(hub.close);
    const env = { HF_ENDPOINT: hub.url, CODELOOP_CACHE_DIR: dir };
    const ref = parseHubFileRef("org/repo/m.gguf");
    const [a, b] = await Promise.all([downloadHubFile(ref, { env }), downloadHubFile(ref, { env })]);
    expect(a).toBe(b);
    expect((await readFile(a)).equals(payload)).toBe(true);
    expect(hub.seen).toHaveLength(1); // fetched once: the other waited, then found it in place
    expect((await readdir(dirname(a))).sort()).toEqual(["m.gguf"]); // no lock or .part left
  });

  it("waits while another live process holds the file's lock, and says whose", async () => {
    const hub = await fakeHub({ "org/repo/resolve/main/m.gguf": payload });
    closers.push(hub.close);
    const env = { HF_ENDPOINT: hub.url, CODELOOP_CACHE_DIR: dir };
    const ref = parseHubFileRef("org/repo/m.gguf");
    const target = hubFilePath(ref, { env });
    await mkdir(dirname(target), { recursive: true });
    const release = await acquireFileLock(`${target}.lock`);
    const waited: string[] = [];
    const download = downloadHubFile(ref, { env, onWait: (h) => waited.push(h) });
    await new Promise((r) => setTimeout(r, 700));
    expect(hub.seen).toEqual([]); // nothing fetched while the lock is held
    expect(waited).toEqual([`${hostname()} ${process.pid}`]);
    await release();
    expect((await readFile(await download)).equals(payload)).toBe(true);
    expect(hub.seen).toHaveLength(1);
  });

  it("takes over a lock whose holder no longer runs", async () => {
    const hub = await fakeHub({ "org/repo/resolve/main/m.gguf": payload });
    closers.push(hub.close);
    const env = { HF_ENDPOINT: hub.url, CODELOOP_CACHE_DIR: dir };
    const ref = parseHubFileRef("org/repo/m.gguf");
    const target = hubFilePath(ref, { env });
    await mkdir(dirname(target), { recursive: true });
    // A pid that cannot be running: above the kernel's pid_max.
    await writeFile(`${target}.lock`, `${hostname()} 99999999`);
    const waited: string[] = [];
    await downloadHubFile(ref, { env, onWait: (h) => waited.push(h) });
    expect(waited).toEqual([]);
    expect((await readFile(target)).equals(payload)).toBe(true);
    expect(await readdir(dirname(target))).toEqual(["m.gguf"]);
  });

  it("resumes a dropped download with a Range request", async () => {
    const hub = await fakeHub({ "org/repo/resolve/main/m.gguf": payload }, { dropFirstAfter: 100_000 });
    closers.push(hub.close);
    const env = { HF_ENDPOINT: hub.url, CODELOOP_CACHE_DIR: dir };
    const path = await downloadHubFile(parseHubFileRef("org/repo/m.gguf"), { env });
    expect((await readFile(path)).equals(payload)).toBe(true);
    expect(hub.seen).toHaveLength(2);
    const resumedFrom = Number(hub.seen[1]!.range?.match(/bytes=(\d+)-/)?.[1]);
    expect(resumedFrom).toBeGreaterThan(0);
    expect(resumedFrom).toBeLessThan(payload.length);
  });

  it("finishes a partial file left by an earlier run, and checks the size", async () => {
    const hub = await fakeHub({ "org/repo/resolve/rev1/m.gguf": payload });
    closers.push(hub.close);
    const env = { HF_ENDPOINT: hub.url, CODELOOP_CACHE_DIR: dir };
    const ref = parseHubFileRef("org/repo/m.gguf@rev1");
    const target = hubFilePath(ref, { env });
    await downloadHubFile(parseHubFileRef("org/repo/m.gguf@rev1"), { env });
    // Simulate an interrupted earlier run: a partial file and no final file.
    await rm(target);
    await writeFile(`${target}.part`, payload.subarray(0, 1234));
    await downloadHubFile(ref, { env });
    expect(hub.seen[1]!.range).toBe("bytes=1234-");
    expect((await stat(target)).size).toBe(payload.length);
  });

  it("follows a redirect to another host without the token", async () => {
    const storage = await fakeHub({ "org/repo/resolve/main/m.gguf": payload });
    const hub = await fakeHub({}, { redirectTo: storage.url });
    closers.push(hub.close, storage.close);
    const env = { HF_ENDPOINT: hub.url, HF_TOKEN: "hf_secret", CODELOOP_CACHE_DIR: dir };
    const path = await downloadHubFile(parseHubFileRef("org/repo/m.gguf"), { env });
    expect((await readFile(path)).equals(payload)).toBe(true);
    expect(hub.seen[0]!.authorization).toBe("Bearer hf_secret");
    expect(storage.seen[0]!.authorization).toBeUndefined();
  });

  it("reports a missing file as a config error with a hint about HF_TOKEN", async () => {
    const hub = await fakeHub({});
    closers.push(hub.close);
    const env = { HF_ENDPOINT: hub.url, CODELOOP_CACHE_DIR: dir };
    const err = (await downloadHubFile(parseHubFileRef("org/repo/x.gguf"), { env }).catch(
      (e: unknown) => e,
    )) as ModelError;
    expect(err).toBeInstanceOf(ModelError);
    expect(err.kind).toBe("config");
    expect(err.message).toMatch(/404.*HF_TOKEN/);
    expect(hub.seen).toHaveLength(1);
  });

  it("checks the sha256 the Hub announces, and throws away a file that differs", async () => {
    const sha = createHash("sha256").update(payload).digest("hex");
    const storage = await fakeHub({ "org/repo/resolve/main/m.gguf": payload });
    const good = await fakeHub({}, { redirectTo: storage.url, etag: sha });
    closers.push(good.close, storage.close);
    const ref = parseHubFileRef("org/repo/m.gguf");
    const path = await downloadHubFile(ref, { env: { HF_ENDPOINT: good.url, CODELOOP_CACHE_DIR: dir } });
    expect((await readFile(path)).equals(payload)).toBe(true);

    const other = join(dir, "other");
    const bad = await fakeHub({ "org/repo/resolve/main/m.gguf": payload }, { etag: "0".repeat(64) });
    closers.push(bad.close);
    const env = { HF_ENDPOINT: bad.url, CODELOOP_CACHE_DIR: other };
    const err = (await downloadHubFile(ref, { env, maxAttempts: 2 }).catch((e: unknown) => e)) as ModelError;
    expect(err).toBeInstanceOf(ModelError);
    expect(err.message).toMatch(/sha256 [0-9a-f]{64} differs from the Hub's 0{64}/);
    await expect(stat(hubFilePath(ref, { env }))).rejects.toThrow();
    await expect(stat(`${hubFilePath(ref, { env })}.part`)).rejects.toThrow();
  });

  it("fails at once, in one line that names the file, the address and the ways out, when the Hub is unreachable", async () => {
    // A port that was just free: the connection is refused, as behind a firewall or offline.
    const closed = await fakeHub({});
    await closed.close();
    const env = { HF_ENDPOINT: closed.url, CODELOOP_CACHE_DIR: dir };
    const err = (await downloadHubFile(parseHubFileRef("org/repo/m.gguf"), { env }).catch(
      (e: unknown) => e,
    )) as ModelError;
    expect(err).toBeInstanceOf(ModelError);
    expect(err.kind).toBe("config");
    expect(err.message).not.toContain("\n");
    expect(err.message).toContain("org/repo/m.gguf@main");
    expect(err.message).toContain(`${closed.url}/org/repo/resolve/main/m.gguf`);
    expect(err.message).toContain("ECONNREFUSED");
    expect(err.message).toMatch(/llama:\/path\/to\/m\.gguf/);
    expect(err.message).toMatch(/openai:http/);
    // Nothing half-written stays in the cache: no .part file, no empty folders.
    expect(await readdir(join(dir, "models"))).toEqual([]);
  });

  it("serves a llama:hf: reference end to end", async () => {
    const hub = await fakeHub({ "org/tiny/resolve/main/tiny.gguf": tinyLlamaGguf() });
    closers.push(hub.close);
    const env = { HF_ENDPOINT: hub.url, CODELOOP_CACHE_DIR: dir };
    // Same as the reference llama:hf:org/tiny/tiny.gguf, on one CPU thread so a busy machine stays quick.
    const config = { ...parseModelRef("llama:hf:org/tiny/tiny.gguf", env), gpu: false as const, threads: 1 };
    const model = createModel(config, { env, cache: false });
    try {
      const r = await model.generate({
        messages: [{ role: "user", content: "hello" }],
        sampling: { maxTokens: 4, temperature: 0 },
      });
      expect(r.completions[0]!.usage.completionTokens).toBe(4);
      expect(model.id).toBe("llama:hf:org/tiny/tiny.gguf@main");
    } finally {
      await model.close();
    }
    expect(hub.seen).toHaveLength(1);
  });
});
