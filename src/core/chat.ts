/**
 * Chat types every layer shares (a trajectory stores its messages, finish reasons and model
 * errors): the models layer builds on them, the ground floor defines them.
 */
/** One message of a chat dialog. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls" | "abort" | "other";

export type ModelErrorKind =
  | "http" // the server answered with a non-2xx status
  | "timeout" // no complete answer within the per-attempt time limit
  | "connection" // refused, reset or dropped mid-response
  | "bad_response" // 2xx but not a usable chat-completions body
  | "aborted" // the caller's signal fired
  | "config" // bad reference, missing optional dependency, missing file
  | "backend"; // an error inside an embedded backend
