// The viewer's trigram side index answers the text filter exactly as the LIKE scan does (hostile,
// unicode, wildcard and FTS-syntax texts), is rebuilt when the run changes (the scan answers
// meanwhile), never writes the run folder, and leaves no half index behind.
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStore, parseRunConfig } from "../../src/runs/index.js";
import { openRunReadOnly } from "../../src/view/open.js";

const CODES = [
  "print(dp[n] % 1_000_000_007)\n",
  "s = 'it''s \"quoted\"'\nprint(s)\n",
  "x = a AND b OR NOT c NEAR(d e) * ^f -g col:h\n",
  "# Ünïcödé ΣΙΣΥΦΟΣ σίσυφος 漢字テスト 🙂\nprint('naïve')\n",
  "path = 'C:\\\\temp\\\\100%_done'\n",
  "def Solve():\n    return 42\n",
  "</script><img src=x onerror=alert(1)> {{constructor}}\n",
];
const TEXTS = [
  "dp[n]",
  "DP[N]",
  "% 1_000",
  "100%_",
  "_do",
  "%",
  "_",
  "it''s",
  '"quoted"',
  "'",
  "AND b OR",
  "NEAR(d",
  "* ^f -g",
  "col:h",
  "ΣΊΣ",
  "σίσυφος",
  "ΣΙΣΥΦΟΣ",
  "漢字",
  "🙂",
  "🙂\np", // three characters, four UTF-16 units
  "🙂\n", // two characters, three UTF-16 units: too short for trigrams
  "漢字テ",
  "naïve",
  "NAÏVE",
  "C:\\\\temp",
  "\\",
  "def solve",
  "onerror=alert(1)",
  "{{constructor}}",
  "no such text anywhere",
  "de",
  "a",
];

function writeRun(folder: string, extra = 0): void {
  const config = parseRunConfig({
    name: "text-index",
    benchmark: { source: "synthetic.jsonl" },
    model: "ollama:test",
    trajectoriesPerProblem: 4,
    strategy: { kind: "multi-turn", maxTurns: 2 },
  });
  const store = existsSync(join(folder, "run.db")) ? RunStore.open(folder) : RunStore.create(folder, config);
  try {
    if (extra === 0)
      store.planProblems(Array.from({ length: 5 }, (_, p) => ({ id: `p${p}`, title: `P ${p}` })));
    for (let p = 0; p < 5; p++) {
      for (let t = 0; t < 4; t++) {
        if (extra === 0 ? t === 3 : t !== 3) continue; // the second write adds trajectory 3
        const key = { problemId: `p${p}`, trajectory: t };
        const now = new Date().toISOString();
        const turns = [0, 1].map((u) => {
          const code = CODES[(p * 4 + t * 2 + u + extra) % CODES.length]!;
          return {
            index: u,
            parentTurn: u === 0 ? null : 0,
            parentCandidate: u === 0 ? null : 0,
            messages: [{ role: "user" as const, content: "go" }],
            history: "append" as const,
            candidates: [
              {
                index: 0,
                rawAnswer: `Answer ${extra ? "LATE-ADDITION " : ""}${u}:\n\`\`\`python\n${code}\`\`\`\n`,
                code: u === 1 && t === 2 ? null : code,
                extraction: "fenced-language",
                finishReason: "stop",
                promptTokens: 10,
                completionTokens: 20,
                tokensApproximate: false,
                latencyMs: 1,
                cached: false,
                modelError: null,
                seed: u,
                publicTests: null,
                selected: true,
                verifierScore: null,
              },
            ],
            startedAt: now,
            finishedAt: now,
          };
        });
        store.writeTurns(key, turns as never);
        store.finishTrajectory(key, { status: "done", submitted: { turn: 1, candidate: 0 } });
      }
    }
  } finally {
    store.close();
  }
}

const sha = (f: string) => createHash("sha256").update(readFileSync(f)).digest("hex");
/** The run folder's files and their hashes; run.db-shm is left out: it is the WAL's shared-memory
 * index, which every reader (the viewer with or without a text index) updates by design. */
const snapshot = (folder: string) =>
  readdirSync(folder)
    .filter((f) => !f.endsWith("-shm"))
    .map((f) => [f, sha(join(folder, f))]);
const keys = (run: ReturnType<typeof openRunReadOnly>, text: string) =>
  run.reader
    .trajectoryPage({ text, limit: 500 })
    .rows.map((r) => `${r.problemId}#${r.trajectory}`)
    .sort();

describe("the viewer's text index", () => {
  const tmp = mkdtempSync(join(tmpdir(), "codeloop-textidx-"));
  const folder = join(tmp, "run");
  const indexDir = join(tmp, "index");
  beforeAll(() => writeRun(folder));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("finds exactly what the scan finds, for every kind of text, and counts the same", async () => {
    const before = snapshot(folder);
    const scan = openRunReadOnly(folder, { textIndexDir: false });
    const indexed = openRunReadOnly(folder, { textIndexDir: indexDir, textIndexDelayMs: 0 });
    try {
      expect(indexed.textIndex!.matchTable("dp[n]")).toBeUndefined(); // not built yet: scanned
      indexed.textIndex!.refresh();
      await indexed.textIndex!.whenBuilt();
      expect(indexed.textIndex!.state).toBe("ready");
      let nonEmpty = 0;
      for (const text of TEXTS) {
        const want = keys(scan, text);
        if (want.length > 0) nonEmpty++;
        expect(keys(indexed, text), text).toEqual(want);
        expect(indexed.reader.trajectoryCount({ text }), text).toBe(scan.reader.trajectoryCount({ text }));
        // Combined with another filter.
        expect(indexed.reader.trajectoryCount({ text, problemId: "p1" }), text).toBe(
          scan.reader.trajectoryCount({ text, problemId: "p1" }),
        );
      }
      expect(nonEmpty).toBeGreaterThan(20);
      // Texts of three characters or more go through the index; shorter ones are scanned.
      expect(indexed.textIndex!.matchTable("dp[n]")).toMatch(/^text_hits_/);
      expect(indexed.textIndex!.matchTable("de")).toBeUndefined();
    } finally {
      scan.close();
      indexed.close();
    }
    // The run folder is untouched, byte for byte; the index lives elsewhere, whole.
    expect(snapshot(folder)).toEqual(before);
    expect(readdirSync(indexDir).filter((f) => f.endsWith(".part"))).toEqual([]);
  });

  it("is reused by the next viewer, and rebuilt when the run changes; the scan answers meanwhile", async () => {
    const first = openRunReadOnly(folder, { textIndexDir: indexDir, textIndexDelayMs: 60_000 });
    try {
      expect(first.textIndex!.state).toBe("ready"); // the file the first test built
    } finally {
      first.close();
    }
    writeRun(folder, 1); // adds trajectory 3 of every problem, answers saying LATE-ADDITION
    const run = openRunReadOnly(folder, { textIndexDir: indexDir, textIndexDelayMs: 60_000 });
    const scan = openRunReadOnly(folder, { textIndexDir: false });
    try {
      expect(run.textIndex!.state).toBe("stale");
      expect(keys(run, "LATE-ADDITION")).toEqual(["p0#3", "p1#3", "p2#3", "p3#3", "p4#3"]);
      run.textIndex!.refresh();
      await run.textIndex!.whenBuilt();
      expect(run.textIndex!.state).toBe("ready");
      expect(run.textIndex!.matchTable("LATE-ADDITION")).toBeDefined();
      for (const text of [...TEXTS, "LATE-ADDITION", "late-addition"]) {
        expect(keys(run, text), text).toEqual(keys(scan, text));
      }
    } finally {
      run.close();
      scan.close();
    }
  });

  it("throws away a half-built index a killed viewer left, and an unreadable one", async () => {
    const dir = join(tmp, "index2");
    const probe = openRunReadOnly(folder, { textIndexDir: dir, textIndexDelayMs: 60_000 });
    const file = probe.textIndex!.file;
    probe.close();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // The part file of a viewer that was killed mid-build (a pid that cannot be running).
    writeFileSync(`${file}.99999999.part`, "half");
    writeFileSync(file, "not a database");
    const run = openRunReadOnly(folder, { textIndexDir: dir, textIndexDelayMs: 60_000 });
    try {
      expect(existsSync(`${file}.99999999.part`)).toBe(false);
      expect(run.textIndex!.state).toBe("stale");
      expect(keys(run, "dp[n]").length).toBeGreaterThan(0); // scanned
      run.textIndex!.refresh();
      await run.textIndex!.whenBuilt();
      expect(run.textIndex!.state).toBe("ready");
      expect(run.textIndex!.matchTable("dp[n]")).toBeDefined();
    } finally {
      run.close();
    }
  });
});
