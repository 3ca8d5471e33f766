export { QueueJudge, type QueueJudgeOptions } from "./client.js";
export { type JudgeWorker, type JudgeWorkerOptions, startJudgeWorker } from "./worker.js";
export {
  DEFAULT_QUEUE_NAME,
  QueueError,
  QueueJobError,
  QueueUnavailableError,
  type JudgeJobData,
  type TraceJobData,
} from "./protocol.js";
export { canonicalJson, contentHash, decode as decodeQueueJson, encode as encodeQueueJson } from "./codec.js";
export { displayUrl } from "./connection.js";
