/** A problem could not be loaded; the message names the file and, when known, the row/line and field. */
export class ProblemLoadError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly where?: { row?: number; line?: number; field?: string },
    options?: { cause?: unknown },
  ) {
    super(formatLocation(file, where) + detail, options);
    this.name = "ProblemLoadError";
  }
}

function formatLocation(file: string, where?: { row?: number; line?: number; field?: string }): string {
  let s = file;
  if (where?.line !== undefined) s += `:${where.line}`;
  if (where?.row !== undefined) s += ` row ${where.row}`;
  if (where?.field !== undefined) s += ` field ${where.field}`;
  return `${s}: `;
}

/** Errors from fetching `hf:` sources (network, HTTP status, size mismatch, offline without cache). */
export class HubError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HubError";
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
