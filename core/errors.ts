/**
 * Errors that the CLI prints as one line on stderr.
 * A UsageError means the caller asked for something malformed (exit 2);
 * a FacefleetError means the request was fine but could not be carried out (exit 1).
 */
export class FacefleetError extends Error {
  override readonly name: string = "FacefleetError";
  readonly exitCode: number = 1;
}

export class UsageError extends FacefleetError {
  override readonly name = "UsageError";
  override readonly exitCode = 2;
}

/** One line that names the problem, never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0] ?? error.name;
  return String(error);
}
