import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import type { Language, Verdict } from "../judge/types.js";
import type { ExtractionHow } from "../prompts/index.js";

/**
 * A resume keeps only verdict lines of the current judge version (src/judge/version.ts), so old
 * verdicts are graded again instead of mixed with new ones.
 */
export { JUDGE_VERSION } from "../judge/version.js";

/** A verdict, or `no_code` when `--extract` found no program in the answer. */
export type SampleVerdict = Verdict | "no_code";

export type TestGroup = "public" | "private" | "generated";

/** One line of a verdicts file: everything needed to trust, resume and aggregate a grade. */
export interface VerdictLine {
  problemId: string;
  index: number;
  language: Language;
  /** sha256 of the code that was judged (after extraction): a changed sample is graded again. */
  codeSha256: string;
  verdict: SampleVerdict;
  /** Tests passed before the first failure (grading stops there) and the problem's test count. */
  passed: number;
  total: number;
  firstFailure?: {
    /** Index into the problem's tests in the order public, private, generated. */
    test?: number;
    group?: TestGroup;
    name?: string;
    verdict: SampleVerdict;
    message?: string;
  };
  /** Programs' CPU time over the tests run, and the slowest test. */
  cpuMsTotal: number;
  cpuMsMax: number;
  /** Wall time of this sample's grading, queueing excluded. */
  wallMs: number;
  testsRun: number;
  judgeVersion: string;
  /** The Python runtime that judged ("CPython 3.11.2", "PyPy 7.3.11 (Python 3.9.16)"). */
  python: string;
  /** With --extract: where the code came from in the answer. */
  extraction?: ExtractionHow | "none";
  /** The sandbox failed twice on this sample: not the program's fault, graded again on resume. */
  infrastructure?: true;
}

export function verdictKey(problemId: string, index: number): string {
  return `${problemId}\0${index}`;
}

/** What a verdict line must match to be kept on resume. */
export interface ExpectedSample {
  problemId: string;
  index: number;
  language: Language;
  codeSha256: string;
}

export interface ResumeResult {
  /** Verdicts to keep, by verdictKey. */
  kept: Map<string, VerdictLine>;
  /** Why the other lines were dropped (counts), for the resume message. */
  dropped: {
    truncated: number;
    changed: number;
    infrastructure: number;
    otherJudge: number;
    notInSamples: number;
    duplicate: number;
  };
  /** Lines of problems outside this run's selection, left in the file as they are. */
  preserved: number;
  /** The file was rewritten without the dropped lines. */
  rewritten: boolean;
}

export class VerdictsFileError extends Error {
  override name = "VerdictsFileError";
}

function isVerdictLine(v: unknown): v is VerdictLine {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.problemId === "string" &&
    Number.isInteger(r.index) &&
    typeof r.codeSha256 === "string" &&
    typeof r.verdict === "string" &&
    typeof r.judgeVersion === "string" &&
    typeof r.python === "string"
  );
}

/**
 * Reads an existing verdicts file for a resume and keeps the lines that still describe the
 * input: same (problem, index), same language and code hash, same judge version and Python
 * runtime, not an infrastructure failure. A last line without its newline was cut by a kill
 * mid-write and is dropped. Whenever something is dropped the file is rewritten (a temporary
 * file renamed over it, so a kill during the rewrite loses nothing) before new lines are
 * appended. A complete line that is not a verdict means the file is something else: refused,
 * never overwritten. Lines of the `untouched` problems (samples the filters leave out this
 * time) stay in the file unchecked, so judging a subset never deletes the other verdicts.
 */
export function resumeVerdicts(
  file: string,
  expected: Iterable<ExpectedSample>,
  current: { judgeVersion: string; python: string },
  untouched: ReadonlySet<string> = new Set(),
): ResumeResult {
  const dropped = {
    truncated: 0,
    changed: 0,
    infrastructure: 0,
    otherJudge: 0,
    notInSamples: 0,
    duplicate: 0,
  };
  const kept = new Map<string, VerdictLine>();
  let preserved = 0;
  if (!existsSync(file)) return { kept, dropped, preserved, rewritten: false };
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  // After the last "\n" there is "" for a complete file, else the cut-off tail.
  const tail = lines.pop() ?? "";
  if (tail !== "") dropped.truncated++;
  const want = new Map<string, ExpectedSample>();
  for (const e of expected) want.set(verdictKey(e.problemId, e.index), e);
  const keptText: string[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === "") return;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch {
      v = undefined;
    }
    if (!isVerdictLine(v)) {
      throw new VerdictsFileError(
        `${file}:${i + 1}: not a codeloop verdict line; is this the right --out? (remove the file to start over)`,
      );
    }
    if (untouched.has(v.problemId)) {
      preserved++;
      keptText.push(l);
      return;
    }
    const key = verdictKey(v.problemId, v.index);
    const e = want.get(key);
    if (!e) dropped.notInSamples++;
    else if (kept.has(key)) dropped.duplicate++;
    else if (v.codeSha256 !== e.codeSha256 || v.language !== e.language) dropped.changed++;
    else if (v.judgeVersion !== current.judgeVersion || v.python !== current.python) dropped.otherJudge++;
    else if (v.infrastructure) dropped.infrastructure++;
    else {
      kept.set(key, v);
      keptText.push(l);
      return;
    }
  });
  const any = Object.values(dropped).some((n) => n > 0);
  if (any) {
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = openSync(tmp, "w", 0o600);
    try {
      if (keptText.length > 0) writeAll(fd, `${keptText.join("\n")}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  }
  return { kept, dropped, preserved, rewritten: any };
}

/** writeSync may write less than asked (a full disk, a signal): loop until all of it is out. */
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Appends verdict lines as they come: one write per line (a kill leaves at most one partial
 * line, which the next resume drops), data synced to disk at most once a second and on close.
 */
export class VerdictWriter {
  private fd: number;
  private lastSync = Date.now();
  constructor(readonly file: string) {
    this.fd = openSync(file, "a", 0o600);
  }
  append(v: VerdictLine): void {
    writeAll(this.fd, `${JSON.stringify(v)}\n`);
    const now = Date.now();
    if (now - this.lastSync >= 1000) {
      this.lastSync = now;
      fdatasyncSync(this.fd);
    }
  }
  close(): void {
    if (this.fd < 0) return;
    fdatasyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }
}
