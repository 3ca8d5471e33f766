/**
 * Grading of code generated elsewhere (`codeloop judge`): samples files read and checked,
 * matched to problems, judged on every test exactly as runs grade a submission, verdicts
 * appended as they come and resumed after a kill, pass@k summarised as reports compute it.
 * Sits beside report/export: it uses strategies (judgeTests), validate (limits) and metrics.
 */
export { MAX_LISTED_ISSUES, type Sample, type SampleIssue, SamplesError, readSamples } from "./samples.js";
export {
  JUDGE_VERSION,
  type ResumeResult,
  type SampleVerdict,
  type TestGroup,
  type VerdictLine,
  VerdictWriter,
  VerdictsFileError,
  resumeVerdicts,
  verdictKey,
} from "./verdicts.js";
export {
  type GradeJob,
  type GradeOptions,
  type GradeProgress,
  type GradeStats,
  type Plan,
  type PlanOptions,
  gradeJob,
  gradeSamples,
  planGrading,
  sha256,
  verdictLine,
} from "./grade.js";
export { type GradingSummary, PASS_KS, type ProblemSummary, summarizeVerdicts } from "./summary.js";
export {
  type GradeFileOptions,
  type GradeFileResult,
  gradeToFile,
  summaryFileFor,
  writeJsonAtomic,
} from "./session.js";
