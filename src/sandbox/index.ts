export type { Executor } from "./executor.js";
export { Sandbox, COMPILE_LIMITS, CXX_FLAGS, EXECUTABLE_CAP_MB, executableTooBig } from "./sandbox.js";
export type { SandboxMode, SandboxOptions, SandboxStats, PrepareOptions, PrepareResult } from "./sandbox.js";
export { DEFAULT_LIMITS } from "./types.js";
export type {
  Job,
  JobMode,
  JobTest,
  PreparedProgram,
  RunRecord,
  RunVerdict,
  SandboxTrace,
  SandboxLimits,
  TestRun,
} from "./types.js";
export { detectIsolation, hostFacts, findExecutable, worldReadable } from "./isolation.js";
export type { IsolationInfo, IsolationRequest, HostFacts } from "./isolation.js";
export {
  PYTHON_RUNTIMES,
  type PythonInfo,
  type PythonRuntime,
  pythonAvailable,
  pythonLabel,
  resolvePython,
} from "./python.js";
export type { ReadyInfo } from "./worker.js";
