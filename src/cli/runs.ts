import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { JUDGE_VERSION } from "../judge/index.js";
import {
  type Candidate,
  RunStore,
  type TestSummary,
  type TrajectoryDetail,
  configSummary,
  openRunFolder,
} from "../runs/index.js";
import { CliError } from "./errors.js";

function openStore(dir: string): RunStore {
  return openRunFolder(dir, { error: (m) => new CliError(m) }).store;
}

function verdictText(s: TestSummary | null): string {
  if (!s) return "-";
  return `${s.verdict} ${s.passed}/${s.total}${s.infrastructureFailure ? " (infrastructure failure)" : ""}`;
}

function codeHead(code: string | null, lines = 3): string[] {
  if (code === null) return ["(no code)"];
  const all = code.split("\n");
  const head = all.slice(0, lines);
  if (all.length > lines) head.push(`... (${all.length - lines} more lines)`);
  return head;
}

function candidateLines(c: Candidate): string[] {
  const flags = [c.selected ? "selected" : "", c.cached ? "cached" : ""].filter((f) => f !== "").join(", ");
  const head = `    candidate ${c.index}${flags ? ` [${flags}]` : ""}: ${c.finishReason ?? "no answer"}, ${c.promptTokens}+${c.completionTokens} tokens, ${Math.round(c.latencyMs)} ms, seed ${c.seed}, public ${verdictText(c.publicTests)}${c.verifierScore !== null ? `, verifier ${c.verifierScore}` : ""}`;
  const out = [head];
  if (c.modelError) out.push(`      model error (${c.modelError.kind}): ${c.modelError.message}`);
  for (const l of codeHead(c.code)) out.push(`      | ${l}`);
  return out;
}

function trajectoryLines(t: TrajectoryDetail): string[] {
  const out = [
    `trajectory ${t.trajectory}: ${t.status}, ${t.turnCount} turn(s), hidden ${verdictText(t.grade)}${t.grade ? ` (grade v${t.grade.version})` : ""}${t.submittedTurn !== null ? `, submitted turn ${t.submittedTurn} candidate ${t.submittedCandidate}` : ""}`,
  ];
  if (t.error) out.push(`  error: ${t.error}`);
  for (const turn of t.turns) {
    const parent =
      turn.parentTurn === null ? "root" : `after turn ${turn.parentTurn} candidate ${turn.parentCandidate}`;
    out.push(`  turn ${turn.index} (${parent}, ${turn.messages.length} message(s) sent)`);
    for (const c of turn.candidates) out.push(...candidateLines(c));
    for (const g of t.turnGrades.filter((g) => g.turn === turn.index)) {
      out.push(`    hidden (candidate ${g.candidate}): ${verdictText(g.grade)}`);
    }
  }
  return out;
}

export function registerRuns(program: Command): Command {
  const runs = program.command("runs").description("Stored runs: list them, show their trajectories");

  runs
    .command("list [dir]")
    .description("Run folders under a directory (default ./runs): name, created, config, progress")
    .option("--json", "one JSON object per run, one per line")
    .action((dir: string | undefined, opts: { json?: boolean }) => {
      const root = dir ?? "runs";
      if (!existsSync(root) || !statSync(root).isDirectory())
        throw new CliError(`no such directory: ${root}`);
      const folders = readdirSync(root)
        .map((name) => join(root, name))
        .filter((p) => statSync(p).isDirectory() && RunStore.isRunFolder(p))
        .sort();
      if (folders.length === 0 && !opts.json) process.stdout.write(`no runs under ${root}\n`);
      for (const folder of folders) {
        let store: RunStore;
        try {
          store = openRunFolder(folder).store;
        } catch (err) {
          process.stderr.write(`codeloop: ${folder}: ${(err as Error).message}\n`);
          continue;
        }
        try {
          const c = store.counts();
          const finished = c.done + c.failed;
          if (opts.json) {
            const row = { folder, ...store.run, config: configSummary(store.config), counts: c };
            process.stdout.write(`${JSON.stringify(row)}\n`);
          } else {
            process.stdout.write(
              `${folder}  ${store.run.name}  ${store.run.createdAt}  ${finished}/${c.total} finished (${c.done} done, ${c.failed} failed)\n    ${configSummary(store.config)}\n`,
            );
          }
        } finally {
          store.close();
        }
      }
    });

  runs
    .command("show <folder>")
    .description("Per-problem summary of a run; with --problem, every trajectory's turns and candidates")
    .option("--problem <id>", "show this problem's trajectories")
    .option("--json", "print JSON")
    .action((folder: string, opts: { problem?: string; json?: boolean }) => {
      const store = openStore(folder);
      try {
        const out = (s: string) => process.stdout.write(s);
        if (opts.problem !== undefined) {
          let any = false;
          if (opts.json) out("[");
          for (const t of store.trajectories({ problemId: opts.problem, pageSize: 50 })) {
            const d = store.trajectoryDetail(t);
            if (!d) continue;
            if (opts.json) out(`${any ? "," : ""}\n${JSON.stringify(d)}`);
            else out(`${trajectoryLines(d).join("\n")}\n`);
            any = true;
          }
          if (opts.json) out("\n]\n");
          if (!any) throw new CliError(`${folder}: no problem '${opts.problem}' in this run`);
          return;
        }
        const counts = store.counts();
        // Problems are written as they are read, page by page: a run of any size prints in bounded memory.
        if (opts.json) {
          out(
            `{"run":${JSON.stringify(store.run)},"config":${JSON.stringify(store.config)},"counts":${JSON.stringify(counts)},"problems":[`,
          );
          let first = true;
          for (const p of store.iterateProblemSummaries()) {
            out(`${first ? "" : ","}\n${JSON.stringify(p)}`);
            first = false;
          }
          out("\n]}\n");
          return;
        }
        out(
          `${store.run.name} (${store.run.id}), created ${store.run.createdAt}\n${configSummary(store.config)}\ntrajectories: ${counts.total} (${counts.done} done, ${counts.failed} failed, ${counts.running} running, ${counts.pending} pending)\n`,
        );
        const versions = store.gradeVersions();
        out(
          `grade versions: ${versions.map((g) => `${g.version} (${g.note}, ${g.judgeVersion ?? "judge unrecorded"})`).join(", ")}\n`,
        );
        const stale = store.staleGrades(JUDGE_VERSION);
        if (stale.length > 0) {
          const codes = stale.reduce((n, s) => n + s.codes, 0);
          out(
            `note: ${codes} code(s) have grades by another judge than this codeloop's (${JUDGE_VERSION}); \`codeloop rejudge ${folder} --all\` grades them again\n`,
          );
        }
        out("\n");
        out("problem\tdone/total\tfailed\taccepted/graded\ttitle\n");
        for (const p of store.iterateProblemSummaries()) {
          out(
            `${p.problemId}\t${p.done}/${p.total}\t${p.failed}\t${p.accepted}/${p.graded}\t${p.title ?? ""}\n`,
          );
        }
      } finally {
        store.close();
      }
    });
  return runs;
}
