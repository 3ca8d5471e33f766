import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  BackgroundNormaliser,
  normalizePythonCodes,
  pairRatios,
  seededRng,
  sequenceRatio,
} from "../../src/metrics/index.js";

const tmp = mkdtempSync(join(tmpdir(), "codeloop-normaliser-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * A stand-in interpreter: real python3 running codeloop's own normaliser script, except that
 * parsing a program containing CRASH_PARSER kills the interpreter (as a parser crash would),
 * and with `dieOnBatch` it answers its version and dies on the first batch.
 */
function fakePython(name: string, dieOnBatch = false): string {
  const file = join(tmp, name);
  writeFileSync(
    file,
    `#!/usr/bin/env python3
import ast, os, sys
real_parse = ast.parse
def parse(src, *a, **k):
    if ${dieOnBatch ? "True" : '"CRASH_PARSER" in src'}:
        os._exit(3)
    return real_parse(src, *a, **k)
ast.parse = parse
exec(sys.argv[-1])
`,
  );
  chmodSync(file, 0o755);
  return file;
}

function entries(file: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    const e = JSON.parse(line) as { k: string; v: string };
    m.set(e.k, e.v);
  }
  return m;
}

describe("normalisation interpreters", () => {
  it("a program that kills the interpreter costs only itself (kept raw); the rest are normalised", async () => {
    const python = fakePython("crashy");
    const codes = Array.from({ length: 40 }, (_, i) => `x${i}  =  ${i}   # c`);
    codes[17] = "y = 'CRASH_PARSER'";
    codes[31] = "z = 'CRASH_PARSER'  # again";
    const out = await normalizePythonCodes(codes, { python, processes: 2 });
    out.forEach((v, i) => {
      if (i === 17 || i === 31) expect(v).toBe(codes[i]);
      else expect(v).toBe(`x${i} = ${i}`);
    });
  });

  it("reports progress and fails with a clear error when the interpreter cannot start", async () => {
    const seen: number[] = [];
    await normalizePythonCodes(
      Array.from({ length: 600 }, (_, i) => `a=${i}`),
      { processes: 1, onProgress: (d) => seen.push(d) },
    );
    expect(seen).toEqual([256, 512, 600]);
    await expect(normalizePythonCodes(["a=1"], { python: join(tmp, "no-such-python") })).rejects.toThrow(
      /cannot start .*no-such-python/,
    );
  });
});

describe("BackgroundNormaliser", () => {
  it("normalises queued codes into the cache file once each; metrics then read them without parsing", async () => {
    const file = join(tmp, "run-normalised.jsonl");
    const bg = await BackgroundNormaliser.open(file, { batchSize: 3, delayMs: 20 });
    expect(bg).toBeDefined();
    const codes = ["a  =  1", "b=2 # two", "a  =  1", "def f(:", "c = [1,\n 2]"];
    for (const c of codes) bg!.add(c);
    await new Promise((r) => setTimeout(r, 100));
    bg!.add("d=4");
    await bg!.close();
    expect(bg!.written).toBe(5);
    expect([...entries(file).values()].sort()).toEqual(["a = 1", "b = 2", "c = [1, 2]", "d = 4", "def f(:"]);
    // A later normaliser over the same file skips what is cached.
    const again = await BackgroundNormaliser.open(file, { batchSize: 1 });
    again!.add("b=2 # two");
    again!.add("e=5");
    await again!.close();
    expect(again!.written).toBe(1);
    // An interpreter that dies on any batch: only the cache can answer these.
    const out = await normalizePythonCodes(codes, { cacheFile: file, python: fakePython("dies", true) });
    expect(out).toEqual(["a = 1", "b = 2", "a = 1", "def f(:", "c = [1, 2]"]);
  });

  it("switches itself off, with a log line, when Python cannot start", async () => {
    const lines: string[] = [];
    const bg = await BackgroundNormaliser.open(join(tmp, "x.jsonl"), {
      python: join(tmp, "no-such-python"),
      log: (m) => lines.push(m),
    });
    expect(bg).toBeUndefined();
    expect(lines[0]).toMatch(/normalisation during the run is off/);
  });
});

describe("pairRatios", () => {
  it("worker threads give exactly the single-threaded ratios, in order", async () => {
    const rng = seededRng(7);
    const words = ["for", "i", "in", "range", "(", "n", ")", ":", "print", "x", "+=", "1", "\n", "    ", "é"];
    const code = () =>
      Array.from(
        { length: 20 + Math.floor(rng() * 300) },
        () => words[Math.floor(rng() * words.length)],
      ).join(" ");
    const flat: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const a = code();
      flat.push(a, rng() < 0.5 ? a.replace(/x/g, "y") : code());
    }
    const threaded = await pairRatios(flat, { threads: 2, minPairsPerThread: 100 });
    const single = await pairRatios(flat, { threads: 1 });
    expect(threaded).toHaveLength(1500);
    expect(threaded).toEqual(single);
    expect(single[3]).toBe(sequenceRatio(flat[6]!, flat[7]!));
  });
});

describe("a program that is not Python as the interpreter", () => {
  it("fails with a clear error instead of crashing on its output", async () => {
    const file = join(tmp, "not-python");
    writeFileSync(file, "#!/bin/sh\necho 'hello, I am not python'\nsleep 5\n");
    chmodSync(file, 0o755);
    await expect(normalizePythonCodes(["a=1"], { python: file })).rejects.toThrow(
      /did not answer like the normaliser script: hello, I am not python/,
    );
  });
});

/** A file that can be read but not appended to (EACCES/EROFS/EPERM), or undefined if none here. */
function readOnlyFile(): string | undefined {
  if (process.getuid?.() !== 0) {
    const dir = join(tmp, "ro");
    mkdirSync(dir);
    const file = join(dir, "normalised.jsonl");
    writeFileSync(file, "");
    chmodSync(file, 0o444);
    chmodSync(dir, 0o555);
    return file;
  }
  // Root ignores file modes; a sysfs file refuses writes even to root.
  const file = "/sys/kernel/notes";
  try {
    appendFileSync(file, "\n");
  } catch (err) {
    if (["EACCES", "EROFS", "EPERM"].includes((err as NodeJS.ErrnoException).code ?? "")) return file;
  }
  return undefined;
}

describe("a cache file that cannot be written", () => {
  it("still returns the normalisations and says the cache was not written", async (ctx) => {
    const file = readOnlyFile();
    if (!file) {
      console.log("skipped: no read-only file to append to on this machine");
      ctx.skip();
      return;
    }
    const notWritten: string[] = [];
    const out = await normalizePythonCodes(["a  =  1 # c", "b=2"], {
      cacheFile: file,
      onCacheNotWritten: (err) => notWritten.push((err as NodeJS.ErrnoException).code ?? ""),
    });
    expect(out).toEqual(["a = 1", "b = 2"]);
    expect(notWritten).toHaveLength(1);
    expect(["EACCES", "EROFS", "EPERM"]).toContain(notWritten[0]);
    // Let the temporary folder be removed again (not root: the folder was made read-only).
    if (file.startsWith(tmp)) chmodSync(join(tmp, "ro"), 0o755);
  });
});
