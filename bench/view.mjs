// Viewer benchmark: a synthetic run store of 165 problems x 200 trajectories x up to 3 turns
// (written directly through RunStore with the synthetic programs of bench/lib/synthetic.mjs, as
// bench/export.mjs does), then `codeloop view` started from the built CLI in its own process and
// timed over HTTP: the first page a browser loads (app, runs, facets, first problems page, first
// trajectories page), further pages (shallow and deep offsets), each filter and sort on its first
// (uncached) request, a trajectory, and the server's peak RSS. Prints one JSON line.
//   node bench/view.mjs [--problems N] [--trajectories N]
// Run with `npm run bench:view` (builds dist/ first). Targets: first page < 1 s, each further
// page or filter < 200 ms.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { seededRng } from "../dist/metrics/index.js";
import { RunStore, parseRunConfig } from "../dist/runs/index.js";
import { DIFFICULTIES, TAGS, codeGenerator } from "./lib/synthetic.mjs";

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const round = (x) => Math.round(x * 100) / 100;
const PROBLEMS = arg("problems", 165);
const TRAJECTORIES = arg("trajectories", 200);
const TURNS = 3;
const rng = seededRng(1616);
const { program, revise } = codeGenerator(rng);

const STATEMENT = (p) =>
  `Problem ${p}. ${"You are given n integers a_1, ..., a_n. Find the largest total you can reach under the rules below. ".repeat(12)}\n\nInput: n, then the numbers.\nOutput: one integer.`;
const summary = (pass, total) => ({
  verdict: pass ? "accepted" : rng() < 0.8 ? "wrong_answer" : "runtime_error",
  passed: pass ? total : Math.floor(rng() * total),
  total,
  tests: Array.from({ length: pass ? total : 1 }, (_, i) => ({
    index: i,
    verdict: pass ? "accepted" : "wrong_answer",
    ...(pass ? {} : { message: "token 1 (line 1): expected '15', got '14'" }),
  })),
  infrastructureFailure: false,
});
const candidate = (text, publicPass, u, t) => ({
  index: 0,
  rawAnswer: `Let me think about it.\n\n\`\`\`python\n${text}\n\`\`\`\n`,
  code: text,
  extraction: "fenced-language",
  finishReason: "stop",
  promptTokens: 400 + 350 * u,
  completionTokens: 100 + Math.floor(rng() * 300),
  tokensApproximate: false,
  latencyMs: 1000 * rng(),
  cached: false,
  modelError: null,
  seed: t * 10 + u,
  publicTests: summary(publicPass, 3),
  selected: true,
  verifierScore: null,
});

function writeRun(folder) {
  const config = parseRunConfig({
    name: "bench-view",
    benchmark: { source: "synthetic.jsonl" },
    model: "ollama:bench",
    trajectoriesPerProblem: TRAJECTORIES,
    strategy: { kind: "multi-turn", maxTurns: TURNS },
    prompts: { system: "You are an expert competitive programmer." },
  });
  const store = RunStore.create(folder, config);
  store.planProblems(
    Array.from({ length: PROBLEMS }, (_, p) => ({
      id: `p${p}`,
      title: `Synthetic problem ${p}`,
      difficulty: DIFFICULTIES[p % 3],
      tags: [TAGS[p % TAGS.length], TAGS[(p * 3 + 1) % TAGS.length]],
    })),
  );
  let turns = 0;
  for (let p = 0; p < PROBLEMS; p++) {
    const base = [0.3, 0.1, 0.02][p % 3] * rng() * 2;
    for (let t = 0; t < TRAJECTORIES; t++) {
      const key = { problemId: `p${p}`, trajectory: t };
      let code = program();
      const graded = [];
      const list = [];
      for (let u = 0; u < TURNS; u++) {
        const correct = rng() < base * (1 + 0.3 * u);
        const publicPass = correct ? rng() < 0.95 : rng() < 0.1;
        const now = new Date().toISOString();
        list.push({
          index: u,
          parentTurn: u === 0 ? null : u - 1,
          parentCandidate: u === 0 ? null : 0,
          messages:
            u === 0
              ? [
                  { role: "system", content: "You are an expert competitive programmer." },
                  { role: "user", content: STATEMENT(p) },
                ]
              : [
                  {
                    role: "user",
                    content: `Test 2: wrong answer\nInput:\n5 1 2 3 4 5\nExpected: 15\nYour output: ${14 - u}\nTry again.`,
                  },
                ],
          history: "append",
          candidates: [candidate(code.join("\n"), publicPass, u, t)],
          startedAt: now,
          finishedAt: now,
        });
        graded.push(correct);
        if (publicPass) break;
        code = revise(code);
      }
      store.writeTurns(key, list);
      turns += list.length;
      store.finishTrajectory(key, {
        status: "done",
        submitted: { turn: list.length - 1, candidate: 0 },
        grade: summary(graded.at(-1), 10),
      });
    }
  }
  store.close();
  return turns;
}

async function startViewer(folder, cacheDir) {
  const child = spawn(process.execPath, ["dist/cli/index.js", "view", folder, "--port", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, CODELOOP_CACHE_DIR: cacheDir },
  });
  const url = await new Promise((ok, fail) => {
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) ok(m[0]);
    });
    child.on("exit", (code) => fail(new Error(`codeloop view exited with ${code}`)));
  });
  return { child, url };
}

const peakRssMb = (pid) => {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmHWM:\s+(\d+) kB/);
  return m ? Math.round(Number(m[1]) / 1024) : null;
};

const work = mkdtempSync(join(tmpdir(), "codeloop-bench-view-"));
const folder = join(work, "run");
let viewer;
try {
  const w0 = performance.now();
  const turns = writeRun(folder);
  const writeSeconds = round((performance.now() - w0) / 1000);
  const s0 = performance.now();
  viewer = await startViewer(folder, join(work, "cache"));
  const startMs = Math.round(performance.now() - s0);
  const { url } = viewer;
  const get = async (path) => {
    const t0 = performance.now();
    const res = await fetch(`${url}${path}`);
    const body = await res.text();
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${body}`);
    return { ms: performance.now() - t0, body };
  };
  const timed = async (path) => {
    const r = await get(path);
    return { ms: round(r.ms), total: path.startsWith("api/") ? (JSON.parse(r.body).total ?? null) : null };
  };

  // The first page: what the app fetches on load of #/run/0/trajectories (the heaviest first view).
  const f0 = performance.now();
  const html = (await get("")).body;
  for (const asset of html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)) await get(asset[1]);
  await get("api/runs");
  await get("api/runs/0/facets");
  const firstProblems = await timed("api/runs/0/problems?limit=50");
  const firstTrajectories = await timed("api/runs/0/trajectories?limit=50");
  const firstPageMs = round(performance.now() - f0);

  const pages = {};
  for (const offset of [50, 100, 1000, 10000, 20000, 32950]) {
    pages[`trajectories offset ${offset}`] = await timed(`api/runs/0/trajectories?limit=50&offset=${offset}`);
  }
  pages["problems offset 50"] = await timed("api/runs/0/problems?limit=50&offset=50");
  pages["problems offset 150"] = await timed("api/runs/0/problems?limit=50&offset=150");

  const filters = {};
  for (const [name, q] of Object.entries({
    "problem=p17": "problem=p17",
    "solved=true": "solved=true",
    "solved=false": "solved=false",
    "verdict=runtime_error": "verdict=runtime_error",
    "minTurns=2": "minTurns=2",
    "minTurns=3&maxTurns=3": "minTurns=3&maxTurns=3",
    "feedback=runtime_error": "feedback=runtime_error",
    "status=done&solved=true&minTurns=2": "status=done&solved=true&minTurns=2",
    "sort=tokens desc": "sort=tokens&dir=desc",
    "sort=turns desc": "sort=turns&dir=desc",
    "sort=verdict": "sort=verdict",
    "sort=passed desc": "sort=passed&dir=desc",
    "q=dp[n] (text in code/answers)": `q=${encodeURIComponent("dp[n]")}`,
    "q=no-such-text": "q=no-such-text",
    "solved=true, page 2": "solved=true&offset=50",
  })) {
    filters[`trajectories ${name}`] = await timed(`api/runs/0/trajectories?limit=50&${q}`);
  }
  for (const [name, q] of Object.entries({
    "difficulty=hard": "difficulty=hard",
    "tag=dp": "tag=dp",
    "solved=none": "solved=none",
    "sort=solved desc": "sort=solved&dir=desc",
    "q=problem 1": `q=${encodeURIComponent("problem 1")}`,
  })) {
    filters[`problems ${name}`] = await timed(`api/runs/0/problems?limit=50&${q}`);
  }
  const trajectory = {};
  for (const [p, t] of [
    [0, 0],
    [82, 117],
    [164, 199],
  ]) {
    trajectory[`p${p}#${t}`] = await timed(`api/runs/0/trajectory?problem=p${p}&trajectory=${t}`);
  }
  // Text search through the trigram side index: wait for its background build (started a second
  // after the viewer), then texts not asked before (each builds its match table) and repeats.
  const b0 = performance.now();
  let indexState = "";
  for (;;) {
    indexState = JSON.parse((await get("api/runs")).body)[0].textIndex;
    if (indexState !== "building" && indexState !== "stale") break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const textIndex = { state: indexState, readyAfterSeconds: round((performance.now() - b0) / 1000) };
  const indexDir = join(work, "cache", "view");
  textIndex.sizeMb = round(
    readdirSync(indexDir).reduce((a, f) => a + statSync(join(indexDir, f)).size, 0) / 1e6,
  );
  const searches = {};
  for (const text of ["dp[n]", "no-such-text", "range(n)", "print(", "return best"]) {
    const q = `q=${encodeURIComponent(text)}`;
    searches[`q=${text} first`] = await timed(`api/runs/0/trajectories?limit=50&${q}`);
    searches[`q=${text} page 2`] = await timed(`api/runs/0/trajectories?limit=50&offset=50&${q}`);
  }
  // Text filters asked before the index was built are the scan's times: reported, not the target.
  const scanned = Object.entries(filters).filter(([k]) => k.startsWith("trajectories q="));
  const all = [
    ...Object.values(pages),
    ...Object.entries(filters)
      .filter(([k]) => !k.startsWith("trajectories q="))
      .map(([, v]) => v),
    ...Object.values(searches),
  ].map((x) => x.ms);
  console.log(
    JSON.stringify({
      bench: "view",
      problems: PROBLEMS,
      trajectoriesPerProblem: TRAJECTORIES,
      maxTurns: TURNS,
      turns,
      storeWriteSeconds: writeSeconds,
      runDbMB: round(statSync(join(folder, "run.db")).size / 1e6),
      serverStartMs: startMs,
      firstPageMs,
      firstProblemsPage: firstProblems,
      firstTrajectoriesPage: firstTrajectories,
      pages,
      filters,
      trajectory,
      textIndex,
      textSearchWithIndex: searches,
      textSearchBeforeIndex: Object.fromEntries(scanned),
      slowestPageOrFilterMs: round(Math.max(...all)),
      targets: { firstPageMs: 1000, pageOrFilterMs: 200 },
      serverPeakRssMb: peakRssMb(viewer.child.pid),
    }),
  );
} finally {
  viewer?.child.kill("SIGTERM");
  if (process.env.KEEP_BENCH_RUN) console.error(`kept ${folder}`);
  else rmSync(work, { recursive: true, force: true });
}
