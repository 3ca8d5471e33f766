export { QueueJudge, type QueueJudgeOptions } from "./client.js";
export { type JudgeWorker, type JudgeWorkerOptions, startJudgeWorker } from "./worker.js";
export {
  DEFAULT_QUEUE_NAME,
  QueueError,
  QueueJobError,
  QueueSignatureError,
  QueueUnavailableError,
  type JudgeJobData,
  type TraceJobData,
} from "./protocol.js";
export { canonicalJson, contentHash, decode as decodeQueueJson, encode as encodeQueueJson } from "./codec.js";
export { displayUrl } from "./connection.js";
export {
  MIN_SECRET_BYTES,
  type QueueSecret,
  QueueSecretError,
  SECRET_ENV,
  loadQueueSecret,
} from "./signing.js";
