/**
 * `codeloop view`: a local, read-only web viewer for whole runs (docs/view.md). The server
 * (server.ts) opens each run folder read-only (open.ts) and answers the app's JSON API (api.ts).
 */
export {
  ApiError,
  type DiffLine,
  ViewApi,
  codeDiff,
  parseProblemQuery,
  parseTrajectoryQuery,
} from "./api.js";
export { type ReadOnlyRun, ViewError, openRunReadOnly } from "./open.js";
export { type ViewServer, type ViewServerOptions, defaultStaticDir, startViewServer } from "./server.js";
