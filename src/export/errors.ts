/** An export that cannot go ahead: the message names the folder, flag or file to fix. */
export class ExportError extends Error {
  override name = "ExportError";
}
