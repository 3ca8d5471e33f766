/** `codeloop serve`: the judge as an HTTP service (docs/serve.md). */
export { JudgeServer, DEFAULT_MAX_BODY } from "./server.js";
export type { ServeOptions } from "./server.js";
export { Limiter } from "./limiter.js";
export { Metrics } from "./metrics.js";
export { HttpError, parseSize } from "./http.js";
export { Episodes, DEFAULT_MAX_TURNS } from "./episodes.js";
