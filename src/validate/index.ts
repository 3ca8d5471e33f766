export { validateProblems, sandboxComputeExpected, problemLimits } from "./validate.js";
export type {
  ProblemFlag,
  ProblemReport,
  SolutionReport,
  SolutionRun,
  ValidateOptions,
  ValidateReport,
} from "./validate.js";
